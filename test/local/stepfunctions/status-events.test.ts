import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartExecutionCommand, StartSyncExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { EventBridgeModel, type EventBridgeEvent } from '../../../local/eventbridge/model.js';
import { publishExecutionStatusEvents, statusChangeDetail } from '../../../local/stepfunctions/status-events.js';
import { ACCOUNT, Inbox, REGION, settled, startLocalSfn, type LocalSfn } from './helpers.js';

const TARGET = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:on-status-change`;
const DETAIL_TYPE = 'Step Functions Execution Status Change';

describe('Step Functions emulator: execution status change events on the default bus', () => {
  let sfn: LocalSfn;
  let events: EventBridgeModel;
  let unsubscribe: () => void;
  /** What the rules' target received: the rule's name and the event. */
  const delivered = new Inbox<{ rule: string; event: EventBridgeEvent }>();
  const ctx = { account: ACCOUNT, region: REGION };

  function rule(name: string, detail?: Record<string, unknown>): void {
    const pattern = { source: ['aws.states'], 'detail-type': [DETAIL_TYPE], ...(detail ? { detail } : {}) };
    events.putRule(ctx, { Name: name, EventPattern: JSON.stringify(pattern) });
    events.putTargets(ctx, { Rule: name, Targets: [{ Id: 'observer', Arn: TARGET }] });
  }

  const forExecution = (rule: string, executionArn: string) => (d: { rule: string; event: EventBridgeEvent }) =>
    d.rule === rule && (d.event.detail as { executionArn: string }).executionArn === executionArn;

  beforeAll(async () => {
    sfn = await startLocalSfn((call) => {
      if (call.lambda?.name === 'double') return 2 * Number((call.payload as { value: number }).value);
      return { offered: true };
    });
    events = new EventBridgeModel({
      invokeTarget: (_target, event, r) => {
        delivered.push({ rule: r.name, event });
      },
    });
    unsubscribe = publishExecutionStatusEvents(sfn.model, (c, entry) => events.putServiceEvent(c, entry));
    rule('aborted', { status: ['ABORTED'] });
    rule('timed-out', { status: ['TIMED_OUT'] });
    rule('failed', { status: ['FAILED'] });
    rule('all');
  });
  afterAll(async () => {
    unsubscribe();
    events.stop();
    await sfn.close();
  });

  it('delivers ABORTED, with the StopExecution error and cause, to a rule on the status', async () => {
    const arn = await sfn.create('status-stop', 'wait-for-token');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"transferId":"t-1"}' }));
    await sfn.calls.next((c) => c.executionArn === executionArn);
    await sfn.client.send(new StopExecutionCommand({ executionArn, error: 'OperatorStop', cause: 'cancelled by hand' }));
    const done = await settled(sfn.client, executionArn!);

    const { event } = await delivered.next(forExecution('aborted', executionArn!));
    expect(event).toMatchObject({
      version: '0',
      source: 'aws.states',
      'detail-type': DETAIL_TYPE,
      account: ACCOUNT,
      region: REGION,
      resources: [executionArn],
    });
    expect(event.detail).toEqual({
      executionArn,
      stateMachineArn: arn,
      name: executionArn!.split(':').pop(),
      status: 'ABORTED',
      startDate: done.startDate!.getTime(),
      stopDate: done.stopDate!.getTime(),
      input: '{"transferId":"t-1"}',
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: 'OperatorStop',
      cause: 'cancelled by hand',
    });
    expect(event.time).toBe(done.stopDate!.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  });

  it('delivers TIMED_OUT when the machine TimeoutSeconds ends the execution', async () => {
    const arn = await sfn.create('status-timeout', 'execution-timeout');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const { event } = await delivered.next(forExecution('timed-out', executionArn!));
    expect(event.detail).toMatchObject({ status: 'TIMED_OUT', output: null, error: null, cause: null, stopDate: expect.any(Number) });
  });

  it('delivers FAILED with the execution error and cause', async () => {
    const arn = await sfn.create('status-fail', 'child');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"value":"fail"}' }));
    const { event } = await delivered.next(forExecution('failed', executionArn!));
    expect(event.detail).toMatchObject({ status: 'FAILED', error: 'ChildBroke', cause: 'asked to fail', output: null, outputDetails: null });
  });

  it('sends RUNNING then SUCCEEDED (with the output) for a Standard execution, nothing for an Express one', async () => {
    const arn = await sfn.create('status-ok', 'child');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"value":4}' }));
    const running = await delivered.next(forExecution('all', executionArn!));
    const succeeded = await delivered.next(forExecution('all', executionArn!));
    expect(running.event.detail).toMatchObject({ status: 'RUNNING', stopDate: null, input: '{"value":4}', inputDetails: { included: true }, output: null, outputDetails: null });
    expect(succeeded.event.detail).toMatchObject({ status: 'SUCCEEDED', output: '{"value":4,"doubled":8}', outputDetails: { included: true }, error: null });

    const express = await sfn.create('status-express', 'child', 'EXPRESS');
    const sync = await sfn.client.send(new StartSyncExecutionCommand({ stateMachineArn: express, input: '{"value":1}' }));
    expect(sync.status).toBe('SUCCEEDED');
    // Once a Standard execution started after it has been seen, the bus has nothing about the Express one.
    const after = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"value":5}' }));
    await delivered.next(forExecution('all', after.executionArn!));
    const onBus = events.recentEvents({ account: ACCOUNT, busName: 'default' }).map((r) => r.event.resources[0]);
    expect(onBus).toContain(after.executionArn);
    expect(onBus).not.toContain(sync.executionArn);
  });

  it('leaves out an input or output that would make the event too big, and says so', () => {
    const base = { executionArn: 'arn', stateMachineArn: 'sm', name: 'n', status: 'SUCCEEDED' as const, startDate: new Date(1), stopDate: new Date(2), inputDetails: { included: true } };
    const big = JSON.stringify({ pad: 'x'.repeat(200 * 1024) });
    const bothBig = statusChangeDetail({ ...base, input: big, output: big });
    expect(bothBig).toMatchObject({ input: null, inputDetails: { included: false }, output: big, outputDetails: { included: true } });
    const huge = JSON.stringify({ pad: 'x'.repeat(250 * 1024) });
    const outputHuge = statusChangeDetail({ ...base, input: '{}', output: huge });
    expect(outputHuge).toMatchObject({ input: '{}', inputDetails: { included: true }, output: null, outputDetails: { included: false } });
  });
});

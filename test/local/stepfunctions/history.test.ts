import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetExecutionHistoryCommand, SendTaskSuccessCommand, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { ROLE, settled, startLocalSfn, type LocalSfn } from './helpers.js';

describe('Step Functions emulator: GetExecutionHistory', () => {
  let sfn: LocalSfn;
  let arn: string;
  let status = 'INACTIVE';

  beforeAll(async () => {
    sfn = await startLocalSfn((call) => (call.lambda?.name === 'deactivate' ? { status } : { offered: true }));
    arn = await sfn.create('history', 'history');
  });
  afterAll(() => sfn.close());

  async function history(executionArn: string, extra: Record<string, unknown> = {}): Promise<HistoryEvent[]> {
    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn, ...extra }));
    return events ?? [];
  }

  it('records every state and task event of a run, in order, linked and timestamped', async () => {
    status = 'INACTIVE';
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"certificateId":"c"}' }));
    await settled(sfn.client, executionArn!);
    const events = await history(executionArn!);

    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.previousEventId)).toEqual(events.map((_, i) => i));
    for (let i = 1; i < events.length; i++) expect(events[i].timestamp!.getTime()).toBeGreaterThanOrEqual(events[i - 1].timestamp!.getTime());

    expect(events[0].executionStartedEventDetails).toEqual({ input: '{"certificateId":"c"}', inputDetails: { truncated: false }, roleArn: ROLE });
    expect(events[1].stateEnteredEventDetails).toEqual({ name: 'Prepare', input: '{"certificateId":"c"}', inputDetails: { truncated: false } });
    expect(JSON.parse(events[2].stateExitedEventDetails!.output!)).toEqual({ certificateId: 'c', prepared: { step: 1 } });
    expect(events[4].lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: 'arn:aws:lambda:us-east-1:111111111111:function:deactivate',
      input: JSON.stringify({ certificateId: 'c', prepared: { step: 1 } }),
    });
    expect(JSON.parse(events[6].lambdaFunctionSucceededEventDetails!.output!)).toEqual({ status: 'INACTIVE' });
    expect(events[8].stateEnteredEventDetails?.name).toBe('Active?');
    expect(JSON.parse(events[12].executionSucceededEventDetails!.output!)).toMatchObject({ deactivated: { status: 'INACTIVE' } });
  });

  it('ends a failed run with FailStateEntered and ExecutionFailed (no cause when the Fail state has none)', async () => {
    status = 'ACTIVE';
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await settled(sfn.client, executionArn!);
    expect(done).toMatchObject({ status: 'FAILED', error: 'StillActive' });
    expect(done.cause).toBeUndefined();
    const events = await history(executionArn!);
    expect(events.slice(-3).map((e) => e.type)).toEqual(['ChoiceStateExited', 'FailStateEntered', 'ExecutionFailed']);
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({ error: 'StillActive' });
  });

  it('pages, reverses and strips execution data on request', async () => {
    status = 'INACTIVE';
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    await settled(sfn.client, executionArn!);
    const all = await history(executionArn!);

    const first = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5 }));
    expect(first.events?.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    const rest = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 100, nextToken: first.nextToken }));
    expect(rest.events?.map((e) => e.id)).toEqual(all.slice(5).map((e) => e.id));
    expect(rest.nextToken).toBeUndefined();

    const reversed = await history(executionArn!, { reverseOrder: true });
    expect(reversed.map((e) => e.id)).toEqual(all.map((e) => e.id).reverse());

    const lean = await history(executionArn!, { includeExecutionData: false });
    expect(lean[0].executionStartedEventDetails).toEqual({ inputDetails: { truncated: false }, roleArn: ROLE });
    expect(lean.find((e) => e.type === 'PassStateExited')?.stateExitedEventDetails).toEqual({ name: 'Prepare', outputDetails: { truncated: false } });
  });

  it('records TaskScheduled, TaskStarted, TaskSubmitted and TaskSucceeded for a callback task', async () => {
    const callback = await sfn.create('history-callback', 'callback');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: callback, input: '{"transferId":"t","timeoutSeconds":30}' }));
    const call = await sfn.calls.next((c) => c.executionArn === executionArn);
    await sfn.client.send(new SendTaskSuccessCommand({ taskToken: call.taskToken!, output: '{"accepted":true}' }));
    await settled(sfn.client, executionArn!);
    const events = await history(executionArn!);
    expect(events.map((e) => e.type).slice(0, 8)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
    ]);
    const scheduled = events[2].taskScheduledEventDetails!;
    expect(scheduled).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'us-east-1', timeoutInSeconds: 30 });
    expect(JSON.parse(scheduled.parameters!).Payload.taskToken).toBe(call.taskToken);
    expect(JSON.parse(events[4].taskSubmittedEventDetails!.output!)).toMatchObject({ StatusCode: 200, Payload: { offered: true } });
    expect(events[5].taskSucceededEventDetails).toMatchObject({ output: '{"accepted":true}', resourceType: 'lambda' });
  });
});

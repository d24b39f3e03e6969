import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { StepFunctionsModel, type ExecutionEvent, type StepFunctionsSnapshot } from '../../../local/stepfunctions/model.js';
import { ACCOUNT, REGION, settled, startLocalSfn, type LocalSfn } from './helpers.js';

const ctx = { account: ACCOUNT, region: REGION };

describe('Step Functions emulator: lifecycle', () => {
  let sfn: LocalSfn;

  beforeAll(async () => {
    sfn = await startLocalSfn((call) => (call.lambda?.name === 'double' ? 2 * Number((call.payload as { value: number }).value) : { offered: true }));
  });
  afterAll(() => sfn.close());

  it('lets the process exit by itself after shutdown(), whatever was pending', async () => {
    const script = fileURLToPath(new URL('./fixtures/exit-cleanly.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => {
        clearTimeout(kill);
        resolve(c);
      });
    });
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { running: number; late: string; timers: number; statuses: string[] };
    expect(report.running).toBe(6);
    expect(report.late).toBe('TaskTimedOut');
    expect(report.timers).toBe(0);
    expect(report.statuses.every((s) => s === 'ABORTED')).toBe(true);
    // Exit code 0 (not the SIGKILL at 20 s): nothing waited for the 3600 s Wait state or the 60 s default Lambda timeout.
  });

  it('tells subscribers about starts, state changes and ends, and resolves waitForExecution', async () => {
    const arn = await sfn.create('events', 'wait-for-token');
    const seen: ExecutionEvent[] = [];
    const unsubscribe = sfn.model.onExecutionEvent((e) => seen.push(e));
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const call = await sfn.calls.next((c) => c.executionArn === executionArn);
    const waiting = sfn.model.getExecution(executionArn!)!;
    expect(waiting.activeStates).toEqual(['Wait For Decision']);
    const ended = sfn.model.waitForExecution(executionArn!);
    await sfn.client.send(new SendTaskSuccessCommand({ taskToken: call.taskToken!, output: '{"ok":true}' }));
    expect(await ended).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
    unsubscribe();

    const mine = seen.filter((e) => e.execution.executionArn === executionArn);
    expect(mine[0]).toMatchObject({ type: 'ExecutionStarted', execution: { status: 'RUNNING', name: executionArn!.split(':').at(-1) } });
    expect(mine.at(-1)).toMatchObject({ type: 'ExecutionEnded', execution: { status: 'SUCCEEDED' } });
    const history = mine.flatMap((e) => (e.type === 'HistoryEvent' ? [e] : []));
    expect(history.map((e) => e.event.type)).toEqual((await sfn.client.send(new GetExecutionHistoryCommand({ executionArn }))).events!.map((e) => e.type));
    expect(history.find((e) => e.event.type === 'TaskStarted')?.activeStates).toEqual(['Wait For Decision']);
    expect(sfn.model.getExecution(executionArn!)!.activeStates).toEqual([]);
  });

  it('snapshots and restores machines and finished executions; running ones come back ABORTED', async () => {
    const doubleArn = await sfn.create('snap-double', 'child');
    const waitArn = await sfn.create('snap-wait', 'wait-for-token');
    const finished = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: doubleArn, name: 'done', input: '{"value":2}' }));
    await settled(sfn.client, finished.executionArn!);
    const running = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'waiting' }));
    const call = await sfn.calls.next((c) => c.executionArn === running.executionArn);

    const snapshot = JSON.parse(JSON.stringify(sfn.model.snapshot())) as StepFunctionsSnapshot;
    const restored = new StepFunctionsModel({ invokeTask: async () => 5 });
    try {
      restored.restore(snapshot);
      const done = await restored.describeExecution(ctx, { executionArn: finished.executionArn });
      expect(done).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ value: 2, doubled: 4 }) });
      const history = await restored.getExecutionHistory(ctx, { executionArn: finished.executionArn });
      const original = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn: finished.executionArn }));
      expect(history.events.map((e) => e.type)).toEqual(original.events!.map((e) => e.type));
      expect(history.events[0].timestamp.getTime()).toBe(original.events![0].timestamp!.getTime());

      expect(await restored.describeExecution(ctx, { executionArn: running.executionArn })).toMatchObject({ status: 'ABORTED' });
      await expect(restored.sendTaskSuccess(ctx, { taskToken: call.taskToken, output: '{}' })).rejects.toMatchObject({ code: 'TaskTimedOut' });
      await expect(restored.startExecution(ctx, { stateMachineArn: doubleArn, name: 'done' })).rejects.toMatchObject({ code: 'ExecutionAlreadyExists' });
      const again = await restored.startExecution(ctx, { stateMachineArn: doubleArn, input: '{"value":1}' });
      expect(await restored.waitForExecution(again.executionArn)).toMatchObject({ status: 'SUCCEEDED', output: '{"value":1,"doubled":5}' });
    } finally {
      await restored.shutdown();
    }
    // The original is untouched by the snapshot.
    expect((await sfn.client.send(new DescribeExecutionCommand({ executionArn: running.executionArn }))).status).toBe('RUNNING');
  });

  it('refuses new work after shutdown', async () => {
    const model = new StepFunctionsModel({ invokeTask: async () => null });
    await model.shutdown();
    await expect(model.createStateMachine(ctx, { name: 'x', definition: '{}', roleArn: 'arn:aws:iam::111111111111:role/x' })).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  });
});

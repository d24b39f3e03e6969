import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateStateMachineCommand, GetExecutionHistoryCommand, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { StepFunctionsModel } from '../../../local/stepfunctions/model.js';
import { ACCOUNT, REGION, ROLE, definition, settled, startLocalSfn, type LocalSfn } from './helpers.js';

const KB = 1024;
const ctx = { account: ACCOUNT, region: REGION };

describe('Step Functions emulator: payload quota (256 KiB)', () => {
  let sfn: LocalSfn;

  beforeAll(async () => {
    sfn = await startLocalSfn(
      (call) => {
        if (call.lambda?.name === 'report') {
          const big = call.kind === 'lambda' || (call.payload as { big?: boolean } | null)?.big === true;
          return { report: 'r'.repeat(big ? 300 * KB : 200 * KB) };
        }
        return { ok: true };
      },
      { retryIntervalOverrides: { 'Fetch Report': 0 } },
    );
  });
  afterAll(() => sfn.close());

  async function history(executionArn: string): Promise<HistoryEvent[]> {
    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    return events ?? [];
  }

  it('fails the execution with States.DataLimitExceeded when a task returns 300 KB, whatever its Retry and Catch say', async () => {
    const arn = await sfn.create('payload-result', 'payload-result');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await settled(sfn.client, executionArn!);

    const cause = "The state/task 'arn:aws:lambda:us-east-1:111111111111:function:report' returned a result with a size exceeding the maximum number of bytes service limit.";
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause });
    expect(sfn.log.filter((c) => c.executionArn === executionArn)).toHaveLength(1);
    const events = await history(executionArn!);
    expect(events.map((e) => e.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionFailed', 'ExecutionFailed']);
    expect(events[4].lambdaFunctionFailedEventDetails).toEqual({ error: 'States.DataLimitExceeded', cause });
    expect(events[5].executionFailedEventDetails).toEqual({ error: 'States.DataLimitExceeded', cause });
  });

  it('fails when the state output after ResultPath is over the quota, before the next task runs', async () => {
    const arn = await sfn.create('payload-output', 'payload-output');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ pad: 'p'.repeat(100 * KB) }) }));
    const done = await settled(sfn.client, executionArn!);

    expect(done).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause: "The state/task 'Fetch Report' returned a result with a size exceeding the maximum number of bytes service limit.",
    });
    expect(sfn.log.filter((c) => c.executionArn === executionArn).map((c) => c.functionName)).toEqual(['report']);
    const types = (await history(executionArn!)).map((e) => e.type);
    expect(types).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'ExecutionFailed']);
  });

  it('names the integration when a lambda:invoke result is over the quota', async () => {
    const machine = {
      StartAt: 'Fetch Report',
      States: { 'Fetch Report': { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'report', Payload: { big: true } }, End: true } },
    };
    const { stateMachineArn } = await sfn.client.send(new CreateStateMachineCommand({ name: 'payload-invoke', definition: JSON.stringify(machine), roleArn: ROLE }));
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn }));
    const done = await settled(sfn.client, executionArn!);

    const cause = "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit.";
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause });
    const failed = (await history(executionArn!)).find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'States.DataLimitExceeded', cause });
  });

  it('fails when the Parameters a task is scheduled with are over the quota, without invoking it', async () => {
    const arn = await sfn.create('payload-parameters', 'payload-parameters');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ pad: 'p'.repeat(150 * KB) }) }));
    const done = await settled(sfn.client, executionArn!);

    expect(done).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(done.cause).toContain("'Send Twice'");
    expect(sfn.log.filter((c) => c.executionArn === executionArn)).toHaveLength(0);
  });

  it('accepts an execution input of exactly 262,144 bytes and refuses one byte more', async () => {
    const arn = await sfn.create('payload-start', 'history-bounded');
    // 'é' is two bytes in UTF-8: the quota counts bytes, not characters.
    const padTo = (bytes: number) => JSON.stringify({ n: 0, until: 1, pad: 'é' + 'p'.repeat(bytes - Buffer.byteLength(JSON.stringify({ n: 0, until: 1, pad: 'é' }))) });
    const exact = padTo(262_144);
    expect(Buffer.byteLength(exact)).toBe(262_144);
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: exact }));
    expect(executionArn).toBeDefined();

    const over = padTo(262_145);
    expect(over.length).toBe(262_144);
    await expect(sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: over }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144",
    });
  });
});

describe('Step Functions emulator: history quota (25,000 events)', () => {
  let sfn: LocalSfn;
  beforeAll(async () => {
    sfn = await startLocalSfn(() => ({}));
  });
  afterAll(() => sfn.close());

  it('fails an endless loop at the 25,000th event with States.Runtime, as AWS does', async () => {
    const arn = await sfn.create('history-loop', 'history-loop');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"n":0}' }));
    const done = await settled(sfn.client, executionArn!, 60_000);

    const cause = 'The execution reached the maximum number of history events (25000).';
    expect(done).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause });
    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }));
    expect(events![0]).toMatchObject({ id: 25000, previousEventId: 24999, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.Runtime', cause } });
    expect(events![1]).toMatchObject({ id: 24999, type: expect.stringMatching(/State(Entered|Exited)$/) });
  }, 90_000);

  it('lets a Standard history reach the quota with its own last event, and an Express one go past it', async () => {
    // ExecutionStarted, 4 events per round (Pass and Choice entered and exited), Succeed entered and exited,
    // ExecutionSucceeded: 1 + 4 × 6 + 2 + 1 = 28, just the quota; one more round does not fit.
    const limited = await startLocalSfn(() => ({}), { historyEventLimit: 28 });
    try {
      const arn = await limited.create('bounded', 'history-bounded');
      const fits = await limited.model.startExecution(ctx, { stateMachineArn: arn, input: '{"n":0,"until":6}' });
      const ok = await limited.model.waitForExecution(fits.executionArn);
      expect(ok.status).toBe('SUCCEEDED');
      expect(limited.model.getExecution(fits.executionArn)!.history).toHaveLength(28);

      const tooLong = await limited.model.startExecution(ctx, { stateMachineArn: arn, input: '{"n":0,"until":7}' });
      const failed = await limited.model.waitForExecution(tooLong.executionArn);
      expect(failed).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: 'The execution reached the maximum number of history events (28).' });
      expect(limited.model.getExecution(tooLong.executionArn)!.history).toHaveLength(28);

      const express = await limited.create('bounded-express', 'history-bounded', 'EXPRESS');
      const run = await limited.model.startSyncExecution(ctx, { stateMachineArn: express, input: '{"n":0,"until":20}' });
      expect(run.status).toBe('SUCCEEDED');
    } finally {
      await limited.close();
    }
  });
});

describe('Step Functions emulator: maximum execution time', () => {
  it('refuses a TimeoutSeconds over the schema maximum at creation, and accepts the maximum', async () => {
    const model = new StepFunctionsModel({ invokeTask: async () => ({}) });
    const machine = (timeout: number) => JSON.stringify({ TimeoutSeconds: timeout, StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });
    await expect(model.createStateMachine(ctx, { name: 'too-long', definition: machine(100_000_000), roleArn: ROLE })).rejects.toMatchObject({
      code: 'InvalidDefinition',
      message: "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Maximum value is 99999999 at /TimeoutSeconds'",
    });
    await expect(model.createStateMachine(ctx, { name: 'long', definition: machine(99_999_999), roleArn: ROLE })).resolves.toMatchObject({ stateMachineArn: expect.any(String) });
    await model.shutdown();
  });

  it('times a Standard execution out after one year, and an Express one after five minutes, with no TimeoutSeconds', async () => {
    // Dates follow the faked clock once it is installed.
    const model = new StepFunctionsModel({ invokeTask: async () => ({}), clock: () => Date.now() });
    try {
      // The model captures the library's timeout class once, with a real 1 ms timer: do it before faking time.
      const warm = await model.createStateMachine(ctx, { name: 'warm', definition: definition('history-bounded'), roleArn: ROLE });
      await model.waitForExecution((await model.startExecution(ctx, { stateMachineArn: warm.stateMachineArn, input: '{"n":0,"until":1}' })).executionArn);
      const standard = await model.createStateMachine(ctx, { name: 'year-loop', definition: definition('year-loop'), roleArn: ROLE });
      const express = await model.createStateMachine(ctx, { name: 'express-loop', definition: definition('express-loop'), roleArn: ROLE, type: 'EXPRESS' });

      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const year = await model.startExecution(ctx, { stateMachineArn: standard.stateMachineArn });
      const fiveMinutes = await model.startExecution(ctx, { stateMachineArn: express.stateMachineArn });

      await vi.advanceTimersByTimeAsync(299_000);
      expect(model.getExecution(fiveMinutes.executionArn)!.status).toBe('RUNNING');
      await vi.advanceTimersByTimeAsync(2_000);
      const expressDone = model.getExecution(fiveMinutes.executionArn)!;
      expect(expressDone.status).toBe('TIMED_OUT');
      expect(expressDone.stopDate!.getTime() - expressDone.startDate.getTime()).toBe(300_000);

      await vi.advanceTimersByTimeAsync(31_536_000_000 - 302_000);
      expect(model.getExecution(year.executionArn)!.status).toBe('RUNNING');
      await vi.advanceTimersByTimeAsync(2_000);
      const done = await model.describeExecution(ctx, { executionArn: year.executionArn });
      // As AWS describes it: TIMED_OUT, no error or cause; States.Timeout is in the history event.
      expect(done).toMatchObject({ status: 'TIMED_OUT', error: undefined, cause: undefined });
      expect(done.stopDate!.getTime() - done.startDate.getTime()).toBe(31_536_000_000);
      const last = model.getExecution(year.executionArn)!.history.at(-1)!;
      expect(last).toMatchObject({ type: 'ExecutionTimedOut', executionTimedOutEventDetails: { error: 'States.Timeout' } });
    } finally {
      vi.useRealTimers();
      await model.shutdown();
    }
  });
});

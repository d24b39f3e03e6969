import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetExecutionHistoryCommand, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { TaskCall } from '../../../local/stepfunctions/model.js';
import { settled, startLocalSfn, type LocalSfn } from './helpers.js';

describe('Step Functions emulator: Map states', () => {
  let sfn: LocalSfn;
  let active = 0;
  let maxActive = 0;

  beforeAll(async () => {
    sfn = await startLocalSfn(async (call) => {
      if (call.lambda?.name !== 'transfer-one') return { offered: true };
      active += 1;
      maxActive = Math.max(maxActive, active);
      // Simulated work: long enough for the other iterations to pile up if nothing limited them.
      await new Promise((resolve) => setTimeout(resolve, 15));
      active -= 1;
      const { certificateId, position } = call.payload as { certificateId: string; position: number };
      return { certificateId, position, transferred: true };
    });
  });
  afterAll(() => sfn.close());

  it('runs at most MaxConcurrencyPath Lambda tasks at a time and keeps the results in order', async () => {
    const arn = await sfn.create('map', 'map');
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    maxActive = 0;
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ certificateIds: ids, maxConcurrency: 2 }) }));
    const done = await settled(sfn.client, executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(maxActive).toBe(2);
    const { results } = JSON.parse(done.output!) as { results: { certificateId: string; position: number }[] };
    expect(results.map((r) => r.certificateId)).toEqual(ids);
    expect(results.map((r) => r.position)).toEqual(ids.map((_, i) => i));

    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const types = events!.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted']);
    expect(events![2].mapStateStartedEventDetails).toEqual({ length: 7 });
    expect(types.filter((t) => t === 'MapIterationStarted')).toHaveLength(7);
    expect(types.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(7);
    expect(types.filter((t) => t === 'TaskSucceeded')).toHaveLength(7);
    expect(types.slice(-3)).toEqual(['MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    expect(
      events!
        .filter((e) => e.type === 'MapIterationStarted')
        .map((e) => e.mapIterationStartedEventDetails?.index)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('never has more than MaxConcurrency callback tasks waiting at once', async () => {
    const arn = await sfn.create('map-fixed', 'map-fixed');
    const items = [1, 2, 3, 4, 5, 6];
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ items }) }));
    const forExecution = (c: TaskCall): boolean => c.executionArn === executionArn;
    const waiting: TaskCall[] = [];
    let observedMax = 0;
    let answered = 0;
    for (let received = 0; received < items.length; received++) {
      waiting.push(await sfn.calls.next(forExecution));
      observedMax = Math.max(observedMax, waiting.length);
      // Release one only when the Map is saturated: the next call can then only come after it.
      if (waiting.length === 3 || received === items.length - 1) {
        const call = waiting.shift()!;
        await sfn.client.send(new SendTaskSuccessCommand({ taskToken: call.taskToken!, output: JSON.stringify({ done: (call.payload as { item: number }).item }) }));
        answered += 1;
      }
    }
    while (waiting.length > 0) {
      const call = waiting.shift()!;
      await sfn.client.send(new SendTaskSuccessCommand({ taskToken: call.taskToken!, output: JSON.stringify({ done: (call.payload as { item: number }).item }) }));
      answered += 1;
    }
    const done = await settled(sfn.client, executionArn!);
    expect(observedMax).toBe(3);
    expect(answered).toBe(items.length);
    expect(JSON.parse(done.output!)).toEqual(items.map((i) => ({ done: i })));
  });

  it("fails the Map when one iteration fails and lets go of the other iterations' tasks", async () => {
    const arn = await sfn.create('map-fails', 'map-fixed');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ items: [1, 2, 3] }) }));
    const forExecution = (c: TaskCall): boolean => c.executionArn === executionArn;
    const calls = [await sfn.calls.next(forExecution), await sfn.calls.next(forExecution), await sfn.calls.next(forExecution)];
    await sfn.client.send(new SendTaskFailureCommand({ taskToken: calls[1].taskToken!, error: 'TransferRejected', cause: 'no' }));
    const done = await settled(sfn.client, executionArn!);
    expect(done).toMatchObject({ status: 'FAILED', error: 'TransferRejected', cause: 'no' });
    for (const call of [calls[0], calls[2]]) {
      await expect(sfn.client.send(new SendTaskSuccessCommand({ taskToken: call.taskToken!, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    }
    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events!.map((e) => e.type).slice(-3)).toEqual(['MapIterationFailed', 'MapStateFailed', 'ExecutionFailed']);
  });

  it('abandons the waiting iterations when the execution is stopped', async () => {
    const arn = await sfn.create('map-stopped', 'map-fixed');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ items: [1, 2] }) }));
    const forExecution = (c: TaskCall): boolean => c.executionArn === executionArn;
    const calls = [await sfn.calls.next(forExecution), await sfn.calls.next(forExecution)];
    await sfn.client.send(new StopExecutionCommand({ executionArn }));
    expect((await settled(sfn.client, executionArn!)).status).toBe('ABORTED');
    for (const call of calls) {
      expect(call.signal.aborted).toBe(true);
      await expect(sfn.client.send(new SendTaskSuccessCommand({ taskToken: call.taskToken!, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    }
  });
});

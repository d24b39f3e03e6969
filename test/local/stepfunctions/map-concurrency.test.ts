import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateStateMachineCommand, GetExecutionHistoryCommand, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { ROLE, settled, startLocalSfn, type LocalSfn } from './helpers.js';

/** An inline Map over $.items whose iterations call one Lambda task, with the given concurrency fields. */
function mapMachine(concurrency: { MaxConcurrency?: number; MaxConcurrencyPath?: string }): string {
  return JSON.stringify({
    StartAt: 'Process Each',
    States: {
      'Process Each': {
        Type: 'Map',
        ItemsPath: '$.items',
        ...concurrency,
        ItemSelector: { 'item.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Process One',
          States: { 'Process One': { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:111111111111:function:process', End: true } },
        },
        End: true,
      },
    },
  });
}

describe('Step Functions emulator: inline Map concurrency (at most 40 iterations at once)', () => {
  let sfn: LocalSfn;
  /** Tasks in flight now, the most seen at once, and the size of the batch the test lets through. */
  let active = 0;
  let maxActive = 0;
  let batch = 40;
  let held: (() => void)[] = [];

  beforeAll(async () => {
    sfn = await startLocalSfn(async (call) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      // Hold every task until a full batch is in flight, then let the pending work settle (one turn of
      // the event loop: any further iteration the Map lets start would arrive and be counted) and release.
      await new Promise<void>((release) => {
        held.push(release);
        if (held.length === batch) {
          const releasing = held;
          held = [];
          setImmediate(() => releasing.forEach((r) => r()));
        }
      });
      active -= 1;
      return { done: (call.payload as { item: number }).item };
    });
  });
  afterAll(() => sfn.close());

  async function run(name: string, concurrency: { MaxConcurrency?: number; MaxConcurrencyPath?: string }, expectedBatch: number, input: Record<string, unknown> = {}) {
    const { stateMachineArn } = await sfn.client.send(new CreateStateMachineCommand({ name, definition: mapMachine(concurrency), roleArn: ROLE }));
    active = 0;
    maxActive = 0;
    batch = expectedBatch;
    const items = Array.from({ length: 80 }, (_, i) => i);
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ items, ...input }) }));
    const done = await settled(sfn.client, executionArn!, 60_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual(items.map((i) => ({ done: i })));
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
      events.push(...page.events!);
      nextToken = page.nextToken;
    } while (nextToken);
    return { maxActive, events };
  }

  /** The most iterations between their MapIterationStarted and MapIterationSucceeded at any point of the history. */
  function openIterations(events: HistoryEvent[]): number {
    let open = 0;
    let most = 0;
    for (const e of events) {
      if (e.type === 'MapIterationStarted') most = Math.max(most, ++open);
      if (e.type === 'MapIterationSucceeded' || e.type === 'MapIterationFailed') open -= 1;
    }
    return most;
  }

  it('runs 40 iterations at once when MaxConcurrency is 0 (no limit)', async () => {
    const { maxActive: most, events } = await run('map-unlimited', { MaxConcurrency: 0 }, 40);
    expect(most).toBe(40);
    expect(openIterations(events)).toBeLessThanOrEqual(40);
  });

  it('runs 40 iterations at once when MaxConcurrency asks for 100', async () => {
    const { maxActive: most } = await run('map-hundred', { MaxConcurrency: 100 }, 40);
    expect(most).toBe(40);
  });

  it('runs at most MaxConcurrency iterations at once below 40', async () => {
    const { maxActive: most } = await run('map-five', { MaxConcurrency: 5 }, 5);
    expect(most).toBe(5);
  });

  it('caps a MaxConcurrencyPath value of 100 at 40, and keeps the gate out of the history', async () => {
    const { maxActive: most, events } = await run('map-path-hundred', { MaxConcurrencyPath: '$.maxConcurrency' }, 40, { maxConcurrency: 100 });
    expect(most).toBe(40);
    expect(openIterations(events)).toBeLessThanOrEqual(40);
    const started = events.filter((e) => e.type === 'MapIterationStarted');
    expect(started.map((e) => e.mapIterationStartedEventDetails?.index).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 80 }, (_, i) => i));
    expect(started.every((e) => e.mapIterationStartedEventDetails?.name === 'Process Each')).toBe(true);
    const entered = events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);
    expect(new Set(entered)).toEqual(new Set(['Process Each', 'Process One']));
    // Each iteration's task gets the item itself, as without the gate.
    const scheduled = events.find((e) => e.type === 'LambdaFunctionScheduled');
    expect(JSON.parse(scheduled!.lambdaFunctionScheduledEventDetails!.input!)).toEqual({ item: expect.any(Number) });
  });

  it('runs at most a MaxConcurrencyPath value of 5 at once', async () => {
    const { maxActive: most, events } = await run('map-path-five', { MaxConcurrencyPath: '$.maxConcurrency' }, 5, { maxConcurrency: 5 });
    expect(most).toBe(5);
    expect(openIterations(events)).toBeLessThanOrEqual(5);
  });
});

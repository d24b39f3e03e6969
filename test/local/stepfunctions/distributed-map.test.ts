import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateStateMachineCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ROLE, settled, startLocalSfn, type LocalSfn } from './helpers.js';

interface Item {
  certificateId: string;
  position: number;
  target: string;
}
interface Batch {
  Items: Item[];
  BatchInput: { batchId: string };
}

describe('Step Functions emulator: distributed Map', () => {
  let sfn: LocalSfn;
  let active = 0;
  let maxActive = 0;
  /** Batches whose child waits until released (stop tests). */
  let hold: Promise<void> | undefined;

  beforeAll(async () => {
    sfn = await startLocalSfn(async (call) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      try {
        await new Promise((resolve) => setTimeout(resolve, 30));
        if (hold) await hold;
        const payload = call.payload as Batch | number;
        if (typeof payload === 'number') return { doubled: payload * 2 };
        if (payload.Items.some((i) => i.certificateId.startsWith('bad'))) throw Object.assign(new Error('cannot transfer'), { name: 'TransferFailed' });
        return { batchId: payload.BatchInput.batchId, transferred: payload.Items.map((i) => i.position) };
      } finally {
        active -= 1;
      }
    });
  });
  afterAll(() => sfn.close());

  const start = async (arn: string, input: unknown) => (await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(input) }))).executionArn!;
  const history = async (executionArn: string) => (await sfn.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
  const mapRunOf = async (executionArn: string) => (await history(executionArn)).find((e) => e.type === 'MapRunStarted')!.mapRunStartedEventDetails!.mapRunArn!;
  const children = async (mapRunArn: string) => (await sfn.client.send(new ListExecutionsCommand({ mapRunArn, maxResults: 1000 }))).executions!;

  it('runs each batch of items (ItemBatcher) as a child execution with its own history, listed under the map run', async () => {
    const arn = await sfn.create('distributed-map', 'distributed-map');
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const executionArn = await start(arn, { certificateIds: ids, maxConcurrency: 10, tolerated: 0, target: '222222222222', batchId: 'b-1' });
    const done = await settled(sfn.client, executionArn);

    expect(done.status).toBe('SUCCEEDED');
    // One result per batch, in order: 3 + 3 + 1 items.
    expect(JSON.parse(done.output!).results).toEqual([
      { batchId: 'b-1', transferred: [0, 1, 2] },
      { batchId: 'b-1', transferred: [3, 4, 5] },
      { batchId: 'b-1', transferred: [6] },
    ]);
    // The parent's history has the map run, not its items.
    expect((await history(executionArn)).map((e) => e.type)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapRunStarted', 'MapRunSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    const mapRunArn = await mapRunOf(executionArn);
    expect(mapRunArn).toMatch(/^arn:aws:states:us-east-1:111111111111:mapRun:distributed-map\/Transfer-Batches:[0-9a-f-]{36}$/);

    const listed = await children(mapRunArn);
    expect(listed).toHaveLength(3);
    for (const child of listed) {
      expect(child).toMatchObject({ status: 'SUCCEEDED', stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:distributed-map/Transfer-Batches' });
      expect(child.executionArn).toMatch(/:execution:distributed-map\/Transfer-Batches:[0-9a-f-]{36}$/);
      const types = (await history(child.executionArn!)).map((e) => e.type);
      expect(types[0]).toBe('ExecutionStarted');
      expect(types).toContain('TaskStateEntered');
      expect(types.at(-1)).toBe('ExecutionSucceeded');
    }
    const inputs = await Promise.all(listed.map(async (c) => JSON.parse((await sfn.client.send(new DescribeExecutionCommand({ executionArn: c.executionArn }))).input!) as Batch));
    expect(inputs.map((b) => b.Items.length).sort()).toEqual([1, 3, 3]);
    expect(inputs.find((b) => b.Items.length === 1)).toEqual({ Items: [{ certificateId: 'g', position: 6, target: '222222222222' }], BatchInput: { batchId: 'b-1' } });
    // The state machine's own executions: the parent only.
    expect((await sfn.client.send(new ListExecutionsCommand({ stateMachineArn: arn }))).executions!.map((e) => e.executionArn)).toEqual([executionArn]);
  });

  it("runs up to MaxConcurrency children at once, beyond the inline Map's 40", async () => {
    const arn = await sfn.create('distributed-map-wide', 'distributed-map');
    maxActive = 0;
    const ids = Array.from({ length: 150 }, (_, i) => `c${i}`);
    const done = await settled(sfn.client, await start(arn, { certificateIds: ids, maxConcurrency: 50, tolerated: 0, target: '222222222222', batchId: 'b-2' }));
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!).results).toHaveLength(50);
    expect(maxActive).toBe(50);
  });

  it('one child per item without ItemSelector or ItemBatcher, at most a literal MaxConcurrency at once', async () => {
    const arn = await sfn.create('distributed-map-items', 'distributed-map-items');
    maxActive = 0;
    const done = await settled(sfn.client, await start(arn, [1, 2, 3, 4, 5]));
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual([1, 2, 3, 4, 5].map((n) => ({ doubled: n * 2 })));
    expect(maxActive).toBe(2);
  });

  it("failures within ToleratedFailurePercentage do not fail the Map: the failed batch's result is its error", async () => {
    const arn = await sfn.create('distributed-map-tolerant', 'distributed-map');
    const executionArn = await start(arn, { certificateIds: ['a', 'b', 'c', 'bad', 'e', 'f'], maxConcurrency: 10, tolerated: 50, target: '222222222222', batchId: 'b-3' });
    const done = await settled(sfn.client, executionArn);
    expect(done.status).toBe('SUCCEEDED');
    const { results } = JSON.parse(done.output!) as { results: unknown[] };
    expect(results[0]).toEqual({ batchId: 'b-3', transferred: [0, 1, 2] });
    expect(results[1]).toMatchObject({ Error: 'TransferFailed' });
    const statuses = (await children(await mapRunOf(executionArn))).map((c) => c.status).sort();
    expect(statuses).toEqual(['FAILED', 'SUCCEEDED']);
  });

  it('more failures than tolerated fail the Map with States.ExceedToleratedFailureThreshold, which Catch can route', async () => {
    const arn = await sfn.create('distributed-map-strict', 'distributed-map');
    const executionArn = await start(arn, { certificateIds: ['bad', 'b', 'c', 'd'], maxConcurrency: 1, tolerated: 0, target: '222222222222', batchId: 'b-4' });
    const done = await settled(sfn.client, executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!).error).toMatchObject({ Error: 'States.ExceedToleratedFailureThreshold' });
    const types = (await history(executionArn)).map((e) => e.type);
    expect(types).toContain('MapRunFailed');
    expect(types).not.toContain('MapRunSucceeded');
    expect(types.slice(-3)).toEqual(['PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
    // Sequential, the first batch failed: the second never started.
    expect(await children(await mapRunOf(executionArn))).toHaveLength(1);
  });

  it('a stopped parent stops its running children', async () => {
    const arn = await sfn.create('distributed-map-stop', 'distributed-map');
    let release!: () => void;
    hold = new Promise((r) => {
      release = r;
    });
    try {
      const executionArn = await start(arn, { certificateIds: ['a', 'b', 'c', 'd', 'e', 'f'], maxConcurrency: 10, tolerated: 0, target: '222222222222', batchId: 'b-5' });
      const mapRunArn = await (async () => {
        for (;;) {
          const e = (await history(executionArn)).find((x) => x.type === 'MapRunStarted');
          if (e) return e.mapRunStartedEventDetails!.mapRunArn!;
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      for (;;) {
        if ((await children(mapRunArn)).length === 2) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await sfn.client.send(new StopExecutionCommand({ executionArn, error: 'Operator' }));
      expect((await settled(sfn.client, executionArn)).status).toBe('ABORTED');
      for (const child of await children(mapRunArn)) expect((await settled(sfn.client, child.executionArn!)).status).toBe('ABORTED');
    } finally {
      release();
      hold = undefined;
    }
  });

  it('refuses what it cannot run: an ItemReader (no S3 locally), ItemBatcher on an inline Map', async () => {
    const machine = (map: Record<string, unknown>) => JSON.stringify({ StartAt: 'M', States: { M: { Type: 'Map', End: true, ...map } } });
    const processor = (mode: string) => ({ ProcessorConfig: { Mode: mode, ExecutionType: 'STANDARD' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    await expect(
      sfn.client.send(
        new CreateStateMachineCommand({
          name: 'reader',
          roleArn: ROLE,
          definition: machine({
            ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: 'b', Key: 'k' } },
            ItemProcessor: processor('DISTRIBUTED'),
          }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDefinition', message: expect.stringContaining('ItemReader') });
    await expect(
      sfn.client.send(new CreateStateMachineCommand({ name: 'inline-batcher', roleArn: ROLE, definition: machine({ ItemBatcher: { MaxItemsPerBatch: 2 }, ItemProcessor: processor('INLINE') }) })),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });
});

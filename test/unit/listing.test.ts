// The indexes as the stack defines them (dynalite, projections honoured): byCreation's write
// shards and the merged list over them, what each index holds, and the batch summary's reads.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setSourceEnv, TARGET } from '../support/env.js';
import { useTransferTable } from '../support/dynamo.js';
import { draft } from '../support/transfers.js';

setSourceEnv();
const store = { ...(await import('../../src/store.js')), ...(await import('../../src/listing.js')) };
const { ddb } = await import('../../src/clients/dynamodb.js');
const { CREATION_SHARDS } = await import('../../src/keys.js');
const { batchProgress } = await import('../../src/batch/progress.js');

useTransferTable();
afterEach(() => vi.restoreAllMocks());

async function make(opts: { targetAccount?: string; batchId?: string; settle?: 'CANCELLED' } = {}) {
  const record = await store.createTransfer({ ...draft(undefined, opts.targetAccount), batchId: opts.batchId });
  if (opts.settle) await store.settle(record, opts.settle, { message: 'settled', reason: 'by the test' });
  return record;
}

async function indexItems(index: string, pkAttr: string, pk: string) {
  const out = await ddb.send(new QueryCommand({ TableName: process.env.TABLE_NAME, IndexName: index, KeyConditionExpression: `${pkAttr} = :pk`, ExpressionAttributeValues: { ':pk': pk } }));
  return out.Items ?? [];
}

async function listAll(query: Omit<Parameters<typeof store.listTransfers>[0], 'nextToken'>) {
  const seen: string[] = [];
  const pages: number[] = [];
  let nextToken: string | undefined;
  do {
    const page = await store.listTransfers({ ...query, nextToken });
    expect(store.pageTokenFits({ ...query, nextToken: page.nextToken })).toBe(true);
    pages.push(page.items.length);
    seen.push(...page.items.map((i) => `${i.createdAt}#${i.transferId}`));
    nextToken = page.nextToken;
    expect(pages.length, 'pages end').toBeLessThan(200);
  } while (nextToken);
  return { seen, pages };
}

describe('byCreation write shards', () => {
  it('spreads new transfers over its shard keys, none of them the one constant key', async () => {
    const made = await Promise.all(Array.from({ length: 40 }, () => make()));
    const perShard = await Promise.all(Array.from({ length: CREATION_SHARDS }, (_, s) => indexItems('byCreation', 'gsi3pk', `CREATED#${s}`)));
    const ids = new Set(made.map((r) => r.transferId));
    const counts = perShard.map((items) => items.filter((i) => ids.has(String(i.pk).slice('TRANSFER#'.length))).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
    expect(counts.filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...counts)).toBeLessThan(20);
    expect(await indexItems('byCreation', 'gsi3pk', 'TRANSFER')).toEqual([]);
  });

  it('lists every transfer exactly once, newest first across shards, page after page', async () => {
    await Promise.all(Array.from({ length: 30 }, () => make()));
    const { seen, pages } = await listAll({ limit: 7 });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse());
    expect(seen.length).toBeGreaterThanOrEqual(30);
    // Without a filter every page but the last is full.
    expect(pages.slice(0, -1).every((n) => n === 7)).toBe(true);
  });

  it('with a filter on the shards, still every match exactly once and in order', async () => {
    const stranger = '555555555555';
    const wanted = [];
    for (let i = 0; i < 25; i++) {
      const r = await make({ targetAccount: i % 5 === 0 ? stranger : TARGET });
      if (i % 5 === 0) wanted.push(`${r.createdAt}#${r.transferId}`);
    }
    const { seen } = await listAll({ targetAccount: stranger, limit: 2 });
    expect(seen).toEqual([...wanted].sort().reverse());
  });

  it('refuses a token of a single-index query for the whole list, and a garbled shard token', () => {
    const key = Buffer.from(JSON.stringify({ pk: 'TRANSFER#x', sk: 'TRANSFER', gsi1pk: 'STATUS#CANCELLED', gsi1sk: 'a#x' })).toString('base64url');
    expect(store.pageTokenFits({ nextToken: key })).toBe(false);
    const short = Buffer.from(JSON.stringify({ shards: [null, false] })).toString('base64url');
    expect(store.pageTokenFits({ nextToken: short })).toBe(false);
    const shards = Buffer.from(JSON.stringify({ shards: Array(CREATION_SHARDS).fill(null) })).toString('base64url');
    expect(store.pageTokenFits({ nextToken: shards })).toBe(true);
    expect(store.pageTokenFits({ status: 'CANCELLED', nextToken: shards })).toBe(false);
  });
});

describe('index projections', () => {
  it('hold keys and filter attributes only; a list answer still shows the whole record', async () => {
    const batchId = crypto.randomUUID();
    const record = await make({ batchId, settle: 'CANCELLED' });
    const [byBatch] = await indexItems('byBatch', 'gsi4pk', `BATCH#${batchId}`);
    expect(Object.keys(byBatch).sort()).toEqual(['gsi4pk', 'gsi4sk', 'pk', 'sk', 'status', 'targetAccount']);
    const [byCert] = await indexItems('byCertificate', 'gsi2pk', `CERT#${record.certificateId}`);
    expect(byCert).not.toHaveProperty('history');

    const { items } = await store.listTransfers({ batchId });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ transferId: record.transferId, status: 'CANCELLED', reason: 'by the test', certificateArn: record.certificateArn });
    expect(items[0].history.map((h) => h.status)).toEqual(['REQUESTED', 'CANCELLED']);
  });

  it("the reconciler's work list comes back as whole records", async () => {
    const record = await make();
    await store.transition(record.transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered', set: { taskToken: 'token-1' } });
    const found = [];
    for await (const r of store.awaitingDecision()) if (r.transferId === record.transferId) found.push(r);
    expect(found).toEqual([expect.objectContaining({ taskToken: 'token-1', certificateId: record.certificateId, status: 'AWAITING_DECISION' })]);
  });
});

describe('batch summary reads', () => {
  it('counts each transfer as the table says, read consistently, even when byBatch still shows its old status', async () => {
    const batchId = crypto.randomUUID();
    await make({ batchId, settle: 'CANCELLED' });
    await make({ batchId, settle: 'CANCELLED' });
    const send = ddb.send.bind(ddb);
    const consistent: unknown[] = [];
    vi.spyOn(ddb, 'send').mockImplementation((async (command: { input: Record<string, unknown> }) => {
      const out = (await send(command as never)) as { Items?: Record<string, unknown>[] };
      // An index lags its table: byBatch answers as it was before the transfers settled.
      if (command.input.IndexName === 'byBatch') out.Items = out.Items?.map((i) => ({ ...i, status: 'AWAITING_DECISION' }));
      const requests = command.input.RequestItems as Record<string, { ConsistentRead?: boolean }> | undefined;
      if (requests) consistent.push(...Object.values(requests).map((r) => r.ConsistentRead));
      return out;
    }) as never);

    const progress = await batchProgress({ batchId, total: 2 });

    expect(progress.counts.CANCELLED).toBe(2);
    expect(progress.counts.AWAITING_DECISION).toBe(0);
    expect(progress.done).toBe(2);
    expect(consistent).toEqual([true]);
  });
});

describe('a list answer and a lagging index', () => {
  it('leaves out a record that no longer matches the filter its index still shows it under', async () => {
    const record = await make({ settle: 'CANCELLED' });
    const send = ddb.send.bind(ddb);
    vi.spyOn(ddb, 'send').mockImplementation((async (command: { input: Record<string, unknown> }) => {
      const out = (await send(command as never)) as { Items?: Record<string, unknown>[] };
      // byStatus still lists the transfer under REQUESTED, as an index does for a moment after the update.
      if (command.input.IndexName === 'byStatus' && (command.input.ExpressionAttributeValues as Record<string, unknown>)[':pk'] === 'STATUS#REQUESTED') {
        out.Items = [
          { pk: `TRANSFER#${record.transferId}`, sk: 'TRANSFER', gsi1pk: 'STATUS#REQUESTED', gsi1sk: `${record.createdAt}#${record.transferId}`, targetAccount: TARGET },
          ...(out.Items ?? []),
        ];
      }
      return out;
    }) as never);

    const { items } = await store.listTransfers({ status: 'REQUESTED', limit: 100 });

    expect(items.map((i) => i.transferId)).not.toContain(record.transferId);
    expect(items.every((i) => i.status === 'REQUESTED')).toBe(true);
  });
});

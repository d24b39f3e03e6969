// Reading transfers through the indexes: which index serves a list query, the byCreation
// fan-out over its write shards with its page token, and fetching the records by key.
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './clients/dynamodb.js';
import { config } from './config.js';
import { CREATION_SHARDS, creationPartition, transferIdOfKey, transferKey } from './keys.js';
import { toRecord } from './record.js';
import type { TransferRecord, TransferStatus } from './types.js';

/*
 * The indexes project only their keys and the attributes their queries filter on
 * (serverless.yml, TransferTable): a record is read from the table by key
 * (BatchGetItem), so a list answer always shows the whole record as GET shows it,
 * and an update that changes no projected attribute writes no index.
 */

export interface ListQuery {
  status?: TransferStatus;
  certificateId?: string;
  targetAccount?: string;
  batchId?: string;
  limit?: number;
  nextToken?: string;
}

type Key = Record<string, unknown>;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function decode(token: string | undefined): unknown {
  if (!token) return undefined;
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
  } catch {
    return { invalid: true };
  }
}

interface ListPlan {
  index: 'byStatus' | 'byCertificate' | 'byCreation' | 'byBatch';
  pkAttr: string;
  skAttr: string;
  /** One partition key, or one per byCreation shard. */
  pkValues: string[];
  filters: [attribute: string, value: string][];
}

/** Which index serves a query (the most selective key given), and what is left for a filter. */
function planList(q: ListQuery): ListPlan {
  const rest = (...skip: (keyof ListQuery)[]): [string, string][] =>
    (['status', 'targetAccount', 'batchId'] as const).filter((k) => !skip.includes(k) && q[k] !== undefined).map((k) => [k, String(q[k])]);
  if (q.certificateId !== undefined) return { index: 'byCertificate', pkAttr: 'gsi2pk', skAttr: 'gsi2sk', pkValues: [`CERT#${q.certificateId}`], filters: rest() };
  if (q.batchId !== undefined) return { index: 'byBatch', pkAttr: 'gsi4pk', skAttr: 'gsi4sk', pkValues: [`BATCH#${q.batchId}`], filters: rest('batchId') };
  if (q.status !== undefined) return { index: 'byStatus', pkAttr: 'gsi1pk', skAttr: 'gsi1sk', pkValues: [`STATUS#${q.status}`], filters: rest('status') };
  return { index: 'byCreation', pkAttr: 'gsi3pk', skAttr: 'gsi3sk', pkValues: Array.from({ length: CREATION_SHARDS }, (_, s) => creationPartition(s)), filters: rest() };
}

/**
 * Where each byCreation shard stands between pages: `null` not read yet, a sort key
 * to continue after, `false` read to its end.
 */
type ShardCursor = string | null | false;

function shardCursors(token: unknown): ShardCursor[] | undefined {
  const shards = (token as { shards?: unknown } | undefined)?.shards;
  if (!Array.isArray(shards) || shards.length !== CREATION_SHARDS) return undefined;
  return shards.every((c) => c === null || c === false || (typeof c === 'string' && c.includes('#'))) ? (shards as ShardCursor[]) : undefined;
}

/**
 * Whether `nextToken` can continue this query: a token from another query (or
 * a garbled one) would make DynamoDB fail; the API answers 400 instead.
 */
export function pageTokenFits(q: ListQuery): boolean {
  const token = decode(q.nextToken);
  if (token === undefined) return true;
  const plan = planList(q);
  if (plan.index === 'byCreation') return shardCursors(token) !== undefined;
  if (!token || typeof token !== 'object' || Array.isArray(token)) return false;
  const key = token as Key;
  const names = Object.keys(key).sort();
  const expected = ['pk', 'sk', plan.pkAttr, plan.skAttr].sort();
  return names.length === expected.length && names.every((n, i) => n === expected[i] && typeof key[n] === 'string') && key[plan.pkAttr] === plan.pkValues[0];
}

function filterOf(plan: ListPlan) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const conditions = plan.filters.map(([attr, value]) => {
    names[`#${attr}`] = attr;
    values[`:${attr}`] = value;
    return `#${attr} = :${attr}`;
  });
  return conditions.length ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names, filterValues: values } : { filterValues: values };
}

async function queryIndex(plan: ListPlan, pkValue: string, limit: number | undefined, startKey: Key | undefined) {
  const { filterValues, ...filter } = filterOf(plan);
  const out = await ddb.send(
    new QueryCommand({
      TableName: config.tableName,
      IndexName: plan.index,
      KeyConditionExpression: `${plan.pkAttr} = :pk`,
      ...filter,
      ExpressionAttributeValues: { ':pk': pkValue, ...filterValues },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: out.Items ?? [], lastKey: out.LastEvaluatedKey };
}

const BATCH_GET_MAX = 100;

/**
 * The records of these transfers, read from the table by key, in the order given
 * (`consistent`: strongly consistent reads). Keys DynamoDB leaves unprocessed are
 * asked again with backoff.
 */
export async function transfersByKey(transferIds: string[], consistent: boolean): Promise<TransferRecord[]> {
  const found = new Map<string, TransferRecord>();
  for (let i = 0; i < transferIds.length; i += BATCH_GET_MAX) {
    let keys: Key[] | undefined = transferIds.slice(i, i + BATCH_GET_MAX).map(transferKey);
    for (let attempt = 0; keys?.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** attempt) * Math.random()));
      if (attempt > 10) throw new Error(`BatchGetItem left ${keys.length} key(s) unprocessed after ${attempt} attempts`);
      const out = await ddb.send(new BatchGetCommand({ RequestItems: { [config.tableName]: { Keys: keys, ConsistentRead: consistent } } }));
      for (const item of out.Responses?.[config.tableName] ?? []) found.set(transferIdOfKey(item), toRecord(item));
      keys = out.UnprocessedKeys?.[config.tableName]?.Keys as Key[] | undefined;
    }
  }
  return transferIds.flatMap((id) => found.get(id) ?? []);
}

/**
 * One page of all transfers, newest first, from every byCreation shard. Each shard is
 * read from its cursor; an item is returned only when no shard can still hold a newer
 * one (its sort key is at or above every unfinished shard's last evaluated key), so the
 * merge is exact; each page moves at least the furthest-behind shard forward.
 */
async function creationPage(plan: ListPlan, limit: number, cursors: ShardCursor[]): Promise<{ ids: string[]; next?: ShardCursor[] }> {
  const shards = await Promise.all(
    plan.pkValues.map(async (pk, s) => {
      const cursor = cursors[s];
      if (cursor === false) return { items: [] as { sk: string; id: string }[], lastSk: undefined, done: true };
      const start = cursor === null ? undefined : { gsi3pk: pk, gsi3sk: cursor, ...transferKey(cursor.slice(cursor.indexOf('#') + 1)) };
      const page = await queryIndex(plan, pk, limit, start);
      return { items: page.items.map((i) => ({ sk: String(i.gsi3sk), id: transferIdOfKey(i) })), lastSk: page.lastKey ? String(page.lastKey.gsi3sk) : undefined, done: false };
    }),
  );
  const frontier = shards.reduce<string | undefined>((f, s) => (s.lastSk !== undefined && (f === undefined || s.lastSk > f) ? s.lastSk : f), undefined);
  const taken = shards
    .flatMap((s, shard) => s.items.map((i) => ({ ...i, shard })))
    .filter((i) => frontier === undefined || i.sk >= frontier)
    .sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0))
    .slice(0, limit);
  const next = shards.map((s, shard): ShardCursor => {
    if (s.done) return false;
    const mine = taken.filter((i) => i.shard === shard);
    if (mine.length === s.items.length) return s.lastSk ?? false;
    return mine.length ? mine[mine.length - 1].sk : cursors[shard];
  });
  return { ids: taken.map((i) => i.id), ...(next.some((c) => c !== false) ? { next } : {}) };
}

/** Whether a record read by key still answers the query (the index that listed it lags the table). */
const stillMatches = (q: ListQuery) => (r: TransferRecord) => (['status', 'certificateId', 'targetAccount', 'batchId'] as const).every((k) => q[k] === undefined || r[k] === q[k]);

/**
 * Lists transfers newest first: by certificate, by batch, by status, or all;
 * the most selective key picks the index, the other criteria filter. A page
 * may hold fewer than `limit` items when a filter applies: continue while
 * there is a `nextToken`.
 */
export async function listTransfers(q: ListQuery): Promise<{ items: TransferRecord[]; nextToken?: string }> {
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 100);
  if (!pageTokenFits(q)) return { items: [] };
  const plan = planList(q);
  const token = decode(q.nextToken);
  if (plan.index === 'byCreation') {
    const page = await creationPage(plan, limit, shardCursors(token) ?? Array<ShardCursor>(CREATION_SHARDS).fill(null));
    return { items: (await transfersByKey(page.ids, false)).filter(stillMatches(q)), ...(page.next ? { nextToken: encode({ shards: page.next }) } : {}) };
  }
  const page = await queryIndex(plan, plan.pkValues[0], limit, token as Key | undefined);
  return { items: (await transfersByKey(page.items.map(transferIdOfKey), false)).filter(stillMatches(q)), ...(page.lastKey ? { nextToken: encode(page.lastKey) } : {}) };
}

/** The transfer ids of one index partition, a page at a time, oldest first. */
async function* idsOfPartition(index: 'byBatch' | 'byStatus', pkAttr: string, pkValue: string): AsyncGenerator<string[]> {
  let key: Key | undefined;
  do {
    const out = await ddb.send(
      new QueryCommand({
        TableName: config.tableName,
        IndexName: index,
        KeyConditionExpression: `${pkAttr} = :pk`,
        ExpressionAttributeValues: { ':pk': pkValue },
        ExclusiveStartKey: key,
      }),
    );
    yield (out.Items ?? []).map(transferIdOfKey);
    key = out.LastEvaluatedKey;
  } while (key);
}

/**
 * Every transfer of a batch, across all pages, oldest first. The byBatch index
 * names the members; each record is then read by key with a strongly consistent
 * read, so a summary written right after the last transfer settled counts it as
 * settled (an index lags its table, and cannot be read consistently).
 */
export async function* batchTransfers(batchId: string): AsyncGenerator<TransferRecord> {
  for await (const ids of idsOfPartition('byBatch', 'gsi4pk', `BATCH#${batchId}`)) yield* await transfersByKey(ids, true);
}

/** Every transfer awaiting a decision (the reconciler's work list), across all pages. */
export async function* awaitingDecision(): AsyncGenerator<TransferRecord> {
  for await (const ids of idsOfPartition('byStatus', 'gsi1pk', 'STATUS#AWAITING_DECISION')) yield* await transfersByKey(ids, false);
}

import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../clients/dynamodb.js';
import { config } from '../config.js';
import { awsErrorName, BatchNotFound } from '../errors.js';
import { batchKey, batchPartition, SKIPPED_PREFIX } from '../keys.js';
import { idFrom } from '../transfer/start.js';
import { countSkipped, liveCountsOf } from './counters.js';
import { partitionItems } from './partition.js';
import { type BatchRecord, type BatchStatus, type BatchSummary } from './types.js';

/*
 * Batches live in the transfer table: the batch record (`BATCH#<id>` /
 * `BATCH`) and, in the same partition, the certificate ids of each slice
 * (`SLICE#<n>`, at most 100 ids, about 7 KB: the ids never ride in the
 * workflow's state, whose payloads are limited to 256 KiB) and one item per
 * certificate the batch could not start a transfer for (`SKIP#<certificateId>`). The transfers of a
 * batch carry its id and are found through the byBatch index.
 */

/**
 * The id of the transfer a batch opens for a certificate: derived, so a retried
 * Prepare Transfer finds the transfer it opened, and the summary can read every
 * certificate's transfer by key.
 */
export const batchTransferId = (batchId: string, certificateId: string) => idFrom('batch', batchId, certificateId.toLowerCase());

const skipKey = (batchId: string, certificateId: string) => ({ pk: batchPartition(batchId), sk: `${SKIPPED_PREFIX}${certificateId}` });
const SLICE_PREFIX = 'SLICE#';
/** Zero-padded, so the slices of a batch sort in order. */
const sliceKey = (batchId: string, slice: number) => ({ pk: batchPartition(batchId), sk: `${SLICE_PREFIX}${String(slice).padStart(5, '0')}` });
const now = () => new Date().toISOString();

function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

/** Records a new batch; its id is fresh, so the put is conditional only as a guard. */
export async function createBatch(record: BatchRecord): Promise<void> {
  await ddb.send(
    new PutCommand({
      TableName: config.tableName,
      // Live counts start at zero (PENDING is what is left of the total): see counters.ts.
      Item: { ...batchKey(record.batchId), ...record, liveCounts: liveCountsOf() },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getBatch(batchId: string): Promise<BatchRecord | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: config.tableName, Key: batchKey(batchId), ConsistentRead: true }));
  return Item ? strip<BatchRecord>(Item) : undefined;
}

export async function requireBatch(batchId: string): Promise<BatchRecord> {
  const batch = await getBatch(batchId);
  if (!batch) throw new BatchNotFound(`Batch ${batchId} does not exist`);
  return batch;
}

/** Why a certificate of the batch got no transfer. Idempotent: a retried step overwrites the same item. */
export interface SkippedCertificate {
  certificateId: string;
  error: string;
  reason: string;
  at: string;
}

export async function recordSkipped(batchId: string, skipped: Omit<SkippedCertificate, 'at'>): Promise<void> {
  const Item = { ...skipKey(batchId, skipped.certificateId), ...skipped, at: now() };
  try {
    await ddb.send(new PutCommand({ TableName: config.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (err) {
    // A retried step: the certificate is counted already; its reason is brought up to date.
    if (awsErrorName(err) !== 'ConditionalCheckFailedException') throw err;
    await ddb.send(new PutCommand({ TableName: config.tableName, Item }));
    return;
  }
  await countSkipped(batchId);
}

/** Every certificate the batch skipped, across all pages. */
export async function listSkipped(batchId: string): Promise<SkippedCertificate[]> {
  return (await partitionItems(batchId, SKIPPED_PREFIX)).map((item) => strip<SkippedCertificate>(item));
}

/** Closes a batch with its summary (or the error that stopped it). */
export async function closeBatch(batchId: string, status: Exclude<BatchStatus, 'RUNNING'>, summary: BatchSummary, error?: string): Promise<void> {
  const at = now();
  await ddb.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: batchKey(batchId),
      UpdateExpression: `SET #status = :status, #summary = :summary, #completedAt = :at, #updatedAt = :at${error ? ', #error = :error' : ''}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status', '#summary': 'summary', '#completedAt': 'completedAt', '#updatedAt': 'updatedAt', ...(error ? { '#error': 'error' } : {}) },
      ExpressionAttributeValues: { ':status': status, ':summary': summary, ':at': at, ...(error ? { ':error': error } : {}) },
    }),
  );
}

/** Marks a batch FAILED without a summary (its workflow could not be started). */
export async function failBatch(batchId: string, error: string): Promise<void> {
  const at = now();
  await ddb.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: batchKey(batchId),
      UpdateExpression: 'SET #status = :failed, #error = :error, #completedAt = :at, #updatedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#completedAt': 'completedAt', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':failed': 'FAILED', ':error': error, ':at': at },
    }),
  );
}

/** Slices written at once when a batch is recorded. */
const SLICE_WRITES_AT_ONCE = 16;

/** Records the certificate ids of each slice of a batch, before its workflow starts. */
export async function saveSlices(batchId: string, slices: readonly string[][]): Promise<void> {
  let next = 0;
  const writer = async () => {
    while (next < slices.length) {
      const slice = next++;
      await ddb.send(new PutCommand({ TableName: config.tableName, Item: { ...sliceKey(batchId, slice), slice, certificateIds: slices[slice] } }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SLICE_WRITES_AT_ONCE, slices.length) }, writer));
}

/** The certificate ids of one slice (consistent read: it was written just before the workflow started). */
export async function getSlice(batchId: string, slice: number): Promise<string[]> {
  const { Item } = await ddb.send(new GetCommand({ TableName: config.tableName, Key: sliceKey(batchId, slice), ConsistentRead: true }));
  if (!Item) throw new BatchNotFound(`Slice ${slice} of batch ${batchId} does not exist`);
  return Item.certificateIds as string[];
}

/** Every slice of a batch, in order, across all pages. */
export async function listSlices(batchId: string): Promise<string[][]> {
  const out: string[][] = [];
  for (const item of await partitionItems(batchId, SLICE_PREFIX)) out[item.slice as number] = item.certificateIds as string[];
  return Array.from(out, (ids) => ids ?? []);
}

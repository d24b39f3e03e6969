// A batch's live progress, kept on its record as its transfers move, so that GET /transfer-batches/{id}
// reads one item and at most a page of failures whatever the batch's size (up to 100,000), never every transfer.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../clients/dynamodb.js';
import { config } from '../config.js';
import { awsErrorName } from '../errors.js';
import { batchKey, batchPartition } from '../keys.js';
import { logger } from '../logger.js';
import { FINAL_STATUSES, OPEN_STATUSES, type TransferRecord, type TransferStatus } from '../types.js';
import { partitionItems } from './partition.js';
import { MAX_SUMMARY_FAILURES, NOT_STARTED, PENDING, type BatchCounts, type BatchFailure, type BatchItemStatus } from './types.js';

/*
 * The record's `liveCounts` map holds one number per status (PENDING is what
 * is left of `total`). Every count moves by an atomic ADD made after the
 * transfer's own conditional write succeeded, so a retried step, whose write
 * is refused, never counts twice. A function killed between the two writes
 * leaves one count behind until the batch ends: the Summarize step then sets
 * the counts it read exactly (`setLiveCounts`).
 *
 * Failures are items of the batch's partition: `SKIP#<certificateId>` for a
 * certificate that got no transfer (store.ts), `FAIL#<certificateId>` for a
 * transfer that ended other than ACCEPTED (marked `resolved` once a repair
 * ends it ACCEPTED). Only UpdateItem is used, which every function that moves
 * a transfer is granted already.
 */

export const FAILED_PREFIX = 'FAIL#';
const failKey = (batchId: string, certificateId: string) => ({ pk: batchPartition(batchId), sk: `${FAILED_PREFIX}${certificateId}` });

const isFinal = (s: string) => (FINAL_STATUSES as readonly string[]).includes(s);

export function emptyCounts(): BatchCounts {
  const counts = { [PENDING]: 0, [NOT_STARTED]: 0 } as BatchCounts;
  for (const s of [...OPEN_STATUSES, ...FINAL_STATUSES]) counts[s] = 0;
  return counts;
}

/** Counts as the record's `liveCounts` keeps them: every status but PENDING (what is left of the total). Zero by default. */
export function liveCountsOf(counts: BatchCounts = emptyCounts()): Record<string, number> {
  const { [PENDING]: _pending, ...live } = counts;
  return live;
}

/** Moves counts on the batch record: `{ REQUESTED: -1, PREPARING: 1 }`. Never fails its caller: a count left behind is logged and set right by the summary. */
async function addCounts(batchId: string, deltas: Partial<Record<BatchItemStatus, number>>): Promise<void> {
  const entries = Object.entries(deltas).filter(([, d]) => d);
  if (!entries.length) return;
  const names: Record<string, string> = { '#c': 'liveCounts' };
  const values: Record<string, number> = {};
  const adds = entries.map(([status, delta], i) => {
    names[`#s${i}`] = status;
    values[`:d${i}`] = delta!;
    return `#c.#s${i} :d${i}`;
  });
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: batchKey(batchId),
        UpdateExpression: `ADD ${adds.join(', ')}`,
        // Batches recorded before live counts have no map: they are counted by reading their transfers.
        ConditionExpression: 'attribute_exists(#c)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (err) {
    if (awsErrorName(err) === 'ConditionalCheckFailedException') return;
    logger.warn('Could not move the batch live counts; the summary sets them right', { batchId, deltas, error: (err as Error).message });
  }
}

/** A transfer of the batch was recorded (REQUESTED). */
export const countCreated = (batchId: string) => addCounts(batchId, { REQUESTED: 1 });

/** A certificate of the batch got no transfer (its SKIP# item was written for the first time). */
export const countSkipped = (batchId: string) => addCounts(batchId, { [NOT_STARTED]: 1 });

/**
 * A transfer of a batch moved from `from` to its current status: the counts
 * follow, and an end other than ACCEPTED is listed among the batch's failures.
 */
export async function countTransition(record: TransferRecord, from: TransferStatus): Promise<void> {
  if (!record.batchId || from === record.status) return;
  await addCounts(record.batchId, { [from]: -1, [record.status]: 1 });
  const failed = isFinal(record.status) && record.status !== 'ACCEPTED';
  if (!failed && !isFinal(from)) return;
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: failKey(record.batchId, record.certificateId),
        UpdateExpression: 'SET #cert = :cert, #tid = :tid, #status = :status, #reason = :reason, #resolved = :resolved',
        ExpressionAttributeNames: { '#cert': 'certificateId', '#tid': 'transferId', '#status': 'status', '#reason': 'reason', '#resolved': 'resolved' },
        ExpressionAttributeValues: { ':cert': record.certificateId, ':tid': record.transferId, ':status': record.status, ':reason': record.reason ?? null, ':resolved': !failed },
      }),
    );
  } catch (err) {
    logger.warn('Could not list the failure on its batch; the summary lists it', { batchId: record.batchId, transferId: record.transferId, error: (err as Error).message });
  }
}

/** The exact counts, read by the Summarize step, replace the live ones. */
export async function setLiveCounts(batchId: string, counts: BatchCounts): Promise<void> {
  await ddb.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: batchKey(batchId),
      UpdateExpression: 'SET #c = :counts',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#c': 'liveCounts' },
      ExpressionAttributeValues: { ':counts': liveCountsOf(counts) },
    }),
  );
}

/** Counts as the API shows them: every status, PENDING the rest of `total`, none below zero. */
export function viewCounts(total: number, live: Partial<BatchCounts>): BatchCounts {
  const counts = emptyCounts();
  let seen = 0;
  for (const s of Object.keys(counts) as BatchItemStatus[]) {
    if (s === PENDING) continue;
    counts[s] = Math.max(0, Number(live[s] ?? 0));
    seen += counts[s];
  }
  counts[PENDING] = Math.max(0, total - seen);
  return counts;
}

/** The batch's first failures, not-started certificates first: at most {@link MAX_SUMMARY_FAILURES}. */
export async function firstFailures(batchId: string): Promise<BatchFailure[]> {
  const skipped = (await partitionItems(batchId, 'SKIP#', { limit: MAX_SUMMARY_FAILURES })).map((s): BatchFailure => ({
    certificateId: String(s.certificateId),
    status: NOT_STARTED,
    error: s.error as string | undefined,
    reason: s.reason as string | undefined,
  }));
  if (skipped.length >= MAX_SUMMARY_FAILURES) return skipped;
  const failed = (await partitionItems(batchId, FAILED_PREFIX, { limit: MAX_SUMMARY_FAILURES - skipped.length, unresolved: true })).map((f): BatchFailure => ({
    certificateId: String(f.certificateId),
    transferId: String(f.transferId),
    status: f.status as BatchFailure['status'],
    ...(typeof f.reason === 'string' ? { reason: f.reason } : {}),
  }));
  return [...skipped, ...failed];
}

// The lock that keeps a certificate to one open transfer: a conditional put before the transfer
// record is written, a conditional delete when the transfer ends, a take-over of a stale one.
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './clients/dynamodb.js';
import { config } from './config.js';
import { isConditionFailure, TransferInProgress, unlessConditionFails } from './errors.js';
import { lockKey } from './keys.js';
import { FINAL_STATUSES, RESTORE_FAILED, type TransferStatus } from './types.js';

/** How long a lock may exist without its transfer record before it counts as abandoned. */
const ORPHAN_LOCK_GRACE_MS = 60_000;

const now = () => new Date().toISOString();
const isFinal = (s: TransferStatus) => (FINAL_STATUSES as readonly string[]).includes(s);
/** A RESTORE_FAILED transfer keeps its certificate's lock until it is repaired: a new transfer would snapshot the damage. */
const holdsLock = (s: TransferStatus) => !isFinal(s) || s === RESTORE_FAILED;

/** Reads the status of the transfer holding a lock (undefined: it has no record). */
export type HolderStatus = (transferId: string) => Promise<TransferStatus | undefined>;

/**
 * Takes the certificate's lock for `transferId`. Throws `TransferInProgress` when
 * another transfer holds it and is open, RESTORE_FAILED, or still being opened.
 */
export async function acquireLock(certificateId: string, transferId: string, statusOf: HolderStatus): Promise<void> {
  try {
    await ddb.send(
      new PutCommand({
        TableName: config.tableName,
        Item: { ...lockKey(certificateId), transferId, lockedAt: now() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
  // Someone holds the lock: take it over only if their transfer is over or never got recorded.
  const { Item: lock } = await ddb.send(new GetCommand({ TableName: config.tableName, Key: lockKey(certificateId), ConsistentRead: true }));
  const holder = lock?.transferId as string | undefined;
  if (holder) {
    const status = await statusOf(holder);
    if (status === RESTORE_FAILED) {
      throw new TransferInProgress(`Certificate ${certificateId} was not fully restored by transfer ${holder} (${RESTORE_FAILED}); repair it first: POST /transfers/${holder}/restore`, holder);
    }
    if (status && holdsLock(status)) {
      throw new TransferInProgress(`Certificate ${certificateId} already has an open transfer (${holder}, ${status})`, holder);
    }
    // No record yet: the holder may be between its lock and its record. Only
    // a lock that has stayed orphaned past the grace period is stale.
    if (!status && Date.now() - Date.parse(String(lock?.lockedAt)) < ORPHAN_LOCK_GRACE_MS) {
      throw new TransferInProgress(`Certificate ${certificateId} already has a transfer being opened (${holder})`, holder);
    }
  }
  try {
    await ddb.send(
      new PutCommand({
        TableName: config.tableName,
        Item: { ...lockKey(certificateId), transferId, lockedAt: now() },
        ConditionExpression: holder ? 'transferId = :holder' : 'attribute_not_exists(pk)',
        ExpressionAttributeValues: holder ? { ':holder': holder } : undefined,
      }),
    );
  } catch (err) {
    if (isConditionFailure(err)) throw new TransferInProgress(`Certificate ${certificateId} already has an open transfer`, 'unknown');
    throw err;
  }
}

/** Releases the certificate's lock if this transfer still holds it. */
export async function releaseLock(certificateId: string, transferId: string): Promise<void> {
  await unlessConditionFails(
    ddb.send(
      new DeleteCommand({
        TableName: config.tableName,
        Key: lockKey(certificateId),
        ConditionExpression: 'transferId = :id',
        ExpressionAttributeValues: { ':id': transferId },
      }),
    ),
  );
}

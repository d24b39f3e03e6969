import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './clients/dynamodb.js';
import { config } from './config.js';
import { isConditionFailure, TransferNotFound, TransferStateConflict, unlessConditionFails } from './errors.js';
import { indexKeys, transferKey } from './keys.js';
import { countCreated, countTransition } from './batch/counters.js';
import { acquireLock, releaseLock } from './lock.js';
import { countRestoreFailed } from './metrics.js';
import { toRecord } from './record.js';
import { OPEN_STATUSES, RESTORE_FAILED, type Decision, type HistoryEntry, type RestoreOutcome, type Snapshot, type TransferOutcome, type TransferRecord, type TransferStatus } from './types.js';

/*
 * The transfer records: one table, keys `pk`/`sk` (src/keys.ts), conditional
 * writes, no TTL and no transactions. At most one open transfer per certificate
 * comes from its lock (src/lock.ts), taken before the record is written and
 * released when the transfer ends. The list queries are src/listing.ts.
 */

const now = () => new Date().toISOString();

export async function getTransfer(transferId: string): Promise<TransferRecord | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: config.tableName, Key: transferKey(transferId), ConsistentRead: true }));
  return Item ? toRecord(Item) : undefined;
}

export async function requireTransfer(transferId: string): Promise<TransferRecord> {
  const record = await getTransfer(transferId);
  if (!record) throw new TransferNotFound(`Transfer ${transferId} does not exist`);
  return record;
}

/**
 * Records a new transfer in REQUESTED, after taking the certificate's lock.
 * Throws `TransferInProgress` when another transfer of the certificate is open.
 */
export async function createTransfer(input: Omit<TransferRecord, 'status' | 'createdAt' | 'updatedAt' | 'history'>): Promise<TransferRecord> {
  const at = now();
  const record: TransferRecord = {
    ...input,
    status: 'REQUESTED',
    createdAt: at,
    updatedAt: at,
    history: [{ at, status: 'REQUESTED', message: `Transfer to ${input.targetAccount} requested` }],
  };
  await acquireLock(record.certificateId, record.transferId, async (holder) => (await getTransfer(holder))?.status);
  try {
    await ddb.send(
      new PutCommand({
        TableName: config.tableName,
        Item: { ...transferKey(record.transferId), ...indexKeys(record), ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    await releaseLock(record.certificateId, record.transferId);
    throw err;
  }
  if (record.batchId) await countCreated(record.batchId);
  return record;
}

interface Transition {
  to: TransferStatus;
  from: readonly TransferStatus[];
  message: string;
  set?: Partial<Pick<TransferRecord, 'taskToken' | 'offeredAt' | 'expiresAt' | 'decision' | 'reason' | 'restore' | 'snapshot' | 'transferOutcome' | 'repairedAt'>>;
  remove?: 'taskToken'[];
}

/**
 * Moves a transfer to a new status if it is currently in one of `from`;
 * appends to its history. Throws `TransferStateConflict` with the current
 * status otherwise, and `TransferNotFound` if there is no such transfer.
 */
export async function transition(transferId: string, t: Transition): Promise<TransferRecord> {
  const at = now();
  const names: Record<string, string> = { '#status': 'status', '#history': 'history', '#updatedAt': 'updatedAt', '#gsi1pk': 'gsi1pk' };
  const values: Record<string, unknown> = {
    ':to': t.to,
    ':at': at,
    ':entry': [{ at, status: t.to, message: t.message } satisfies HistoryEntry],
    ':gsi1pk': `STATUS#${t.to}`,
  };
  const sets = ['#status = :to', '#updatedAt = :at', '#history = list_append(#history, :entry)', '#gsi1pk = :gsi1pk'];
  for (const [k, v] of Object.entries(t.set ?? {})) {
    if (v === undefined) continue;
    names[`#${k}`] = k;
    values[`:${k}`] = v;
    sets.push(`#${k} = :${k}`);
  }
  const fromKeys = t.from.map((s, i) => {
    values[`:from${i}`] = s;
    return `:from${i}`;
  });
  let update = `SET ${sets.join(', ')}`;
  if (t.remove?.length) {
    for (const k of t.remove) names[`#${k}`] = k;
    update += ` REMOVE ${t.remove.map((k) => `#${k}`).join(', ')}`;
  }
  const moved = await conditionalUpdate(transferId, { update, condition: `#status IN (${fromKeys.join(', ')})`, names, values }, (current) => {
    throw new TransferStateConflict(`Transfer ${transferId} is ${current.status}, not ${t.from.join(' or ')}`, current.status);
  });
  // The entry before the one just appended says where it came from.
  const from = moved.history[moved.history.length - 2]?.status;
  if (moved.batchId && from) await countTransition(moved, from);
  return moved;
}

/**
 * An UpdateItem of an existing transfer under `condition`, answering the new record; when the
 * condition refuses it, `refused` is given the record as it is now (and throws the conflict).
 */
async function conditionalUpdate(
  transferId: string,
  expr: { update: string; condition: string; names: Record<string, string>; values: Record<string, unknown> },
  refused: (current: TransferRecord) => never,
): Promise<TransferRecord> {
  try {
    const { Attributes } = await ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: transferKey(transferId),
        UpdateExpression: expr.update,
        ConditionExpression: `attribute_exists(pk) AND ${expr.condition}`,
        ExpressionAttributeNames: expr.names,
        ExpressionAttributeValues: expr.values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRecord(Attributes!);
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    return refused(await requireTransfer(transferId));
  }
}

/** Sets informational fields on a transfer without changing its status. */
export async function annotate(transferId: string, fields: Partial<Pick<TransferRecord, 'transferredAt' | 'cancelRequestedAt' | 'cancelReason' | 'cancelDeliveredAt'>>): Promise<void> {
  const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':at': now() };
  const sets = ['#updatedAt = :at'];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    names[`#${k}`] = k;
    values[`:${k}`] = v;
    sets.push(`#${k} = :${k}`);
  }
  await ddb.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: transferKey(transferId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

/**
 * Marks a cancel as requested, once: of two operators cancelling at once,
 * exactly one wins; the other learns the transfer is already being cancelled.
 * A request recorded before `takeOverBefore` whose hand-off to the workflow was
 * never recorded (`cancelDeliveredAt`) was lost (its request died between the
 * two): it is taken over, so the cancel can be sent again.
 */
export async function requestCancel(transferId: string, reason: string, opts: { takeOverBefore?: string } = {}): Promise<TransferRecord> {
  const names: Record<string, string> = { '#cra': 'cancelRequestedAt', '#cr': 'cancelReason', '#status': 'status', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':at': now(), ':reason': reason, ':awaiting': 'AWAITING_DECISION' };
  let unclaimed = 'attribute_not_exists(#cra)';
  if (opts.takeOverBefore) {
    names['#cda'] = 'cancelDeliveredAt';
    values[':stale'] = opts.takeOverBefore;
    unclaimed = `(${unclaimed} OR (attribute_not_exists(#cda) AND #cra < :stale))`;
  }
  return conditionalUpdate(transferId, { update: 'SET #cra = :at, #cr = :reason, #updatedAt = :at', condition: `#status = :awaiting AND ${unclaimed}`, names, values }, (current) => {
    const status = current.status === 'AWAITING_DECISION' && current.cancelRequestedAt ? 'CANCELLING' : current.status;
    throw new TransferStateConflict(
      status === 'CANCELLING' ? `Transfer ${transferId} is already being cancelled` : `Transfer ${transferId} is ${current.status}; only a transfer awaiting a decision can be cancelled`,
      status,
    );
  });
}

/**
 * Forgets a cancel request whose hand-off failed, if it is still this one
 * (`requestedAt`) and was not delivered, so the next request starts afresh.
 */
export async function withdrawCancelRequest(transferId: string, requestedAt: string): Promise<void> {
  await unlessConditionFails(
    ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: transferKey(transferId),
        UpdateExpression: 'REMOVE #cra, #cr SET #updatedAt = :now',
        ConditionExpression: '#cra = :at AND attribute_not_exists(#cda)',
        ExpressionAttributeNames: { '#cra': 'cancelRequestedAt', '#cr': 'cancelReason', '#cda': 'cancelDeliveredAt', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':at': requestedAt, ':now': now() },
      }),
    ),
  );
}

/** Stores the snapshot the first time only: a re-run of Preflight never overwrites what restore needs. */
export async function saveSnapshot(transferId: string, snapshot: Snapshot): Promise<TransferRecord> {
  const at = now();
  const { Attributes } = await ddb.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: transferKey(transferId),
      UpdateExpression: 'SET #snapshot = if_not_exists(#snapshot, :snapshot), #updatedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#snapshot': 'snapshot', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':snapshot': snapshot, ':at': at },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return toRecord(Attributes!);
}

/**
 * Records how far a per-item step got (`detachedPolicies`, `detachedThings`),
 * only ever forward: a slower, older invocation cannot move it back.
 */
export async function saveProgress(transferId: string, field: 'detachedPolicies' | 'detachedThings', next: number): Promise<void> {
  await unlessConditionFails(
    ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: transferKey(transferId),
        UpdateExpression: 'SET #f = :n, #updatedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#f) OR #f < :n)',
        ExpressionAttributeNames: { '#f': field, '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':n': next, ':at': now() },
      }),
    ),
  );
}

export const OPEN: readonly TransferStatus[] = OPEN_STATUSES;

/**
 * Ends a transfer: final status, outcome, restore result. A restore that could
 * not finish (status FAILED) ends it RESTORE_FAILED instead, keeping the
 * outcome for the repair, keeping the certificate's lock and counting the
 * `RestoreFailed` metric its alarm watches; any other end releases the lock.
 */
export async function settle(
  record: Pick<TransferRecord, 'transferId' | 'certificateId'>,
  outcome: TransferOutcome,
  details: { message: string; reason?: string; restore?: RestoreOutcome; decision?: Decision },
): Promise<TransferRecord> {
  const status = details.restore?.status === 'FAILED' ? RESTORE_FAILED : outcome;
  let settled: TransferRecord;
  try {
    settled = await transition(record.transferId, {
      to: status,
      from: OPEN,
      message: status === RESTORE_FAILED ? `${details.message}; the certificate keeps its lock until POST /transfers/${record.transferId}/restore repairs it` : details.message,
      set: { reason: details.reason, restore: details.restore, decision: details.decision, transferOutcome: outcome },
      remove: ['taskToken'],
    });
    if (status === RESTORE_FAILED) countRestoreFailed(settled);
  } catch (err) {
    // Re-running the final step after a crash: the record already says so.
    if (err instanceof TransferStateConflict && err.currentStatus === status) settled = await requireTransfer(record.transferId);
    else throw err;
  }
  if (status !== RESTORE_FAILED) await releaseLock(record.certificateId, record.transferId);
  return settled;
}

/** Keeps the latest restore result on the record (the workflow's retries and the repair read it back), whatever its status. */
export async function saveRestore(transferId: string, restore: RestoreOutcome): Promise<void> {
  await ddb.send(
    new UpdateCommand({
      TableName: config.tableName,
      Key: transferKey(transferId),
      UpdateExpression: 'SET #restore = :restore, #updatedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#restore': 'restore', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':restore': restore, ':at': now() },
    }),
  );
}

/**
 * Ends a repair: RESTORE_FAILED becomes the transfer's own outcome (or ACCEPTED
 * if the target turned out to have it), the history says it was repaired, and
 * the lock is released. Of two repairs at once, the second finds it done.
 */
export async function settleRepair(record: Pick<TransferRecord, 'transferId' | 'certificateId'>, to: TransferOutcome, restore: RestoreOutcome): Promise<TransferRecord> {
  const repairedAt = now();
  let settled: TransferRecord;
  try {
    settled = await transition(record.transferId, {
      to,
      from: [RESTORE_FAILED],
      message: `Repaired: restore ${restore.status}${restore.notRestored?.length ? ` (${restore.notRestored.length} item(s) no longer exist)` : ''}; the certificate is released`,
      set: { restore, repairedAt, transferOutcome: to },
    });
  } catch (err) {
    if (!(err instanceof TransferStateConflict) || err.currentStatus !== to) throw err;
    settled = await requireTransfer(record.transferId);
  }
  await releaseLock(record.certificateId, record.transferId);
  return settled;
}

// src/batch/progress.ts still reads the byBatch index through here; everything else imports src/listing.ts.
export { batchTransfers } from './listing.js';

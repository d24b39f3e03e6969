// The janitor: cleans up after executions that ended where the ASL could not catch them (Stop,
// execution timeout, States.* failures), for a transfer and for each transfer of a batch.
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { ddb } from '../clients/dynamodb.js';
import { sfn } from '../clients/sfn.js';
import { config } from '../config.js';
import { awsErrorName } from '../errors.js';
import { describeCertificate } from '../iot.js';
import { logger } from '../logger.js';
import { batchTransfers } from '../listing.js';
import { getTransfer, OPEN, saveRestore } from '../store.js';
import { batchTransferId, failBatch, getBatch } from '../batch/store.js';
import type { PendingTransferResult, RestoreOutcome, TransferRecord, TransferStatus, WorkflowState } from '../types.js';
import { restoreCertificate } from './restore.js';
import { recordOutcome } from './steps.js';
import { rejectionOf, withdrawPendingTransfer } from './withdraw.js';

/** The `detail` of an `aws.states` "Step Functions Execution Status Change" event the janitor's rule admits. */
export interface ExecutionEnd {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'ABORTED' | 'TIMED_OUT' | 'FAILED';
  /** Epoch milliseconds. */
  stopDate?: number | null;
  error?: string | null;
  cause?: string | null;
  /** Left out by EventBridge past 248 KB. */
  input?: string | null;
}

export interface JanitorOptions {
  /** Names this cleanup's claims: the event's id, so that a retry of the same event takes over its own. */
  claimId: string;
  /** Milliseconds left in the invocation. */
  remainingMs: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type CleanupResult =
  | { transferId: string; result: 'NOT_FOUND' | 'OTHER_EXECUTION' | 'BUSY' | 'RUNNING' }
  | { transferId: string; result: 'ALREADY_SETTLED'; status: TransferStatus }
  | { transferId: string; result: 'SETTLED'; status: TransferStatus; restore: RestoreOutcome['status'] };

export type JanitorReport =
  | { kind: 'transfer'; cleanup: CleanupResult }
  | { kind: 'batch'; batchId: string; slice?: number; cleanups: CleanupResult[]; deferred: number; batchClosed: boolean }
  | { kind: 'ignored'; reason: string };

/**
 * How long a step's Lambda may still run after Step Functions stopped waiting
 * for it (a stopped execution does not stop the invocation): the steps'
 * TimeoutSeconds in the ASL. The janitor waits that long after the stop before
 * it restores, so no late Detach or Deactivate undoes the restore.
 */
export const STEP_IN_FLIGHT_MS = 90_000;
/** A claim outlives the janitor's invocation (5 minutes) so that no two clean the same transfer at once. */
const CLAIM_LEASE_MS = 6 * 60_000;
/** Time kept back in an invocation to settle the transfer in hand. */
const RESERVE_MS = 20_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const cleanupKey = (transferId: string) => ({ pk: `CLEANUP#${transferId}`, sk: 'CLEANUP' });

/** Takes the transfer's cleanup claim: free, expired, or already this cleanup's. */
async function claim(transferId: string, claimId: string): Promise<boolean> {
  const now = Date.now();
  try {
    await ddb.send(
      new PutCommand({
        TableName: config.tableName,
        Item: { ...cleanupKey(transferId), claimId, until: now + CLAIM_LEASE_MS },
        ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR claimId = :claimId',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':now': now, ':claimId': claimId },
      }),
    );
    return true;
  } catch (err) {
    if (awsErrorName(err) === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

async function release(transferId: string, claimId: string): Promise<void> {
  try {
    await ddb.send(new DeleteCommand({ TableName: config.tableName, Key: cleanupKey(transferId), ConditionExpression: 'claimId = :claimId', ExpressionAttributeValues: { ':claimId': claimId } }));
  } catch (err) {
    if (awsErrorName(err) !== 'ConditionalCheckFailedException') throw err;
  }
}

/** History events of a Lambda task that was invoked and had not answered when the execution ended. */
const IN_FLIGHT = new Set(['LambdaFunctionScheduled', 'LambdaFunctionStarted', 'TaskScheduled', 'TaskStarted']);

/**
 * Waits until no step's Lambda of the ended execution can still be running:
 * the last event before the execution's end says whether one was in flight.
 * A callback task's Lambda (Notify Target And Wait) is not waited for: it only
 * stores the token and publishes the offer, and a settled record refuses both.
 */
async function awaitInFlightStep(end: ExecutionEnd, opts: Required<JanitorOptions>): Promise<void> {
  let events;
  try {
    ({ events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: end.executionArn, reverseOrder: true, maxResults: 3, includeExecutionData: false })));
  } catch (err) {
    if (awsErrorName(err) === 'ExecutionDoesNotExist') return; // never started: no step ran
    throw err;
  }
  const last = events[1];
  const task = last?.taskStartedEventDetails ?? last?.taskScheduledEventDetails;
  if (!IN_FLIGHT.has(last?.type ?? '') || task?.resource?.endsWith('.waitForTaskToken')) return;
  const stoppedAt = end.stopDate ?? events[0]?.timestamp?.getTime() ?? Date.now();
  const wait = stoppedAt + STEP_IN_FLIGHT_MS - Date.now();
  if (wait <= 0) return;
  logger.info('A step was running when the execution ended: waiting for it before restoring', { executionArn: end.executionArn, step: last?.type, waitMs: wait });
  if (opts.remainingMs() - RESERVE_MS < wait) throw new Error(`A step of ${end.executionArn} may still be running for ${Math.ceil(wait / 1000)} s`);
  await opts.sleep(wait);
}

/** Why the execution ended, as the record's reason and the Completed event's. */
function endError(end: ExecutionEnd): { Error: string; Cause: string } {
  const extra = end.error || end.cause ? ` (${[end.error, end.cause].filter(Boolean).join(': ')})` : '';
  switch (end.status) {
    case 'ABORTED':
      return { Error: 'ExecutionAborted', Cause: `The execution was stopped before the workflow could end the transfer${extra}` };
    case 'TIMED_OUT':
      return { Error: 'ExecutionTimedOut', Cause: `The execution timed out before the workflow could end the transfer${extra}` };
    default:
      return { Error: end.error || 'ExecutionFailed', Cause: `The execution failed before the workflow could end the transfer${end.cause ? `: ${end.cause}` : ''}` };
  }
}

/** What IoT says the target did before the janitor came: accepted, rejected by hand, or nothing. */
async function withdrawOffer(record: TransferRecord): Promise<PendingTransferResult | undefined> {
  const cert = await describeCertificate(record.certificateId);
  if (cert?.status === 'PENDING_TRANSFER') {
    try {
      return await withdrawPendingTransfer(record.certificateId);
    } catch (err) {
      // The restore below tries once more and reports what stands in its way.
      logger.warn('The pending offer could not be withdrawn', { transferId: record.transferId, error: { name: awsErrorName(err), message: (err as Error).message } });
      return undefined;
    }
  }
  if (!cert) return record.transferredAt ? { cancelled: false, alreadyAccepted: true } : undefined;
  return record.transferredAt ? { cancelled: false, alreadyAccepted: false, ...rejectionOf(cert) } : undefined;
}

function workflowStateOf(record: TransferRecord): WorkflowState {
  return {
    transferId: record.transferId,
    certificateId: record.certificateId,
    certificateArn: record.certificateArn,
    certificateStatus: record.snapshot?.status ?? 'INACTIVE',
    sourceAccount: record.sourceAccount,
    targetAccount: record.targetAccount,
    transferMessage: record.transferMessage,
    timeoutSeconds: record.timeoutSeconds,
    restoreOnFailure: record.restoreOnFailure,
  };
}

/**
 * Cleans up one transfer whose execution ended outside the ASL, exactly once
 * however many events and sweeps ask: withdraws a pending offer
 * (TransferAlreadyCompletedException with the certificate gone means the target
 * accepted: ACCEPTED), restores the certificate from the stored snapshot, and
 * settles the record with the Completed event. A stopped execution ends
 * CANCELLED, a timed-out or failed one FAILED; a restore that could not finish
 * ends RESTORE_FAILED and keeps the lock. A transfer the workflow settled
 * itself (its own Restore and Record Outcome ran) is left as it is.
 */
export async function cleanUpTransfer(transferId: string, end: ExecutionEnd, options: JanitorOptions): Promise<CleanupResult> {
  const opts: Required<JanitorOptions> = { sleep: defaultSleep, ...options };
  const found = await getTransfer(transferId);
  if (!found) return { transferId, result: 'NOT_FOUND' };
  if (found.executionArn !== end.executionArn) return { transferId, result: 'OTHER_EXECUTION' };
  if (!OPEN.includes(found.status)) return { transferId, result: 'ALREADY_SETTLED', status: found.status };
  if (!(await claim(transferId, opts.claimId))) return { transferId, result: 'BUSY' };
  try {
    await awaitInFlightStep(end, opts);
    // Read again under the claim: another cleanup may have settled it meanwhile.
    const record = await getTransfer(transferId);
    if (!record || !OPEN.includes(record.status)) return { transferId, result: 'ALREADY_SETTLED', status: record?.status ?? found.status };

    const cancel = await withdrawOffer(record);
    const restored: RestoreOutcome = cancel?.alreadyAccepted
      ? { status: 'ALREADY_ACCEPTED', at: new Date().toISOString() }
      : await restoreCertificate(record, { remainingMs: () => opts.remainingMs() - RESERVE_MS });
    // The offer withdrawn above is part of the restore.
    const restore: RestoreOutcome = cancel?.cancelled ? { ...restored, cancelledPendingTransfer: true } : restored;
    await saveRestore(transferId, restore);
    const settled = await recordOutcome({
      ...workflowStateOf(record),
      outcome: { status: end.status === 'ABORTED' ? 'CANCELLED' : 'FAILED' },
      error: endError(end),
      ...(cancel ? { cancel } : {}),
      restore,
    });
    logger.info('Cleaned up after the execution', { transferId, executionStatus: end.status, status: settled.status, restore: restore.status });
    return { transferId, result: 'SETTLED', status: settled.status, restore: restore.status };
  } finally {
    await release(transferId, opts.claimId);
  }
}

/** The end of a transfer's execution, for the batch sweep: `undefined` while it runs. */
async function executionEndOf(record: TransferRecord, batchEnd: ExecutionEnd): Promise<ExecutionEnd | undefined> {
  try {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: record.executionArn }));
    if (d.status === 'RUNNING' || d.status === 'PENDING_REDRIVE') return undefined;
    const status = d.status === 'ABORTED' || d.status === 'TIMED_OUT' ? d.status : 'FAILED';
    return {
      executionArn: record.executionArn,
      stateMachineArn: d.stateMachineArn ?? config.stateMachineArn,
      name: d.name ?? record.transferId,
      status,
      stopDate: d.stopDate?.getTime(),
      error: d.error,
      cause: d.cause,
    };
  } catch (err) {
    if (awsErrorName(err) !== 'ExecutionDoesNotExist') throw err;
    // Prepared but never started: nothing in IoT was touched; it ends as its batch did.
    return { ...batchEnd, executionArn: record.executionArn, name: record.transferId, input: undefined };
  }
}

/** Cleans up each open transfer whose execution has ended (or never started), within the invocation's time. */
async function sweep(records: AsyncIterable<TransferRecord | undefined>, end: ExecutionEnd, opts: Required<JanitorOptions>): Promise<{ cleanups: CleanupResult[]; deferred: number }> {
  const cleanups: CleanupResult[] = [];
  let deferred = 0;
  for await (const record of records) {
    if (!record || !OPEN.includes(record.status)) continue;
    if (opts.remainingMs() < 2 * RESERVE_MS) {
      deferred++; // its own execution's status change still comes to the janitor
      continue;
    }
    const childEnd = await executionEndOf(record, end);
    if (!childEnd) {
      cleanups.push({ transferId: record.transferId, result: 'RUNNING' });
      continue;
    }
    cleanups.push(await cleanUpTransfer(record.transferId, childEnd, { ...opts, claimId: `batch:${opts.claimId}` }));
  }
  return { cleanups, deferred };
}

/** The input a slice of a batch runs with (the batch machine runs its own slices as child executions). */
interface SliceInput {
  batchId: string;
  slice: number;
  certificateIds: string[];
}

async function sliceInputOf(end: ExecutionEnd): Promise<SliceInput | undefined> {
  // EventBridge leaves the input out past 248 KB: then ask Step Functions.
  const raw = end.input ?? (await sfn.send(new DescribeExecutionCommand({ executionArn: end.executionArn }))).input;
  try {
    const input = JSON.parse(raw ?? '') as Partial<SliceInput>;
    if (typeof input.batchId === 'string' && typeof input.slice === 'number' && Array.isArray(input.certificateIds)) return input as SliceInput;
  } catch {
    // not JSON: not a slice
  }
  return undefined;
}

async function* sliceTransfers(input: SliceInput): AsyncGenerator<TransferRecord | undefined> {
  for (const certificateId of input.certificateIds) yield getTransfer(batchTransferId(input.batchId, certificateId));
}

/**
 * A batch execution (or one of its slices) that ended ABORTED, TIMED_OUT or
 * FAILED: Step Functions stops its child executions with it, and each child's
 * own status change brings the janitor to its transfer. The sweep is the
 * backstop: every transfer of the batch (of the slice) still open whose
 * execution has ended, or never started, is cleaned up here, within the
 * invocation's time; the batch record is closed FAILED if its last step never ran.
 */
export async function sweepBatch(end: ExecutionEnd, options: JanitorOptions): Promise<JanitorReport> {
  const opts: Required<JanitorOptions> = { sleep: defaultSleep, ...options };
  const batch = await getBatch(end.name);
  if (batch?.executionArn === end.executionArn) {
    const { cleanups, deferred } = await sweep(batchTransfers(batch.batchId), end, opts);
    let batchClosed = false;
    if (batch.status === 'RUNNING') {
      const { Error, Cause } = endError(end);
      await failBatch(batch.batchId, `${Error}: ${Cause.replace('end the transfer', 'finish the batch')}`);
      batchClosed = true;
    }
    return { kind: 'batch', batchId: batch.batchId, cleanups, deferred, batchClosed };
  }
  const slice = await sliceInputOf(end);
  if (!slice) return { kind: 'ignored', reason: `Neither a batch nor a slice of one: ${end.executionArn}` };
  // The batch goes on with its other slices and closes itself; only this slice's transfers are swept.
  const { cleanups, deferred } = await sweep(sliceTransfers(slice), end, opts);
  return { kind: 'batch', batchId: slice.batchId, slice: slice.slice, cleanups, deferred, batchClosed: false };
}

/** Routes an execution's end to the transfer, batch or slice it belongs to (transfers and batches are named after their id). */
export async function onExecutionEnded(end: ExecutionEnd, options: JanitorOptions): Promise<JanitorReport> {
  if (end.stateMachineArn === config.stateMachineArn) return { kind: 'transfer', cleanup: await cleanUpTransfer(end.name, end, options) };
  if (end.stateMachineArn === config.batchStateMachineArn) return sweepBatch(end, options);
  return { kind: 'ignored', reason: `Not one of this stack's state machines: ${end.stateMachineArn}` };
}

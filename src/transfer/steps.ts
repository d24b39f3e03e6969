import type { Context } from 'aws-lambda';
import { callConcurrency } from '../concurrency.js';
import { config } from '../config.js';
import { awsErrorName, CertificateNotTransferable, CertificateStateError } from '../errors.js';
import { DetailType, entry, peerBusArn, publish, type CompletedDetail, type OfferedDetail } from '../events.js';
import { assertTransferable, describeCertificate, detachPolicy, detachThing, listAttachedPolicies, listPrincipalThings, setCertificateStatus, transferCertificate } from '../iot.js';
import { annotate, requireTransfer, saveProgress, saveSnapshot, settle, transition } from '../store.js';
import type { PendingTransferResult, PreflightResult, RestoreOutcome, Snapshot, StepProgress, TransferOutcome, TransferRecord, TransferStatus, WorkflowState } from '../types.js';
import { runBounded } from './bounded.js';
import { failCause } from './cause.js';
import { withdrawPendingTransfer } from './withdraw.js';

/*
 * The workflow's steps, one function each, each idempotent: the state machine
 * may run any of them again after a crash or a timeout, with the work half done.
 */

type RemainingTime = Pick<Context, 'getRemainingTimeInMillis'>;

/** The snapshot lives in the transfer record, never in the state (it can be far larger than a state may be). */
async function recordWithSnapshot(transferId: string): Promise<TransferRecord & { snapshot: Snapshot }> {
  const record = await requireTransfer(transferId);
  if (!record.snapshot) throw new CertificateStateError(`Transfer ${transferId} has no snapshot; Preflight must run first`);
  return record as TransferRecord & { snapshot: Snapshot };
}

const summaryOf = (snapshot: Snapshot): PreflightResult => ({ status: snapshot.status, policies: snapshot.policies.length, things: snapshot.things.length });

/**
 * The most a snapshot may weigh in the transfer record. A DynamoDB item holds
 * at most 400 KB, and the record also carries the restore result (which lists
 * the things it re-attached, about 0.75 of the snapshot's size) and the
 * history. 200,000 bytes is about 1,100 things with 128-character names, or
 * 2,500 with 40-character ones. A larger certificate is refused by Preflight,
 * before anything is changed. Beyond that the plan is chunk items under the
 * transfer's key (`pk TRANSFER#<id>`, `sk SNAPSHOT#<n>`, 1,000 things each),
 * written page by page by a resumable Preflight and read by the steps that
 * need the lists; the record would then keep counts only.
 */
export const MAX_SNAPSHOT_BYTES = 200_000;

/**
 * Preflight: snapshot the certificate's status, policies and things (what
 * restore will put back) into the transfer record and move it to PREPARING.
 * The status comes from the one DescribeCertificate made when the transfer was
 * requested. The state gets the counts only ({@link PreflightResult}).
 */
export async function preflight(state: WorkflowState): Promise<PreflightResult> {
  const record = await requireTransfer(state.transferId);
  if (record.snapshot) return summaryOf(record.snapshot); // a re-run never overwrites the original picture

  let { certificateArn, certificateStatus: status } = state;
  if (!certificateArn || !status) {
    const cert = await describeCertificate(state.certificateId);
    if (!cert) throw new CertificateNotTransferable(`Certificate ${state.certificateId} does not exist in account ${state.sourceAccount}`);
    ({ certificateArn, status } = cert);
  }
  assertTransferable(state.certificateId, status);

  const [policies, things] = await Promise.all([listAttachedPolicies(certificateArn), listPrincipalThings(certificateArn)]);
  const snapshot: Snapshot = { certificateArn, status, policies, things, takenAt: new Date().toISOString() };
  const bytes = Buffer.byteLength(JSON.stringify(snapshot));
  if (bytes > MAX_SNAPSHOT_BYTES) {
    throw new CertificateNotTransferable(
      `Certificate ${state.certificateId} has ${things.length} things and ${policies.length} policies: its snapshot (${bytes} bytes) is larger than the ${MAX_SNAPSHOT_BYTES} bytes a transfer record keeps; nothing was changed`,
    );
  }
  const saved = await saveSnapshot(state.transferId, snapshot);
  await transition(state.transferId, {
    to: 'PREPARING',
    from: ['REQUESTED', 'PREPARING'],
    message: `Snapshot taken: ${status}, ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}, ${things.length} thing(s)`,
  });
  return summaryOf(saved.snapshot ?? snapshot);
}

/** Deactivate: only a certificate that was ACTIVE needs it; INACTIVE stays as it is. */
export async function deactivate(state: WorkflowState): Promise<{ deactivated: boolean }> {
  // Preflight's flags; `snapshot` for an execution started before the snapshot left the state.
  const status = state.preflight?.status ?? state.snapshot?.status;
  if (!status) throw new CertificateStateError(`Transfer ${state.transferId} has no Preflight result; Preflight must run first`);
  if (status !== 'ACTIVE') return { deactivated: false };
  await setCertificateStatus(state.certificateId, 'INACTIVE');
  return { deactivated: true };
}

const remainingOf = (context?: RemainingTime) => (context ? () => context.getRemainingTimeInMillis() : undefined);

/**
 * Detach Policies: every policy of the snapshot, a few at a time within the
 * DetachPolicy quota; one already detached counts as done. Resumes where the
 * record says the last invocation got; `{done: false}` (time or rate budget ran
 * out) makes the state machine run it again.
 */
export async function detachPolicies(state: WorkflowState, context?: RemainingTime): Promise<StepProgress> {
  const { snapshot, detachedPolicies } = await recordWithSnapshot(state.transferId);
  return runBounded(snapshot.policies, detachedPolicies ?? 0, (policyName) => detachPolicy(policyName, snapshot.certificateArn), {
    concurrency: callConcurrency('DetachPolicy'),
    remainingMs: remainingOf(context),
    save: (next) => saveProgress(state.transferId, 'detachedPolicies', next),
  });
}

/**
 * Detach Things: every thing of the snapshot, ten at a time (DetachThingPrincipal
 * is 100 TPS; the rate budget paces them); one already detached counts as done.
 * Progress is saved after each wave, so an invocation killed at its timeout
 * loses one wave at most, and it stops before its time runs out with
 * `{done: false}`: the state machine's `More Things?` runs it again.
 */
export async function detachThings(state: WorkflowState, context?: RemainingTime): Promise<StepProgress> {
  const { snapshot, detachedThings } = await recordWithSnapshot(state.transferId);
  return runBounded(snapshot.things, detachedThings ?? 0, (thing) => detachThing(thing.thingName, snapshot.certificateArn), {
    concurrency: callConcurrency('DetachThingPrincipal'),
    remainingMs: remainingOf(context),
    save: (next) => saveProgress(state.transferId, 'detachedThings', next),
  });
}

/**
 * Transfer: TransferCertificate to the target. A `TransferConflictException`
 * right after detaching is expected (IoT propagates detachments
 * asynchronously) and is retried by the state machine with backoff. A re-run
 * after success finds the certificate PENDING_TRANSFER, which we hold the lock
 * for, and succeeds.
 */
export async function transfer(state: WorkflowState): Promise<{ transferredAt: string }> {
  try {
    await transferCertificate(state.certificateId, state.targetAccount, state.transferMessage);
  } catch (err) {
    if (awsErrorName(err) !== 'CertificateStateException') throw err;
    const cert = await describeCertificate(state.certificateId);
    if (cert?.status !== 'PENDING_TRANSFER') {
      throw new CertificateStateError(`TransferCertificate refused: certificate is ${cert?.status ?? 'gone'}`, { cause: err });
    }
  }
  const transferredAt = new Date().toISOString();
  await annotate(state.transferId, { transferredAt });
  return { transferredAt };
}

/**
 * Notify Target And Wait: keep the task token in the store (it never leaves
 * this account), then offer the certificate on the target account's bus.
 */
export async function notifyTarget(state: WorkflowState & { taskToken: string }): Promise<OfferedDetail> {
  const offeredAt = new Date();
  const expiresAt = new Date(offeredAt.getTime() + state.timeoutSeconds * 1000).toISOString();
  await transition(state.transferId, {
    to: 'AWAITING_DECISION',
    from: ['PREPARING', 'AWAITING_DECISION'],
    message: `Offered to ${state.targetAccount}; awaiting a decision until ${expiresAt}`,
    set: { taskToken: state.taskToken, offeredAt: offeredAt.toISOString(), expiresAt },
  });
  const detail: OfferedDetail = {
    transferId: state.transferId,
    certificateId: state.certificateId,
    certificateArn: state.certificateArn,
    sourceAccount: state.sourceAccount,
    targetAccount: state.targetAccount,
    transferMessage: state.transferMessage,
    offeredAt: offeredAt.toISOString(),
    expiresAt,
  };
  await publish([entry(peerBusArn(state.targetAccount), DetailType.Offered, detail, [state.certificateArn])]);
  return detail;
}

/** Cancel Pending Transfer: on expiry and on operator cancel. */
export async function cancelPendingTransfer(state: WorkflowState): Promise<PendingTransferResult> {
  return withdrawPendingTransfer(state.certificateId);
}

function errorMessage(error: { Error: string; Cause?: string } | undefined): string | undefined {
  if (!error) return undefined;
  try {
    const cause = JSON.parse(error.Cause ?? '') as { errorMessage?: string };
    if (cause.errorMessage) return `${error.Error}: ${cause.errorMessage}`;
  } catch {
    // Cause is not a Lambda error document
  }
  return error.Cause ? `${error.Error}: ${error.Cause}` : error.Error;
}

/** The final status a state reached, and why. */
export function outcomeOf(state: WorkflowState): { status: TransferOutcome; reason?: string } {
  if (state.decision?.decision === 'ACCEPTED' || state.cancel?.alreadyAccepted || state.restore?.status === 'ALREADY_ACCEPTED') {
    return { status: 'ACCEPTED', reason: state.decision?.decision === 'ACCEPTED' ? undefined : 'The target accepted before the transfer could be withdrawn' };
  }
  if (state.cancel?.alreadyRejected && state.decision === undefined) {
    return { status: 'REJECTED', reason: state.cancel.rejectReason ?? 'Rejected by the target account (by hand) before the transfer was withdrawn' };
  }
  const status = state.outcome?.status ?? 'FAILED';
  switch (status) {
    case 'REJECTED':
      return { status, reason: state.decision?.reason ?? 'Rejected by the target account' };
    case 'EXPIRED':
      return { status, reason: `No decision within ${state.timeoutSeconds} seconds` };
    case 'CANCELLED':
      return { status, reason: errorMessage(state.error) ?? 'Cancelled by an operator' };
    default:
      return { status: 'FAILED', reason: errorMessage(state.error) ?? 'The transfer failed' };
  }
}

/**
 * Record Outcome: the record's final status, the restore result, and the
 * Completed event on this account's bus and (for the target's information)
 * on the target's bus. Settling twice with the same status is harmless.
 */
export async function recordOutcome(state: WorkflowState): Promise<{ outcome: TransferOutcome; status: TransferStatus; reason?: string; cause: string; targetNotified: boolean }> {
  const { status, reason } = outcomeOf(state);
  const record = await requireTransfer(state.transferId);
  // The full restore result is on the record (Restore keeps it there, per item); the state has its status only.
  const restore: RestoreOutcome | undefined = state.restoreError ? { ...record.restore, status: 'FAILED', error: errorMessage(state.restoreError) } : (record.restore ?? state.restore);
  const message = status === 'ACCEPTED' ? `Accepted by ${state.targetAccount}` : `${status[0]}${status.slice(1).toLowerCase()}: ${reason}${restore ? `; restore ${restore.status}` : ''}`;
  const settled = await settle(record, status, { message, reason, restore, decision: state.decision });

  const detail: CompletedDetail = {
    transferId: state.transferId,
    certificateId: state.certificateId,
    sourceAccount: state.sourceAccount,
    targetAccount: state.targetAccount,
    outcome: status,
    reason,
    restore,
    requestId: record.requestId,
    completedAt: new Date().toISOString(),
  };
  const resources = record.snapshot ? [record.snapshot.certificateArn] : [];
  await publish([entry(config.eventBusName, DetailType.Completed, detail, resources)]);
  // The target heard of the offer, so it hears of the end too; that copy is a
  // courtesy and must not turn a settled transfer into a failed execution.
  let targetNotified = false;
  if (record.offeredAt) {
    try {
      await publish([entry(peerBusArn(state.targetAccount), DetailType.Completed, detail, resources)]);
      targetNotified = true;
    } catch {
      targetNotified = false;
    }
  }
  return { outcome: status, status: settled.status, reason, cause: failCause(state.transferId, status, restore), targetNotified };
}

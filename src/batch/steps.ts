import { TransferInProgress, CertificateNotFound } from '../errors.js';
import { describeCertificate } from '../iot.js';
import { logger } from '../logger.js';
import { getTransfer, requireTransfer, settle } from '../store.js';
import { prepareTransfer, type PreparedTransfer } from '../transfer/start.js';
import type { TransferRecord, WorkflowInput } from '../types.js';
import { validateTransferRequest } from '../validation.js';
import { setLiveCounts } from './counters.js';
import { exactProgress, summarize } from './progress.js';
import { batchTransferId, closeBatch, getSlice, listSlices, recordSkipped, requireBatch } from './store.js';
import type { BatchItem, BatchStatus, BatchSummaryInput, SliceResult } from './types.js';

/** Time the batch gives a transfer beyond the target's decision time: the steps before and after it. */
export const RUN_MARGIN_SECONDS = 3600;

export interface PreparedItem {
  transferId: string;
  /** The certificate-transfer execution's input (plus the parent link AWS shows in the console). */
  input: WorkflowInput & { AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID?: string };
  /** TimeoutSecondsPath of the Run Transfer task. */
  waitSeconds: number;
}

/**
 * Step "Prepare Transfer": the same validation and preparation as POST
 * /transfers, with a transfer id derived from the batch and certificate, so a
 * retried step finds the transfer it opened instead of tripping over its lock.
 * Refusals (400, 403, 404, 409) are thrown with their names for the Catch.
 */
export async function prepareItem(item: BatchItem): Promise<PreparedItem> {
  const request = validateTransferRequest({ certificateId: item.certificateId, ...item.request });
  const transferId = batchTransferId(item.batchId, request.certificateId);
  const existing = await getTransfer(transferId);
  let prepared: PreparedTransfer;
  if (existing) prepared = await resumePrepared(existing);
  else {
    try {
      prepared = await prepareTransfer(request, { transferId, batchId: item.batchId, requestId: request.requestId });
    } catch (err) {
      // Another attempt of this very step is between its lock and its record, or just wrote it.
      if (!(err instanceof TransferInProgress && err.openTransferId === transferId)) throw err;
      prepared = await resumePrepared(await requireTransfer(transferId));
    }
  }
  return {
    transferId,
    input: { ...prepared.input, ...(item.batchExecutionArn ? { AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: item.batchExecutionArn } : {}) },
    waitSeconds: request.timeoutSeconds + RUN_MARGIN_SECONDS,
  };
}

/**
 * A previous attempt of this step recorded the transfer and then failed:
 * carry on with that record, and the same execution input (the certificate's
 * status as it was before the workflow touched it), so that starting the
 * execution again finds the one that may already run.
 */
async function resumePrepared(record: TransferRecord): Promise<PreparedTransfer> {
  let status = record.snapshot?.status;
  if (!status) {
    const cert = await describeCertificate(record.certificateId);
    if (!cert) throw new CertificateNotFound(`Certificate ${record.certificateId} is no longer in this account`);
    status = cert.status;
  }
  return {
    record,
    input: {
      transferId: record.transferId,
      certificateId: record.certificateId,
      certificateArn: record.certificateArn,
      certificateStatus: status,
      sourceAccount: record.sourceAccount,
      targetAccount: record.targetAccount,
      transferMessage: record.transferMessage,
      timeoutSeconds: record.timeoutSeconds,
      restoreOnFailure: record.restoreOnFailure,
    },
  };
}

export interface ItemFailureInput extends BatchItem {
  prepared?: { transferId?: string };
  /** Written by Catch. For a Lambda error, Cause is `{"errorType","errorMessage",…}` as JSON. */
  error: { Error: string; Cause?: string };
}

/** The error's name and message from a Catch result. */
export function describeTaskError(error: { Error: string; Cause?: string }): { error: string; reason: string } {
  if (error.Cause) {
    try {
      const cause = JSON.parse(error.Cause) as { errorType?: string; errorMessage?: string };
      if (cause && typeof cause === 'object' && typeof cause.errorMessage === 'string') return { error: cause.errorType ?? error.Error, reason: cause.errorMessage };
    } catch {
      // Not JSON: a service error's message.
    }
    return { error: error.Error, reason: error.Cause };
  }
  return { error: error.Error, reason: error.Error };
}

/**
 * Step "Record Item Failure". Without a transfer record the certificate is
 * recorded as not started, with the reason. With one that never got its
 * execution (Step Functions refused to start it), the record is closed FAILED
 * and the certificate's lock released, as POST /transfers does. A transfer
 * that is running is left alone: its record tells how it ends.
 */
export async function recordItemFailure(input: ItemFailureInput): Promise<{ recorded: 'NOT_STARTED' | 'TRANSFER_FAILED' | 'TRANSFER_RUNNING' }> {
  const { error, reason } = describeTaskError(input.error);
  const transferId = input.prepared?.transferId;
  const record = transferId ? await getTransfer(transferId) : undefined;
  if (record) {
    if (record.status === 'REQUESTED' && input.error.Error !== 'States.Timeout') {
      await settle(record, 'FAILED', { message: 'The batch could not start the workflow', reason: `${error}: ${reason}` });
      return { recorded: 'TRANSFER_FAILED' };
    }
    logger.warn('Transfer of the batch outlived its task; its record tells how it ends', { transferId, status: record.status, error });
    return { recorded: 'TRANSFER_RUNNING' };
  }
  await recordSkipped(input.batchId, { certificateId: input.certificateId, error, reason: reason.slice(0, 500) });
  return { recorded: 'NOT_STARTED' };
}

/**
 * Step "Load Slice": the certificate ids of one slice, from the store (they
 * never ride in the batch's or the group's state).
 */
export async function loadSlice(input: { batchId: string; slice: number }): Promise<{ certificateIds: string[] }> {
  return { certificateIds: await getSlice(input.batchId, input.slice) };
}

/** Errors of slices, as the batch record says them: `slice 3: States.TaskFailed; …`. */
function sliceErrors(results: SliceResult[]): string | undefined {
  const failed = results.filter((r) => r.error);
  if (!failed.length) return undefined;
  const listed = failed
    .slice(0, 20)
    .map((r) => `slice ${r.slice}: ${r.error}`)
    .join('; ');
  return failed.length > 20 ? `${listed}; and ${failed.length - 20} more slices` : listed;
}

/**
 * Step "Summarize Batch": every certificate's outcome, read exactly (see
 * `exactProgress`), counted per status with the failures and their reasons,
 * written to the batch record, which is closed COMPLETED, or FAILED when a
 * slice or the Map of slices failed as a whole (the error names them). A
 * certificate with neither a transfer nor a recorded reason is reported as
 * not started, with why.
 */
export async function summarizeBatch(state: BatchSummaryInput): Promise<{ status: Exclude<BatchStatus, 'RUNNING'>; total: number; accepted: number; failureCount: number }> {
  const batch = await requireBatch(state.batchId);
  const slices = await listSlices(state.batchId);
  const sliceResults = (state.groupResults ?? []).flatMap((g) => g.sliceResults ?? []);
  const failedSlices = new Map(sliceResults.filter((r) => r.error).map((r) => [r.slice, r.error!]));
  const failedGroups = (state.groupResults ?? []).filter((g) => g.error);
  const groupErrors = failedGroups.map((g) => `group ${g.group}: ${g.error}`).join('; ') || undefined;
  const sliceOf = new Map(slices.flatMap((ids, slice) => ids.map((id) => [id, slice] as const)));
  const mapError = state.error ? Object.values(describeTaskError(state.error)).join(': ') : undefined;
  const progress = await exactProgress(batch.batchId, slices.flat(), (certificateId) => {
    const slice = sliceOf.get(certificateId) ?? 0;
    const sliceError = failedSlices.get(slice) ?? groupErrors;
    if (sliceError || mapError) {
      return { error: 'SliceFailed', reason: `Slice ${slice} of the batch ended (${sliceError ?? mapError}) before this certificate was handled` };
    }
    return {
      error: 'ItemFailureNotRecorded',
      reason: `The batch could not record why this certificate was not transferred (Record Item Failure failed); see the execution ${batch.batchId}-slice-${slice}`,
    };
  });
  const summary = summarize(batch, progress);
  // Whatever a killed function left behind, the live counts now say what was read exactly.
  if (batch.liveCounts) await setLiveCounts(batch.batchId, progress.counts);
  const error = [mapError, groupErrors, sliceErrors(sliceResults)].filter(Boolean).join('; ') || undefined;
  const status = error ? 'FAILED' : 'COMPLETED';
  await closeBatch(batch.batchId, status, summary, error);
  return { status, total: summary.total, accepted: summary.accepted, failureCount: summary.failureCount };
}

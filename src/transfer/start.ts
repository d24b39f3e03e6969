import { createHash, randomUUID } from 'node:crypto';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../clients/sfn.js';
import { config } from '../config.js';
import { CertificateNotFound, TransferInProgress, TransferStateConflict, ValidationError, WorkflowStartFailed } from '../errors.js';
import { assertTransferable, describeCertificate } from '../iot.js';
import { createTransfer, getTransfer, settle } from '../store.js';
import type { TransferRecord, TransferRequest, WorkflowInput } from '../types.js';

/** The execution ARN Step Functions will give an execution of this name. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Opens the execution in the Step Functions console. */
export function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? config.region;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * A transfer id derived from an idempotency key (a trigger event's id, a batch
 * and certificate): the same key always gives the same id, so a redelivered
 * event or a retried step finds the transfer it already opened. UUID layout,
 * version 8 (RFC 9562, custom), like the random ones in shape.
 */
export function idFrom(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\n')).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface PrepareOptions {
  /** Use this id (and execution name) instead of a fresh one: an idempotency key, e.g. the trigger event's id. */
  transferId?: string;
  batchId?: string;
  requestId?: string;
}

export interface PreparedTransfer {
  record: TransferRecord;
  /** The idempotency key named a transfer that already exists: nothing new was created. */
  repeat?: boolean;
  /** The certificate-transfer execution's input; its name is the transferId. */
  input: WorkflowInput;
}

/**
 * Prepares a transfer without starting it: one DescribeCertificate (its status
 * travels on to Preflight), the certificate's lock, the record in REQUESTED
 * with the execution ARN it will have. A missing (404) or untransferable (409)
 * certificate, or an open transfer (409), is refused here; nothing in IoT is
 * touched. The batch workflow starts the execution itself (startExecution.sync:2).
 */
export async function prepareTransfer(request: TransferRequest, opts: PrepareOptions = {}): Promise<PreparedTransfer> {
  // A repeat of a request that already opened its transfer (same idempotency key) gets that transfer back.
  if (opts.transferId) {
    const existing = await getTransfer(opts.transferId);
    if (existing && existing.certificateId !== request.certificateId) {
      throw new ValidationError('requestId', `requestId was already used for a transfer of another certificate (${existing.transferId})`);
    }
    if (existing) {
      // Never launched (a crash between record and StartExecution): nothing touched the
      // certificate yet, so read its status as the first attempt did; Preflight snapshots it.
      const status = existing.snapshot?.status ?? (existing.status === 'REQUESTED' ? (await describeCertificate(existing.certificateId))?.status : undefined) ?? 'INACTIVE';
      return { record: existing, input: inputOf(existing, request, status), repeat: true };
    }
  }
  const cert = await describeCertificate(request.certificateId);
  if (!cert) throw new CertificateNotFound(`Certificate ${request.certificateId} was not found in account ${config.accountId}`);
  assertTransferable(request.certificateId, cert.status);

  const transferId = opts.transferId ?? randomUUID();
  const executionArn = executionArnFor(config.stateMachineArn, transferId);
  const open = () =>
    createTransfer({
      transferId,
      certificateId: request.certificateId,
      certificateArn: cert.certificateArn,
      sourceAccount: config.accountId,
      targetAccount: request.targetAccount,
      transferMessage: request.transferMessage,
      timeoutSeconds: request.timeoutSeconds,
      restoreOnFailure: request.restoreOnFailure,
      executionArn,
      batchId: opts.batchId,
      requestId: opts.requestId,
    });
  let record: TransferRecord;
  try {
    record = await open();
  } catch (err) {
    // The open transfer may be one whose request died before starting its workflow.
    if (!(err instanceof TransferInProgress) || !(await closeIfAbandoned(err.openTransferId))) throw err;
    record = await open();
  }
  return { record, input: inputOf(record, request, cert.status) };
}

/** A transfer still REQUESTED this long after it was recorded may never have started its workflow. */
const ABANDONED_AFTER_MS = 120_000;

/**
 * Closes a transfer whose request was cut off between recording it and
 * starting its execution (a crash or a Lambda timeout): it stays REQUESTED,
 * holds the certificate's lock, and has no execution. Nothing in IoT was
 * touched, so it is closed FAILED and the certificate is free again. Returns
 * whether it was closed.
 */
export async function closeIfAbandoned(transferId: string): Promise<boolean> {
  const record = await getTransfer(transferId);
  if (!record || record.status !== 'REQUESTED' || Date.now() - Date.parse(record.createdAt) < ABANDONED_AFTER_MS) return false;
  try {
    await sfn.send(new DescribeExecutionCommand({ executionArn: record.executionArn }));
    return false; // it did start: Preflight will move it on
  } catch (err) {
    if ((err as Error).name !== 'ExecutionDoesNotExist') throw err;
  }
  try {
    await settle(record, 'FAILED', { message: 'Never started: the request that opened it was interrupted before its workflow started', reason: 'The workflow was never started; nothing was changed' });
  } catch (err) {
    if (err instanceof TransferStateConflict) return false;
    throw err;
  }
  return true;
}

function inputOf(record: TransferRecord, request: TransferRequest, certificateStatus: WorkflowInput['certificateStatus']): WorkflowInput {
  return {
    transferId: record.transferId,
    certificateId: record.certificateId,
    certificateArn: record.certificateArn,
    certificateStatus,
    sourceAccount: record.sourceAccount,
    targetAccount: record.targetAccount,
    transferMessage: record.transferMessage,
    timeoutSeconds: record.timeoutSeconds,
    restoreOnFailure: request.restoreOnFailure,
  };
}

/**
 * Starts the execution of a prepared transfer (named after the transferId, so
 * a repeat is idempotent while it runs). If Step Functions refuses, the record
 * is closed FAILED so the certificate is free again.
 */
export async function launchTransfer({ record, input, repeat }: PreparedTransfer): Promise<TransferRecord> {
  // A repeat whose workflow already left REQUESTED was launched before; its execution input may differ.
  if (repeat && record.status !== 'REQUESTED') return record;
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: config.stateMachineArn, name: record.transferId, input: JSON.stringify(input) }));
  } catch (err) {
    // Launched already (a repeat after the execution ended): the record tells the rest.
    if ((err as Error).name === 'ExecutionAlreadyExists') return record;
    // Nothing in IoT was touched yet: close the record so the certificate is free again.
    await settle(record, 'FAILED', { message: 'The workflow could not be started', reason: err instanceof Error ? err.message : String(err) });
    throw new WorkflowStartFailed('The transfer workflow could not be started; nothing was changed, try again', { cause: err });
  }
  return record;
}

/**
 * Starts a transfer (POST /transfers, the Requested trigger): prepare, then
 * launch. The caller learns at once about a missing (404) or untransferable
 * (409) certificate or an open transfer (409).
 */
export async function startTransfer(request: TransferRequest, opts: PrepareOptions = {}): Promise<TransferRecord> {
  return launchTransfer(await prepareTransfer(request, opts));
}

import { randomUUID } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../clients/sfn.js';
import { config } from '../config.js';
import { CertificateNotFound, CertificateNotTransferable, WorkflowStartFailed } from '../errors.js';
import { describeCertificate } from '../iot.js';
import { createTransfer, settle } from '../store.js';
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

const REFUSED = new Set(['REVOKED', 'PENDING_TRANSFER', 'PENDING_ACTIVATION', 'REGISTER_INACTIVE']);

/**
 * Starts a transfer: one DescribeCertificate (its status travels on to
 * Preflight), the certificate's lock, the record, the execution. The caller
 * learns at once about a missing (404) or untransferable (409) certificate or
 * an open transfer (409).
 */
export async function startTransfer(request: TransferRequest, opts: { batchId?: string } = {}): Promise<TransferRecord> {
  const cert = await describeCertificate(request.certificateId);
  if (!cert) throw new CertificateNotFound(`Certificate ${request.certificateId} was not found in account ${config.accountId}`);
  if (REFUSED.has(cert.status)) throw new CertificateNotTransferable(`Certificate ${request.certificateId} is ${cert.status} and cannot be transferred`);

  const transferId = randomUUID();
  const executionArn = executionArnFor(config.stateMachineArn, transferId);
  const record = await createTransfer({
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
  });

  const input: WorkflowInput = {
    transferId,
    certificateId: request.certificateId,
    certificateArn: cert.certificateArn,
    certificateStatus: cert.status,
    sourceAccount: config.accountId,
    targetAccount: request.targetAccount,
    transferMessage: request.transferMessage,
    timeoutSeconds: request.timeoutSeconds,
    restoreOnFailure: request.restoreOnFailure,
  };
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn: config.stateMachineArn, name: transferId, input: JSON.stringify(input) }));
  } catch (err) {
    // Nothing in IoT was touched yet: close the record so the certificate is free again.
    await settle(record, 'FAILED', { message: 'The workflow could not be started', reason: err instanceof Error ? err.message : String(err) });
    throw new WorkflowStartFailed('The transfer workflow could not be started; nothing was changed, try again', { cause: err });
  }
  return record;
}

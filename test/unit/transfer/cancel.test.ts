// Cancel Pending Transfer (strand path 9): which CancelCertificateTransfer answers mean "no longer
// pending", and that nothing is restored on a certificate IoT still shows PENDING_TRANSFER.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { AttachPolicyCommand, AttachThingPrincipalCommand, CancelCertificateTransferCommand, DescribeCertificateCommand, IoTClient, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { setSourceEnv, SOURCE, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { iotError } from '../../support/iot-errors.js';
import { certArn, certId } from '../../support/certs.js';
import type { WorkflowState } from '../../../src/types.js';

setSourceEnv();
const iot = mockClient(IoTClient);
const steps = { ...(await import('../../../src/transfer/steps.js')), ...(await import('../../../src/transfer/restore.js')) };
const store = await import('../../../src/store.js');

useTransferTable();
beforeEach(() => iot.reset());

async function offeredTransfer(): Promise<WorkflowState> {
  const certificateId = certId();
  const state: WorkflowState = {
    transferId: crypto.randomUUID(),
    certificateId,
    certificateArn: certArn(certificateId),
    certificateStatus: 'ACTIVE',
    sourceAccount: SOURCE,
    targetAccount: TARGET,
    timeoutSeconds: 3600,
    restoreOnFailure: true,
  };
  await store.createTransfer({ ...state, executionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:sm:${state.transferId}` });
  const snapshot = {
    certificateArn: state.certificateArn,
    status: 'ACTIVE' as const,
    policies: ['P1'],
    things: [{ thingName: 'thing-a', thingPrincipalType: 'EXCLUSIVE_THING' as const }],
    takenAt: new Date().toISOString(),
  };
  await store.saveSnapshot(state.transferId, snapshot);
  await store.annotate(state.transferId, { transferredAt: new Date().toISOString() });
  return { ...state, snapshot };
}

/** IoT's SDK models no AccessDeniedException: IAM's denial arrives as a plain named service error. */
const denied = (name: string) => (name === 'AccessDeniedException' ? Object.assign(new Error('User is not authorized to perform: iot:CancelCertificateTransfer'), { name }) : iotError(name));

const pendingDescription = (state: WorkflowState) => ({ certificateDescription: { certificateArn: state.certificateArn, status: 'PENDING_TRANSFER' as const } });

describe('Cancel Pending Transfer: what means "no longer pending"', () => {
  it.each(['AccessDeniedException', 'InvalidRequestException', 'UnauthorizedException'])('%s is not read as "no longer pending": the step fails with TransferNotWithdrawn', async (name) => {
    const state = await offeredTransfer();
    iot.on(CancelCertificateTransferCommand).rejects(denied(name));
    iot.on(DescribeCertificateCommand).resolves(pendingDescription(state));

    const failure = await steps.cancelPendingTransfer(state).catch((err: unknown) => err);

    expect(failure).toMatchObject({ name: 'TransferNotWithdrawn' });
    expect((failure as Error).message).toContain(name);
  });

  it('TransferAlreadyCompletedException while IoT still shows PENDING_TRANSFER: not withdrawn', async () => {
    const state = await offeredTransfer();
    iot.on(CancelCertificateTransferCommand).rejects(iotError('TransferAlreadyCompletedException'));
    iot.on(DescribeCertificateCommand).resolves(pendingDescription(state));
    await expect(steps.cancelPendingTransfer(state)).rejects.toMatchObject({ name: 'TransferNotWithdrawn' });
  });

  it('ResourceNotFoundException with the certificate gone from the source: accepted meanwhile', async () => {
    const state = await offeredTransfer();
    iot.on(CancelCertificateTransferCommand).rejects(iotError('ResourceNotFoundException'));
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
    await expect(steps.cancelPendingTransfer(state)).resolves.toEqual({ cancelled: false, alreadyAccepted: true });
  });

  it('a transient fault is rethrown as it is, for the retriers', async () => {
    const state = await offeredTransfer();
    iot.on(CancelCertificateTransferCommand).rejects(iotError('ServiceUnavailableException'));
    await expect(steps.cancelPendingTransfer(state)).rejects.toMatchObject({ name: 'ServiceUnavailableException' });
  });
});

describe('Restore Certificate after a cancel that did not withdraw the offer', () => {
  it('re-attaches and re-activates nothing on a certificate still PENDING_TRANSFER', async () => {
    const state = await offeredTransfer();
    iot.on(DescribeCertificateCommand).resolves(pendingDescription(state));
    iot.on(CancelCertificateTransferCommand).rejects(denied('AccessDeniedException'));
    iot.on(AttachPolicyCommand).resolves({});
    iot.on(AttachThingPrincipalCommand).resolves({});
    iot.on(UpdateCertificateCommand).resolves({});

    const result = await steps.restore({ ...state, outcome: { status: 'CANCELLED' } }).catch((err: unknown) => err);

    expect(iot).not.toHaveReceivedCommand(AttachPolicyCommand);
    expect(iot).not.toHaveReceivedCommand(AttachThingPrincipalCommand);
    expect(iot).not.toHaveReceivedCommand(UpdateCertificateCommand);
    expect(result).not.toMatchObject({ status: 'RESTORED' });
  });
});

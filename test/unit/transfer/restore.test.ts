// Restore Certificate item by item, RESTORE_FAILED in Record Outcome, and the repair
// (src/transfer/restore.ts), against a mocked IoT and EventBridge and a real local table.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { AttachPolicyCommand, AttachThingPrincipalCommand, DescribeCertificateCommand, IoTClient, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { setSourceEnv, SOURCE, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { iotError } from '../../support/iot-errors.js';
import { certArn, certId } from '../../support/certs.js';
import { entryErrors } from '../../support/events.js';
import type { RestoreOutcome, Snapshot, TransferRecord, WorkflowState } from '../../../src/types.js';

setSourceEnv({ POWERTOOLS_SERVICE_NAME: 'certificate-transfer' });
const iot = mockClient(IoTClient);
const eb = mockClient(EventBridgeClient);

const { restore, restoreCertificate, repairTransfer, isTransient } = await import('../../../src/transfer/restore.js');
const { failCause } = await import('../../../src/transfer/cause.js');
const steps = await import('../../../src/transfer/steps.js');
const store = await import('../../../src/store.js');

useTransferTable();
let stdout: string[] = [];
beforeEach(() => {
  iot.reset();
  eb.reset();
  eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: crypto.randomUUID() })) }));
  iot.on(AttachPolicyCommand).resolves({});
  iot.on(AttachThingPrincipalCommand).resolves({});
  iot.on(UpdateCertificateCommand).resolves({});
  stdout = [];
  // Powertools Metrics writes its EMF lines to stdout, as Lambda logs them.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const noWait = { sleep: async () => undefined };
const emfLines = (metric: string) =>
  stdout
    .flatMap((s) => s.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((m) => metric in m);

/** A transfer offered to TARGET, its snapshot (2 policies, 2 things, ACTIVE) in the store, the certificate back INACTIVE and detached. */
async function transferAwayFromHome(snapshot: Partial<Snapshot> = {}, overrides: Partial<WorkflowState> = {}): Promise<{ state: WorkflowState; record: TransferRecord }> {
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
    ...overrides,
  };
  await store.createTransfer({ ...state, executionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:sm:${state.transferId}` });
  await store.saveSnapshot(state.transferId, {
    certificateArn: state.certificateArn,
    status: 'ACTIVE',
    policies: ['P1', 'P2'],
    things: [
      { thingName: 'thing-a', thingPrincipalType: 'EXCLUSIVE_THING' },
      { thingName: 'thing-b', thingPrincipalType: 'NON_EXCLUSIVE_THING' },
    ],
    takenAt: new Date().toISOString(),
    ...snapshot,
  });
  await store.transition(state.transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered', set: { offeredAt: new Date().toISOString() } });
  iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'INACTIVE' } });
  return { state, record: await store.requireTransfer(state.transferId) };
}

describe('Restore Certificate, item by item', () => {
  it('a policy deleted while the offer waited: every other policy, both things and the activation come back; the policy is reported GONE', async () => {
    const { state } = await transferAwayFromHome();
    iot.on(AttachPolicyCommand, { policyName: 'P1' }).rejects(iotError('ResourceNotFoundException', 'The policy P1 does not exist.'));

    const outcome = await restore(state);

    expect(outcome).toMatchObject({
      status: 'PARTIAL',
      reattachedPolicies: ['P2'],
      reattachedThings: ['thing-a', 'thing-b'],
      reactivated: true,
      notRestored: [{ kind: 'policy', name: 'P1', result: 'GONE', error: expect.stringContaining('ResourceNotFoundException') }],
    });
    expect(iot).toHaveReceivedCommandWith(UpdateCertificateCommand, { certificateId: state.certificateId, newStatus: 'ACTIVE' });
    expect(iot).toHaveReceivedCommandWith(AttachThingPrincipalCommand, { thingName: 'thing-a', thingPrincipalType: 'EXCLUSIVE_THING' });
    // The per-item result is on the record, for Record Outcome and the API.
    expect((await store.requireTransfer(state.transferId)).restore).toEqual(outcome);
  });

  it('a thing IoT refuses for good: the rest is restored and re-activated, the result is FAILED without a retry', async () => {
    const { state } = await transferAwayFromHome();
    iot.on(AttachThingPrincipalCommand, { thingName: 'thing-a' }).rejects(iotError('InvalidRequestException', 'The principal is exclusively attached to thing other.'));

    const outcome = await restore(state);

    expect(outcome).toMatchObject({ status: 'FAILED', reattachedPolicies: ['P1', 'P2'], reattachedThings: ['thing-b'], reactivated: true });
    expect(outcome.notRestored).toEqual([{ kind: 'thing', name: 'thing-a', result: 'FAILED', error: expect.stringContaining('InvalidRequestException') }]);
    expect(outcome.error).toContain('thing thing-a');
    expect(iot).toHaveReceivedCommandTimes(AttachThingPrincipalCommand, 2);
  });

  it('a throttled call is retried within the invocation until it goes through', async () => {
    const { record } = await transferAwayFromHome();
    iot.on(AttachPolicyCommand, { policyName: 'P2' }).rejectsOnce(iotError('ThrottlingException')).rejectsOnce(iotError('ServiceUnavailableException')).resolves({});

    const outcome = await restoreCertificate(record, noWait);

    expect(outcome).toMatchObject({ status: 'RESTORED', reattachedPolicies: ['P1', 'P2'], reactivated: true });
    expect(outcome.notRestored).toBeUndefined();
  });

  it('transient failures left when the time is up: the other items are restored, the result is saved, and RestoreIncomplete asks the state machine to try again', async () => {
    const { state } = await transferAwayFromHome();
    iot.on(UpdateCertificateCommand).rejects(iotError('InternalFailureException'));
    let left = 10_000;
    const context = { getRemainingTimeInMillis: () => (left -= 500) };

    await expect(restore(state, context)).rejects.toMatchObject({ name: 'RestoreIncomplete', message: expect.stringContaining('status ACTIVE') });

    const saved = (await store.requireTransfer(state.transferId)).restore;
    expect(saved).toMatchObject({ status: 'FAILED', reattachedPolicies: ['P1', 'P2'], reattachedThings: ['thing-a', 'thing-b'], reactivated: false });
    expect(saved?.notRestored).toEqual([{ kind: 'status', name: 'ACTIVE', result: 'FAILED', error: expect.stringContaining('InternalFailureException'), transient: true }]);
  });

  it('no time left: what was not attempted is reported as such, never silently skipped', async () => {
    const { record } = await transferAwayFromHome();
    const outcome = await restoreCertificate(record, { ...noWait, remainingMs: () => 1_000 });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.notRestored?.map((i) => `${i.kind}:${i.name}`)).toEqual(['policy:P1', 'policy:P2', 'thing:thing-a', 'thing:thing-b', 'status:ACTIVE']);
    expect(outcome.notRestored?.every((i) => i.transient && i.error.includes('ran out of time'))).toBe(true);
    expect(iot).not.toHaveReceivedCommand(AttachPolicyCommand);
  });

  it('re-activation refused for good (CertificateStateException): FAILED, policies and things still back', async () => {
    const { record } = await transferAwayFromHome();
    iot.on(UpdateCertificateCommand).rejects(iotError('CertificateStateException'));
    const outcome = await restoreCertificate(record, noWait);
    expect(outcome).toMatchObject({
      status: 'FAILED',
      reattachedPolicies: ['P1', 'P2'],
      reattachedThings: ['thing-a', 'thing-b'],
      reactivated: false,
      notRestored: [{ kind: 'status', name: 'ACTIVE', result: 'FAILED' }],
    });
    expect(outcome.notRestored?.[0]).not.toHaveProperty('transient');
  });

  it('a certificate revoked meanwhile is not re-activated: reported GONE, the rest is back', async () => {
    const { record } = await transferAwayFromHome();
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: record.certificateArn, status: 'REVOKED' } });
    const outcome = await restoreCertificate(record, noWait);
    expect(outcome).toMatchObject({ status: 'PARTIAL', reactivated: false, notRestored: [{ kind: 'status', result: 'GONE', error: expect.stringContaining('revoked') }] });
    expect(iot).not.toHaveReceivedCommand(UpdateCertificateCommand);
  });

  it('reads the snapshot from the store, not from the state', async () => {
    const { state } = await transferAwayFromHome({ policies: ['From-The-Store'], things: [] });
    const outcome = await restore({ ...state, snapshot: { certificateArn: state.certificateArn, status: 'INACTIVE', policies: ['From-The-State'], things: [], takenAt: '' } });
    expect(outcome).toMatchObject({ status: 'RESTORED', reattachedPolicies: ['From-The-Store'], reactivated: true });
    expect(iot).toHaveReceivedCommandTimes(AttachPolicyCommand, 1);
  });

  it('classifies throttling, 5xx and conflicts as transient, the rest as final', () => {
    for (const name of ['ThrottlingException', 'ServiceUnavailableException', 'InternalFailureException', 'TransferConflictException']) expect(isTransient(iotError(name)), name).toBe(true);
    for (const name of ['ResourceNotFoundException', 'InvalidRequestException', 'CertificateStateException', 'UnauthorizedException']) expect(isTransient(iotError(name)), name).toBe(false);
    expect(isTransient(Object.assign(new Error('boom'), { name: 'Whatever', $metadata: { httpStatusCode: 503 } }))).toBe(true);
  });
});

describe('Record Outcome after a restore that could not finish', () => {
  async function failedRestore() {
    const { state } = await transferAwayFromHome();
    iot.on(UpdateCertificateCommand).rejects(iotError('CertificateStateException', 'refused'));
    const outcome = await restore(state);
    expect(outcome.status).toBe('FAILED');
    return { state, restore: { status: outcome.status } as RestoreOutcome };
  }

  it('ends RESTORE_FAILED, keeps the lock, counts RestoreFailed and publishes the Completed event with the per-item result', async () => {
    const { state, restore: summary } = await failedRestore();

    const out = await steps.recordOutcome({ ...state, outcome: { status: 'CANCELLED' }, restore: summary });

    expect(out).toMatchObject({ outcome: 'CANCELLED', status: 'RESTORE_FAILED', cause: expect.stringContaining(`POST /transfers/${state.transferId}/restore`) });
    const record = await store.requireTransfer(state.transferId);
    expect(record).toMatchObject({ status: 'RESTORE_FAILED', transferOutcome: 'CANCELLED', restore: { status: 'FAILED', notRestored: [{ kind: 'status', name: 'ACTIVE' }] } });
    expect(record.history.at(-1)?.message).toContain('keeps its lock');
    // No new transfer snapshots the damage.
    await expect(store.createTransfer({ ...state, transferId: crypto.randomUUID(), executionArn: 'x' })).rejects.toMatchObject({
      name: 'TransferInProgress',
      message: expect.stringContaining('RESTORE_FAILED'),
    });
    const entries = eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.length).toBeGreaterThanOrEqual(1);
    for (const e of entries) expect(entryErrors(e)).toEqual([]);
    expect(JSON.parse(entries[0].Detail!)).toMatchObject({
      outcome: 'CANCELLED',
      restore: { status: 'FAILED', reattachedPolicies: ['P1', 'P2'], notRestored: [{ kind: 'status', result: 'FAILED' }] },
    });
    const [emf] = emfLines('RestoreFailed');
    expect(emf).toMatchObject({
      RestoreFailed: 1,
      service: 'certificate-transfer',
      transferId: state.transferId,
      _aws: { CloudWatchMetrics: [{ Namespace: 'CertificateTransfer', Dimensions: [['service']], Metrics: [{ Name: 'RestoreFailed', Unit: 'Count' }] }] },
    });
  });

  it('a Restore that threw (retries spent): the per-item result saved by the last attempt is kept, status FAILED with the error', async () => {
    const { state } = await transferAwayFromHome();
    iot.on(UpdateCertificateCommand).rejects(iotError('ThrottlingException'));
    await expect(restore(state, { getRemainingTimeInMillis: () => 2_500 })).rejects.toMatchObject({ name: 'RestoreIncomplete' });

    const out = await steps.recordOutcome({ ...state, outcome: { status: 'REJECTED' }, restoreError: { Error: 'RestoreIncomplete', Cause: JSON.stringify({ errorMessage: 'still throttled' }) } });

    expect(out.status).toBe('RESTORE_FAILED');
    const record = await store.requireTransfer(state.transferId);
    expect(record.restore).toMatchObject({ status: 'FAILED', error: 'RestoreIncomplete: still throttled', reattachedPolicies: ['P1', 'P2'], notRestored: [{ kind: 'status', transient: true }] });
  });

  it('run again after a crash: still RESTORE_FAILED, counted once', async () => {
    const { state, restore: summary } = await failedRestore();
    await steps.recordOutcome({ ...state, outcome: { status: 'EXPIRED' }, restore: summary });
    const again = await steps.recordOutcome({ ...state, outcome: { status: 'EXPIRED' }, restore: summary });
    expect(again.status).toBe('RESTORE_FAILED');
    expect(emfLines('RestoreFailed')).toHaveLength(1);
  });

  it('a restore with deleted items only is not a failure: the transfer ends with its outcome and releases the lock', async () => {
    const { state } = await transferAwayFromHome();
    iot.on(AttachPolicyCommand, { policyName: 'P2' }).rejects(iotError('ResourceNotFoundException'));
    const outcome = await restore(state);
    const out = await steps.recordOutcome({ ...state, outcome: { status: 'CANCELLED' }, restore: { status: outcome.status } });
    expect(out).toMatchObject({ status: 'CANCELLED', cause: 'An operator cancelled the transfer; the certificate was restored and re-activated except what no longer exists: policy P2' });
    await expect(store.createTransfer({ ...state, transferId: crypto.randomUUID(), executionArn: 'x' })).resolves.toHaveProperty('status', 'REQUESTED');
    expect(emfLines('RestoreFailed')).toHaveLength(0);
  });
});

describe('Repair (POST /transfers/{id}/restore)', () => {
  async function restoreFailed() {
    const { state } = await transferAwayFromHome();
    iot.on(UpdateCertificateCommand).rejects(iotError('CertificateStateException'));
    const outcome = await restore(state);
    await steps.recordOutcome({ ...state, outcome: { status: 'CANCELLED' }, restore: { status: outcome.status } });
    eb.resetHistory();
    stdout.length = 0;
    return state;
  }

  it('once IoT lets it, makes the certificate whole, ends with the original outcome, releases the lock and publishes Completed with repairedAt', async () => {
    const state = await restoreFailed();
    iot.on(UpdateCertificateCommand).resolves({});

    const result = await repairTransfer(state.transferId, noWait);

    expect(result.repaired).toBe(true);
    expect(result.transfer).toMatchObject({ status: 'CANCELLED', transferOutcome: 'CANCELLED', repairedAt: expect.any(String), restore: { status: 'RESTORED', reactivated: true } });
    expect(result.transfer.history.at(-1)).toMatchObject({ status: 'CANCELLED', message: expect.stringContaining('Repaired') });
    await expect(store.createTransfer({ ...state, transferId: crypto.randomUUID(), executionArn: 'x' })).resolves.toHaveProperty('status', 'REQUESTED');
    const [completed] = eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entryErrors(completed)).toEqual([]);
    expect(JSON.parse(completed.Detail!)).toMatchObject({ outcome: 'CANCELLED', repairedAt: result.transfer.repairedAt, restore: { status: 'RESTORED' } });
    expect(emfLines('RestoreRepaired')).toHaveLength(1);
  });

  it('while IoT still refuses: stays RESTORE_FAILED with the new result, the lock held', async () => {
    const state = await restoreFailed();
    const result = await repairTransfer(state.transferId, noWait);
    expect(result).toMatchObject({ repaired: false, restore: { status: 'FAILED' }, transfer: { status: 'RESTORE_FAILED' } });
    expect((await store.requireTransfer(state.transferId)).status).toBe('RESTORE_FAILED');
    await expect(store.createTransfer({ ...state, transferId: crypto.randomUUID(), executionArn: 'x' })).rejects.toMatchObject({ name: 'TransferInProgress' });
  });

  it('a transfer that is not RESTORE_FAILED is a conflict naming its status', async () => {
    const { state } = await transferAwayFromHome();
    await expect(repairTransfer(state.transferId, noWait)).rejects.toMatchObject({ name: 'TransferStateConflict', currentStatus: 'AWAITING_DECISION' });
    expect(iot).not.toHaveReceivedCommand(AttachPolicyCommand);
  });
});

describe('failCause', () => {
  it.each([
    ['REJECTED', { status: 'RESTORED', reactivated: true }, 'The target account rejected the certificate; the certificate was restored in the source account and re-activated'],
    ['EXPIRED', { status: 'SKIPPED' }, 'The target account did not decide in time and the offer was withdrawn; restoreOnFailure was false: the certificate was left INACTIVE and detached'],
    ['FAILED', { status: 'NOT_NEEDED' }, 'The transfer failed; the certificate had not been changed'],
    [
      'CANCELLED',
      { status: 'FAILED', error: 'boom' },
      'An operator cancelled the transfer; the certificate could NOT be fully restored (boom); the transfer is RESTORE_FAILED and keeps its lock: repair with POST /transfers/t-1/restore',
    ],
  ] as const)('%s, restore %o', (outcome, restoreOutcome, cause) => {
    expect(failCause('t-1', outcome, restoreOutcome as RestoreOutcome)).toBe(cause);
  });
});

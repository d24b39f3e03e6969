import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CancelCertificateTransferCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsV2Command,
  TransferCertificateCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { setSourceEnv, SOURCE, SOURCE_BUS, TARGET, TARGET_BUS } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { iotError } from '../../support/iot-errors.js';
import { certArn, certId } from '../../support/certs.js';
import { entryErrors } from '../../support/events.js';
import type { Snapshot, WorkflowState } from '../../../src/types.js';

setSourceEnv();
const iot = mockClient(IoTClient);
const eb = mockClient(EventBridgeClient);

const steps = { ...(await import('../../../src/transfer/steps.js')), ...(await import('../../../src/transfer/restore.js')) };
const store = await import('../../../src/store.js');

useTransferTable();
beforeEach(() => {
  iot.reset();
  eb.reset();
  eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: crypto.randomUUID() })) }));
});

async function newTransfer(overrides: Partial<WorkflowState> = {}): Promise<WorkflowState> {
  const certificateId = certId();
  const state: WorkflowState = {
    transferId: crypto.randomUUID(),
    certificateId,
    certificateArn: certArn(certificateId),
    certificateStatus: 'ACTIVE',
    sourceAccount: SOURCE,
    targetAccount: TARGET,
    transferMessage: 'hello',
    timeoutSeconds: 3600,
    restoreOnFailure: true,
    ...overrides,
  };
  await store.createTransfer({ ...state, executionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:sm:${state.transferId}` });
  return state;
}

function snapshotOf(state: WorkflowState, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    certificateArn: state.certificateArn,
    status: 'ACTIVE',
    policies: ['P1', 'P2'],
    things: [{ thingName: 'thing-a', thingPrincipalType: 'EXCLUSIVE_THING' }],
    takenAt: new Date().toISOString(),
    ...extra,
  };
}

describe('Preflight Certificate', () => {
  it('snapshots every page of policies and things, keeping each thing principal type', async () => {
    const state = await newTransfer();
    iot
      .on(ListAttachedPoliciesCommand)
      .resolvesOnce({ policies: [{ policyName: 'P1' }], nextMarker: 'm1' })
      .resolvesOnce({ policies: [{ policyName: 'P2' }] });
    iot
      .on(ListPrincipalThingsV2Command)
      .resolvesOnce({ principalThingObjects: [{ thingName: 'a', thingPrincipalType: 'EXCLUSIVE_THING' }], nextToken: 't1' })
      .resolvesOnce({ principalThingObjects: [{ thingName: 'b', thingPrincipalType: 'NON_EXCLUSIVE_THING' }] });

    const result = await steps.preflight(state);

    // The state gets counts only; the lists are in the record.
    expect(result).toEqual({ status: 'ACTIVE', policies: 2, things: 2 });
    expect((await store.requireTransfer(state.transferId)).snapshot).toMatchObject({
      status: 'ACTIVE',
      policies: ['P1', 'P2'],
      things: [
        { thingName: 'a', thingPrincipalType: 'EXCLUSIVE_THING' },
        { thingName: 'b', thingPrincipalType: 'NON_EXCLUSIVE_THING' },
      ],
    });
    expect(iot).toHaveReceivedCommandTimes(ListAttachedPoliciesCommand, 2);
    expect(iot).toHaveReceivedNthCommandWith(ListAttachedPoliciesCommand, 2, { target: state.certificateArn, marker: 'm1' });
    expect(iot).not.toHaveReceivedCommand(DescribeCertificateCommand);
    const record = await store.requireTransfer(state.transferId);
    expect(record.status).toBe('PREPARING');
    expect(record.snapshot?.policies).toEqual(['P1', 'P2']);
  });

  it('run again, returns the first snapshot instead of what it sees now', async () => {
    const state = await newTransfer();
    iot.on(ListAttachedPoliciesCommand).resolves({ policies: [{ policyName: 'P1' }] });
    iot.on(ListPrincipalThingsV2Command).resolves({ principalThingObjects: [] });
    await steps.preflight(state);
    iot.on(ListAttachedPoliciesCommand).resolves({ policies: [] }); // as after Detach Policies

    const again = await steps.preflight(state);

    expect(again.policies).toBe(1);
    expect((await store.requireTransfer(state.transferId)).snapshot?.policies).toEqual(['P1']);
  });

  it('describes the certificate itself when the input does not carry its status', async () => {
    const state = await newTransfer();
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'INACTIVE' } });
    iot.on(ListAttachedPoliciesCommand).resolves({ policies: [] });
    iot.on(ListPrincipalThingsV2Command).resolves({ principalThingObjects: [] });

    const result = await steps.preflight({ ...state, certificateStatus: undefined as never });

    expect(result.status).toBe('INACTIVE');
  });

  it('refuses, before changing anything, a certificate whose snapshot a transfer record cannot keep', async () => {
    const state = await newTransfer();
    iot.on(ListAttachedPoliciesCommand).resolves({ policies: [{ policyName: 'P1' }] });
    const things = Array.from({ length: 1_300 }, (_, i) => ({ thingName: `${'t'.repeat(120)}-${String(i).padStart(5, '0')}`, thingPrincipalType: 'NON_EXCLUSIVE_THING' as const }));
    iot.on(ListPrincipalThingsV2Command).resolves({ principalThingObjects: things });

    await expect(steps.preflight(state)).rejects.toMatchObject({ name: 'CertificateNotTransferable', message: expect.stringContaining('1300 things') });
    const record = await store.requireTransfer(state.transferId);
    expect(record.snapshot).toBeUndefined();
    expect(record.status).toBe('REQUESTED');
  });

  it('keeps 1,000 things with 128-character names (and 10 policies) in the record', async () => {
    const state = await newTransfer();
    iot.on(ListAttachedPoliciesCommand).resolves({ policies: Array.from({ length: 10 }, (_, i) => ({ policyName: `${'p'.repeat(120)}-${i}` })) });
    const things = Array.from({ length: 1_000 }, (_, i) => ({ thingName: `${'t'.repeat(122)}-${String(i).padStart(5, '0')}`, thingPrincipalType: 'NON_EXCLUSIVE_THING' as const }));
    iot.on(ListPrincipalThingsV2Command).resolves({ principalThingObjects: things });

    await expect(steps.preflight(state)).resolves.toEqual({ status: 'ACTIVE', policies: 10, things: 1_000 });
    expect((await store.requireTransfer(state.transferId)).snapshot?.things).toHaveLength(1_000);
  });

  it('refuses a revoked certificate with a typed error', async () => {
    const state = await newTransfer({ certificateStatus: 'REVOKED' });
    await expect(steps.preflight(state)).rejects.toMatchObject({ name: 'CertificateNotTransferable' });
    expect(iot).not.toHaveReceivedCommand(ListAttachedPoliciesCommand);
  });
});

describe('Deactivate Certificate', () => {
  it('deactivates an ACTIVE certificate', async () => {
    const state = await newTransfer();
    iot.on(UpdateCertificateCommand).resolves({});
    await expect(steps.deactivate({ ...state, preflight: { status: 'ACTIVE', policies: 2, things: 1 } })).resolves.toEqual({ deactivated: true });
    expect(iot).toHaveReceivedCommandWith(UpdateCertificateCommand, { certificateId: state.certificateId, newStatus: 'INACTIVE' });
  });

  it('leaves an INACTIVE certificate alone (no call)', async () => {
    const state = await newTransfer();
    await expect(steps.deactivate({ ...state, preflight: { status: 'INACTIVE', policies: 2, things: 1 } })).resolves.toEqual({ deactivated: false });
    expect(iot).not.toHaveReceivedCommand(UpdateCertificateCommand);
  });

  it('lets ThrottlingException through by name, for the state machine to retry', async () => {
    const state = await newTransfer();
    iot.on(UpdateCertificateCommand).rejects(iotError('ThrottlingException'));
    await expect(steps.deactivate({ ...state, preflight: { status: 'ACTIVE', policies: 2, things: 1 } })).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('Detach Policies and Detach Things', () => {
  it('detaches every policy; one already detached counts as done', async () => {
    const state = await newTransfer();
    iot.on(DetachPolicyCommand, { policyName: 'P1' }).resolves({});
    iot.on(DetachPolicyCommand, { policyName: 'P2' }).rejects(iotError('ResourceNotFoundException'));
    await store.saveSnapshot(state.transferId, snapshotOf(state));
    await expect(steps.detachPolicies(state)).resolves.toEqual({ done: true, next: 2 });
    expect(iot).toHaveReceivedCommandTimes(DetachPolicyCommand, 2);
  });

  it('detaches every thing; one already detached counts as done', async () => {
    const state = await newTransfer();
    const snapshot = snapshotOf(state, {
      things: [
        { thingName: 'a', thingPrincipalType: 'EXCLUSIVE_THING' },
        { thingName: 'b', thingPrincipalType: 'NON_EXCLUSIVE_THING' },
      ],
    });
    iot.on(DetachThingPrincipalCommand, { thingName: 'a' }).rejects(iotError('ResourceNotFoundException'));
    iot.on(DetachThingPrincipalCommand, { thingName: 'b' }).resolves({});
    await store.saveSnapshot(state.transferId, snapshot);
    await expect(steps.detachThings(state)).resolves.toEqual({ done: true, next: 2 });
    expect(iot).toHaveReceivedCommandWith(DetachThingPrincipalCommand, { thingName: 'b', principal: state.certificateArn });
  });

  it('stops before the invocation runs out of time, saves how far it got, and the next run resumes there', async () => {
    const state = await newTransfer();
    const things = Array.from({ length: 100 }, (_, i) => ({ thingName: `thing-${i}`, thingPrincipalType: 'NON_EXCLUSIVE_THING' as const }));
    await store.saveSnapshot(state.transferId, snapshotOf(state, { things }));
    // 1 s per wave of ten; 6.5 s of Lambda time for the first run, of which a quarter is kept back.
    let clock = 0;
    const context = { getRemainingTimeInMillis: () => 3_000 + 3_500 - clock };
    iot.on(DetachThingPrincipalCommand).callsFake(async () => {
      clock += 100; // ten calls at once: a wave costs 1 s of the clock
      return {};
    });

    const first = await steps.detachThings(state, context);

    expect(first.done).toBe(false);
    expect(first.next).toBeGreaterThan(0);
    expect(first.next % 10).toBe(0); // whole waves only
    expect((await store.requireTransfer(state.transferId)).detachedThings).toBe(first.next);
    const calledFirst = iot.commandCalls(DetachThingPrincipalCommand).length;
    expect(calledFirst).toBe(first.next);

    const second = await steps.detachThings(state, { getRemainingTimeInMillis: () => 60_000 });

    expect(second).toEqual({ done: true, next: 100 });
    const names = iot.commandCalls(DetachThingPrincipalCommand).map((c) => c.args[0].input.thingName);
    // Every thing detached exactly once: the second run started where the first one stopped.
    expect(names.sort()).toEqual(things.map((t) => t.thingName).sort());
  });

  it('a throttle after some progress hands back the progress; with none, it is rethrown for the retrier', async () => {
    const state = await newTransfer();
    const things = Array.from({ length: 25 }, (_, i) => ({ thingName: `thing-${i}`, thingPrincipalType: 'NON_EXCLUSIVE_THING' as const }));
    await store.saveSnapshot(state.transferId, snapshotOf(state, { things }));
    let n = 0;
    iot.on(DetachThingPrincipalCommand).callsFake(async () => {
      if (++n > 10) throw iotError('ThrottlingException');
      return {};
    });
    await expect(steps.detachThings(state)).resolves.toEqual({ done: false, next: 10 });
    await expect(steps.detachThings(state)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect((await store.requireTransfer(state.transferId)).detachedThings).toBe(10);
  });

  it('fails on anything else, keeping the IoT error name', async () => {
    const state = await newTransfer();
    iot.on(DetachPolicyCommand).rejects(iotError('ServiceUnavailableException'));
    await store.saveSnapshot(state.transferId, snapshotOf(state));
    await expect(steps.detachPolicies(state)).rejects.toMatchObject({ name: 'ServiceUnavailableException' });
  });
});

describe('Transfer Certificate', () => {
  it('transfers to the target with the message and records when', async () => {
    const state = await newTransfer();
    iot.on(TransferCertificateCommand).resolves({ transferredCertificateArn: state.certificateArn });
    const out = await steps.transfer(state);
    expect(iot).toHaveReceivedCommandWith(TransferCertificateCommand, { certificateId: state.certificateId, targetAwsAccount: TARGET, transferMessage: 'hello' });
    expect((await store.requireTransfer(state.transferId)).transferredAt).toBe(out.transferredAt);
  });

  it('lets TransferConflictException through by name (detachments still propagating)', async () => {
    const state = await newTransfer();
    iot.on(TransferCertificateCommand).rejects(iotError('TransferConflictException'));
    await expect(steps.transfer(state)).rejects.toMatchObject({ name: 'TransferConflictException' });
  });

  it('run again after it succeeded, finds the certificate PENDING_TRANSFER and succeeds', async () => {
    const state = await newTransfer();
    iot.on(TransferCertificateCommand).rejects(iotError('CertificateStateException'));
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'PENDING_TRANSFER' } });
    await expect(steps.transfer(state)).resolves.toHaveProperty('transferredAt');
  });

  it('a CertificateStateException on a certificate that is not pending is a typed error with the cause', async () => {
    const state = await newTransfer();
    const cause = iotError('CertificateStateException');
    iot.on(TransferCertificateCommand).rejects(cause);
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'ACTIVE' } });
    const err = (await steps.transfer(state).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ name: 'CertificateStateError' });
    expect(err.cause).toBe(cause);
  });
});

describe('Notify Target And Wait', () => {
  it('stores the task token and offers the certificate on the target bus, without the token', async () => {
    const state = await newTransfer();
    await store.transition(state.transferId, { to: 'PREPARING', from: ['REQUESTED'], message: 'test' });
    const taskToken = 'token-'.padEnd(600, 'x');

    await steps.notifyTarget({ ...state, snapshot: snapshotOf(state), taskToken });

    const record = await store.requireTransfer(state.transferId);
    expect(record.status).toBe('AWAITING_DECISION');
    expect(record.taskToken).toBe(taskToken);
    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
    expect(entry.EventBusName).toBe(`arn:aws:events:us-east-1:${TARGET}:event-bus/${TARGET_BUS}`);
    expect(entry.DetailType).toBe('Certificate Transfer Offered');
    expect(entry.Detail).not.toContain(taskToken);
    expect(entryErrors(entry)).toEqual([]);
  });

  it('fails with OfferDeliveryFailed when EventBridge refuses the entry', async () => {
    const state = await newTransfer();
    await store.transition(state.transferId, { to: 'PREPARING', from: ['REQUESTED'], message: 'test' });
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'not allowed' }] });
    await expect(steps.notifyTarget({ ...state, snapshot: snapshotOf(state), taskToken: 't' })).rejects.toMatchObject({ name: 'OfferDeliveryFailed' });
  });
});

describe('Cancel Pending Transfer', () => {
  it('cancels a pending transfer', async () => {
    const state = await newTransfer();
    iot.on(CancelCertificateTransferCommand).resolves({});
    await expect(steps.cancelPendingTransfer(state)).resolves.toEqual({ cancelled: true, alreadyAccepted: false });
  });

  it('TransferAlreadyCompletedException and a certificate gone from the source: accepted meanwhile', async () => {
    const state = await newTransfer();
    iot.on(CancelCertificateTransferCommand).rejects(iotError('TransferAlreadyCompletedException'));
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
    await expect(steps.cancelPendingTransfer(state)).resolves.toEqual({ cancelled: false, alreadyAccepted: true });
  });

  it('TransferAlreadyCompletedException with the certificate back and a reject date: rejected meanwhile', async () => {
    const state = await newTransfer();
    iot.on(CancelCertificateTransferCommand).rejects(iotError('TransferAlreadyCompletedException'));
    iot
      .on(DescribeCertificateCommand)
      .resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'INACTIVE', transferData: { rejectDate: new Date(), rejectReason: 'not ours' } } });
    const cancel = await steps.cancelPendingTransfer(state);
    expect(cancel).toEqual({ cancelled: false, alreadyAccepted: false, alreadyRejected: true, rejectReason: 'not ours' });
    expect(steps.outcomeOf({ ...state, outcome: { status: 'EXPIRED' }, cancel })).toEqual({ status: 'REJECTED', reason: 'not ours' });
  });

  it('TransferAlreadyCompletedException with the certificate back and no reject date: not pending, nothing decided', async () => {
    const state = await newTransfer();
    iot.on(CancelCertificateTransferCommand).rejects(iotError('TransferAlreadyCompletedException'));
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'INACTIVE' } });
    await expect(steps.cancelPendingTransfer(state)).resolves.toEqual({ cancelled: false, alreadyAccepted: false });
  });

  it('throttling is not mistaken for completion', async () => {
    const state = await newTransfer();
    iot.on(CancelCertificateTransferCommand).rejects(iotError('ThrottlingException'));
    await expect(steps.cancelPendingTransfer(state)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('Restore Certificate', () => {
  async function preparedTransfer(snapshot?: Partial<Snapshot>, overrides: Partial<WorkflowState> = {}) {
    const state = await newTransfer(overrides);
    await store.saveSnapshot(state.transferId, snapshotOf(state, snapshot));
    return { ...state, snapshot: snapshotOf(state, snapshot) };
  }

  it('withdraws a pending transfer, re-attaches policies and things with their type, then re-activates', async () => {
    const state = await preparedTransfer();
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'PENDING_TRANSFER' } });
    iot.on(CancelCertificateTransferCommand).resolves({});

    const outcome = await steps.restore(state);

    expect(outcome).toMatchObject({ status: 'RESTORED', cancelledPendingTransfer: true, reattachedPolicies: ['P1', 'P2'], reattachedThings: ['thing-a'], reactivated: true });
    expect(iot).toHaveReceivedCommandWith(AttachThingPrincipalCommand, { thingName: 'thing-a', principal: state.certificateArn, thingPrincipalType: 'EXCLUSIVE_THING' });
    expect(iot).toHaveReceivedCommandTimes(AttachPolicyCommand, 2);
    const calls = iot.calls().map((c) => c.args[0].constructor.name);
    expect(calls.indexOf('UpdateCertificateCommand')).toBe(calls.length - 1); // activation comes last
  });

  it('does not re-activate a certificate that was INACTIVE', async () => {
    const state = await preparedTransfer({ status: 'INACTIVE' });
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'INACTIVE' } });
    await expect(steps.restore(state)).resolves.toMatchObject({ status: 'RESTORED', reactivated: false });
    expect(iot).not.toHaveReceivedCommand(UpdateCertificateCommand);
  });

  it('nothing to restore when Preflight never took a snapshot', async () => {
    const state = await newTransfer();
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'ACTIVE' } });
    await expect(steps.restore(state)).resolves.toMatchObject({ status: 'NOT_NEEDED' });
    expect(iot).not.toHaveReceivedCommand(AttachPolicyCommand);
  });

  it('restoreOnFailure false: withdraws the transfer but re-attaches nothing', async () => {
    const state = await preparedTransfer({}, { restoreOnFailure: false });
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'PENDING_TRANSFER' } });
    iot.on(CancelCertificateTransferCommand).resolves({});
    await expect(steps.restore(state)).resolves.toMatchObject({ status: 'SKIPPED', cancelledPendingTransfer: true });
    expect(iot).not.toHaveReceivedCommand(AttachPolicyCommand);
  });

  it('a certificate transferred and gone from the source was accepted', async () => {
    const state = await preparedTransfer();
    await store.annotate(state.transferId, { transferredAt: new Date().toISOString() });
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
    await expect(steps.restore(state)).resolves.toMatchObject({ status: 'ALREADY_ACCEPTED' });
  });

  it('run twice, succeeds twice (attach calls are idempotent)', async () => {
    const state = await preparedTransfer();
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: state.certificateArn, status: 'INACTIVE' } });
    await steps.restore(state);
    await expect(steps.restore(state)).resolves.toMatchObject({ status: 'RESTORED' });
    expect(iot).toHaveReceivedCommandTimes(AttachPolicyCommand, 4);
  });
});

describe('Record Outcome', () => {
  it('settles the record, releases the certificate and publishes a valid Completed event', async () => {
    const state = await newTransfer();
    await store.transition(state.transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'test', set: { taskToken: 'secret-token', offeredAt: new Date().toISOString() } });

    const out = await steps.recordOutcome({
      ...state,
      outcome: { status: 'REJECTED' },
      decision: { decision: 'REJECTED', via: 'event', decidedAt: new Date().toISOString(), reason: 'no thanks' },
      restore: { status: 'RESTORED' },
    });

    expect(out).toMatchObject({ outcome: 'REJECTED', reason: 'no thanks', targetNotified: true });
    const record = await store.requireTransfer(state.transferId);
    expect(record).toMatchObject({ status: 'REJECTED', restore: { status: 'RESTORED' } });
    expect(record.taskToken).toBeUndefined();
    const entries = eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => e.EventBusName)).toEqual([SOURCE_BUS, `arn:aws:events:us-east-1:${TARGET}:event-bus/${TARGET_BUS}`]);
    for (const e of entries) expect(entryErrors(e)).toEqual([]);
    // The certificate is free for a new transfer.
    await expect(store.createTransfer({ ...state, transferId: crypto.randomUUID(), executionArn: 'x' })).resolves.toHaveProperty('status', 'REQUESTED');
  });

  it('run again after a crash, succeeds without changing the outcome', async () => {
    const state = await newTransfer();
    await steps.recordOutcome({ ...state, outcome: { status: 'FAILED' }, error: { Error: 'CertificateNotTransferable', Cause: JSON.stringify({ errorMessage: 'revoked' }) } });
    const again = await steps.recordOutcome({ ...state, outcome: { status: 'FAILED' } });
    expect(again.outcome).toBe('FAILED');
    expect((await store.requireTransfer(state.transferId)).reason).toBe('CertificateNotTransferable: revoked');
  });
});

describe('outcomeOf', () => {
  const base = {
    transferId: 't',
    certificateId: 'c',
    certificateArn: 'a',
    certificateStatus: 'ACTIVE',
    sourceAccount: SOURCE,
    targetAccount: TARGET,
    timeoutSeconds: 60,
    restoreOnFailure: true,
  } as WorkflowState;
  it.each([
    ['an accept decision', { decision: { decision: 'ACCEPTED', via: 'event', decidedAt: '' } }, 'ACCEPTED'],
    ['a cancel that found the transfer accepted', { outcome: { status: 'CANCELLED' }, cancel: { alreadyAccepted: true, cancelled: false } }, 'ACCEPTED'],
    ['a restore that found the certificate accepted', { outcome: { status: 'FAILED' }, restore: { status: 'ALREADY_ACCEPTED' } }, 'ACCEPTED'],
    ['an expiry', { outcome: { status: 'EXPIRED' } }, 'EXPIRED'],
    ['a cancel', { outcome: { status: 'CANCELLED' } }, 'CANCELLED'],
    ['a reject', { outcome: { status: 'REJECTED' } }, 'REJECTED'],
    ['nothing known', {}, 'FAILED'],
  ])('%s → %s', (_name, extra, expected) => {
    expect(steps.outcomeOf({ ...base, ...(extra as Partial<WorkflowState>) }).status).toBe(expected);
  });
});

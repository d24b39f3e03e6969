/*
 * The workflow against IoT as `npm start` runs it: AWS default quotas (ThrottlingException beyond) and
 * detaches that take 1–3 s to reach TransferCertificate, with the state machine's real retry intervals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand, IoTClient, ListAttachedPoliciesCommand, ListPrincipalThingsV2Command, RejectCertificateTransferCommand } from '@aws-sdk/client-iot';
import { AWS_DEFAULT_IOT_QUOTAS, type IotCallEvent } from '../../local/iot/model.js';
import { AWS_DETACH_PROPAGATION_MS } from '../../local/iot/propagation.js';
import { makeDeviceCertificate, startTestCloud, until, type DeviceCertificate, type TestCloud, batchEnded } from '../support/cloud.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';
const STRANGER = '444444444444';
const FINAL = ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED', 'RESTORE_FAILED'];

let t: TestCloud;
const calls: IotCallEvent[] = [];
beforeAll(async () => {
  t = await startTestCloud({
    iot: { keyAlgorithm: 'ec', quotas: AWS_DEFAULT_IOT_QUOTAS, detachPropagationMs: AWS_DETACH_PROPAGATION_MS, seed: 1, onCall: (e) => calls.push(e) },
    // The ASL's own backoff (1 s, ×1.5, full jitter) must outlast the propagation delay: no shortcut.
    retryIntervalMs: undefined,
  });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const transferConflicts = () => calls.filter((c) => c.account === SOURCE && c.operation === 'TransferCertificate' && c.errorCode === 'TransferConflictException').length;

async function finalTransfer(transferId: string, timeoutMs = 90_000): Promise<Record<string, unknown>> {
  return until(
    `transfer ${transferId} to end`,
    async () => {
      const r = await t.api().getTransfer(transferId);
      return FINAL.includes(String(r.status)) ? r : undefined;
    },
    timeoutMs,
    200,
  );
}

async function awaitingDecision(transferId: string): Promise<void> {
  await until(`transfer ${transferId} to await a decision`, async () => (await t.api().getTransfer(transferId)).status === 'AWAITING_DECISION', 60_000, 200);
}

async function expectInTarget(cert: DeviceCertificate): Promise<void> {
  const d = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
  expect(d.certificateDescription, cert.certificateId).toMatchObject({ status: 'ACTIVE', ownedBy: AUTO, previousOwnedBy: SOURCE });
}

async function expectRestored(cert: DeviceCertificate): Promise<void> {
  const iot = t.iot(SOURCE);
  const d = await iot.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
  expect(d.certificateDescription, cert.certificateId).toMatchObject({ status: 'ACTIVE', ownedBy: SOURCE });
  const policies = await iot.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }));
  expect(policies.policies?.map((p) => p.policyName).sort()).toEqual([...cert.policies].sort());
  const things = await iot.send(new ListPrincipalThingsV2Command({ principal: cert.certificateArn }));
  expect(things.principalThingObjects?.map((p) => p.thingName).sort()).toEqual([...cert.things].sort());
}

describe('transfers against IoT with default quotas and asynchronous detaches', () => {
  it('the quotas are in force: a burst of DescribeCertificate beyond 10 per second is throttled', async () => {
    // Another account's quota, so the service's own is left alone: it sees no such certificate, or is throttled.
    const eager = new IoTClient({ endpoint: t.cloud.awsUrl, region: t.cloud.region, credentials: { accessKeyId: STRANGER, secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const certificateId = 'ab'.repeat(32);
      // 50 at once: the bucket (10, refilled at 10/s) runs dry unless they take over 4 s to arrive, even on a busy machine.
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, () =>
          eager.send(new DescribeCertificateCommand({ certificateId })).then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 'ThrottlingException').length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o !== 'ThrottlingException').every((o) => o === 'ResourceNotFoundException')).toBe(true);
    } finally {
      eager.destroy();
    }
  });

  it('accepted: the certificate ends ACTIVE in the target account', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 2 });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: AUTO, transferMessage: 'realistic accept' });

    const done = await finalTransfer(String(started.transferId));

    expect(done.status).toBe('ACCEPTED');
    await expectInTarget(cert);
  }, 120_000);

  it('rejected by hand: the certificate is restored ACTIVE with its policies and things', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 2, exclusive: false });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
    const id = String(started.transferId);
    await awaitingDecision(id);
    await t.iot(HUMAN).send(new RejectCertificateTransferCommand({ certificateId: cert.certificateId, rejectReason: 'realistic reject' }));

    const done = await finalTransfer(id);

    expect(done).toMatchObject({ status: 'REJECTED', restore: { status: 'RESTORED' } });
    await expectRestored(cert);
  }, 120_000);

  it('cancelled: DELETE while awaiting a decision withdraws the offer and restores the certificate', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 1, exclusive: true });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
    const id = String(started.transferId);
    await awaitingDecision(id);

    await t.api().cancelTransfer(id, 'realistic cancel');
    const done = await finalTransfer(id);

    expect(done).toMatchObject({ status: 'CANCELLED', restore: { status: 'RESTORED' } });
    await expectRestored(cert);
  }, 120_000);

  it('a batch of 12: every certificate lands ACTIVE in the target account, though TransferCertificate met lingering detaches', async () => {
    const iot = t.iot(SOURCE);
    const certs: DeviceCertificate[] = [];
    for (let i = 0; i < 12; i++) certs.push(await makeDeviceCertificate(iot, { policies: 1, things: 1 }));
    const conflictsBefore = transferConflicts();

    const started = await t.api().request('POST', '/transfer-batches', { certificateIds: certs.map((c) => c.certificateId), targetAccount: AUTO, transferMessage: 'realistic batch' });
    expect(started.status).toBe(202);
    const batchId = String(started.body.batchId);
    const batch = await batchEnded(t, batchId, 170_000, 500);

    expect(batch).toMatchObject({ status: 'COMPLETED', total: 12, done: 12, accepted: 12 });
    for (const c of certs) await expectInTarget(c);
    // A single transfer may reach TransferCertificate after its detach propagated (a slow machine);
    // among twelve, some meet it, and the ASL's retrier carries them through.
    expect(transferConflicts()).toBeGreaterThan(conflictsBefore);
  }, 240_000);
});

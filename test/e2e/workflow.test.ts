import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand, RejectCertificateTransferCommand } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { makeDeviceCertificate, type DeviceCertificate, SHORT_EXPIRY_PARAMS, SHORT_TIMEOUT_SECONDS, startTestCloud, until, type TestCloud } from '../support/cloud.js';
import { expectCertificateAsMade } from '../support/expect-certificate.js';
import { eventErrors } from '../support/events.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';

let t: TestCloud;
beforeAll(async () => {
  // The expiry cases wait SHORT_TIMEOUT_SECONDS, below the stack's floor of 60: lowered on purpose.
  t = await startTestCloud({ sourceParams: SHORT_EXPIRY_PARAMS });
  // Start-up takes over a minute on a busy two-core machine, as for the other e2e files.
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

async function finalTransfer(transferId: string, timeoutMs = 30_000) {
  const api = t.api();
  return until(
    `transfer ${transferId} to end`,
    async () => {
      const r = await api.getTransfer(transferId);
      return ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'].includes(String(r.status)) ? r : undefined;
    },
    timeoutMs,
  );
}

async function finalExecution(executionArn: string) {
  return until(`execution ${executionArn} to end`, async () => {
    const e = await t.sfn().send(new DescribeExecutionCommand({ executionArn }));
    return e.status === 'RUNNING' ? undefined : e;
  });
}

async function expectRestored(cert: DeviceCertificate) {
  await expectCertificateAsMade(t.iot(SOURCE), cert);
}

describe('certificate transfer, end to end on the local cloud', () => {
  it('accept: a transfer to the auto-accept account ends ACCEPTED with the certificate ACTIVE there', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 2 });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: AUTO, transferMessage: 'welcome' });
    expect(started).toMatchObject({ status: 'REQUESTED', executionArn: expect.stringContaining(':execution:') });

    const done = await finalTransfer(String(started.transferId));

    expect(done.status).toBe('ACCEPTED');
    const inTarget = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(inTarget.certificateDescription).toMatchObject({ status: 'ACTIVE', ownedBy: AUTO, previousOwnedBy: SOURCE });
    await expect(t.iot(SOURCE).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const exec = await finalExecution(String(started.executionArn));
    expect(exec.status).toBe('SUCCEEDED');
    const history = await t.sfn().send(new GetExecutionHistoryCommand({ executionArn: String(started.executionArn), maxResults: 1000 }));
    const entered = history.events!.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);
    expect(entered).toEqual([
      'Preflight Certificate',
      'Deactivate Certificate',
      'Detach Policies',
      'More Policies?',
      'Detach Things',
      'More Things?',
      'Transfer Certificate',
      'Notify Target And Wait',
      'Accepted?',
      'Record Acceptance',
      'Transfer Accepted',
    ]);
  });

  it('reject by hand: the target rejects with the SDK, the reconciler settles it, the certificate is restored', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1, exclusive: true });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
    const human = t.iot(HUMAN);
    await until(
      'the offer to be pending in 333',
      async () => (await human.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).certificateDescription?.status === 'PENDING_TRANSFER',
    );
    await until('the record to await a decision', async () => (await t.api().getTransfer(String(started.transferId))).status === 'AWAITING_DECISION');
    await human.send(new RejectCertificateTransferCommand({ certificateId: cert.certificateId, rejectReason: 'not our devices' }));

    const done = await finalTransfer(String(started.transferId));

    expect(done).toMatchObject({ status: 'REJECTED', restore: { status: 'RESTORED' }, decision: { via: 'reconciler', reason: 'not our devices' } });
    await expectRestored(cert);
    const exec = await finalExecution(String(started.executionArn));
    expect(exec).toMatchObject({ status: 'FAILED', error: 'TransferRejected' });
  });

  it('expire: no decision in time, the offer is withdrawn and the certificate restored', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN, timeoutSeconds: SHORT_TIMEOUT_SECONDS });

    const done = await finalTransfer(String(started.transferId), 40_000);

    expect(done).toMatchObject({ status: 'EXPIRED', restore: { status: 'RESTORED' } });
    await expectRestored(cert);
    const exec = await finalExecution(String(started.executionArn));
    expect(exec).toMatchObject({ status: 'FAILED', error: 'TransferExpired' });
  }, 60_000);

  it('cancel: DELETE while awaiting a decision withdraws the offer and restores', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
    const id = String(started.transferId);
    await until('the record to await a decision', async () => (await t.api().getTransfer(id)).status === 'AWAITING_DECISION');

    await expect(t.api().cancelTransfer(id, 'wrong account')).resolves.toMatchObject({ status: 'CANCELLING' });
    const done = await finalTransfer(id);

    expect(done).toMatchObject({ status: 'CANCELLED', restore: { status: 'RESTORED' } });
    await expectRestored(cert);
    await expect(t.api().cancelTransfer(id)).rejects.toMatchObject({ status: 409 });
  });

  it('a decision that arrives after expiry is ignored: the certificate stays restored', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN, timeoutSeconds: SHORT_TIMEOUT_SECONDS });
    const id = String(started.transferId);
    expect((await finalTransfer(id, 40_000)).status).toBe('EXPIRED');
    await finalExecution(String(started.executionArn));

    const late = await t.events(HUMAN).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: `arn:aws:events:us-east-1:${SOURCE}:event-bus/certificate-transfer-local`,
            Source: 'iot.certificate-transfer',
            DetailType: 'Certificate Transfer Accepted',
            Detail: JSON.stringify({ transferId: id, certificateId: cert.certificateId, sourceAccount: SOURCE, targetAccount: HUMAN, decidedAt: new Date().toISOString() }),
          },
        ],
      }),
    );
    expect(late.FailedEntryCount).toBe(0);
    await t.cloud.events.waitForIdle();

    expect((await t.api().getTransfer(id)).status).toBe('EXPIRED');
    await expectRestored(cert);
    await expect(t.iot(HUMAN).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  }, 60_000);

  it('every event the system published validates against its schema in events/', () => {
    const published = t.cloud.events
      .recentEvents({ limit: 10_000 })
      .map((r) => r.event)
      .filter((e) => e.source === 'iot.certificate-transfer');
    const types = new Set(published.map((e) => e['detail-type']));
    expect([...types].sort()).toEqual(expect.arrayContaining(['Certificate Transfer Accepted', 'Certificate Transfer Completed', 'Certificate Transfer Offered']));
    for (const event of published) expect(eventErrors(event as never), `${event['detail-type']} ${JSON.stringify(event.detail)}`).toEqual([]);
  });
});

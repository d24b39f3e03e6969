import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';
import { eventErrors } from '../support/events.js';

/*
 * The Certificate Transfer Requested trigger on the local cloud: events put
 * with the AWS SDK on the source account's certificate-transfer bus, outcomes
 * read from the API and from the Completed events on that bus.
 */
const SOURCE = '111111111111';
const AUTO = '222222222222';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

async function request(detail: unknown, account = SOURCE) {
  const bus = account === SOURCE ? 'certificate-transfer-local' : `arn:aws:events:us-east-1:${SOURCE}:event-bus/certificate-transfer-local`;
  const out = await t.events(account).send(
    new PutEventsCommand({
      Entries: [{ EventBusName: bus, Source: 'iot.certificate-transfer', DetailType: 'Certificate Transfer Requested', Detail: JSON.stringify(detail) }],
    }),
  );
  expect(out.FailedEntryCount).toBe(0);
  return out.Entries![0].EventId!;
}

/** The Completed events on the source bus whose detail matches. */
function completed(match: (detail: Record<string, unknown>) => boolean) {
  return t.cloud.events
    .recentEvents({ account: SOURCE, busName: 'certificate-transfer-local', limit: 1000 })
    .map((r) => r.event)
    .filter((e) => e['detail-type'] === 'Certificate Transfer Completed' && match(e.detail as Record<string, unknown>));
}

describe('Certificate Transfer Requested trigger, end to end', () => {
  it('a Requested event put with the SDK leads to an accepted transfer, whose Completed event carries the requestId', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });

    await request({ certificateId: cert.certificateId, targetAccount: AUTO, transferMessage: 'by event', requestId: 'evt-accept-1' });

    const transfer = await until('a transfer of the certificate to be accepted', async () => {
      const page = await t.api().listTransfers({ certificateId: cert.certificateId });
      const item = (page.items as Record<string, unknown>[])[0];
      return item?.status === 'ACCEPTED' ? item : undefined;
    });
    expect(transfer).toMatchObject({ targetAccount: AUTO, transferMessage: 'by event', requestId: 'evt-accept-1' });
    const inTarget = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(inTarget.certificateDescription).toMatchObject({ status: 'ACTIVE', ownedBy: AUTO });
    const event = await until('the Completed event', async () => completed((d) => d.transferId === transfer.transferId)[0]);
    expect(event.detail).toMatchObject({ outcome: 'ACCEPTED', requestId: 'evt-accept-1', certificateId: cert.certificateId });
    expect(eventErrors(event as never)).toEqual([]);
  });

  it('an invalid request is answered with a Completed event, outcome FAILED, naming the field, with the requestId', async () => {
    await request({ certificateId: 'not-a-certificate', targetAccount: AUTO, requestId: 'evt-bad-1' });

    const [event] = await until('the refusal', async () => {
      const e = completed((d) => d.requestId === 'evt-bad-1');
      return e.length ? e : undefined;
    });

    expect(event.detail).toEqual({
      sourceAccount: SOURCE,
      targetAccount: AUTO,
      outcome: 'FAILED',
      reason: 'ValidationError: certificateId must be 64 hexadecimal characters',
      requestId: 'evt-bad-1',
      completedAt: expect.any(String),
    });
    expect(event.account).toBe(SOURCE);
    expect(eventErrors(event as never)).toEqual([]);
  });

  it.each([59, 31_104_001])("a timeoutSeconds of %i is refused as POST /transfers refuses it (the stack's own 60 … 31,104,000), touching nothing", async (timeoutSeconds) => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 0 });
    const requestId = `evt-timeout-${timeoutSeconds}`;

    await request({ certificateId: cert.certificateId, targetAccount: AUTO, timeoutSeconds, requestId });

    const [event] = await until('the refusal', async () => {
      const e = completed((d) => d.requestId === requestId);
      return e.length ? e : undefined;
    });
    expect(event.detail).toMatchObject({
      outcome: 'FAILED',
      certificateId: cert.certificateId,
      reason: expect.stringContaining('ValidationError: timeoutSeconds must be an integer from 60 to 31104000'),
    });
    expect(eventErrors(event as never)).toEqual([]);
    expect((await t.api().listTransfers({ certificateId: cert.certificateId })).items).toEqual([]);
    const after = await t.iot(SOURCE).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(after.certificateDescription?.status).toBe('ACTIVE');
  });

  it('an unknown certificate is refused the same way, never silently', async () => {
    const unknown = 'ab'.repeat(32);
    await request({ certificateId: unknown, targetAccount: AUTO, requestId: 'evt-404' });
    const [event] = await until('the refusal', async () => {
      const e = completed((d) => d.requestId === 'evt-404');
      return e.length ? e : undefined;
    });
    expect(event.detail).toMatchObject({ outcome: 'FAILED', certificateId: unknown, reason: expect.stringMatching(/^CertificateNotFound: /) });
    expect(eventErrors(event as never)).toEqual([]);
  });

  it('a Requested event from a target account (admitted on the bus for its decisions) starts nothing', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 0, things: 0 });

    const eventId = await request({ certificateId: cert.certificateId, targetAccount: AUTO, requestId: 'evt-foreign' }, AUTO);

    const record = await until('the event to be on the bus', async () =>
      t.cloud.events.recentEvents({ account: SOURCE, busName: 'certificate-transfer-local', limit: 1000 }).find((r) => r.eventId === eventId),
    );
    expect(record).toMatchObject({ sender: AUTO, status: 'accepted', matchedRules: [] });
    await t.cloud.events.waitForIdle();
    expect((await t.api().listTransfers({ certificateId: cert.certificateId })).items).toEqual([]);
    expect(completed((d) => d.requestId === 'evt-foreign')).toEqual([]);
  });
});

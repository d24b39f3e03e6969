// Decision events ahead of IoT, end to end: a target publishes Accepted or Rejected by hand while IoT
// still shows the offer pending, then decides otherwise in IoT; the record follows IoT, never the event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceptCertificateTransferCommand, DescribeCertificateCommand, ListAttachedPoliciesCommand, ListPrincipalThingsV2Command, RejectCertificateTransferCommand } from '@aws-sdk/client-iot';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { makeDeviceCertificate, startTestCloud, until, type DeviceCertificate, type TestCloud } from '../support/cloud.js';
import type { DecisionOutcome } from '../../src/decisions/decision-event.js';

const SOURCE = '111111111111';
const HUMAN = '333333333333';

let t: TestCloud;
let decisionArn = '';
/** What the decision function answered, per transfer. */
const outcomes = new Map<string, DecisionOutcome>();

beforeAll(async () => {
  t = await startTestCloud({
    intercept: async (fn, event, run) => {
      const result = await run();
      if (fn.arn === decisionArn) {
        const transferId = (event as { detail?: { transferId?: string } }).detail?.transferId;
        if (transferId) outcomes.set(transferId, result as DecisionOutcome);
      }
      return result;
    },
  });
  decisionArn = t.cloud.stacks[0].functions.decision;
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

async function offerToHuman(cert: DeviceCertificate): Promise<string> {
  const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
  const transferId = String(started.transferId);
  await until('the record to await a decision', async () => (await t.api().getTransfer(transferId)).status === 'AWAITING_DECISION', 60_000);
  return transferId;
}

/** The notify-only target's operator publishes a decision event by hand, as its own account. */
async function publishByHand(transferId: string, cert: DeviceCertificate, type: 'Accepted' | 'Rejected') {
  const out = await t.events(HUMAN).send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: `arn:aws:events:us-east-1:${SOURCE}:event-bus/certificate-transfer-local`,
          Source: 'iot.certificate-transfer',
          DetailType: `Certificate Transfer ${type}`,
          Detail: JSON.stringify({
            transferId,
            certificateId: cert.certificateId,
            sourceAccount: SOURCE,
            targetAccount: HUMAN,
            decidedAt: new Date().toISOString(),
            ...(type === 'Rejected' ? { reason: 'by hand' } : {}),
          }),
        },
      ],
    }),
  );
  expect(out.FailedEntryCount).toBe(0);
  return until(`the decision function to answer the ${type} event`, async () => outcomes.get(transferId), 60_000);
}

async function finalTransfer(transferId: string) {
  return until(
    `transfer ${transferId} to end`,
    async () => {
      const r = await t.api().getTransfer(transferId);
      return ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED', 'RESTORE_FAILED'].includes(String(r.status)) ? r : undefined;
    },
    60_000,
  );
}

describe('decision events are checked against IoT', () => {
  it('an Accepted event while IoT shows the offer pending settles nothing; a hand rejection then ends REJECTED with the certificate restored', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 2 });
    const transferId = await offerToHuman(cert);

    const answer = await publishByHand(transferId, cert, 'Accepted');

    expect(answer).toMatchObject({ settled: false, reason: expect.stringContaining('IoT still shows the transfer pending') });
    const waiting = await t.api().getTransfer(transferId);
    expect(waiting).toMatchObject({ status: 'AWAITING_DECISION' });
    expect(waiting).not.toHaveProperty('decision');

    await t.iot(HUMAN).send(new RejectCertificateTransferCommand({ certificateId: cert.certificateId, rejectReason: 'not our devices' }));

    const done = await finalTransfer(transferId);
    expect(done).toMatchObject({ status: 'REJECTED', decision: { decision: 'REJECTED', via: 'reconciler', reason: 'not our devices' } });
    const source = t.iot(SOURCE);
    const d = await source.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(d.certificateDescription).toMatchObject({ status: 'ACTIVE', ownedBy: SOURCE });
    const policies = await source.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }));
    expect(policies.policies?.map((p) => p.policyName).sort()).toEqual([...cert.policies].sort());
    const things = await source.send(new ListPrincipalThingsV2Command({ principal: cert.certificateArn }));
    expect(things.principalThingObjects?.map((p) => p.thingName).sort()).toEqual([...cert.things].sort());
  }, 120_000);

  it('a Rejected event while IoT shows the offer pending restores nothing; a hand acceptance then ends ACCEPTED in the target', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const transferId = await offerToHuman(cert);

    const answer = await publishByHand(transferId, cert, 'Rejected');

    expect(answer).toMatchObject({ settled: false });
    expect(await t.api().getTransfer(transferId)).toMatchObject({ status: 'AWAITING_DECISION' });

    await t.iot(HUMAN).send(new AcceptCertificateTransferCommand({ certificateId: cert.certificateId, setAsActive: true }));

    expect(await finalTransfer(transferId)).toMatchObject({ status: 'ACCEPTED', decision: { decision: 'ACCEPTED', via: 'reconciler' } });
    const inTarget = await t.iot(HUMAN).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(inTarget.certificateDescription).toMatchObject({ status: 'ACTIVE', ownedBy: HUMAN, previousOwnedBy: SOURCE });
  }, 120_000);
});

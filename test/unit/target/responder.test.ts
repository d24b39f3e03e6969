import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  AcceptCertificateTransferCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateThingCommand,
  DescribeCertificateCommand,
  IoTClient,
  RejectCertificateTransferCommand,
} from '@aws-sdk/client-iot';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SOURCE, SOURCE_BUS, STRANGER, TARGET } from '../../support/env.js';
import { certArn, certId } from '../../support/certs.js';
import { iotError } from '../../support/iot-errors.js';
import { entryErrors } from '../../support/events.js';
import type { ResponderConfig } from '../../../src/target/responder.js';

process.env.AWS_REGION = 'us-east-1';
process.env.ACCOUNT_ID = TARGET;
process.env.PEER_BUS_NAME = SOURCE_BUS;
const iot = mockClient(IoTClient);
const eb = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);
const { respond, readResponderConfig } = await import('../../../src/target/responder.js');

const cfg = (over: Partial<ResponderConfig> = {}): ResponderConfig => ({
  accountId: TARGET,
  policy: 'auto-accept',
  allowedSourceAccounts: [SOURCE],
  setAsActive: true,
  createThing: false,
  rejectReason: 'policy says no',
  ...over,
});

function offer(from = SOURCE, over: Record<string, unknown> = {}) {
  const certificateId = certId();
  return {
    id: crypto.randomUUID(),
    account: from,
    'detail-type': 'Certificate Transfer Offered',
    detail: {
      transferId: crypto.randomUUID(),
      certificateId,
      certificateArn: certArn(certificateId, SOURCE),
      sourceAccount: SOURCE,
      targetAccount: TARGET,
      offeredAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      ...over,
    },
  };
}

beforeEach(() => {
  iot.reset();
  eb.reset();
  sns.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

describe('target responder', () => {
  it('auto-accept: accepts with setAsActive and tells the source bus, with a valid event', async () => {
    const ev = offer();
    await expect(respond(ev, cfg())).resolves.toMatchObject({ action: 'ACCEPTED', published: true });
    expect(iot).toHaveReceivedCommandWith(AcceptCertificateTransferCommand, { certificateId: ev.detail.certificateId, setAsActive: true });
    const entry = eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
    expect(entry).toMatchObject({ EventBusName: `arn:aws:events:us-east-1:${SOURCE}:event-bus/${SOURCE_BUS}`, DetailType: 'Certificate Transfer Accepted' });
    expect(entryErrors(entry)).toEqual([]);
  });

  it('auto-accept can attach a policy and a created thing', async () => {
    const ev = offer();
    await respond(ev, cfg({ attachPolicyName: 'FleetPolicy', attachThingName: 'device-{certificateId}', createThing: true }));
    const arn = certArn(ev.detail.certificateId, TARGET);
    expect(iot).toHaveReceivedCommandWith(AttachPolicyCommand, { policyName: 'FleetPolicy', target: arn });
    expect(iot).toHaveReceivedCommandWith(CreateThingCommand, { thingName: `device-${ev.detail.certificateId.slice(0, 16)}` });
    expect(iot).toHaveReceivedCommandWith(AttachThingPrincipalCommand, { principal: arn });
  });

  it('a duplicate offer after accepting is still answered as accepted', async () => {
    const ev = offer();
    iot.on(AcceptCertificateTransferCommand).rejects(iotError('TransferAlreadyCompletedException'));
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { ownedBy: TARGET, status: 'ACTIVE' } });
    await expect(respond(ev, cfg())).resolves.toMatchObject({ action: 'ACCEPTED' });
  });

  it('auto-reject: rejects with the reason and tells the source', async () => {
    const ev = offer();
    await expect(respond(ev, cfg({ policy: 'auto-reject' }))).resolves.toMatchObject({ action: 'REJECTED' });
    expect(iot).toHaveReceivedCommandWith(RejectCertificateTransferCommand, { certificateId: ev.detail.certificateId, rejectReason: 'policy says no' });
    const entry = eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
    expect(entry.DetailType).toBe('Certificate Transfer Rejected');
    expect(entryErrors(entry)).toEqual([]);
  });

  it('notify-only: publishes for a human and decides nothing', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const ev = offer();
    await expect(respond(ev, cfg({ policy: 'notify-only', notifyTopicArn: `arn:aws:sns:us-east-1:${TARGET}:offers` }))).resolves.toMatchObject({ action: 'NOTIFIED', channel: 'sns' });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: `arn:aws:sns:us-east-1:${TARGET}:offers` });
    expect(String(sns.commandCalls(PublishCommand)[0].args[0].input.Message)).toContain(`accept-certificate-transfer --certificate-id ${ev.detail.certificateId}`);
    expect(iot.calls()).toHaveLength(0);
    expect(eb.calls()).toHaveLength(0);
  });

  it.each([
    ['from an account not on the allow-list', offer(STRANGER, { sourceAccount: STRANGER }), /not an allowed source/],
    ['meant for another account', offer(SOURCE, { targetAccount: '333333333333' }), /not this one/],
    ['claiming another source than its sender', offer(SOURCE, { sourceAccount: STRANGER }), /claims source/],
  ])('ignores an offer %s', async (_n, ev, reason) => {
    await expect(respond(ev, cfg())).resolves.toMatchObject({ action: 'IGNORED', reason: expect.stringMatching(reason) });
    expect(iot.calls()).toHaveLength(0);
    expect(eb.calls()).toHaveLength(0);
  });

  it('refuses an unknown acceptance policy at start-up, naming the variable', () => {
    expect(() => readResponderConfig({ ACCEPTANCE_POLICY: 'maybe' })).toThrow(/ACCEPTANCE_POLICY/);
  });
});

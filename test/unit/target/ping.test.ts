// The target kit answers cert-transfer doctor's Ping with a Pong, through its allow-list, touching no certificate.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { IoTClient } from '@aws-sdk/client-iot';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SOURCE, SOURCE_BUS, STRANGER, TARGET } from '../../support/env.js';
import { entryErrors } from '../../support/events.js';
import type { ResponderConfig } from '../../../src/target/responder.js';

process.env.AWS_REGION = 'us-east-1';
process.env.ACCOUNT_ID = TARGET;
process.env.PEER_BUS_NAME = SOURCE_BUS;
const iot = mockClient(IoTClient);
const eb = mockClient(EventBridgeClient);
const { answerPing } = await import('../../../src/target/responder.js');

const cfg: ResponderConfig = { accountId: TARGET, policy: 'auto-accept', allowedSourceAccounts: [SOURCE], setAsActive: true, createThing: false, rejectReason: 'no' };
const ping = (from = SOURCE, targetAccount = TARGET) => ({
  account: from,
  'detail-type': 'Certificate Transfer Ping',
  detail: { pingId: crypto.randomUUID(), sourceAccount: from, targetAccount, sentAt: new Date().toISOString() },
});

beforeEach(() => {
  iot.reset();
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

describe('the responder, on a Ping', () => {
  it("sends a valid Pong to the source account's bus and makes no IoT call", async () => {
    const event = ping();

    expect(await answerPing(event, cfg)).toEqual({ action: 'PONG', pingId: event.detail.pingId });

    const entry = eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
    expect(entry).toMatchObject({ EventBusName: `arn:aws:events:us-east-1:${SOURCE}:event-bus/${SOURCE_BUS}`, DetailType: 'Certificate Transfer Pong' });
    expect(JSON.parse(entry.Detail!)).toMatchObject({ pingId: event.detail.pingId, targetAccount: TARGET, acceptancePolicy: 'auto-accept' });
    expect(entryErrors(entry)).toEqual([]);
    expect(iot.calls()).toHaveLength(0);
  });

  it.each([
    ['from an account not on the allow-list', ping(STRANGER), `ping from ${STRANGER}, which is not an allowed source`],
    ['meant for another account', ping(SOURCE, STRANGER), `ping is for account ${STRANGER}, not this one`],
  ])('ignores a Ping %s', async (_what, event, reason) => {
    expect(await answerPing(event, cfg)).toMatchObject({ action: 'IGNORED', reason });
    expect(eb).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

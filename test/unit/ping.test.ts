// POST /pings and the Pong it waits for: the decision path checked without a certificate.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { HUMAN_TARGET, setSourceEnv, SOURCE, STRANGER, TARGET, TARGET_BUS } from '../support/env.js';
import { useTransferTable } from '../support/dynamo.js';
import { entryErrors } from '../support/events.js';

setSourceEnv({ RECONCILER_SCHEDULE: 'rate(1 minute)' });
const eb = mockClient(EventBridgeClient);
const { pingTargets, recordPong, recordReconcilerRun } = await import('../../src/ping.js');

useTransferTable();
beforeEach(() => {
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

/** The Ping sent to `account`'s bus, as its detail. */
const pingTo = (account: string) => {
  const entry = eb
    .commandCalls(PutEventsCommand)
    .map((c) => c.args[0].input.Entries![0])
    .find((e) => e.EventBusName!.includes(`:${account}:`))!;
  return { entry, detail: JSON.parse(entry.Detail!) as { pingId: string; sentAt: string } };
};
const pongEvent = (account: string, pingId: string, targetAccount = account) => ({
  account,
  detail: { pingId, sourceAccount: SOURCE, targetAccount, sentAt: new Date().toISOString(), answeredAt: new Date().toISOString(), acceptancePolicy: 'auto-accept' },
});

describe('POST /pings', () => {
  it("pings every allowed target's bus with a valid Ping and reports each Pong recorded meanwhile", async () => {
    const report = await pingTargets({
      waitMs: 5_000,
      // While the API waits, both target kits answer.
      sleep: async () => {
        for (const account of [TARGET, HUMAN_TARGET]) await recordPong(pongEvent(account, pingTo(account).detail.pingId));
      },
    });

    expect(eb).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    const { entry } = pingTo(TARGET);
    expect(entry).toMatchObject({ EventBusName: `arn:aws:events:us-east-1:${TARGET}:event-bus/${TARGET_BUS}`, DetailType: 'Certificate Transfer Ping', Source: 'iot.certificate-transfer' });
    expect(entryErrors(entry)).toEqual([]);
    expect(report.sourceAccount).toBe(SOURCE);
    expect(report.targets.map((t) => [t.targetAccount, t.delivered, typeof t.pongAt, t.acceptancePolicy])).toEqual([
      [TARGET, true, 'string', 'auto-accept'],
      [HUMAN_TARGET, true, 'string', 'auto-accept'],
    ]);
    expect(report.reconciler.schedule).toBe('rate(1 minute)');
  });

  it("reports a bus that refuses the Ping with EventBridge's error, and waits for no Pong from it", async () => {
    eb.on(PutEventsCommand).rejects(Object.assign(new Error('not authorized to put to this bus'), { name: 'AccessDeniedException' }));
    let waited = 0;

    const report = await pingTargets({ waitMs: 5_000, sleep: async () => void waited++ });

    expect(report.targets.every((t) => !t.delivered && t.error === 'AccessDeniedException: not authorized to put to this bus')).toBe(true);
    expect(waited).toBe(0);
  });

  it('gives up after its wait when a target stays silent', async () => {
    const report = await pingTargets({ waitMs: 0 });

    expect(report.targets.every((t) => t.delivered && t.pongAt === undefined)).toBe(true);
  });

  it('says when the reconciler last finished a run', async () => {
    await recordReconcilerRun('2026-11-22T12:00:00.000Z');

    const report = await pingTargets({ waitMs: 0 });

    expect(report.reconciler.lastRunAt).toBe('2026-11-22T12:00:00.000Z');
  });
});

describe('a Pong', () => {
  it('is recorded only from the account it answers for', async () => {
    await pingTargets({ waitMs: 0 });
    const { pingId } = pingTo(TARGET).detail;

    expect(await recordPong(pongEvent(STRANGER, pingId, TARGET))).toEqual({ recorded: false, reason: `Pong for ${TARGET} sent by account ${STRANGER}` });
    expect(await recordPong(pongEvent(TARGET, pingId))).toEqual({ recorded: true, pingId, targetAccount: TARGET });
  });

  it('for an older ping, or for a ping never sent, is ignored', async () => {
    expect(await recordPong(pongEvent(TARGET, crypto.randomUUID()))).toEqual({ recorded: false, reason: 'not the latest ping to that account' });
    expect(await recordPong({ account: TARGET, detail: { pingId: 'x' } })).toEqual({ recorded: false, reason: 'malformed Pong detail' });
  });
});

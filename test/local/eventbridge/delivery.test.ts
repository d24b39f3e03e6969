/**
 * PutEvents and delivery through the real SDK v3 client: same-account and
 * cross-account buses, the sender's account on delivered events, asynchronous
 * delivery with retries, scheduled rules, seeded faults, the event log and
 * snapshots.
 */
import {
  CreateEventBusCommand,
  DescribeRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBridgeModel, type EventLogChange, type FaultOptions } from '../../../local/eventbridge/model.js';
import { type Harness, type Invocation, SOURCE, STRANGER, TARGET_AUTO, TARGET_HUMAN, deferred, errorOf, startHarness } from './harness.js';

const BUS = 'certificate-transfer';
const busArnOf = (account: string) => `arn:aws:events:us-east-1:${account}:event-bus/${BUS}`;
const callbackArn = `arn:aws:lambda:us-east-1:${SOURCE}:function:decision-callback`;

let h: Harness;

afterEach(async () => {
  const current = h as Harness | undefined;
  h = undefined!;
  await current?.close();
});

/** Source account set-up from the brief: a custom bus, a rule on decision events, a Lambda target. */
async function sourceAccountKit(harness: Harness, allowed: string[] = [TARGET_AUTO, TARGET_HUMAN]): Promise<void> {
  const eb = harness.client(SOURCE);
  await eb.send(new CreateEventBusCommand({ Name: BUS }));
  await eb.send(
    new PutRuleCommand({
      Name: 'decisions',
      EventBusName: BUS,
      EventPattern: JSON.stringify({ source: ['iot.certificate-transfer'], 'detail-type': ['Certificate Transfer Accepted', 'Certificate Transfer Rejected'] }),
    }),
  );
  await eb.send(new PutTargetsCommand({ Rule: 'decisions', EventBusName: BUS, Targets: [{ Id: 'callback', Arn: callbackArn }] }));
  harness.model.setBusPolicy(SOURCE, BUS, {
    Version: '2012-10-17',
    Statement: [{ Sid: 'peers', Effect: 'Allow', Principal: { AWS: allowed.map((a) => `arn:aws:iam::${a}:root`) }, Action: 'events:PutEvents', Resource: busArnOf(SOURCE) }],
  });
}

const decision = (transferId: string, busName: string = busArnOf(SOURCE)): PutEventsRequestEntry => ({
  Source: 'iot.certificate-transfer',
  DetailType: 'Certificate Transfer Accepted',
  Detail: JSON.stringify({ transferId }),
  EventBusName: busName,
});

describe('PutEvents on the caller’s own bus', () => {
  it('delivers a matching event to the rule’s target after PutEvents returns', async () => {
    const entered = deferred();
    const release = deferred();
    h = await startHarness({}, async () => {
      entered.resolve();
      await release.promise;
    });
    await sourceAccountKit(h);

    const out = await h
      .client(SOURCE)
      .send(new PutEventsCommand({ Entries: [{ ...decision('t-1', BUS), Resources: ['arn:aws:iot:us-east-1:111111111111:cert/abc'], Time: new Date('2026-03-01T10:00:00.123Z') }] }));
    expect(out.FailedEntryCount).toBe(0);
    const eventId = (out.Entries?.[0] as { EventId: string }).EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);

    // The response came back while the target is still running.
    await entered.promise;
    expect(h.model.pendingDeliveries).toBe(1);
    let idle = false;
    const idlePromise = h.model.waitForIdle().then(() => (idle = true));
    expect(idle).toBe(false);
    release.resolve();
    await idlePromise;
    expect(idle).toBe(true);

    expect(h.invocations).toHaveLength(1);
    const [{ event, rule, target, context }] = h.invocations;
    expect(event).toEqual({
      version: '0',
      id: eventId,
      'detail-type': 'Certificate Transfer Accepted',
      source: 'iot.certificate-transfer',
      account: SOURCE,
      time: '2026-03-01T10:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:iot:us-east-1:111111111111:cert/abc'],
      detail: { transferId: 't-1' },
    });
    expect(rule).toEqual({ account: SOURCE, region: 'us-east-1', busName: BUS, name: 'decisions', arn: `arn:aws:events:us-east-1:${SOURCE}:rule/${BUS}/decisions` });
    expect(target).toMatchObject({ Id: 'callback', Arn: callbackArn });
    expect(context).toMatchObject({ input: event, attempt: 1, duplicate: false });
  });

  it('does not deliver to disabled rules or for non-matching events', async () => {
    h = await startHarness();
    await sourceAccountKit(h);
    const eb = h.client(SOURCE);
    await eb.send(new PutEventsCommand({ Entries: [{ ...decision('t-1', BUS), DetailType: 'Certificate Transfer Offered' }] }));
    await h.model.waitForIdle();
    expect(h.invocations).toHaveLength(0);
    expect(h.model.recentEvents({ busName: BUS })[0].matchedRules).toEqual([]);
  });

  it('rejects more than 10 entries with ValidationException and delivers nothing', async () => {
    h = await startHarness();
    await sourceAccountKit(h);
    const entries = Array.from({ length: 11 }, (_, i) => decision(`t-${i}`, BUS));
    const err = await errorOf(() => h.client(SOURCE).send(new PutEventsCommand({ Entries: entries })));
    expect(err.name).toBe('ValidationException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.message).toMatch(/less than or equal to 10/);
    expect(h.model.recentEvents()).toHaveLength(0);

    const ten = await h.client(SOURCE).send(new PutEventsCommand({ Entries: entries.slice(0, 10) }));
    expect(ten.FailedEntryCount).toBe(0);
    await h.model.waitForIdle();
    expect(h.invocations).toHaveLength(10);
  });

  it('fails malformed entries one by one and accepts the rest', async () => {
    h = await startHarness();
    await sourceAccountKit(h);
    const out = await h.client(SOURCE).send(
      new PutEventsCommand({
        Entries: [decision('ok', BUS), { ...decision('bad', BUS), Detail: '{not json' }, { ...decision('aws', BUS), Source: 'aws.iot' }, { DetailType: 'x', Detail: '{}', EventBusName: BUS }],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual(['ok', 'MalformedDetail', 'NotAuthorizedForSourceException', 'InvalidArgument']);
    await h.model.waitForIdle();
    expect(h.invocations.map((i) => i.event.detail)).toEqual([{ transferId: 'ok' }]);
  });

  it('accepts an event for a bus that does not exist and drops it, like AWS, showing why in the log', async () => {
    h = await startHarness();
    const out = await h.client(SOURCE).send(new PutEventsCommand({ Entries: [decision('lost', 'no-such-bus')] }));
    expect(out.FailedEntryCount).toBe(0);
    const [record] = h.model.recentEvents();
    expect(record).toMatchObject({ status: 'dropped', busName: 'no-such-bus', dropReason: 'Event bus no-such-bus does not exist.' });
  });

  it('applies Input, InputPath and InputTransformer', async () => {
    h = await startHarness();
    const eb = h.client(SOURCE);
    await eb.send(new PutRuleCommand({ Name: 'all', EventPattern: JSON.stringify({ source: ['iot.certificate-transfer'] }) }));
    await eb.send(
      new PutTargetsCommand({
        Rule: 'all',
        Targets: [
          { Id: 'constant', Arn: callbackArn, Input: '{"reconcile": true}' },
          { Id: 'path', Arn: callbackArn, InputPath: '$.detail' },
          {
            Id: 'transformer',
            Arn: callbackArn,
            InputTransformer: {
              InputPathsMap: { id: '$.detail.transferId', from: '$.account', first: '$.resources[0]' },
              InputTemplate: '{"transferId": <id>, "message": "transfer <id> from <from>", "cert": "<first>", "rule": "<aws.events.rule-name>"}',
            },
          },
        ],
      }),
    );
    await eb.send(new PutEventsCommand({ Entries: [{ ...decision('t-9', 'default'), Resources: ['arn:cert/1'] }] }));
    await h.model.waitForIdle();
    const byId = Object.fromEntries(h.invocations.map((i) => [i.target.Id, i.context.input]));
    expect(byId).toEqual({
      constant: { reconcile: true },
      path: { transferId: 't-9' },
      transformer: { transferId: 't-9', message: `transfer t-9 from ${SOURCE}`, cert: 'arn:cert/1', rule: 'all' },
    });
  });
});

describe('PutEvents to another account’s bus', () => {
  it('is delivered when the bus policy allows the sender, with account = the sender', async () => {
    h = await startHarness();
    await sourceAccountKit(h);
    const out = await h.client(TARGET_AUTO).send(new PutEventsCommand({ Entries: [decision('t-2')] }));
    expect(out).toMatchObject({ FailedEntryCount: 0 });
    await h.model.waitForIdle();

    expect(h.invocations).toHaveLength(1);
    expect(h.invocations[0].event.account).toBe(TARGET_AUTO);
    expect(h.invocations[0].rule.account).toBe(SOURCE);
    const [record] = h.model.recentEvents({ account: SOURCE, busName: BUS });
    expect(record).toMatchObject({ account: SOURCE, sender: TARGET_AUTO, status: 'accepted' });
    expect(record.deliveries.map((d) => d.status)).toEqual(['delivered']);
  });

  it('fails the entry with AccessDeniedException when the policy does not name the sender', async () => {
    h = await startHarness();
    await sourceAccountKit(h);
    const out = await h.client(STRANGER).send(new PutEventsCommand({ Entries: [decision('forged'), decision('own', 'default')] }));
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]).toMatchObject({ ErrorCode: 'AccessDeniedException' });
    expect(out.Entries?.[0].ErrorMessage).toContain(`arn:aws:iam::${STRANGER}:root is not authorized to perform: events:PutEvents on resource: ${busArnOf(SOURCE)}`);
    expect(out.Entries?.[1].EventId).toBeTruthy();
    await h.model.waitForIdle();
    expect(h.invocations).toHaveLength(0);
    expect(h.model.recentEvents({ account: SOURCE })).toHaveLength(0);
  });

  it('fails the entry when the bus has no policy at all', async () => {
    h = await startHarness();
    await h.client(SOURCE).send(new CreateEventBusCommand({ Name: BUS }));
    const out = await h.client(TARGET_AUTO).send(new PutEventsCommand({ Entries: [decision('t-3')] }));
    expect(out.Entries?.[0].ErrorCode).toBe('AccessDeniedException');
  });

  it('follows PutPermission and RemovePermission', async () => {
    h = await startHarness();
    await sourceAccountKit(h, [TARGET_AUTO]);
    const human = h.client(TARGET_HUMAN);
    expect((await human.send(new PutEventsCommand({ Entries: [decision('a')] }))).FailedEntryCount).toBe(1);

    await h.client(SOURCE).send(new PutPermissionCommand({ EventBusName: BUS, Action: 'events:PutEvents', Principal: TARGET_HUMAN, StatementId: 'human' }));
    expect((await human.send(new PutEventsCommand({ Entries: [decision('b')] }))).FailedEntryCount).toBe(0);

    await h.client(SOURCE).send(new RemovePermissionCommand({ EventBusName: BUS, StatementId: 'human' }));
    expect((await human.send(new PutEventsCommand({ Entries: [decision('c')] }))).FailedEntryCount).toBe(1);
    await h.model.waitForIdle();
    expect(h.invocations.map((i) => [i.event.account, i.event.detail.transferId])).toEqual([[TARGET_HUMAN, 'b']]);
  });

  it('honours Deny statements and aws:PrincipalOrgID conditions', async () => {
    h = await startHarness({ organizationOf: (account) => (account === STRANGER ? undefined : 'o-transfers') });
    await h.client(SOURCE).send(new CreateEventBusCommand({ Name: BUS }));
    h.model.setBusPolicy(SOURCE, BUS, {
      Statement: [
        { Sid: 'org', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents', Resource: busArnOf(SOURCE), Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-transfers' } } },
        { Sid: 'not-human', Effect: 'Deny', Principal: { AWS: TARGET_HUMAN }, Action: 'events:*', Resource: '*' },
      ],
    });
    const codes = async (account: string) => (await h.client(account).send(new PutEventsCommand({ Entries: [decision('x')] }))).Entries?.[0].ErrorCode ?? 'ok';
    expect(await codes(TARGET_AUTO)).toBe('ok');
    expect(await codes(TARGET_HUMAN)).toBe('AccessDeniedException');
    expect(await codes(STRANGER)).toBe('AccessDeniedException');
  });
});

describe('retries', () => {
  it('retries a failing target with backoff until it succeeds', async () => {
    let calls = 0;
    h = await startHarness({}, () => {
      calls++;
      if (calls < 3) throw new Error(`boom ${calls}`);
    });
    await sourceAccountKit(h);
    await h.client(SOURCE).send(new PutEventsCommand({ Entries: [decision('r', BUS)] }));
    await h.model.waitForIdle();
    expect(h.invocations.map((i) => i.context.attempt)).toEqual([1, 2, 3]);
    const [delivery] = h.model.recentEvents()[0].deliveries;
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, maxAttempts: 3 });
  });

  it('records a delivery as failed once retries are exhausted, and does not retry non-retryable errors', async () => {
    h = await startHarness({}, (inv: Invocation) => {
      throw Object.assign(new Error('nope'), { retryable: inv.event.detail.transferId !== 'fatal' });
    });
    await sourceAccountKit(h);
    await h.client(SOURCE).send(new PutEventsCommand({ Entries: [decision('flaky', BUS), decision('fatal', BUS)] }));
    await h.model.waitForIdle();
    const byTransfer = Object.fromEntries(h.model.recentEvents().map((r) => [r.event.detail.transferId, r.deliveries[0]]));
    expect(byTransfer.flaky).toMatchObject({ status: 'failed', attempts: 3, error: 'Error: nope' });
    expect(byTransfer.fatal).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('uses the target’s RetryPolicy.MaximumRetryAttempts', async () => {
    h = await startHarness({}, () => {
      throw new Error('down');
    });
    const eb = h.client(SOURCE);
    await eb.send(new PutRuleCommand({ Name: 'all', EventPattern: JSON.stringify({ source: ['iot.certificate-transfer'] }) }));
    await eb.send(new PutTargetsCommand({ Rule: 'all', Targets: [{ Id: 'once', Arn: callbackArn, RetryPolicy: { MaximumRetryAttempts: 0 } }] }));
    await eb.send(new PutEventsCommand({ Entries: [decision('x', 'default')] }));
    await h.model.waitForIdle();
    expect(h.invocations).toHaveLength(1);
  });

  it('stop() cancels a pending retry so waitForIdle resolves', async () => {
    const firstFailure = deferred();
    h = await startHarness({ retry: { maxRetries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 } }, () => {
      firstFailure.resolve();
      throw new Error('down');
    });
    await sourceAccountKit(h);
    await h.client(SOURCE).send(new PutEventsCommand({ Entries: [decision('x', BUS)] }));
    await firstFailure.promise;
    await vi.waitFor(() => expect(h.model.recentEvents()[0].deliveries[0].status).toBe('retrying'));
    h.model.stop();
    await h.model.waitForIdle();
    expect(h.model.recentEvents()[0].deliveries[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(h.model.recentEvents()[0].deliveries[0].error).toMatch(/cancelled/);
  });
});

describe('scheduled rules', () => {
  it('fireSchedules() sends a Scheduled Event to the targets of enabled schedule rules', async () => {
    h = await startHarness();
    const eb = h.client(SOURCE);
    const { RuleArn } = await eb.send(new PutRuleCommand({ Name: 'reconciler', ScheduleExpression: 'rate(5 minutes)' }));
    await eb.send(new PutTargetsCommand({ Rule: 'reconciler', Targets: [{ Id: 'reconcile', Arn: `arn:aws:lambda:us-east-1:${SOURCE}:function:reconcile` }] }));
    await eb.send(new PutRuleCommand({ Name: 'paused', ScheduleExpression: 'rate(1 minute)', State: 'DISABLED' }));
    await eb.send(new PutTargetsCommand({ Rule: 'paused', Targets: [{ Id: 'never', Arn: `arn:aws:lambda:us-east-1:${SOURCE}:function:never` }] }));

    const ids = h.model.fireSchedules();
    expect(ids).toHaveLength(1);
    await h.model.waitForIdle();
    expect(h.invocations).toHaveLength(1);
    const { event, target } = h.invocations[0];
    expect(target.Id).toBe('reconcile');
    expect(event).toMatchObject({ id: ids[0], version: '0', source: 'aws.events', 'detail-type': 'Scheduled Event', account: SOURCE, region: 'us-east-1', resources: [RuleArn], detail: {} });
    expect((await eb.send(new DescribeRuleCommand({ Name: 'reconciler' }))).ScheduleExpression).toBe('rate(5 minutes)');
  });

  it('start() fires every scheduleIntervalMs and stop() leaves no timer behind', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    try {
      const fired: string[] = [];
      const model = new EventBridgeModel({ scheduleIntervalMs: 2000, invokeTarget: (_t, event) => void fired.push(event.id) });
      model.putRule({ account: SOURCE, region: 'us-east-1' }, { Name: 'reconciler', ScheduleExpression: 'rate(1 hour)' });
      model.putTargets({ account: SOURCE, region: 'us-east-1' }, { Rule: 'reconciler', Targets: [{ Id: 'r', Arn: 'arn:aws:lambda:us-east-1:111111111111:function:reconcile' }] });
      model.start();
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(4000);
      expect(model.recentEvents()).toHaveLength(2);
      model.stop();
      expect(vi.getTimerCount()).toBe(0);
      vi.useRealTimers();
      await model.waitForIdle();
      expect(fired).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('fault injection (seeded)', () => {
  async function run(faults: FaultOptions, batches = 2): Promise<{ order: number[]; duplicated: number[]; faults: number; kinds: EventBridgeModel['faultsByKind'] }> {
    const harness = await startHarness({ faults });
    try {
      await sourceAccountKit(harness);
      const eb = harness.client(TARGET_AUTO);
      for (let b = 0; b < batches; b++) {
        const entries = Array.from({ length: 10 }, (_, i) => ({ ...decision('t'), Detail: JSON.stringify({ n: b * 10 + i }) }));
        await eb.send(new PutEventsCommand({ Entries: entries }));
        await harness.model.waitForIdle();
      }
      return {
        order: harness.invocations.map((i) => i.event.detail.n as number),
        duplicated: harness.invocations.filter((i) => i.context.duplicate).map((i) => i.event.detail.n as number),
        faults: harness.model.faultsInjected,
        kinds: harness.model.faultsByKind,
      };
    } finally {
      await harness.close();
    }
  }

  it('is off by default', async () => {
    const result = await run({});
    expect(result.faults).toBe(0);
    expect(result.order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('duplicates deliveries deterministically for a seed, and counts them', async () => {
    const first = await run({ duplicateRate: 0.3, seed: 42 });
    const second = await run({ duplicateRate: 0.3, seed: 42 });
    expect(first.kinds.duplicates).toBeGreaterThan(0);
    expect(first.duplicated).toHaveLength(first.kinds.duplicates);
    expect(first.order).toHaveLength(20 + first.kinds.duplicates);
    expect(first.faults).toBe(first.kinds.duplicates);
    expect(second.duplicated).toEqual(first.duplicated);
    const other = await run({ duplicateRate: 0.3, seed: 7 });
    expect(other.duplicated).not.toEqual(first.duplicated);
  });

  it('delays deliveries within delayMs', async () => {
    h = await startHarness({ faults: { delayRate: 1, delayMs: { min: 5, max: 15 }, seed: 3 } });
    await sourceAccountKit(h);
    await h.client(SOURCE).send(new PutEventsCommand({ Entries: [decision('a', BUS), decision('b', BUS)] }));
    await h.model.waitForIdle();
    const deliveries = h.model.recentEvents().flatMap((r) => r.deliveries);
    expect(deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    for (const d of deliveries) {
      expect(d.delayedMs).toBeGreaterThanOrEqual(5);
      expect(d.delayedMs).toBeLessThanOrEqual(15);
    }
    expect(h.model.faultsByKind.delays).toBe(2);
  });

  it('reorders deliveries deterministically for a seed', async () => {
    const first = await run({ reorder: true, seed: 11 }, 1);
    const second = await run({ reorder: true, seed: 11 }, 1);
    expect([...first.order].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(first.order).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(second.order).toEqual(first.order);
    expect(first.kinds.reorders).toBeGreaterThan(0);
  });
});

describe('event log and persistence', () => {
  it('recentEvents and onEvent show events and delivery progress', async () => {
    h = await startHarness();
    await sourceAccountKit(h);
    const changes: EventLogChange[] = [];
    const unsubscribe = h.model.onEvent((c) => changes.push(c));
    const out = await h.client(TARGET_AUTO).send(new PutEventsCommand({ Entries: [decision('t-log')] }));
    await h.model.waitForIdle();
    unsubscribe();

    const eventId = out.Entries?.[0].EventId;
    expect(changes[0]).toMatchObject({ type: 'event', record: { eventId, busName: BUS, matchedRules: ['decisions'] } });
    const statuses = changes.filter((c) => c.type === 'delivery').map((c) => (c as Extract<EventLogChange, { type: 'delivery' }>).delivery.status);
    expect(statuses).toEqual(['in-flight', 'delivered']);

    const [record] = h.model.recentEvents({ busName: BUS });
    expect(record.deliveries[0]).toMatchObject({ eventId, ruleName: 'decisions', targetId: 'callback', targetArn: callbackArn, status: 'delivered', attempts: 1 });
    record.deliveries.length = 0; // a copy: the model's log is untouched
    expect(h.model.recentEvents({ busName: BUS })[0].deliveries).toHaveLength(1);
  });

  it('keeps at most maxRecentEvents', async () => {
    h = await startHarness({ maxRecentEvents: 3 });
    const entries = Array.from({ length: 5 }, (_, i) => ({ ...decision('x', 'default'), Detail: JSON.stringify({ n: i }) }));
    await h.client(SOURCE).send(new PutEventsCommand({ Entries: entries }));
    expect(h.model.recentEvents().map((r) => r.event.detail.n)).toEqual([2, 3, 4]);
  });

  it('snapshot() and restore() carry buses, policies, rules and targets', async () => {
    h = await startHarness();
    await sourceAccountKit(h);
    const json = JSON.stringify(h.model.snapshot());
    await h.close();

    h = await startHarness();
    h.model.restore(json);
    const out = await h.client(TARGET_AUTO).send(new PutEventsCommand({ Entries: [decision('restored')] }));
    expect(out.FailedEntryCount).toBe(0);
    await h.model.waitForIdle();
    expect(h.invocations.map((i) => [i.target.Id, i.event.detail.transferId])).toEqual([['callback', 'restored']]);
    expect(() => h.model.restore('{"version": 2}')).toThrow(/snapshot/);
  });
});

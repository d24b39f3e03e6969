import { afterEach, describe, expect, it } from 'vitest';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeCertificateCommand,
  ListJobsCommand,
  ListPrincipalThingsV2Command,
  TransferCertificateCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { AWS_DEFAULT_IOT_QUOTAS, IotModel, type IotCallEvent, type IotModelOptions } from '../../../local/iot/model.js';
import { matchRoute } from '../../../local/iot/protocol.js';
import { ALLOW_ALL_POLICY, expectAwsError, ManualClock, SOURCE, startIot, STRANGER, TARGET, type Harness } from './harness.js';

const started: Harness[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.close()));
});
async function iotWith(options: IotModelOptions = {}): Promise<Harness> {
  const h = await startIot(options);
  started.push(h);
  return h;
}

/** Creates a certificate through the model directly, so set-up does not spend quota. */
async function seedCertificate(h: Harness, account = SOURCE, active = false): Promise<{ certificateId: string; certificateArn: string }> {
  const c = await h.model.createKeysAndCertificate({ account, region: 'us-east-1' }, { setAsActive: active });
  return { certificateId: c.certificateId, certificateArn: c.certificateArn };
}

async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: Error) => e.name,
  );
}

describe('quotas (token bucket per account and operation)', () => {
  it('throttles above the configured rate with ThrottlingException 400 "Rate exceeded"', async () => {
    const clock = new ManualClock();
    const h = await iotWith({ clock: clock.now, quotas: { DescribeCertificate: 5 } });
    const { certificateId } = await seedCertificate(h);
    const iot = h.client(SOURCE);
    const burst = await Promise.all(Array.from({ length: 6 }, () => outcome(iot.send(new DescribeCertificateCommand({ certificateId })))));
    expect(burst.filter((o) => o === 'ok')).toHaveLength(5);
    const err = await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId })), 'ThrottlingException', 400);
    expect(err.message).toBe('Rate exceeded');
    clock.advance(200); // 5 TPS: one token every 200 ms
    expect(await outcome(iot.send(new DescribeCertificateCommand({ certificateId })))).toBe('ok');
    expect(await outcome(iot.send(new DescribeCertificateCommand({ certificateId })))).toBe('ThrottlingException');
  });

  it('never throttles a caller that stays at the configured rate', async () => {
    const clock = new ManualClock();
    const h = await iotWith({ clock: clock.now, quotas: { DescribeCertificate: 10 } });
    const { certificateId } = await seedCertificate(h);
    const iot = h.client(SOURCE);
    const outcomes: string[] = [];
    for (let i = 0; i < 50; i++) {
      outcomes.push(await outcome(iot.send(new DescribeCertificateCommand({ certificateId }))));
      clock.advance(100);
    }
    expect(outcomes.every((o) => o === 'ok')).toBe(true);
  });

  it('keeps separate buckets per account and per operation', async () => {
    const clock = new ManualClock();
    const h = await iotWith({ clock: clock.now, quotas: { DescribeCertificate: 1 } });
    const mine = await seedCertificate(h, SOURCE);
    const theirs = await seedCertificate(h, TARGET);
    expect(await outcome(h.client(SOURCE).send(new DescribeCertificateCommand({ certificateId: mine.certificateId })))).toBe('ok');
    expect(await outcome(h.client(SOURCE).send(new DescribeCertificateCommand({ certificateId: mine.certificateId })))).toBe('ThrottlingException');
    expect(await outcome(h.client(TARGET).send(new DescribeCertificateCommand({ certificateId: theirs.certificateId })))).toBe('ok');
    expect(await outcome(h.client(SOURCE).send(new UpdateCertificateCommand({ certificateId: mine.certificateId, newStatus: 'INACTIVE' })))).toBe('ok');
  });

  it('a throttled call changes nothing and is counted apart', async () => {
    const clock = new ManualClock();
    const h = await iotWith({ clock: clock.now, quotas: { UpdateCertificate: { rate: 1, burst: 1 } } });
    const { certificateId } = await seedCertificate(h, SOURCE, true);
    const iot = h.client(SOURCE);
    await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    await expectAwsError(iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'REVOKED' })), 'ThrottlingException', 400);
    expect(h.model.findCertificate(certificateId)?.status).toBe('INACTIVE');
    expect(h.model.stats().byAccount[SOURCE].UpdateCertificate).toEqual({ calls: 2, succeeded: 1, failed: 0, throttled: 1, faults: 0 });
  });

  it('AWS_DEFAULT_IOT_QUOTAS: 10 TPS for DescribeCertificate, 15 for AttachPolicy, 100 for AttachThingPrincipal', async () => {
    const clock = new ManualClock();
    const h = await iotWith({ clock: clock.now, quotas: AWS_DEFAULT_IOT_QUOTAS });
    const { certificateId, certificateArn } = await seedCertificate(h);
    const iot = h.client(SOURCE);
    const ctx = { account: SOURCE, region: 'us-east-1' };
    const describes = [];
    for (let i = 0; i < 11; i++) describes.push(await outcome(iot.send(new DescribeCertificateCommand({ certificateId }))));
    expect(describes.lastIndexOf('ok')).toBe(9);
    expect(describes[10]).toBe('ThrottlingException');
    const attaches = [];
    for (let i = 0; i < 16; i++) {
      h.model.createPolicy(ctx, { policyName: `q-${i}`, policyDocument: ALLOW_ALL_POLICY });
      const arn = i < 10 ? certificateArn : (await seedCertificate(h)).certificateArn;
      attaches.push(await outcome(iot.send(new AttachPolicyCommand({ policyName: `q-${i}`, target: arn }))));
    }
    expect(attaches.filter((o) => o === 'ok')).toHaveLength(15);
    expect(attaches[15]).toBe('ThrottlingException');
    const things = [];
    for (let i = 0; i < 101; i++) {
      h.model.createThing(ctx, { thingName: `qt-${i}` });
      things.push(await outcome(iot.send(new AttachThingPrincipalCommand({ thingName: `qt-${i}`, principal: certificateArn }))));
    }
    expect(things.filter((o) => o === 'ok')).toHaveLength(100);
    expect(things[100]).toBe('ThrottlingException');
    expect(AWS_DEFAULT_IOT_QUOTAS.TransferCertificate).toBe(10);
    expect(AWS_DEFAULT_IOT_QUOTAS.CreateKeysAndCertificate).toBeUndefined();
  });
});

describe('fault injection', () => {
  async function run(seed: number): Promise<{ outcomes: string[]; injected: number }> {
    const h = await iotWith({ faults: { rate: 0.3, seed } });
    const { certificateId } = await seedCertificate(h);
    const iot = h.client(SOURCE);
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i++) outcomes.push(await outcome(iot.send(new DescribeCertificateCommand({ certificateId }))));
    return { outcomes, injected: h.model.stats().faultsInjected };
  }

  it('is deterministic for a seed, mixes the three retryable errors, and counts what it injected', async () => {
    const a = await run(42);
    const b = await run(42);
    const c = await run(7);
    expect(a.outcomes).toEqual(b.outcomes);
    expect(a.outcomes).not.toEqual(c.outcomes);
    const faults = a.outcomes.filter((o) => o !== 'ok');
    expect(faults.length).toBeGreaterThan(3);
    expect(faults.length).toBeLessThan(30);
    expect(a.injected).toBe(faults.length);
    expect(new Set(faults)).toEqual(new Set(['ThrottlingException', 'ServiceUnavailableException', 'InternalFailureException']));
  });

  it('fails before any mutation, with the status code of the chosen kind', async () => {
    const h = await iotWith({ faults: { rate: 1, kinds: ['ServiceUnavailableException'], operations: ['UpdateCertificate'] } });
    const { certificateId } = await seedCertificate(h, SOURCE, true);
    const iot = h.client(SOURCE);
    await expectAwsError(iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' })), 'ServiceUnavailableException', 503);
    expect(h.model.findCertificate(certificateId)?.status).toBe('ACTIVE');
    // Other operations are untouched.
    expect((await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription!.status).toBe('ACTIVE');
    expect(h.model.stats().byAccount[SOURCE].UpdateCertificate).toMatchObject({ calls: 1, faults: 1, succeeded: 0 });
  });

  it('InternalFailureException answers 500', async () => {
    const h = await iotWith({ faults: { rate: 1, kinds: ['InternalFailureException'] } });
    const { certificateId } = await seedCertificate(h);
    await expectAwsError(h.client(SOURCE).send(new DescribeCertificateCommand({ certificateId })), 'InternalFailureException', 500);
  });
});

describe('latency, statistics and the onCall hook', () => {
  it('waits the configured latency before answering, per operation when asked', async () => {
    const h = await iotWith({ latencyMs: { DescribeCertificate: { min: 60, max: 80 } } });
    const { certificateId } = await seedCertificate(h);
    const t0 = performance.now();
    await h.client(SOURCE).send(new DescribeCertificateCommand({ certificateId }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(59);
  });

  it('a fixed latency applies to every operation', async () => {
    const h = await iotWith({ latencyMs: 40 });
    const t0 = performance.now();
    await h.client(SOURCE).send(new CreateThingCommand({ thingName: 'slow' }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(39);
  });

  it('counts calls per account and operation, resets on demand, and reports each call to onCall', async () => {
    const events: IotCallEvent[] = [];
    const h = await iotWith({ onCall: (e) => events.push(e) });
    const { certificateId } = await seedCertificate(h);
    await h.client(SOURCE).send(new DescribeCertificateCommand({ certificateId }));
    await outcome(h.client(STRANGER).send(new DescribeCertificateCommand({ certificateId })));
    expect(h.model.stats()).toMatchObject({
      calls: 2,
      byAccount: {
        [SOURCE]: { DescribeCertificate: { calls: 1, succeeded: 1, failed: 0 } },
        [STRANGER]: { DescribeCertificate: { calls: 1, succeeded: 0, failed: 1 } },
      },
    });
    expect(events.map((e) => [e.account, e.operation, e.outcome, e.errorCode])).toEqual([
      [SOURCE, 'DescribeCertificate', 'ok', undefined],
      [STRANGER, 'DescribeCertificate', 'error', 'ResourceNotFoundException'],
    ]);
    expect(events[0].input).toEqual({ certificateId });
    h.model.resetStats();
    expect(h.model.stats()).toEqual({ byAccount: {}, calls: 0, throttled: 0, faultsInjected: 0 });
  });
});

describe('wire protocol', () => {
  it('serializes errors with x-amzn-errortype and a JSON message', async () => {
    const h = await iotWith();
    const res = await h.raw(SOURCE, { method: 'GET', path: `/certificates/${'a'.repeat(64)}` });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await res.json()).toMatchObject({ message: expect.stringContaining('does not exist') });
  });

  it('writes dates as epoch seconds', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 0, 500));
    const h = await iotWith({ clock: clock.now });
    const { certificateId } = await seedCertificate(h);
    const res = await h.raw(SOURCE, { method: 'GET', path: `/certificates/${certificateId}` });
    const body = (await res.json()) as { certificateDescription: { creationDate: unknown; validity: { notAfter: unknown } } };
    expect(body.certificateDescription.creationDate).toBe(Date.UTC(2026, 4, 1, 12, 0, 0, 500) / 1000);
    expect(body.certificateDescription.validity.notAfter).toBe(Date.UTC(2049, 11, 31, 23, 59, 59) / 1000);
  });

  it('answers 501 NotImplementedException for an operation it does not implement, never a silent 200', async () => {
    const h = await iotWith();
    await expectAwsError(h.client(SOURCE).send(new ListJobsCommand({})), 'NotImplementedException', 501);
    const res = await h.raw(SOURCE, { method: 'GET', path: '/billing-groups' });
    expect(res.status).toBe(501);
    expect(res.headers.get('x-amzn-errortype')).toBe('NotImplementedException');
  });

  it('serves a request signed with service name execute-api (Debian AWS CLI 2.9)', async () => {
    const h = await iotWith();
    const { certificateId } = await seedCertificate(h);
    const res = await h.raw(SOURCE, { method: 'GET', path: `/certificates/${certificateId}`, service: 'execute-api' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ certificateDescription: { certificateId, ownedBy: SOURCE } });
    const transfer = await h.raw(SOURCE, {
      method: 'PATCH',
      path: `/transfer-certificate/${certificateId}`,
      query: { targetAwsAccount: TARGET },
      body: JSON.stringify({ transferMessage: 'via cli' }),
      service: 'execute-api',
    });
    expect(transfer.status).toBe(200);
    expect(h.model.findCertificate(certificateId)).toMatchObject({ status: 'PENDING_TRANSFER', pendingTransferTo: TARGET, transferData: { transferMessage: 'via cli' } });
  });

  it('decodes percent-encoded labels, "/" and ":" included', () => {
    const arn = `arn:aws:iot:us-east-1:${SOURCE}:cert/${'a'.repeat(64)}`;
    expect(matchRoute('POST', `/attached-policies/${encodeURIComponent(arn)}`)).toMatchObject({ operation: 'ListAttachedPolicies', labels: { target: arn } });
    expect(matchRoute('GET', '/things/lamp-1/principals-v2')).toMatchObject({ operation: 'ListThingPrincipalsV2', labels: { thingName: 'lamp-1' } });
    expect(matchRoute('GET', '/attached-policies/x')).toBeUndefined();
  });

  it('rejects a body that is not JSON with InvalidRequestException', async () => {
    const h = await iotWith();
    const res = await h.raw(SOURCE, { method: 'POST', path: '/policies/p1', body: '{oops' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
  });
});

describe('persistence and console helpers', () => {
  it('snapshot/restore keeps certificates, transfers, policies, things and attachments', async () => {
    const h = await iotWith();
    const iot = h.client(SOURCE);
    const kept = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    await iot.send(new CreatePolicyCommand({ policyName: 'persisted', policyDocument: ALLOW_ALL_POLICY }));
    await iot.send(new AttachPolicyCommand({ policyName: 'persisted', target: kept.certificateArn }));
    await iot.send(new CreateThingCommand({ thingName: 'persisted-thing' }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'persisted-thing', principal: kept.certificateArn, thingPrincipalType: 'EXCLUSIVE_THING' }));
    const moving = await seedCertificate(h);
    await iot.send(new TransferCertificateCommand({ certificateId: moving.certificateId, targetAwsAccount: TARGET, transferMessage: 'persist me' }));

    const json = JSON.stringify(h.model.snapshot());
    const copy = await iotWith();
    copy.model.restore(json);

    const again = copy.client(SOURCE);
    expect((await again.send(new DescribeCertificateCommand({ certificateId: kept.certificateId }))).certificateDescription).toMatchObject({ status: 'ACTIVE', certificatePem: kept.certificatePem });
    expect((await again.send(new ListPrincipalThingsV2Command({ principal: kept.certificateArn }))).principalThingObjects).toEqual([
      { thingName: 'persisted-thing', thingPrincipalType: 'EXCLUSIVE_THING' },
    ]);
    expect((await copy.client(TARGET).send(new DescribeCertificateCommand({ certificateId: moving.certificateId }))).certificateDescription).toMatchObject({
      status: 'PENDING_TRANSFER',
      transferData: { transferMessage: 'persist me' },
    });
    expect(copy.model.findCertificate(kept.certificateId!)?.policies).toEqual(['persisted']);
    expect(() => copy.model.restore({ version: 2 } as never)).toThrow(/version/);
  });

  it('findCertificate and listAllCertificates see every account', async () => {
    const model = new IotModel({ keyAlgorithm: 'ec' });
    const a = await model.createKeysAndCertificate({ account: SOURCE, region: 'us-east-1' }, {});
    const b = await model.createKeysAndCertificate({ account: TARGET, region: 'eu-west-1' }, {});
    model.transferCertificate({ account: SOURCE, region: 'us-east-1' }, { certificateId: a.certificateId, targetAwsAccount: TARGET });
    expect(model.findCertificate(a.certificateId)).toMatchObject({ ownedBy: SOURCE, pendingTransferTo: TARGET, lastTransfer: { source: SOURCE, target: TARGET, state: 'PENDING' } });
    expect(model.findCertificate(b.certificateId, 'us-east-1')).toBeUndefined();
    expect(
      model
        .listAllCertificates()
        .map((c) => c.certificateId)
        .sort(),
    ).toEqual([a.certificateId, b.certificateId].sort());
    expect(model.listAllCertificates({ account: TARGET, region: 'us-east-1' }).map((c) => c.certificateId)).toEqual([a.certificateId]);
    expect(model.listAccounts()).toEqual([
      { account: SOURCE, region: 'us-east-1' },
      { account: TARGET, region: 'eu-west-1' },
    ]);
  });
});

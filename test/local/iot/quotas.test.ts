/*
 * AWS default IoT quotas: one table shared by the emulator and the deployed rate budget, and
 * ThrottlingException on the wire as AWS sends it (HTTP 400, `__type` ThrottlingException).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AWS_DEFAULT_IOT_TPS } from '../../../src/ratebudget.js';
import { AWS_DEFAULT_IOT_QUOTAS, IOT_OPERATIONS } from '../../../local/iot/model.js';
import { TokenBuckets } from '../../../local/iot/quotas.js';
import { ManualClock, SOURCE, startIot, STRANGER, type Harness } from './harness.js';

const started: Harness[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.close()));
});

describe('the default quota table', () => {
  it('is the rate budget table itself, and names only emulated operations', () => {
    expect(AWS_DEFAULT_IOT_QUOTAS).toEqual(AWS_DEFAULT_IOT_TPS);
    for (const op of Object.keys(AWS_DEFAULT_IOT_QUOTAS)) expect(IOT_OPERATIONS as readonly string[]).toContain(op);
  });

  it('holds the documented defaults: 10, 15 and 100 TPS', () => {
    const tps = (ops: string[]) => Object.fromEntries(ops.map((op) => [op, (AWS_DEFAULT_IOT_QUOTAS as Record<string, unknown>)[op]]));
    const ten = [
      'UpdateCertificate',
      'DescribeCertificate',
      'ListCertificates',
      'ListPrincipalThings',
      'ListPrincipalThingsV2',
      'TransferCertificate',
      'AcceptCertificateTransfer',
      'RejectCertificateTransfer',
      'CancelCertificateTransfer',
    ];
    const fifteen = ['ListAttachedPolicies', 'AttachPolicy', 'DetachPolicy'];
    const hundred = ['AttachThingPrincipal', 'DetachThingPrincipal'];
    expect(tps(ten)).toEqual(Object.fromEntries(ten.map((op) => [op, 10])));
    expect(tps(fifteen)).toEqual(Object.fromEntries(fifteen.map((op) => [op, 15])));
    expect(tps(hundred)).toEqual(Object.fromEntries(hundred.map((op) => [op, 100])));
    expect(Object.isFrozen(AWS_DEFAULT_IOT_QUOTAS)).toBe(true);
  });
});

describe('token buckets', () => {
  it('start full, refill at the rate, and count per account, region and operation', () => {
    const clock = new ManualClock();
    const b = new TokenBuckets({ TransferCertificate: 10 }, clock.now);
    const take = (account = SOURCE, region = 'us-east-1') => b.take(account, region, 'TransferCertificate');
    expect(Array.from({ length: 11 }, () => take())).toEqual([...Array(10).fill(true), false]);
    expect(take(STRANGER)).toBe(true);
    expect(take(SOURCE, 'eu-west-1')).toBe(true);
    expect(b.take(SOURCE, 'us-east-1', 'CreateThing')).toBe(true);
    clock.advance(100);
    expect([take(), take()]).toEqual([true, false]);
    clock.advance(60_000);
    expect(Array.from({ length: 11 }, () => take()).filter(Boolean)).toHaveLength(10);
  });
});

describe('ThrottlingException on the wire', () => {
  it('is HTTP 400 with x-amzn-errortype and __type ThrottlingException, and changes nothing', async () => {
    const clock = new ManualClock();
    const h = await startIot({ clock: clock.now, quotas: AWS_DEFAULT_IOT_QUOTAS });
    started.push(h);
    const { certificateId } = await h.model.createKeysAndCertificate({ account: SOURCE, region: 'us-east-1' }, { setAsActive: true });
    const update = () => h.raw(SOURCE, { method: 'PUT', path: `/certificates/${certificateId}`, query: { newStatus: 'INACTIVE' } });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await update()).status);
    expect(statuses).toEqual(Array(10).fill(200));
    const throttled = await update();
    expect(throttled.status).toBe(400);
    expect(throttled.headers.get('x-amzn-errortype')).toMatch(/^ThrottlingException/);
    expect(await throttled.json()).toMatchObject({ __type: 'ThrottlingException', message: 'Rate exceeded' });
    expect(h.model.stats().byAccount[SOURCE].UpdateCertificate).toMatchObject({ calls: 11, succeeded: 10, throttled: 1 });
  });
});

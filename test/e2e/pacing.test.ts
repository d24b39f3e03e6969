// Pacing that cannot time out a step (issue 12, Deliver 8): two full batches of 10-policy
// certificates at once, against IoT at AWS default quotas, at the concurrency derived from them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { AWS_DEFAULT_IOT_QUOTAS } from '../../local/iot/model.js';
import type { InvocationRecord } from '../../local/lambda/runtime.js';
import { batchConcurrency, defaultConcurrency, quotaThroughput } from '../../src/concurrency.js';
import { startTestCloud, type TestCloud, batchEnded } from '../support/cloud.js';

const SOURCE = '111111111111';
const AUTO_ACCEPT = '222222222222';
const POLICIES = 10;
const PER_BATCH = 20;

let t: TestCloud;
const invocations: InvocationRecord[] = [];
let throttled = 0;

beforeAll(async () => {
  t = await startTestCloud({
    iot: {
      keyAlgorithm: 'ec',
      quotas: AWS_DEFAULT_IOT_QUOTAS,
      onCall: (e) => {
        if (e.outcome === 'throttled') throttled++;
      },
    },
    onInvocation: (r) => invocations.push(r),
  });
}, 300_000);
afterAll(async () => {
  await t?.stop();
});

/** A certificate with `POLICIES` policies and one thing, made in the IoT model directly (set-up calls stay out of the quotas). */
async function certificate(): Promise<string> {
  const ctx = { account: SOURCE, region: 'us-east-1' };
  const model = t.cloud.iot;
  const cert = await model.createKeysAndCertificate(ctx, { setAsActive: true });
  for (let i = 0; i < POLICIES; i++) {
    const policyName = `paced-${cert.certificateId!.slice(0, 12)}-${i}`;
    model.createPolicy(ctx, { policyName, policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }) });
    model.attachPolicy(ctx, { policyName, target: cert.certificateArn });
  }
  const thingName = `paced-${cert.certificateId!.slice(0, 12)}`;
  model.createThing(ctx, { thingName });
  model.attachThingPrincipal(ctx, { thingName, principal: cert.certificateArn! });
  return cert.certificateId!;
}

describe('pacing at AWS default IoT quotas', () => {
  it('derives the batch concurrency from the quotas: DetachPolicy (15 TPS, 10 per certificate) bounds two batches to 15 each', () => {
    expect(batchConcurrency()).toBe(15);
    // The default keeps the quotas' throughput busy instead: 5 transfers/s (DescribeCertificate, 2 per transfer) × 6 s × 1.5.
    expect(quotaThroughput()).toBe(5);
    expect(defaultConcurrency()).toBe(45);
    const fifty = Object.fromEntries(Object.keys(AWS_DEFAULT_IOT_QUOTAS).map((op) => [op, 50]));
    expect(quotaThroughput(fifty)).toBe(25);
    expect(defaultConcurrency(fifty)).toBe(100);
    // Raised quotas raise it, up to the inline Map's 40.
    expect(batchConcurrency({ limits: { DetachPolicy: 150, DescribeCertificate: 100, TransferCertificate: 100, UpdateCertificate: 100, ListPrincipalThingsV2: 100, ListAttachedPolicies: 100 } })).toBe(
      40,
    );
  });

  it('two full batches of ten-policy certificates started together at the default concurrency: every transfer ends ACCEPTED, none lost to a timeout', async () => {
    const batches: string[][] = [[], []];
    for (const ids of batches) for (let i = 0; i < PER_BATCH; i++) ids.push(await certificate());
    const before = invocations.length;
    // The default concurrency (45 at these quotas) puts all 40 ten-policy transfers in flight at once: 400 DetachPolicy calls at 15 TPS.
    const started = await Promise.all(batches.map((certificateIds) => t.api().request('POST', '/transfer-batches', { certificateIds, targetAccount: AUTO_ACCEPT })));
    expect(started.map((s) => s.status)).toEqual([202, 202]);
    const results = await Promise.all(started.map((s) => batchEnded(t, String(s.body.batchId), 600_000, 1_000)));

    for (const b of results) expect(b, JSON.stringify(b.failures)).toMatchObject({ status: 'COMPLETED', total: PER_BATCH, accepted: PER_BATCH });
    const timedOut = invocations.slice(before).filter((r) => r.errorType === 'Sandbox.Timedout');
    expect(timedOut.map((r) => r.functionArn)).toEqual([]);
    for (const id of batches.flat()) {
      expect((await t.iot(AUTO_ACCEPT).send(new DescribeCertificateCommand({ certificateId: id }))).certificateDescription?.status, id).toBe('ACTIVE');
    }
    // The budget kept IoT's own throttling rare: the calls were paced, not refused.
    expect(throttled).toBeLessThan(PER_BATCH * 2 * POLICIES * 0.1);
  }, 900_000);
});

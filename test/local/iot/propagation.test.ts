/*
 * Asynchronous detach propagation: a just-detached thing keeps blocking TransferCertificate for a
 * fixed or seeded-jitter delay. API_DetachThingPrincipal: "This call is asynchronous. It might take
 * several seconds for the detachment to propagate."
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  ListPrincipalThingsV2Command,
  ListThingPrincipalsCommand,
  TransferCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { IotModel, type IotModelOptions } from '../../../local/iot/model.js';
import { AWS_DETACH_PROPAGATION_MS, DetachPropagation, describePropagation, parsePropagation } from '../../../local/iot/propagation.js';
import { ALLOW_ALL_POLICY, expectAwsError, ManualClock, SOURCE, startIot, TARGET, type Harness } from './harness.js';

const started: Harness[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.close()));
});
async function iotWith(options: IotModelOptions): Promise<Harness> {
  const h = await startIot(options);
  started.push(h);
  return h;
}

/** An INACTIVE certificate with one thing attached, then detached: the state right after Detach Things. */
async function justDetached(iot: IoTClient, thingName: string): Promise<{ certificateId: string; certificateArn: string }> {
  const c = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
  await iot.send(new CreateThingCommand({ thingName }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: c.certificateArn }));
  await iot.send(new DetachThingPrincipalCommand({ thingName, principal: c.certificateArn }));
  return { certificateId: c.certificateId!, certificateArn: c.certificateArn! };
}

const transfer = (iot: IoTClient, certificateId: string) => iot.send(new TransferCertificateCommand({ certificateId, targetAwsAccount: TARGET }));

/**
 * Through the model (no HTTP, it polls many times): detaches a fresh certificate's thing, then moves
 * the clock in 50 ms steps until TransferCertificate stops answering TransferConflictException.
 */
async function msUntilTransferable(model: IotModel, clock: ManualClock, thingName: string): Promise<number> {
  const ctx = { account: SOURCE, region: 'us-east-1' };
  const c = await model.createKeysAndCertificate(ctx, {});
  model.createThing(ctx, { thingName });
  model.attachThingPrincipal(ctx, { thingName, principal: c.certificateArn });
  model.detachThingPrincipal(ctx, { thingName, principal: c.certificateArn });
  for (let waited = 0; waited <= 10_000; waited += 50) {
    try {
      model.transferCertificate(ctx, { certificateId: c.certificateId, targetAwsAccount: TARGET });
      return waited;
    } catch (err) {
      expect(err).toMatchObject({ code: 'TransferConflictException', status: 409, message: expect.stringMatching(/^Things must be detached before transfer/) });
    }
    clock.advance(50);
  }
  throw new Error('still in conflict after 10 s');
}

describe('detach propagation delay', () => {
  it('a range delays each detach by a seeded draw within it, the same for the same seed', async () => {
    const delays = async (seed: number) => {
      const clock = new ManualClock();
      const model = new IotModel({ keyAlgorithm: 'ec', clock: clock.now, detachPropagationMs: { min: 1000, max: 3000 }, seed });
      const out: number[] = [];
      for (let i = 0; i < 5; i++) out.push(await msUntilTransferable(model, clock, `jitter-${i}`));
      return out;
    };
    const a = await delays(7);
    for (const ms of a) {
      expect(ms).toBeGreaterThanOrEqual(1000);
      expect(ms).toBeLessThanOrEqual(3050);
    }
    expect(new Set(a).size).toBeGreaterThan(1);
    expect(await delays(7)).toEqual(a);
    expect(await delays(8)).not.toEqual(a);
  });

  it('only TransferCertificate sees the lingering detach: the list calls show the thing gone at once', async () => {
    const clock = new ManualClock();
    const h = await iotWith({ clock: clock.now, detachPropagationMs: 3000 });
    const iot = h.client(SOURCE);
    const c = await justDetached(iot, 'listed');
    expect((await iot.send(new ListPrincipalThingsV2Command({ principal: c.certificateArn }))).principalThingObjects).toEqual([]);
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'listed' }))).principals).toEqual([]);
    await expectAwsError(transfer(iot, c.certificateId), 'TransferConflictException', 409);
  });

  it('0 turns propagation off: the transfer succeeds right after the detach', async () => {
    const h = await iotWith({ detachPropagationMs: 0 });
    const iot = h.client(SOURCE);
    const c = await justDetached(iot, 'zero');
    await expect(transfer(iot, c.certificateId)).resolves.toMatchObject({ transferredCertificateArn: c.certificateArn });
  });

  it('attaching the thing again forgets its detach: once detached for good, only the new detach counts', async () => {
    const clock = new ManualClock();
    const h = await iotWith({ clock: clock.now, detachPropagationMs: 2000 });
    const iot = h.client(SOURCE);
    const c = await justDetached(iot, 'again');
    clock.advance(1500);
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'again', principal: c.certificateArn }));
    await iot.send(new DetachThingPrincipalCommand({ thingName: 'again', principal: c.certificateArn }));
    clock.advance(1000);
    // 2.5 s after the first detach but 1 s after the second: still propagating.
    await expectAwsError(transfer(iot, c.certificateId), 'TransferConflictException', 409);
    clock.advance(1000);
    await transfer(iot, c.certificateId);
  });

  it('DetachPolicy is not delayed for TransferCertificate: its documented delay is about deleting the policy', async () => {
    // API_DetachPolicy: "it can take up to five minutes after a policy is detached before it's ready to be
    // deleted" — nothing about transfers; the local cloud does not model that DeletePolicy delay (README).
    const clock = new ManualClock();
    const h = await iotWith({ clock: clock.now, detachPropagationMs: 3000 });
    const iot = h.client(SOURCE);
    const c = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
    await iot.send(new CreatePolicyCommand({ policyName: 'p-prop', policyDocument: ALLOW_ALL_POLICY }));
    await iot.send(new AttachPolicyCommand({ policyName: 'p-prop', target: c.certificateArn }));
    await expectAwsError(transfer(iot, c.certificateId!), 'TransferConflictException', 409);
    await iot.send(new DetachPolicyCommand({ policyName: 'p-prop', target: c.certificateArn }));
    await transfer(iot, c.certificateId!);
  });
});

describe('propagation settings', () => {
  it('parses N and MIN-MAX milliseconds, 0 included, and refuses anything else', () => {
    expect(parsePropagation('0')).toBe(0);
    expect(parsePropagation('2500')).toBe(2500);
    expect(parsePropagation('1000-3000')).toEqual({ min: 1000, max: 3000 });
    expect(parsePropagation('2000-2000')).toBe(2000);
    expect(() => parsePropagation('3000-1000')).toThrow(/MAX must be at least MIN/);
    expect(() => parsePropagation('2s')).toThrow(/N or MIN-MAX/);
    expect(() => parsePropagation('-5')).toThrow(/N or MIN-MAX/);
  });

  it('npm start default is one to three seconds, worded for the banner', () => {
    expect(AWS_DETACH_PROPAGATION_MS).toEqual({ min: 1000, max: 3000 });
    expect(describePropagation(AWS_DETACH_PROPAGATION_MS)).toBe('1000–3000 ms');
    expect(describePropagation(0)).toBe('at once');
    expect(describePropagation(undefined)).toBe('at once');
    expect(describePropagation(1500)).toBe('1500 ms');
  });

  it('forgets a principal that left the account, and everything on clear()', () => {
    let now = 0;
    const p = new DetachPropagation(5000, () => now);
    p.detached('a|r', 'arn:cert', 'thing');
    expect(p.isLingering('a|r', 'arn:cert')).toBe(true);
    expect(p.isLingering('b|r', 'arn:cert')).toBe(false);
    p.forget('a|r', 'arn:cert');
    expect(p.isLingering('a|r', 'arn:cert')).toBe(false);
    p.detached('a|r', 'arn:cert', 'thing');
    p.clear();
    expect(p.isLingering('a|r', 'arn:cert')).toBe(false);
    p.detached('a|r', 'arn:cert', 'thing');
    now = 5000;
    expect(p.isLingering('a|r', 'arn:cert')).toBe(false);
  });
});

/* npm start's IoT defaults: AWS quotas and 1–3 s detach propagation unless a flag says otherwise. */
import { describe, expect, it } from 'vitest';
import { iotRealism } from '../../../local/iot/flags.js';
import { AWS_DEFAULT_IOT_QUOTAS } from '../../../local/iot/quotas.js';

describe('npm start IoT flags', () => {
  it('with no flags, throttles at the AWS default quotas and propagates detaches in 1–3 s, seed 1', () => {
    const r = iotRealism({});
    expect(r).toMatchObject({ quotas: AWS_DEFAULT_IOT_QUOTAS, detachPropagationMs: { min: 1000, max: 3000 }, seed: 1 });
    expect(r.banner).toBe('AWS default quotas, ThrottlingException beyond (--no-throttle to lift); a detach takes 1000–3000 ms to propagate (--detach-propagation-ms)');
  });

  it('--no-throttle (or --iot-quotas off) lifts the quotas, and the banner says so', () => {
    for (const flags of [{ 'no-throttle': true }, { 'iot-quotas': 'off' }]) {
      const r = iotRealism(flags);
      expect(r.quotas).toBeUndefined();
      expect(r.banner).toMatch(/^no quotas \(--no-throttle\): AWS would throttle;/);
    }
    expect(iotRealism({ 'iot-quotas': 'aws' }).quotas).toBe(AWS_DEFAULT_IOT_QUOTAS);
    expect(() => iotRealism({ 'no-throttle': true, 'iot-quotas': 'aws' })).toThrow(/contradict/);
    expect(() => iotRealism({ 'iot-quotas': 'fast' })).toThrow(/aws \(the default\) or off/);
  });

  it('--detach-propagation-ms takes a fixed delay, a range, or 0 for none', () => {
    expect(iotRealism({ 'detach-propagation-ms': '0' })).toMatchObject({ detachPropagationMs: 0, banner: expect.stringContaining('detaches propagate at once') });
    expect(iotRealism({ 'detach-propagation-ms': '2500' })).toMatchObject({ detachPropagationMs: 2500, banner: expect.stringContaining('a detach takes 2500 ms to propagate') });
    expect(iotRealism({ 'detach-propagation-ms': '500-5000', seed: '9' })).toMatchObject({ detachPropagationMs: { min: 500, max: 5000 }, seed: 9 });
    expect(() => iotRealism({ 'detach-propagation-ms': 'soon' })).toThrow(/N or MIN-MAX/);
    expect(() => iotRealism({ seed: 'x' })).toThrow(/--seed/);
  });
});

/*
 * The emulator's entry point: every operation is a method of IotModel named after it and served by
 * call(); model.ts exports everything callers use, and the shared limits come from the product.
 */
import { describe, expect, it } from 'vitest';
import { MAX_POLICIES_PER_CERTIFICATE } from '../../../src/concurrency.js';
import * as iot from '../../../local/iot/model.js';
import { IOT_OPERATIONS, IotModel } from '../../../local/iot/model.js';
import { REGION, SOURCE } from './harness.js';

const methodOf = (operation: string): string => operation[0].toLowerCase() + operation.slice(1);

describe('IotModel', () => {
  it('has one method per operation, named after it', () => {
    // Arrange
    const model = new IotModel({ keyAlgorithm: 'ec' });
    // Assess
    const missing = IOT_OPERATIONS.filter((op) => typeof (model as unknown as Record<string, unknown>)[methodOf(op)] !== 'function');
    expect(missing).toEqual([]);
  });

  it('serves an operation through call() as the method does, and counts it', async () => {
    // Arrange
    const model = new IotModel({ keyAlgorithm: 'ec' });
    const ctx = { account: SOURCE, region: REGION };
    // Act
    await model.call(ctx, 'CreateThing', { thingName: 'sensor-1' });
    const direct = model.describeThing(ctx, { thingName: 'sensor-1' });
    const called = await model.call(ctx, 'DescribeThing', { thingName: 'sensor-1' });
    // Assess
    expect(called).toEqual(direct);
    expect(model.stats().byAccount[SOURCE]).toEqual({
      CreateThing: { calls: 1, succeeded: 1, failed: 0, throttled: 0, faults: 0 },
      DescribeThing: { calls: 1, succeeded: 1, failed: 0, throttled: 0, faults: 0 },
    });
  });

  it('exports what callers import from model.ts', () => {
    const exported = [
      'IotModel',
      'IotError',
      'AWS_DEFAULT_IOT_QUOTAS',
      'FAULT_KINDS',
      'CERTIFICATE_MODES',
      'CERTIFICATE_STATUSES',
      'THING_PRINCIPAL_TYPES',
      'IOT_OPERATIONS',
      'IOT_ERROR_STATUS',
      'MAX_POLICIES_PER_TARGET',
    ];
    expect(exported.filter((name) => !(name in iot))).toEqual([]);
  });

  it("takes the policies-per-certificate limit from the product's constant", () => {
    expect(iot.MAX_POLICIES_PER_TARGET).toBe(MAX_POLICIES_PER_CERTIFICATE);
  });
});

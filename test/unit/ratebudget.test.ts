import { describe, expect, it } from 'vitest';
import { setSourceEnv } from '../support/env.js';
import { useTransferTable } from '../support/dynamo.js';

setSourceEnv();
const { RateBudget, parseRateLimits, withDeadline, AWS_DEFAULT_IOT_TPS, DEADLINE_RESERVE_MS } = await import('../../src/ratebudget.js');

useTransferTable();

/** Resolves in the first half of a second, so that "before the next second" leaves a known margin. */
async function earlyInASecond(): Promise<void> {
  while (Date.now() % 1000 >= 400) await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
}

describe('IoT rate budget', () => {
  it('never grants more calls in one second than the limit, across concurrent callers', async () => {
    const budget = new RateBudget('transfers-test', `t-${crypto.randomUUID()}`, { DescribeCertificate: 4 });
    const grants = await Promise.all(Array.from({ length: 10 }, () => budget.acquire('DescribeCertificate')));
    const perSecond = new Map<number, Set<number>>();
    for (const g of grants) {
      const slots = perSecond.get(g!.window) ?? new Set<number>();
      slots.add(g!.slot);
      perSecond.set(g!.window, slots);
    }
    expect(grants.every((g) => g !== undefined)).toBe(true);
    for (const slots of perSecond.values()) {
      expect(slots.size).toBeLessThanOrEqual(4);
      for (const slot of slots) expect(slot).toBeLessThan(4); // every slot within the limit, none shared
    }
    expect([...perSecond.values()].reduce((a, s) => a + s.size, 0)).toBe(10);
    expect(perSecond.size).toBeGreaterThanOrEqual(3);
    expect(budget.waits).toBeGreaterThan(0);
  });

  it('budgets are per operation: one spent does not hold another back', async () => {
    const budget = new RateBudget('transfers-test', `t-${crypto.randomUUID()}`, { UpdateCertificate: 1, DetachPolicy: 100 });
    await budget.acquire('UpdateCertificate');
    await Promise.all(Array.from({ length: 20 }, () => budget.acquire('DetachPolicy')));
    expect(budget.waits).toBe(0);
  });

  it('operations without a budget pass at once', async () => {
    const budget = new RateBudget('transfers-test', 'scope', {});
    await budget.acquire('CreateThing');
    expect(budget.waits).toBe(0);
  });

  it("never waits past the invocation's deadline: a spent budget fails at once with a retryable ThrottlingException", async () => {
    const budget = new RateBudget('transfers-test', `t-${crypto.randomUUID()}`, { UpdateCertificate: 1 }, 20_000);
    await earlyInASecond();
    await budget.acquire('UpdateCertificate');
    // 400 ms left in the Lambda (a quarter kept back): the next second's slot comes after the deadline.
    const started = Date.now();
    const waited = withDeadline({ getRemainingTimeInMillis: () => 400 }, () => budget.acquire('UpdateCertificate'));
    await expect(waited).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(Date.now() - started).toBeLessThan(1_000);
    // With time left the same call waits for the next second, as before.
    const granted = await withDeadline({ getRemainingTimeInMillis: () => DEADLINE_RESERVE_MS + 5_000 }, () => budget.acquire('UpdateCertificate'));
    expect(granted).toBeDefined();
  });

  it('an explicit deadline sooner than maxWaitMs bounds the wait', async () => {
    const budget = new RateBudget('transfers-test', `t-${crypto.randomUUID()}`, { UpdateCertificate: 1 }, 20_000);
    await earlyInASecond();
    await budget.acquire('UpdateCertificate');
    const started = Date.now();
    await expect(budget.acquire('UpdateCertificate', Date.now() + 300)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reads overrides for raised quotas and can be switched off', () => {
    expect(parseRateLimits('DescribeCertificate=50, UpdateCertificate=40')).toMatchObject({ ...AWS_DEFAULT_IOT_TPS, DescribeCertificate: 50, UpdateCertificate: 40 });
    expect(parseRateLimits('')).toEqual(AWS_DEFAULT_IOT_TPS);
    expect(parseRateLimits('off')).toBeUndefined();
    expect(() => parseRateLimits('DescribeCertificate=fast')).toThrow(/IOT_RATE_LIMITS/);
  });
});

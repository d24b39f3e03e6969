/**
 * IoT quotas: the AWS default rate table and policies-per-certificate limit (one source, shared with
 * the product), and the token buckets that throttle calls per account, region and operation.
 */
import { MAX_POLICIES_PER_CERTIFICATE } from '../../src/concurrency.js';
import { AWS_DEFAULT_IOT_TPS } from '../../src/ratebudget.js';
import type { IotOperation } from './types.js';

/** At most 10 policies can be attached to one certificate (AWS IoT quota; the product plans its detaches by it). */
export const MAX_POLICIES_PER_TARGET = MAX_POLICIES_PER_CERTIFICATE;

/** Requests per second (burst = rate), or an explicit token bucket. */
export type QuotaSpec = number | { rate: number; burst?: number };
/** Per-operation quotas; `'*'` applies to every operation not listed. */
export type IotQuotas = Partial<Record<IotOperation | '*', QuotaSpec>>;

/**
 * Approximate default AWS IoT control-plane quotas (TPS per account and
 * region), the very table the deployed rate budget paces itself by
 * (`src/ratebudget.ts`). Operations not listed are generous in AWS and
 * unthrottled here.
 */
export const AWS_DEFAULT_IOT_QUOTAS: Readonly<IotQuotas> = Object.freeze({ ...AWS_DEFAULT_IOT_TPS } as IotQuotas);

/** Token buckets, refilled continuously at the quota's rate, starting full. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(
    private readonly quotas: IotQuotas | undefined,
    private readonly now: () => number,
  ) {}

  /** Takes a token for this call; false when the bucket is empty (the call must be throttled). */
  take(account: string, region: string, operation: IotOperation): boolean {
    const spec = this.quotas?.[operation] ?? this.quotas?.['*'];
    if (spec === undefined) return true;
    const rate = typeof spec === 'number' ? spec : spec.rate;
    const burst = typeof spec === 'number' ? spec : (spec.burst ?? spec.rate);
    const key = `${account}|${region}|${operation}`;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { tokens: burst, updated: now }));
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updated) / 1000) * rate);
    bucket.updated = now;
    // Tolerate float drift: 0.1 s at 10 TPS must give exactly one token.
    if (bucket.tokens < 1 - 1e-9) return false;
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    return true;
  }

  clear(): void {
    this.buckets.clear();
  }
}

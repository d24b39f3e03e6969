import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './clients/dynamodb.js';
import { awsErrorName } from './errors.js';

/**
 * A rate budget per IoT API, shared by every function of the deployment:
 * single transfers, batches and the reconciler all draw from the same
 * per-second allowance, so the account's IoT quotas are used to the full and
 * throttling stays rare. One conditional counter per API per second in the
 * transfer table; a call that finds its second spent waits for the next one.
 *
 * Configure with `IOT_RATE_LIMITS` (`DescribeCertificate=20,UpdateCertificate=20`)
 * when quotas are raised; `off` disables the budget.
 */

/** AWS IoT default control-plane quotas, per account and region (transactions per second). */
export const AWS_DEFAULT_IOT_TPS: Readonly<Record<string, number>> = {
  DescribeCertificate: 10,
  UpdateCertificate: 10,
  ListCertificates: 10,
  ListPrincipalThings: 10,
  ListPrincipalThingsV2: 10,
  ListOutgoingCertificates: 10,
  TransferCertificate: 10,
  AcceptCertificateTransfer: 10,
  RejectCertificateTransfer: 10,
  CancelCertificateTransfer: 10,
  ListAttachedPolicies: 15,
  AttachPolicy: 15,
  DetachPolicy: 15,
  AttachThingPrincipal: 100,
  DetachThingPrincipal: 100,
};

export function parseRateLimits(raw: string | undefined): Record<string, number> | undefined {
  if (raw?.trim().toLowerCase() === 'off') return undefined;
  const limits: Record<string, number> = { ...AWS_DEFAULT_IOT_TPS };
  for (const part of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [op, value] = part.split('=');
    const n = Number(value);
    if (!op || !Number.isFinite(n) || n <= 0) throw new Error(`IOT_RATE_LIMITS: "${part}" is not Operation=positiveNumber`);
    limits[op.trim()] = n;
  }
  return limits;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The budget stayed spent for longer than the caller may wait. Named like
 * IoT's own error, so the state machine's throttling retrier handles it and
 * the API answers 429.
 */
export class BudgetExhausted extends Error {
  override readonly name = 'ThrottlingException';
}

export class RateBudget {
  /** Calls that had to wait for a later second (for logs and benchmarks). */
  waits = 0;

  constructor(
    private readonly tableName: string,
    private readonly scope: string,
    private readonly limits: Record<string, number>,
    /** Longest a call waits for a slot before failing with ThrottlingException. */
    private readonly maxWaitMs = 20_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Resolves when `operation` may be called; waits for a free slot if this
   * second is spent. Returns the window and slot granted (none: no budget).
   */
  async acquire(operation: string): Promise<{ window: number; slot: number } | undefined> {
    const limit = this.limits[operation];
    if (!limit) return undefined;
    // Budgets below 1/s are granted in windows of several seconds.
    const windowMs = limit >= 1 ? 1000 : Math.ceil(1000 / limit);
    const perWindow = Math.max(1, Math.floor(limit * (windowMs / 1000)));
    const giveUpAt = this.now() + this.maxWaitMs;
    for (;;) {
      const t = this.now();
      const window = Math.floor(t / windowMs);
      try {
        const { Attributes } = await ddb.send(new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RATE#${this.scope}#${operation}#${window}`, sk: 'RATE' },
          UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one, #exp = :exp',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
          ExpressionAttributeNames: { '#n': 'n', '#exp': 'expiresAt' },
          // expiresAt lets a table TTL tidy old windows; correctness never depends on it.
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': perWindow, ':exp': Math.floor(t / 1000) + 3600 },
          ReturnValues: 'UPDATED_NEW',
        }));
        // Slot k of the window is used at k/perWindow of the way through it: calls come evenly
        // spaced, as the service's token bucket refills, instead of in a burst at each second.
        const slot = Number(Attributes?.n ?? 1) - 1;
        const at = window * windowMs + (slot * windowMs) / perWindow;
        const wait = at - this.now();
        if (wait > 0) await sleep(wait);
        return { window, slot };
      } catch (err) {
        if (awsErrorName(err) !== 'ConditionalCheckFailedException') throw err;
        this.waits++;
        if ((window + 1) * windowMs > giveUpAt) throw new BudgetExhausted(`Rate budget for ${operation} (${limit}/s) stayed spent for ${this.maxWaitMs} ms`);
        await sleep((window + 1) * windowMs - this.now() + Math.floor(Math.random() * 25));
      }
    }
  }
}

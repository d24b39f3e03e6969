import { AsyncLocalStorage } from 'node:async_hooks';
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
 *
 * A wait never outlasts its caller: inside `withDeadline` (every function, from
 * the Lambda context's remaining time) a call whose slot would come after the
 * deadline fails at once with a retryable `ThrottlingException` instead of
 * sleeping into the Lambda timeout; loops catch it and return their progress.
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
  for (const part of (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
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

/** Milliseconds kept back from a Lambda's remaining time: the call itself, saving progress, answering. */
export const DEADLINE_RESERVE_MS = 3_000;

/** The reserve for an invocation with `remainingMs` left at its start: 3 s, or a quarter of a shorter timeout. */
export const reserveFor = (remainingMs: number) => Math.min(DEADLINE_RESERVE_MS, Math.floor(remainingMs / 4));

const deadlines = new AsyncLocalStorage<number>();

/**
 * Runs `fn` with a deadline for every budget wait inside it: the Lambda
 * context's remaining time less {@link reserveFor} it. Without a context
 * (tests, scripts) `fn` runs with no deadline.
 */
export function withDeadline<T>(context: { getRemainingTimeInMillis?: () => number } | undefined, fn: () => Promise<T>): Promise<T> {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined || !Number.isFinite(remaining)) return fn();
  return deadlines.run(Date.now() + remaining - reserveFor(remaining), fn);
}

/** The deadline (epoch ms) of the running invocation, if any. */
export const currentDeadline = (): number | undefined => deadlines.getStore();

export class RateBudget {
  /** Calls that had to wait for a later second (for logs and benchmarks). */
  waits = 0;

  constructor(
    private readonly tableName: string,
    private readonly scope: string,
    private readonly limits: Record<string, number>,
    /** Longest a call waits for a slot before failing with ThrottlingException (and never past the invocation's deadline). */
    private readonly maxWaitMs = 20_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Resolves when `operation` may be called; waits for a free slot if this
   * second is spent. Returns the window and slot granted (none: no budget).
   * Never waits past `deadline` (epoch ms; default: the running invocation's,
   * see {@link withDeadline}) nor longer than `maxWaitMs`: throws
   * `BudgetExhausted` (a ThrottlingException) instead, before waiting.
   */
  async acquire(operation: string, deadline: number | undefined = currentDeadline()): Promise<{ window: number; slot: number } | undefined> {
    const limit = this.limits[operation];
    if (!limit) return undefined;
    // Budgets below 1/s are granted in windows of several seconds.
    const windowMs = limit >= 1 ? 1000 : Math.ceil(1000 / limit);
    const perWindow = Math.max(1, Math.floor(limit * (windowMs / 1000)));
    const giveUpAt = Math.min(this.now() + this.maxWaitMs, deadline ?? Number.POSITIVE_INFINITY);
    if (this.now() >= giveUpAt) throw new BudgetExhausted(`No time left to wait for the ${operation} rate budget (${limit}/s) before the invocation's deadline`);
    for (;;) {
      const t = this.now();
      const window = Math.floor(t / windowMs);
      try {
        const { Attributes } = await ddb.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: `RATE#${this.scope}#${operation}#${window}`, sk: 'RATE' },
            UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one, #exp = :exp',
            ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
            ExpressionAttributeNames: { '#n': 'n', '#exp': 'expiresAt' },
            // expiresAt lets a table TTL tidy old windows; correctness never depends on it.
            ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': perWindow, ':exp': Math.floor(t / 1000) + 3600 },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        // Slot k of the window is used at k/perWindow of the way through it: calls come evenly
        // spaced, as the service's token bucket refills, instead of in a burst at each second.
        const slot = Number(Attributes?.n ?? 1) - 1;
        const at = window * windowMs + (slot * windowMs) / perWindow;
        const wait = at - this.now();
        // A slot later than the deadline is left unused (the budget errs on the safe side) rather than slept for.
        if (at > giveUpAt) throw new BudgetExhausted(`The ${operation} rate budget (${limit}/s) has no slot before the caller's deadline`);
        if (wait > 0) await sleep(wait);
        return { window, slot };
      } catch (err) {
        if (awsErrorName(err) !== 'ConditionalCheckFailedException') throw err;
        this.waits++;
        if ((window + 1) * windowMs > giveUpAt) {
          throw new BudgetExhausted(`Rate budget for ${operation} (${limit}/s) stayed spent for ${Math.max(0, Math.round(giveUpAt - t))} ms more than the caller may wait`);
        }
        await sleep((window + 1) * windowMs - this.now() + Math.floor(Math.random() * 25));
      }
    }
  }
}

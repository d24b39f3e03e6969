/**
 * How a call is served around its operation, as AWS would: latency, token-bucket throttling, injected
 * faults (both before any state change, so safe to retry), per-account counters and the onCall hook.
 */
import { seededRandom as prng } from '../shared/prng.js';
import { AwsError } from '../edge/types.js';
import { internalFailure, rateExceeded, serviceUnavailable, type IotError } from './errors.js';
import { TokenBuckets, type IotQuotas } from './quotas.js';
import type { CallContext, IotOperation } from './types.js';

export type LatencyRange = number | { min: number; max: number };
/**
 * A fixed delay, a uniform range, per-operation values (`'*'` for the rest), or a function of the
 * call (chaos runs: one certificate's calls hang) answering milliseconds.
 */
export type LatencySpec = LatencyRange | Partial<Record<IotOperation | '*', LatencyRange>> | ((call: { account: string; operation: IotOperation; input: unknown }) => number);

export const FAULT_KINDS = ['ThrottlingException', 'ServiceUnavailableException', 'InternalFailureException'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Probability (0…1) that a call fails before doing anything. */
  rate: number;
  /** Errors to pick from, uniformly. Default: all three. */
  kinds?: readonly FaultKind[];
  /** PRNG seed: the same seed and the same call sequence give the same faults. Default 1. */
  seed?: number;
  /** Only these operations get faults (default: all). */
  operations?: readonly IotOperation[];
}

export type CallOutcome = 'ok' | 'error' | 'throttled' | 'fault';

export interface IotCallEvent {
  account: string;
  region: string;
  operation: IotOperation;
  input: unknown;
  outcome: CallOutcome;
  /** Error name when outcome is not 'ok'. */
  errorCode?: string;
  startedAt: Date;
  durationMs: number;
}

export interface OperationStats {
  /** Every call, whatever its outcome. */
  calls: number;
  succeeded: number;
  /** Calls that failed with a modelled error (not throttles or injected faults). */
  failed: number;
  throttled: number;
  faults: number;
}

export interface IotStats {
  /** account → operation → counts (regions summed). */
  byAccount: Record<string, Partial<Record<IotOperation, OperationStats>>>;
  calls: number;
  throttled: number;
  faultsInjected: number;
}

/** The options read on every call (live: a test or the chaos run may change them on a running model). */
export interface CallOptions {
  latencyMs?: LatencySpec;
  faults?: FaultOptions;
  onCall?: (event: IotCallEvent) => void;
}

const FAULT_ERRORS: Record<FaultKind, () => IotError> = {
  ThrottlingException: rateExceeded,
  ServiceUnavailableException: serviceUnavailable,
  InternalFailureException: internalFailure,
};

/** Latency, quotas, faults, counting and the hook of one model. */
export class CallBehaviour {
  private readonly buckets: TokenBuckets;
  private readonly faultRandom: () => number;
  private readonly latencyRandom: () => number;
  private counters = new Map<string, OperationStats>();
  private faultsInjected = 0;

  constructor(
    private readonly options: CallOptions,
    quotas: IotQuotas | undefined,
    private readonly now: () => number,
    seed: number,
  ) {
    this.faultRandom = prng(options.faults?.seed ?? seed);
    this.latencyRandom = prng((options.faults?.seed ?? seed) ^ 0x5bd1e995);
    this.buckets = new TokenBuckets(quotas, now);
  }

  /**
   * Serves one call: waits the configured latency, then throttles (token
   * bucket) or injects a fault, then runs the operation; counts the outcome
   * and tells the hook.
   */
  async serve<T>(ctx: CallContext, operation: IotOperation, input: unknown, run: () => T | Promise<T>): Promise<T> {
    const started = this.now();
    const startedReal = performance.now();
    const stats = this.counter(ctx.account, operation);
    stats.calls += 1;
    let outcome: CallOutcome = 'ok';
    let errorCode: string | undefined;
    try {
      const delay = this.latencyFor(ctx, operation, input);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (!this.buckets.take(ctx.account, ctx.region, operation)) {
        outcome = 'throttled';
        stats.throttled += 1;
        throw rateExceeded();
      }
      const fault = this.drawFault(operation);
      if (fault) {
        outcome = 'fault';
        stats.faults += 1;
        this.faultsInjected += 1;
        throw fault;
      }
      const result = await run();
      stats.succeeded += 1;
      return result;
    } catch (err) {
      if (outcome === 'ok') {
        outcome = 'error';
        stats.failed += 1;
      }
      errorCode = err instanceof AwsError ? err.code : 'InternalFailureException';
      throw err;
    } finally {
      try {
        this.options.onCall?.({ account: ctx.account, region: ctx.region, operation, input, outcome, errorCode, startedAt: new Date(started), durationMs: performance.now() - startedReal });
      } catch {
        // an observer must not change the answer
      }
    }
  }

  stats(): IotStats {
    const byAccount: IotStats['byAccount'] = {};
    let calls = 0;
    let throttled = 0;
    for (const [key, s] of this.counters) {
      const [account, operation] = key.split('|') as [string, IotOperation];
      (byAccount[account] ??= {})[operation] = { ...s };
      calls += s.calls;
      throttled += s.throttled;
    }
    return { byAccount, calls, throttled, faultsInjected: this.faultsInjected };
  }

  resetStats(): void {
    this.counters = new Map();
    this.faultsInjected = 0;
  }

  private counter(account: string, operation: IotOperation): OperationStats {
    const key = `${account}|${operation}`;
    let s = this.counters.get(key);
    if (!s) this.counters.set(key, (s = { calls: 0, succeeded: 0, failed: 0, throttled: 0, faults: 0 }));
    return s;
  }

  private drawFault(operation: IotOperation): IotError | undefined {
    const f = this.options.faults;
    if (!f || f.rate <= 0) return undefined;
    if (f.operations && !f.operations.includes(operation)) return undefined;
    const roll = this.faultRandom();
    const pick = this.faultRandom();
    if (roll >= f.rate) return undefined;
    const kinds = f.kinds && f.kinds.length > 0 ? f.kinds : FAULT_KINDS;
    return FAULT_ERRORS[kinds[Math.floor(pick * kinds.length)]]();
  }

  private latencyFor(ctx: CallContext, operation: IotOperation, input: unknown): number {
    const spec = this.options.latencyMs;
    if (spec === undefined) return 0;
    if (typeof spec === 'function') return spec({ account: ctx.account, operation, input });
    const range: LatencyRange | undefined =
      typeof spec === 'number' || ('min' in spec && 'max' in spec && typeof spec.min === 'number')
        ? (spec as LatencyRange)
        : ((spec as Partial<Record<string, LatencyRange>>)[operation] ?? (spec as Partial<Record<string, LatencyRange>>)['*']);
    if (range === undefined) return 0;
    if (typeof range === 'number') return range;
    return range.min + this.latencyRandom() * Math.max(0, range.max - range.min);
  }

  /** Empties the token buckets (a restored model starts with full ones). */
  clearBuckets(): void {
    this.buckets.clear();
  }
}

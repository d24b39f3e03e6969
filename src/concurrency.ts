// How much runs at once, derived from the IoT quotas: the calls in flight within one step
// (per-thing loops) and the transfers in flight in a batch (its Map's MaxConcurrency).
import { AWS_DEFAULT_IOT_TPS } from './ratebudget.js';

/** The most policies AWS IoT lets one certificate have attached: the worst case of a transfer's DetachPolicy calls. */
export const MAX_POLICIES_PER_CERTIFICATE = 10;

/** An IoT call as seen from a Lambda in the same region (the local figure of the README's measurements). */
export const TYPICAL_IOT_LATENCY_MS = 100;

/** Upper bound of calls one invocation keeps in flight, whatever the quota (sockets, memory, fairness). */
const MAX_CALLS_IN_FLIGHT = 25;

const tps = (limits: Readonly<Record<string, number>>, operation: string) => limits[operation] ?? AWS_DEFAULT_IOT_TPS[operation] ?? 10;

/**
 * Calls of `operation` one invocation keeps in flight: enough to use the
 * operation's quota at the typical latency (TPS × latency; 100 TPS × 0.1 s = 10
 * for DetachThingPrincipal), never more. The rate budget paces them anyway;
 * more in flight would only wait for slots.
 */
export function callConcurrency(operation: string, limits: Readonly<Record<string, number>> = AWS_DEFAULT_IOT_TPS, latencyMs = TYPICAL_IOT_LATENCY_MS): number {
  return Math.max(1, Math.min(MAX_CALLS_IN_FLIGHT, Math.ceil((tps(limits, operation) * latencyMs) / 1000)));
}

/** IoT calls one transfer makes through its forward steps, per operation, for a certificate with this many policies (restore excluded). */
export function callsPerTransfer(policies = MAX_POLICIES_PER_CERTIFICATE): Record<string, number> {
  return {
    DescribeCertificate: 2, // at request time, and after a TransferCertificate refused as not ACTIVE
    ListAttachedPolicies: 1,
    ListPrincipalThingsV2: 1,
    UpdateCertificate: 1,
    DetachPolicy: policies,
    // Detachments propagate asynchronously: the first attempt or two may conflict.
    TransferCertificate: 3,
  };
}

/**
 * Transfers a batch keeps in flight so that `batches` full batches running at
 * once never queue a step for longer than `stepBudgetSeconds`: for each
 * operation, the calls the batches' transfers want at once (concurrency × calls
 * per transfer × batches) must be served by its quota within the budget. The
 * bottleneck at default quotas is DetachPolicy (15 TPS, 10 policies): 15 × 20 s
 * / 10 calls / 2 batches = 15 transfers per batch. DetachThingPrincipal (100
 * TPS) is left out: its loop returns its progress and is run again, it cannot
 * time out. Any wait that would still pass a step's deadline fails over to the
 * state machine's throttling retrier instead of timing out (src/ratebudget.ts).
 */
export function batchConcurrency(
  opts: {
    limits?: Readonly<Record<string, number>>;
    policies?: number;
    /** Batches expected at once (default 2). */
    batches?: number;
    /** Longest a step should wait for its share of the quota: a 30 s step less its reserve and its own calls (default 20). */
    stepBudgetSeconds?: number;
    /** Ceiling of the batch workflow (an inline Map runs at most 40 at once). */
    max?: number;
  } = {},
): number {
  const limits = opts.limits ?? AWS_DEFAULT_IOT_TPS;
  const batches = opts.batches ?? 2;
  const budget = opts.stepBudgetSeconds ?? 20;
  let n = opts.max ?? 40;
  for (const [operation, calls] of Object.entries(callsPerTransfer(opts.policies))) {
    if (calls <= 0) continue;
    n = Math.min(n, Math.floor((tps(limits, operation) * budget) / (calls * batches)));
  }
  return Math.max(1, n);
}

/** IoT calls a typical transfer makes (one policy, one thing, no conflict), per operation that a quota limits, the decision's check with IoT included. */
export const TYPICAL_CALLS_PER_TRANSFER: Readonly<Record<string, number>> = {
  DescribeCertificate: 2, // the request's check, and the decision's check with IoT
  ListAttachedPolicies: 1,
  ListPrincipalThingsV2: 1,
  UpdateCertificate: 1,
  DetachPolicy: 1,
  DetachThingPrincipal: 1,
  TransferCertificate: 1,
};

/**
 * How long a typical transfer is in flight, request to ACCEPTED, when the
 * target accepts at once: the steps, the offer's round trip over EventBridge,
 * the decision's check, and a detach's propagation before TransferCertificate
 * (the local cloud measures 4–6 s: `npm run bench` prints medianTransferSeconds).
 */
export const TYPICAL_TRANSFER_SECONDS = 6;

/** Transfers per second the quotas allow a typical transfer: the busiest operation's quota over its calls. */
export function quotaThroughput(limits: Readonly<Record<string, number>> = AWS_DEFAULT_IOT_TPS): number {
  return Math.min(...Object.entries(TYPICAL_CALLS_PER_TRANSFER).map(([operation, calls]) => tps(limits, operation) / calls));
}

/**
 * Transfers a batch keeps in flight when its request names none: enough to
 * keep the quotas' throughput busy (Little's law: throughput × time in flight,
 * with half as much again for the transfers that take longer), and never fewer
 * than the worst case of {@link batchConcurrency} allows: 45 at AWS default
 * quotas (5 transfers/s: DescribeCertificate's 10 TPS over its 2 calls), 100,
 * the most, at 50 TPS.
 */
export function defaultConcurrency(limits: Readonly<Record<string, number>> = AWS_DEFAULT_IOT_TPS, max = 100): number {
  const busy = Math.ceil(quotaThroughput(limits) * TYPICAL_TRANSFER_SECONDS * 1.5);
  return Math.max(1, Math.min(max, Math.max(busy, batchConcurrency({ limits, max }))));
}

/**
 * `fn` over `items`, at most `concurrency` at once, results in the items' order
 * (a pool: a slow call holds one slot, not a whole wave).
 */
export async function mapPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

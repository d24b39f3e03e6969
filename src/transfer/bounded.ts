// Per-item loops that cannot outlive their Lambda: a few calls at a time, progress saved after
// each wave, and a stop (with the position reached) before the invocation's time runs out.
import { awsErrorName } from '../errors.js';
import { reserveFor } from '../ratebudget.js';

export interface BoundedProgress {
  /** Every item is done. */
  done: boolean;
  /** Items done from the start of the list (the next invocation starts here). */
  next: number;
}

export interface BoundedOptions {
  /** Calls in flight at once. */
  concurrency: number;
  /** Milliseconds left in the invocation (`context.getRemainingTimeInMillis`); default: no limit. */
  remainingMs?: () => number;
  /** Kept back at the end: saving progress and answering. Default {@link reserveFor} the time left at the start. */
  reserveMs?: number;
  /** Saves the position reached after each wave (a kill mid-loop then loses one wave at most). */
  save: (next: number) => Promise<void>;
}

/** The rate budget or IoT itself said "not now": stop and hand back the progress, or let the retrier back off. */
const isThrottle = (err: unknown) => awsErrorName(err) === 'ThrottlingException';

/**
 * Runs `fn` on `items[start…]`, `concurrency` at a time. Before each wave it
 * checks that the wave fits in the time left (1.5 × the slowest wave so far,
 * plus the reserve); if not, it returns `{done: false}` for the state machine
 * to run the step again. A throttle (rate budget or IoT) ends the invocation
 * the same way when some progress was made, and is rethrown (retryable, with
 * backoff) when none was. Any other error is rethrown after saving what the
 * waves before it did. Items must be idempotent: a wave cut short is redone.
 */
export async function runBounded<T>(items: readonly T[], start: number, fn: (item: T) => Promise<unknown>, opts: BoundedOptions): Promise<BoundedProgress> {
  const remaining = opts.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const reserve = opts.reserveMs ?? reserveFor(remaining());
  const size = Math.max(1, opts.concurrency);
  let next = Math.max(0, start);
  let slowestWave = 0;
  while (next < items.length) {
    if (remaining() < reserve + slowestWave * 1.5) break;
    const wave = items.slice(next, next + size);
    const began = Date.now();
    const results = await Promise.allSettled(wave.map((item) => fn(item)));
    slowestWave = Math.max(slowestWave, Date.now() - began);
    const firstFailed = results.findIndex((r) => r.status === 'rejected');
    if (firstFailed === -1) {
      next += wave.length;
      await opts.save(next);
      continue;
    }
    const error = (results[firstFailed] as PromiseRejectedResult).reason as unknown;
    const advanced = next + firstFailed > start;
    next += firstFailed;
    if (advanced) await opts.save(next);
    if (isThrottle(error) && next > start) return { done: false, next };
    throw error;
  }
  if (next >= items.length) return { done: true, next };
  if (next === start) {
    // Not even one wave fitted: nothing was gained, so say so as a retryable error rather than loop.
    throw Object.assign(new Error(`No time left in the invocation for ${size} call(s) (${remaining()} ms remaining)`), { name: 'ThrottlingException' });
  }
  return { done: false, next };
}

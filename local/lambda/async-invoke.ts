// Asynchronous invocation (InvocationType Event), as EventBridge and schedules invoke Lambda:
// the service accepts the event, and Lambda itself retries a function error (2 times by default).
import { LambdaServiceError } from './errors.js';

export interface AsyncInvokeOptions {
  /** The function's MaximumRetryAttempts (0–2; AWS default 2). */
  maximumRetryAttempts: number;
  /** Pause before retry n (1-based). AWS waits about 1 and then 2 minutes; locally shorter. */
  retryDelayMs: (attempt: number) => number;
  /** Throttled attempts before the event is dropped (AWS keeps retrying for up to 6 hours). Default 100. */
  maxThrottleRetries?: number;
  /** A function error left after every retry: what AWS sends to the on-failure destination or DLQ, or drops. */
  onDiscarded?: (err: Error, attempts: number) => void;
}

/**
 * Runs an event invocation the way Lambda's internal queue does. A Lambda service error that
 * refuses the event outright (no such function, payload too large) is thrown: the caller
 * (EventBridge) sees it. Function errors and throttles are retried here and never reach the
 * caller; the returned promise resolves once Lambda is done with the event, so a local caller
 * waiting for idleness also waits for the function.
 */
export async function invokeAsync(run: () => Promise<unknown>, opts: AsyncInvokeOptions): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (err) {
      const e = err as Error;
      const refused = e instanceof LambdaServiceError && e.code !== 'TooManyRequestsException' && e.code !== 'ServiceException';
      if (refused) throw e;
      // Throttles are retried by Lambda's queue for up to 6 hours; function errors MaximumRetryAttempts times.
      const throttled = e instanceof LambdaServiceError;
      if (throttled ? attempt > (opts.maxThrottleRetries ?? 100) : attempt > opts.maximumRetryAttempts) {
        opts.onDiscarded?.(e, attempt);
        return;
      }
      await new Promise((r) => setTimeout(r, opts.retryDelayMs(attempt)).unref?.());
    }
  }
}

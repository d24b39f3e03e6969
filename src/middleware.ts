import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger, redact } from './logger.js';
import { withDeadline } from './ratebudget.js';

/**
 * Composes the middleware every function shares, once: structured logs with
 * the Lambda context and the transfer id as correlation key, and one log line
 * per failure with secrets redacted. Errors are re-thrown unchanged so Step
 * Functions sees their name (e.g. `ThrottlingException`) and can retry.
 */
export function withMiddleware<E, R>(name: string, fn: (event: E, context: Context) => Promise<R>) {
  return (
    // No early abort: middy would otherwise fail the handler with its own TimeoutError 5 ms before the
    // deadline, an error name no retrier knows, where Lambda's kill gives Sandbox.Timedout, which each
    // step's retrier runs again (every step is idempotent and resumes from its saved progress).
    middy<E, R>({ timeoutEarlyInMillis: 0 })
      // Never log raw events (a task token rides in one); failures log a redacted copy below.
      .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
      .use({
        before: (request) => {
          const event = request.event as { transferId?: string; detail?: { transferId?: string }; pathParameters?: { transferId?: string } } | undefined;
          const transferId = event?.transferId ?? (event as { state?: { transferId?: string } })?.state?.transferId ?? event?.detail?.transferId ?? event?.pathParameters?.transferId;
          logger.appendKeys({ step: name, ...(transferId ? { transferId } : {}) });
        },
        onError: (request) => {
          const err = request.error;
          logger.error(`${name} failed`, { error: err ? { name: err.name, message: err.message } : undefined, event: redact(request.event) });
        },
      })
      // Every IoT rate-budget wait of the invocation ends before the Lambda's timeout (src/ratebudget.ts).
      .handler((event: E, context: Context) => withDeadline(context, () => fn(event, context)))
  );
}

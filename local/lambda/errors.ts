// The errors local Lambda fails an invocation with, named and worded as AWS Lambda reports them,
// and the invocation limits (payload sizes, concurrency) behind them.

/** Synchronous Invoke request body limit: 6 MB (`RequestEntityTooLargeException` over it). */
export const MAX_REQUEST_PAYLOAD_BYTES = 6 * 1024 * 1024;
/**
 * Synchronous response limit: AWS's error message names 6291556 bytes (6 MB + 100), the limit
 * LocalStack also applies after checking it against AWS.
 */
export const MAX_RESPONSE_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100;
/** Default concurrent executions per account and region (the `ConcurrentExecutions` quota). */
export const DEFAULT_ACCOUNT_CONCURRENCY = 1000;

/** The error document Lambda returns for a function error: `{errorType, errorMessage, trace}`. */
export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** A failed invocation, named like the error Step Functions and callers see. */
export class LambdaInvocationError extends Error {
  constructor(readonly payload: LambdaErrorPayload) {
    super(payload.errorMessage);
    this.name = payload.errorType;
  }
}

/**
 * An error of the Lambda service itself (the Invoke call fails with an HTTP error, the function does
 * not run). `code` is the API error code (`TooManyRequestsException`); `name` is how Step Functions
 * reports it for a Lambda task (`Lambda.TooManyRequestsException`), which is what retriers match.
 */
export class LambdaServiceError extends LambdaInvocationError {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super({ errorType: `Lambda.${code}`, errorMessage: message });
  }
}

export const lambdaErrors = {
  notFound: (arn: string) => new LambdaServiceError('ResourceNotFoundException', 404, `Function not found: ${arn}`),
  requestTooLarge: () => new LambdaServiceError('RequestEntityTooLargeException', 413, `Request must be smaller than ${MAX_REQUEST_PAYLOAD_BYTES} bytes for the InvokeFunction operation`),
  reservedConcurrencyExceeded: () => new LambdaServiceError('TooManyRequestsException', 429, 'Rate Exceeded.', 'ReservedFunctionConcurrentInvocationLimitExceeded'),
  accountConcurrencyExceeded: () => new LambdaServiceError('TooManyRequestsException', 429, 'Rate Exceeded.', 'ConcurrentInvocationLimitExceeded'),
  shutDown: () => new LambdaServiceError('ServiceException', 500, 'The local Lambda runtime has shut down'),
  timedOut: (requestId: string, timeoutSeconds: number) =>
    new LambdaInvocationError({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds` }),
  exited: (requestId: string, how: string) => new LambdaInvocationError({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${how}` }),
  responseTooLarge: () =>
    new LambdaInvocationError({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_PAYLOAD_BYTES} bytes).` }),
};

import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DomainError, TransferInProgress, TransferStateConflict, ValidationError } from './errors.js';
import { logger } from './logger.js';
import { withMiddleware } from './middleware.js';

export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  currentStatus?: string;
  openTransferId?: string;
  requestId?: string;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/**
 * The single place where errors become HTTP responses. Domain errors keep
 * their status and say which field or status is at fault; anything else is a
 * plain 500 whose details stay in the log.
 */
export function errorResponse(err: unknown, requestId?: string): APIGatewayProxyResult {
  if (err instanceof DomainError) {
    const body: ErrorBody = { error: err.name, message: err.message };
    const field = (err as { field?: string }).field;
    if (field) body.field = field;
    if (err instanceof TransferStateConflict) body.currentStatus = err.currentStatus;
    if (err instanceof TransferInProgress && err.openTransferId !== 'unknown') body.openTransferId = err.openTransferId;
    if (err.status >= 500) body.requestId = requestId;
    return json(err.status, body);
  }
  if (err instanceof Error && err.name === 'ThrottlingException') {
    // IoT (or our own rate budget) is at its quota: the caller should come back shortly.
    return json(429, { error: 'TooManyRequests', message: 'The IoT rate budget is spent for now; retry in a few seconds', requestId } satisfies ErrorBody, { 'retry-after': '2' });
  }
  if (isServiceFault(err)) {
    // An AWS service stayed unavailable through the SDK's retries: a retry later is expected to work.
    logger.warn('AWS service fault', { error: { name: (err as Error).name, message: (err as Error).message } });
    return json(
      503,
      {
        error: 'ServiceUnavailable',
        message: `${(err as Error).name} from AWS after retries; retry in a few seconds (with the same requestId, a retry never starts a transfer twice)`,
        requestId,
      } satisfies ErrorBody,
      { 'retry-after': '2' },
    );
  }
  logger.error('Unhandled error', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) });
  return json(500, { error: 'InternalError', message: 'Internal error; see the service logs', requestId } satisfies ErrorBody);
}

const SERVICE_FAULTS = new Set([
  'ServiceUnavailableException',
  'InternalFailureException',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'InternalFailure',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);

/** A transient fault of an AWS service (its name, or a 5xx answer), not a bug of ours. */
function isServiceFault(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (SERVICE_FAULTS.has(err.name)) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** Wraps an API handler: shared middleware plus the error mapping above. */
export function httpHandler(name: string, fn: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>) {
  return withMiddleware<APIGatewayProxyEvent, APIGatewayProxyResult>(name, async (event, context) => {
    try {
      return await fn(event, context);
    } catch (err) {
      return errorResponse(err, context.awsRequestId);
    }
  });
}

export function pathParam(event: APIGatewayProxyEvent, name: string, pattern: RegExp): string {
  const value = event.pathParameters?.[name];
  if (!value || !pattern.test(value)) throw new ValidationError(name, `${name} in the path is malformed`);
  return value;
}

// The awsJson 1.0 / 1.1 wire protocol, written once for the emulators that speak it (Step Functions,
// EventBridge): operation from X-Amz-Target, JSON in and out, dates as epoch seconds, AWS-shaped errors.
import { AwsError, type AwsRequest, type AwsResponse, type ServiceProvider } from '../edge/types.js';

/** Who calls: the account (a 12-digit access key id) and the region of the request's SigV4 scope. */
export interface AwsJsonContext {
  account: string;
  region: string;
}

/** One operation: the model's method for it. May return a value or a promise. */
export type AwsJsonOperation<M> = (model: M, ctx: AwsJsonContext, input: Record<string, unknown>) => unknown;

export interface AwsJsonService<M> {
  /** Provider name, as the edge router logs it (`stepfunctions`, `events`). */
  name: string;
  /** SigV4 signing names routed to this provider. */
  signingNames: readonly string[];
  /** The service as messages name it (`Step Functions`, `EventBridge`). */
  title: string;
  /** awsJson version: sets `Content-Type: application/x-amz-json-<version>`. */
  version: '1.0' | '1.1';
  /** X-Amz-Target prefix, without the dot (`AWSStepFunctions`, `AWSEvents`). */
  targetPrefix: string;
  /** Implemented operations by wire name; any other answers 501. */
  operations: Readonly<Record<string, AwsJsonOperation<M>>>;
  /**
   * The AWS name of the 500 an unexpected error answers: the common `InternalFailure`, or the
   * service's own where its API reference lists one (EventBridge: `InternalException`).
   */
  internalErrorName: string;
}

/** Dates become epoch seconds (fractional), undefined members disappear: awsJson's timestamp format. */
export function toAwsJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });
}

/**
 * A ServiceProvider for the edge router. Errors are `{"__type": "<Name>", "message": "…"}` with the
 * `x-amzn-errortype` header: an AwsError with its own status; a missing or foreign X-Amz-Target 400
 * `UnknownOperationException`; an operation not implemented 501 `NotImplementedException`; a body that
 * is not a JSON object 400 `SerializationException`; anything else 500 `internalErrorName`, whose
 * detail stays in the log.
 */
export function createAwsJsonProvider<M>(model: M, service: AwsJsonService<M>): ServiceProvider {
  const contentType = `application/x-amz-json-${service.version}`;
  const prefix = `${service.targetPrefix}.`;

  const errorResponse = (code: string, message: string, status: number): AwsResponse => ({
    status,
    headers: { 'content-type': contentType, 'x-amzn-errortype': code },
    body: JSON.stringify({ __type: code, message }),
  });

  return {
    name: service.name,
    signingNames: service.signingNames,
    async handle(req: AwsRequest): Promise<AwsResponse> {
      const target = req.headers['x-amz-target'] ?? '';
      const operation = target.startsWith(prefix) ? target.slice(prefix.length) : '';
      if (req.method !== 'POST' || !operation) {
        return errorResponse('UnknownOperationException', `Expected POST with X-Amz-Target: ${prefix}<Operation>`, 400);
      }
      const handler = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
      if (!handler) {
        return errorResponse('NotImplementedException', `The operation ${operation} of ${service.title} is not implemented by the local cloud`, 501);
      }
      let input: unknown = {};
      if (req.body.length > 0) {
        try {
          input = JSON.parse(req.body.toString('utf8'));
        } catch {
          return errorResponse('SerializationException', 'The request body is not valid JSON.', 400);
        }
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return errorResponse('SerializationException', 'The request body must be a JSON object.', 400);
      }
      try {
        const output = await handler(model, { account: req.account, region: req.region }, input as Record<string, unknown>);
        return { status: 200, headers: { 'content-type': contentType }, body: toAwsJson(output ?? {}) };
      } catch (err) {
        if (err instanceof AwsError) return errorResponse(err.code, err.message, err.status);
        console.error(`[${service.name}]`, operation, err);
        return errorResponse(service.internalErrorName, 'An internal error occurred.', 500);
      }
    },
  };
}

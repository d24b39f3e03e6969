// Service integrations as Step Functions shapes them: Lambda function names, the lambda:invoke
// response, and the errors a failed Lambda or service call becomes in the execution.
import { randomUUID } from 'node:crypto';
import { AwsError } from '../edge/types.js';
import { TaskAbandoned, TaskFailure } from './errors.js';
import type { JsonValue, LambdaTarget } from './types.js';

/** Parses a Lambda FunctionName: name, partial ARN (`123456789012:function:name`) or ARN, each with an optional qualifier. */
export function parseFunctionName(functionName: string, account: string, region: string): LambdaTarget {
  const full = functionName.match(/^arn:aws[\w-]*:lambda:([^:]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/);
  if (full) return { region: full[1], account: full[2], name: full[3], qualifier: full[4] };
  const partial = functionName.match(/^(\d{12}):function:([^:]+)(?::([^:]+))?$/);
  if (partial) return { region, account: partial[1], name: partial[2], qualifier: partial[3] };
  const [name, qualifier] = functionName.split(':');
  return { region, account, name, qualifier };
}

/** The Lambda Invoke response as the `lambda:invoke` integration returns it. */
export function lambdaInvokeResponse(payload: JsonValue): JsonValue {
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      HttpHeaders: { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-RequestId': requestId },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

/** A Lambda handler error, surfaced the way Step Functions does: error = errorType, cause = the error JSON. */
export function lambdaFailure(err: unknown): Error {
  if (err instanceof TaskFailure || err instanceof TaskAbandoned) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const errorType = e.name || 'Error';
  const trace = (e.stack ?? '').split('\n').filter((l) => l.length > 0);
  return new TaskFailure(errorType, JSON.stringify({ errorMessage: e.message, errorType, trace }));
}

export function serviceFailure(err: unknown, service: string): Error {
  if (err instanceof TaskFailure || err instanceof TaskAbandoned) return err;
  if (err instanceof AwsError) {
    const prefix = service === 'states' ? 'StepFunctions' : service;
    const code = err.code.endsWith('Exception') ? err.code : `${err.code}Exception`;
    return new TaskFailure(`${prefix}.${code}`, `${err.message} (Service: ${service}, Status Code: ${err.status}, Error Code: ${code})`);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return new TaskFailure(e.name || 'Error', e.message);
}

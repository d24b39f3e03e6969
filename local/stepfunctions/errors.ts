// Step Functions errors: the API's (AwsError with the service's names and wording) and a Task's
// (TaskFailure, TaskAbandoned), which Retry and Catch match or pass by.
import { AwsError } from '../edge/types.js';
import { PAYLOAD_LIMIT_BYTES } from './limits.js';

/** Step Functions API errors, named and worded as the service does. */
export const sfnErrors = {
  invalidArn: (arn: unknown, what = 'Resource type not valid in this context') => new AwsError('InvalidArn', `Invalid Arn: '${what}: ${String(arn)}'`),
  invalidName: (name: unknown) => new AwsError('InvalidName', `Invalid Name: '${String(name)}'`),
  stateMachineDoesNotExist: (arn: string) => new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`),
  stateMachineAlreadyExists: (arn: string) => new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`),
  executionDoesNotExist: (arn: string) => new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`),
  executionAlreadyExists: (arn: string) => new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`),
  invalidExecutionInput: (detail: string) => new AwsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${detail}'`),
  invalidToken: (detail = 'Invalid token') => new AwsError('InvalidToken', `Invalid Token: '${detail}'`),
  taskTimedOut: () => new AwsError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'"),
  taskDoesNotExist: () => new AwsError('TaskDoesNotExist', "Task Does Not Exist: 'Provided task does not exist'"),
  invalidOutput: (detail: string) => new AwsError('InvalidOutput', `Invalid Output: '${detail}'`),
  typeNotSupported: (what: string) => new AwsError('StateMachineTypeNotSupported', `This operation is not supported by ${what} state machines`),
  validation: (message: string) => new AwsError('ValidationException', message),
  missing: (field: string) => new AwsError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`),
  /** A payload member over its length constraint (262,144 bytes in UTF-8 for input and output). */
  tooLong: (field: string, max = PAYLOAD_LIMIT_BYTES) =>
    new AwsError('ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`),
  unavailable: () => new AwsError('ServiceUnavailable', 'The Step Functions emulator is shutting down', 503),
};

/**
 * The error a Task fails with, as Step Functions reports it: `name` is the ASL
 * error matched by Retry/Catch, `message` is the cause. A runner may throw it
 * from `invokeTask` to fail a task with an exact error and cause.
 */
export class TaskFailure extends Error {
  constructor(error: string, cause = '') {
    super(cause);
    this.name = error;
  }

  get isRetryable(): boolean {
    return true;
  }
  get isCatchable(): boolean {
    return true;
  }
}

/**
 * A task the execution no longer waits for (stopped, timed out, sibling Map
 * iteration failed). Neither retried nor caught, exactly like the library's
 * own States.Runtime, so a Retry: States.ALL cannot resurrect it.
 */
export class TaskAbandoned extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'States.Runtime';
  }

  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/** A non-retriable, non-catchable States.Runtime error raised by the model (e.g. a bad TimeoutSecondsPath value). */
export class StatesRuntimeFailure extends TaskAbandoned {}

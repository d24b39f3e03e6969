// The Step Functions quotas the emulator enforces (payload size, history length, execution time), as data,
// and the errors an execution fails with when it hits one. Inline Map concurrency lives in map-concurrency.ts.
import { EXECUTION_MAX_SECONDS } from '../../src/config.js';
import type { StateMachineType } from './types.js';

/**
 * "Maximum input or output size for a task, state, or execution: 262,144 bytes of data as a UTF-8
 * encoded string. This quota affects tasks (activity, Lambda function, or integrated service), state or
 * execution output, and input data when scheduling a task, entering a state, or starting an execution."
 * (developer guide, "Step Functions service quotas", quotas related to task executions).
 */
export const PAYLOAD_LIMIT_BYTES = 262_144;

/**
 * "25,000 events in a single state machine execution history. If the execution history reaches this
 * quota, the execution will fail." Standard workflows only; Express histories are unlimited.
 */
export const HISTORY_EVENT_LIMIT = 25_000;

/** "Maximum execution time": 1 year for Standard, 5 minutes for Express, then `States.Timeout`. */
export const MAX_EXECUTION_SECONDS: Record<StateMachineType, number> = {
  STANDARD: EXECUTION_MAX_SECONDS,
  EXPRESS: 300,
};

/**
 * The largest value Step Functions' definition schema accepts in its seconds fields
 * (`SCHEMA_VALIDATION_FAILED: Maximum value is 99999999`, as CreateStateMachine answers for Wait.Seconds).
 */
export const MAX_SECONDS_FIELD = 99_999_999;

/** UTF-8 size of a serialized payload. */
export function payloadBytes(serialized: string): number {
  return Buffer.byteLength(serialized, 'utf8');
}

export function exceedsPayloadLimit(serialized: string): boolean {
  return payloadBytes(serialized) > PAYLOAD_LIMIT_BYTES;
}

/**
 * `States.DataLimitExceeded`. The developer guide ("Handling errors in Step Functions workflows", Error
 * names) calls it "a terminal error that can't be caught by the States.ALL error type", and says of
 * States.ALL that it "can't catch the States.DataLimitExceeded terminal error". Terminal: the execution
 * fails, so neither a retrier nor a catcher (not even one naming it) gets it. The library honours these
 * two getters exactly as for its own States.Runtime.
 */
export class DataLimitExceeded extends Error {
  constructor(cause: string) {
    super(cause);
    this.name = 'States.DataLimitExceeded';
  }

  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/** The cause AWS gives when a task or a state returns too much (`subject`: the Lambda ARN, the service, or the state name). */
export function resultTooLarge(subject: string): DataLimitExceeded {
  return new DataLimitExceeded(`The state/task '${subject}' returned a result with a size exceeding the maximum number of bytes service limit.`);
}

/** A state entered, or a task scheduled, with an input over the quota. */
export function inputTooLarge(subject: string): DataLimitExceeded {
  return new DataLimitExceeded(`The state/task '${subject}' has an input with a size exceeding the maximum number of bytes service limit.`);
}

/** The failure that becomes the last event of a history that reached the quota (error `States.Runtime`). */
export function historyLimitCause(limit: number): string {
  return `The execution reached the maximum number of history events (${limit}).`;
}

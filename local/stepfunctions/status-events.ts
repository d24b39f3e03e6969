// The "Step Functions Execution Status Change" events Step Functions puts on the account's default
// event bus (source aws.states) each time a Standard execution starts and ends.
import type { DescribeExecutionOutput, ExecutionSummary, StepFunctionsModel } from './model.js';

export const STATUS_CHANGE_SOURCE = 'aws.states';
export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

/**
 * "If the combined escaped input and escaped output sent to EventBridge exceeds 248KB, then the input
 * will be excluded. Similarly, if the escaped output exceeds 248KB, then the output will be excluded."
 * (developer guide, EventBridge payloads). `inputDetails`/`outputDetails` then say `included: false`.
 */
const MAX_ESCAPED_BYTES = 248 * 1024;

/** A PutEvents entry as an AWS service sends it (the bus is the account's default bus). */
export interface ServiceEventEntry {
  Source: string;
  DetailType: string;
  Resources: string[];
  Detail: string;
  Time: Date;
}

/** Puts a service event on the default bus of `account`/`region` (EventBridgeModel.putServiceEvent). */
export type PutServiceEvent = (ctx: { account: string; region: string }, entry: ServiceEventEntry) => unknown;

function escapedBytes(s: string | undefined): number {
  return s === undefined ? 0 : Buffer.byteLength(JSON.stringify(s), 'utf8');
}

/**
 * The event's `detail`: DescribeExecution's fields, dates as epoch milliseconds, absent values as null
 * (the developer guide's examples for RUNNING, SUCCEEDED, FAILED, TIMED_OUT and ABORTED).
 */
export function statusChangeDetail(d: DescribeExecutionOutput): Record<string, unknown> {
  const outputIncluded = d.output !== undefined && escapedBytes(d.output) <= MAX_ESCAPED_BYTES;
  const inputIncluded = d.input !== undefined && escapedBytes(d.input) + (outputIncluded ? escapedBytes(d.output) : 0) <= MAX_ESCAPED_BYTES;
  return {
    executionArn: d.executionArn,
    stateMachineArn: d.stateMachineArn,
    name: d.name,
    status: d.status,
    startDate: d.startDate.getTime(),
    stopDate: d.stopDate?.getTime() ?? null,
    input: inputIncluded ? d.input : null,
    inputDetails: { included: inputIncluded },
    output: outputIncluded ? d.output : null,
    outputDetails: d.output === undefined ? null : { included: outputIncluded },
    error: d.error ?? null,
    cause: d.cause ?? null,
  };
}

export function statusChangeEntry(d: DescribeExecutionOutput): ServiceEventEntry {
  return {
    Source: STATUS_CHANGE_SOURCE,
    DetailType: STATUS_CHANGE_DETAIL_TYPE,
    Resources: [d.executionArn],
    Detail: JSON.stringify(statusChangeDetail(d)),
    Time: d.stopDate ?? d.startDate,
  };
}

/**
 * Publishes a status change for every Standard execution of `model` when it starts (RUNNING) and when it
 * ends (SUCCEEDED, FAILED, TIMED_OUT, ABORTED). Express workflows send none, as in AWS. Returns the
 * unsubscribe function: call it before shutting the model down, so the local cloud's own stop does not
 * publish ABORTED events AWS would never send.
 */
export function publishExecutionStatusEvents(
  model: StepFunctionsModel,
  put: PutServiceEvent,
  onError: (err: unknown) => void = (err) => console.error('[stepfunctions] status event', err),
): () => void {
  const send = (execution: ExecutionSummary, d: DescribeExecutionOutput): void => {
    try {
      put({ account: execution.account, region: execution.region }, statusChangeEntry(d));
    } catch (err) {
      onError(err);
    }
  };
  return model.onExecutionEvent((event) => {
    const { execution } = event;
    if (execution.type !== 'STANDARD') return;
    if (event.type === 'ExecutionStarted') {
      const detail = model.getExecution(execution.executionArn);
      if (detail) send(execution, { ...detail, inputDetails: { included: true }, stopDate: undefined, output: undefined });
    } else if (event.type === 'ExecutionEnded') {
      model.waitForExecution(execution.executionArn).then((d) => send(execution, d), onError);
    }
  });
}

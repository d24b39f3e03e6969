// What callers see of an execution: its summary, DescribeExecution's answer, public history events,
// and the read helpers of the runner and the console (allExecutions, getExecution, waitForExecution).
import { sfnErrors } from './errors.js';
import type { ExecutionRecord, ModelState } from './records.js';
import type { DescribeExecutionOutput, ExecutionDetail, ExecutionStatus, ExecutionSummary, HistoryEvent, StoredEvent } from './types.js';

export function summary(rec: ExecutionRecord): ExecutionSummary {
  return {
    account: rec.account,
    region: rec.region,
    executionArn: rec.executionArn,
    stateMachineArn: rec.stateMachineArn,
    stateMachineName: rec.stateMachineName,
    name: rec.name,
    type: rec.type,
    status: rec.status,
    startDate: new Date(rec.startDate),
    stopDate: rec.stopDate !== undefined ? new Date(rec.stopDate) : undefined,
  };
}

export function describe(rec: ExecutionRecord): DescribeExecutionOutput {
  return {
    executionArn: rec.executionArn,
    stateMachineArn: rec.stateMachineArn,
    name: rec.name,
    status: rec.status,
    startDate: new Date(rec.startDate),
    stopDate: rec.stopDate !== undefined ? new Date(rec.stopDate) : undefined,
    ...ioOf(rec),
  };
}

/** An execution's input, output, error and cause as DescribeExecution and StartSyncExecution answer them. */
export function ioOf(rec: ExecutionRecord) {
  return {
    input: rec.input,
    inputDetails: { included: true },
    output: rec.output,
    outputDetails: rec.output !== undefined ? { included: true } : undefined,
    error: rec.error,
    cause: rec.cause,
  };
}

export function publicEvent(ev: StoredEvent, includeData: boolean): HistoryEvent {
  const out: HistoryEvent = { id: ev.id, previousEventId: ev.previousEventId, timestamp: new Date(ev.timestamp), type: ev.type };
  if (ev.detailsKey) {
    const details = { ...(ev.details ?? {}) };
    if (!includeData) {
      for (const k of ['input', 'output', 'parameters'] as const) {
        if (k in details) {
          delete details[k];
        }
      }
    }
    out[ev.detailsKey as `${string}EventDetails`] = details;
  }
  return out;
}

/** All executions, newest first, optionally filtered (any account/region unless given). */
export function allExecutions(model: ModelState, filter: { account?: string; region?: string; stateMachineArn?: string; status?: ExecutionStatus } = {}): ExecutionSummary[] {
  return [...model.executions.values()]
    .filter(
      (e) =>
        (filter.account === undefined || e.account === filter.account) &&
        (filter.region === undefined || e.region === filter.region) &&
        (filter.stateMachineArn === undefined || e.stateMachineArn === filter.stateMachineArn) &&
        (filter.status === undefined || e.status === filter.status),
    )
    .sort((a, b) => b.startDate - a.startDate)
    .map((e) => summary(e));
}

/** One execution with its history and the states it is in, or undefined. */
export function getExecution(model: ModelState, executionArn: string): ExecutionDetail | undefined {
  const rec = model.executions.get(executionArn);
  if (!rec) return undefined;
  return {
    ...summary(rec),
    input: rec.input,
    output: rec.output,
    error: rec.error,
    cause: rec.cause,
    roleArn: rec.roleArn,
    definition: rec.definition,
    activeStates: [...rec.activeStates.keys()],
    history: rec.history.map((e) => publicEvent(e, true)),
  };
}

/** Resolves with DescribeExecution's answer once the execution has ended (at once if it has). */
export async function waitForExecution(model: ModelState, executionArn: string): Promise<DescribeExecutionOutput> {
  const rec = model.executions.get(executionArn);
  if (!rec) throw sfnErrors.executionDoesNotExist(executionArn);
  await rec.finished;
  return describe(rec);
}

// Execution operations: StartExecution, StartSyncExecution, DescribeExecution, ListExecutions,
// StopExecution, GetExecutionHistory and DescribeStateMachineForExecution. The running is engine.ts's.
import { start } from './engine.js';
import { sfnErrors } from './errors.js';
import { findExecution, findStateMachine } from './lookup.js';
import { decodePageToken, encodePageToken, pageSize } from './pagination.js';
import type { ExecutionRecord, ModelState } from './records.js';
import { endRun } from './stop.js';
import type { DescribeExecutionOutput, ExecutionStatus, RequestContext } from './types.js';
import { requireString } from './validate.js';
import { describe, ioOf, publicEvent } from './views.js';

export async function startExecution(model: ModelState, ctx: RequestContext, input: Record<string, unknown>): Promise<{ executionArn: string; startDate: Date }> {
  const rec = await start(model, ctx, input, false);
  return { executionArn: rec.executionArn, startDate: new Date(rec.startDate) };
}

export async function startSyncExecution(model: ModelState, ctx: RequestContext, input: Record<string, unknown>) {
  const rec = await start(model, ctx, input, true);
  await rec.finished;
  const stopDate = rec.stopDate ?? model.clock();
  return {
    executionArn: rec.executionArn,
    stateMachineArn: rec.stateMachineArn,
    name: rec.name,
    startDate: new Date(rec.startDate),
    stopDate: new Date(stopDate),
    status: rec.status,
    ...ioOf(rec),
    billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: Math.max(100, Math.ceil((stopDate - rec.startDate) / 100) * 100) },
  };
}

export async function describeExecution(model: ModelState, ctx: RequestContext, input: Record<string, unknown>): Promise<DescribeExecutionOutput> {
  const rec = findExecution(model, ctx, requireString(input, 'executionArn'), true);
  return describe(rec);
}

export async function describeStateMachineForExecution(model: ModelState, ctx: RequestContext, input: Record<string, unknown>) {
  const rec = findExecution(model, ctx, requireString(input, 'executionArn'));
  return {
    stateMachineArn: rec.stateMachineArn,
    name: rec.stateMachineName,
    definition: rec.definition,
    roleArn: rec.roleArn,
    updateDate: new Date(model.stateMachines.get(rec.stateMachineArn)?.updateDate ?? rec.startDate),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

/** ListExecutions: of a state machine, or (`mapRunArn`) the children of a distributed Map's run. */
export async function listExecutions(model: ModelState, ctx: RequestContext, input: Record<string, unknown>) {
  let belongs: (e: ExecutionRecord) => boolean;
  if (input.mapRunArn !== undefined && input.mapRunArn !== null) {
    if (input.stateMachineArn !== undefined && input.stateMachineArn !== null) throw sfnErrors.validation('Only one of stateMachineArn and mapRunArn may be given');
    const mapRunArn = requireString(input, 'mapRunArn');
    belongs = (e) => e.mapRunArn === mapRunArn && e.account === ctx.account && e.region === ctx.region;
  } else {
    const sm = findStateMachine(model, ctx, requireString(input, 'stateMachineArn'));
    if (sm.type === 'EXPRESS') throw sfnErrors.typeNotSupported('EXPRESS');
    belongs = (e) => e.stateMachineArn === sm.arn;
  }
  const status = input.statusFilter as ExecutionStatus | undefined;
  if (status !== undefined && !['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'].includes(status)) {
    throw sfnErrors.validation(`1 validation error detected: Value '${String(status)}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set`);
  }
  const all = [...model.executions.values()].filter((e) => belongs(e) && e.type === 'STANDARD' && (status === undefined || e.status === status)).sort((a, b) => b.startDate - a.startDate);
  const start = decodePageToken(input.nextToken as string | undefined);
  const size = pageSize(input.maxResults);
  return {
    executions: all.slice(start, start + size).map((e) => ({
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: new Date(e.startDate),
      stopDate: e.stopDate !== undefined ? new Date(e.stopDate) : undefined,
    })),
    nextToken: start + size < all.length ? encodePageToken(start + size) : undefined,
  };
}

/** Stops a running execution: status ABORTED, pending tasks abandoned (their tokens answer TaskTimedOut). */
export async function stopExecution(model: ModelState, ctx: RequestContext, input: Record<string, unknown>): Promise<{ stopDate: Date }> {
  const rec = findExecution(model, ctx, requireString(input, 'executionArn'), true);
  const error = input.error as string | undefined;
  const cause = input.cause as string | undefined;
  if (error !== undefined && (typeof error !== 'string' || error.length > 256)) throw sfnErrors.validation("Value at 'error' must be a string of at most 256 characters");
  if (cause !== undefined && (typeof cause !== 'string' || cause.length > 32768)) throw sfnErrors.validation("Value at 'cause' must be a string of at most 32768 characters");
  if (rec.run) await endRun(rec.run, { status: 'ABORTED', error, cause });
  return { stopDate: new Date(rec.stopDate ?? model.clock()) };
}

export async function getExecutionHistory(model: ModelState, ctx: RequestContext, input: Record<string, unknown>) {
  const rec = findExecution(model, ctx, requireString(input, 'executionArn'), true);
  const includeData = input.includeExecutionData !== false;
  const events = input.reverseOrder === true ? [...rec.history].reverse() : rec.history;
  const start = decodePageToken(input.nextToken as string | undefined);
  const size = pageSize(input.maxResults);
  return {
    events: events.slice(start, start + size).map((e) => publicEvent(e, includeData)),
    nextToken: start + size < events.length ? encodePageToken(start + size) : undefined,
  };
}

// StepFunctionsModel: the emulator's state (state machines, executions, callback tasks, listeners) and
// one thin method per operation or helper, each handing that state to the module that implements it.
import '../polyfills.js';
import * as callbacks from './callbacks.js';
import * as executions from './executions.js';
import { HISTORY_EVENT_LIMIT } from './limits.js';
import * as machines from './machines.js';
import type { ModelState } from './records.js';
import * as snapshots from './snapshot.js';
import { shutdown } from './stop.js';
import { TaskTokens } from './tokens.js';
import type { DescribeExecutionOutput, ExecutionDetail, ExecutionEvent, ExecutionStatus, ExecutionSummary, RequestContext, StepFunctionsModelOptions, StepFunctionsSnapshot } from './types.js';
import * as views from './views.js';

export { TaskFailure } from './errors.js';
export { parseFunctionName } from './integrations.js';
export type {
  DescribeExecutionOutput,
  ExecutionDetail,
  ExecutionEvent,
  ExecutionSnapshot,
  ExecutionStatus,
  ExecutionSummary,
  HistoryEvent,
  LambdaTarget,
  RequestContext,
  StateMachineSnapshot,
  StateMachineType,
  StepFunctionsModelOptions,
  StepFunctionsSnapshot,
  TaskCall,
} from './types.js';

export class StepFunctionsModel {
  private readonly state: ModelState;

  constructor(options: StepFunctionsModelOptions) {
    this.state = {
      invokeTask: options.invokeTask,
      clock: options.clock ?? Date.now,
      defaultTaskTimeoutSeconds: options.defaultTaskTimeoutSeconds === undefined ? 60 : options.defaultTaskTimeoutSeconds,
      tokens: new TaskTokens(options.tokenSecret),
      retryIntervalOverrides: options.retryIntervalOverrides,
      waitTimeOverrides: options.waitTimeOverrides,
      historyEventLimit: options.historyEventLimit ?? HISTORY_EVENT_LIMIT,
      onInternalError: options.onInternalError ?? ((err) => console.error('[stepfunctions]', err)),
      authorizeServiceCall: options.authorizeServiceCall,
      bootTime: Date.now(),
      stateMachines: new Map(),
      executions: new Map(),
      callbacks: new Map(),
      listeners: new Set(),
      closed: false,
    };
  }

  // ── state machines (machines.ts) ──

  createStateMachine(ctx: RequestContext, input: Record<string, unknown>) {
    return machines.createStateMachine(this.state, ctx, input);
  }

  describeStateMachine(ctx: RequestContext, input: Record<string, unknown>) {
    return machines.describeStateMachine(this.state, ctx, input);
  }

  describeStateMachineForExecution(ctx: RequestContext, input: Record<string, unknown>) {
    return executions.describeStateMachineForExecution(this.state, ctx, input);
  }

  listStateMachines(ctx: RequestContext, input: Record<string, unknown>) {
    return machines.listStateMachines(this.state, ctx, input);
  }

  updateStateMachine(ctx: RequestContext, input: Record<string, unknown>) {
    return machines.updateStateMachine(this.state, ctx, input);
  }

  /** Deletes at once; running executions carry on with the definition they started with. */
  deleteStateMachine(ctx: RequestContext, input: Record<string, unknown>) {
    return machines.deleteStateMachine(this.state, ctx, input);
  }

  // ── executions (executions.ts, run by engine.ts) ──

  startExecution(ctx: RequestContext, input: Record<string, unknown>) {
    return executions.startExecution(this.state, ctx, input);
  }

  startSyncExecution(ctx: RequestContext, input: Record<string, unknown>) {
    return executions.startSyncExecution(this.state, ctx, input);
  }

  describeExecution(ctx: RequestContext, input: Record<string, unknown>) {
    return executions.describeExecution(this.state, ctx, input);
  }

  listExecutions(ctx: RequestContext, input: Record<string, unknown>) {
    return executions.listExecutions(this.state, ctx, input);
  }

  /** Stops a running execution: status ABORTED, pending tasks abandoned (their tokens answer TaskTimedOut). */
  stopExecution(ctx: RequestContext, input: Record<string, unknown>) {
    return executions.stopExecution(this.state, ctx, input);
  }

  getExecutionHistory(ctx: RequestContext, input: Record<string, unknown>) {
    return executions.getExecutionHistory(this.state, ctx, input);
  }

  // ── task callbacks (callbacks.ts) ──

  sendTaskSuccess(ctx: RequestContext, input: Record<string, unknown>) {
    return callbacks.sendTaskSuccess(this.state, ctx, input);
  }

  sendTaskFailure(ctx: RequestContext, input: Record<string, unknown>) {
    return callbacks.sendTaskFailure(this.state, ctx, input);
  }

  sendTaskHeartbeat(ctx: RequestContext, input: Record<string, unknown>) {
    return callbacks.sendTaskHeartbeat(this.state, ctx, input);
  }

  // ── helpers for the runner, the console and tests (views.ts, snapshot.ts) ──

  /** The definition (JSON string) of a state machine, or undefined. */
  getDefinition(stateMachineArn: string): string | undefined {
    return this.state.stateMachines.get(stateMachineArn)?.definition;
  }

  /** All executions, newest first, optionally filtered (any account/region unless given). */
  allExecutions(filter: { account?: string; region?: string; stateMachineArn?: string; status?: ExecutionStatus } = {}): ExecutionSummary[] {
    return views.allExecutions(this.state, filter);
  }

  /** One execution with its history and the states it is in, or undefined. */
  getExecution(executionArn: string): ExecutionDetail | undefined {
    return views.getExecution(this.state, executionArn);
  }

  /** Resolves with DescribeExecution's answer once the execution has ended (at once if it has). */
  waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    return views.waitForExecution(this.state, executionArn);
  }

  /** Subscribes to execution events; returns the unsubscribe function. */
  onExecutionEvent(listener: (event: ExecutionEvent) => void): () => void {
    this.state.listeners.add(listener);
    return () => {
      this.state.listeners.delete(listener);
    };
  }

  /**
   * State machines and executions, JSON-serialisable. Running executions are
   * recorded as ABORTED: they cannot be resumed after a restart.
   */
  snapshot(): StepFunctionsSnapshot {
    return snapshots.snapshot(this.state);
  }

  /** Replaces all state with a snapshot. Only while no execution is running. */
  restore(snapshot: StepFunctionsSnapshot): void {
    snapshots.restore(this.state, snapshot);
  }

  /**
   * Stops every running execution (ABORTED) and clears every timer, so nothing
   * keeps the process alive. Further API calls that start work fail.
   */
  shutdown(): Promise<void> {
    return shutdown(this.state);
  }
}

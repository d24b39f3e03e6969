// The model's internal records (state machines, executions, runs, tasks) and ModelState, the state and
// settings every module of the model works on. Nothing here leaves local/stepfunctions.
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ParsedDefinition, ResourceInfo, TaskStateInfo } from './definition.js';
import type { MapRuns } from './map-runs.js';
import type { MapGates } from './map-concurrency.js';
import type { LongTimer } from './timers.js';
import type { TaskTokens } from './tokens.js';
import type { ExecutionEvent, ExecutionIdentity, ExecutionStatus, JsonValue, RequestContext, StateMachineType, StepFunctionsModelOptions, StoredEvent, TaskCall } from './types.js';

/**
 * What StepFunctionsModel holds, passed to the functions that implement its operations (moto's
 * backend). `tokens` is replaced by restore(); `closed` is set by shutdown().
 */
export interface ModelState {
  readonly invokeTask: (call: TaskCall) => Promise<unknown>;
  readonly clock: () => number;
  readonly defaultTaskTimeoutSeconds: number | null;
  readonly onInternalError: (err: unknown) => void;
  readonly retryIntervalOverrides?: Record<string, number | number[]>;
  readonly waitTimeOverrides?: Record<string, number>;
  readonly historyEventLimit: number;
  tokens: TaskTokens;
  readonly bootTime: number;
  readonly stateMachines: Map<string, StateMachineRecord>;
  readonly executions: Map<string, ExecutionRecord>;
  /** Callback tasks by token; settled ones stay so a late SendTask* answers TaskTimedOut. */
  readonly callbacks: Map<string, TaskRecord>;
  readonly listeners: Set<(event: ExecutionEvent) => void>;
  closed: boolean;
  readonly authorizeServiceCall: StepFunctionsModelOptions['authorizeServiceCall'];
}

export interface StateMachineRecord {
  account: string;
  region: string;
  name: string;
  arn: string;
  definition: string;
  parsed: ParsedDefinition;
  prepared: StateMachineDefinition;
  roleArn: string;
  type: StateMachineType;
  creationDate: number;
  updateDate?: number;
}

export interface ExecutionRecord extends ExecutionIdentity {
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  roleArn: string;
  definition: string;
  history: StoredEvent[];
  activeStates: Map<string, number>;
  run?: Run;
  finished: Promise<void>;
  /** A child of a distributed Map: its map run (ListExecutions' mapRunArn). */
  mapRunArn?: string;
}

export interface EndReason {
  status: 'ABORTED' | 'TIMED_OUT' | 'FAILED';
  error?: string;
  cause?: string;
}

export interface Run {
  rec: ExecutionRecord;
  parsed: ParsedDefinition;
  abort: () => void;
  /** No new task is accepted; pending ones are abandoned. */
  ended: boolean;
  /** The library's result promise has settled. */
  libraryDone: boolean;
  endReason?: EndReason;
  /** `$$.Task.Token` minted during the current Parameters resolution (see the context getter). */
  tokenCache?: string;
  pending: Set<TaskRecord>;
  /** Tasks whose history events are not all written yet, oldest first. */
  journal: TaskRecord[];
  failedStates: Set<string>;
  lastFailState?: string;
  timer?: LongTimer;
  /** The execution failed on a quota (payload, history): nothing more from the library goes into the history. */
  sealed: boolean;
  gates: MapGates;
  /** The distributed Maps' runs of this execution, whose children stop with it. */
  mapRuns: MapRuns<ExecutionRecord>;
  resolveFinished: () => void;
}

export interface PendingEvent {
  type: string;
  detailsKey?: string;
  details?: Record<string, unknown>;
  at: number;
  completion: boolean;
}

export interface TaskRecord {
  run: Run;
  task: TaskStateInfo;
  info: ResourceInfo;
  token: string;
  callback: boolean;
  inputKey: string;
  /** Date.now() when the library called the handler; compared with library event timestamps. */
  startedAtMs: number;
  status: 'pending' | 'succeeded' | 'failed' | 'timed-out' | 'abandoned';
  resolve: (value: JsonValue) => void;
  reject: (err: Error) => void;
  controller: AbortController;
  timeout?: LongTimer;
  heartbeat?: { ms: number; timer?: LongTimer };
  child?: ExecutionRecord;
  events: PendingEvent[];
  flushed: number;
  anchored: boolean;
  /** Starts the invocation; run once the library's TaskStateEntered has been read (see onEnterTask). */
  begin?: () => void;
}

/** Starts an execution (StartExecution's checks and idempotency included): how a task starts its child. */
export type StartExecution = (ctx: RequestContext, input: Record<string, unknown>) => Promise<ExecutionRecord>;

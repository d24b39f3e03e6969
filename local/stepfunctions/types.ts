// The Step Functions emulator's public types: the model's options, the Task call it hands the runner,
// what the API and the console read (summaries, details, history events) and the snapshot format.

/** A JSON value as ASL paths and task payloads carry it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface RequestContext {
  account: string;
  region: string;
}

export type StateMachineType = 'STANDARD' | 'EXPRESS';
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One Task invocation handed to the runner. */
export interface TaskCall {
  account: string;
  region: string;
  executionArn: string;
  stateMachineArn: string;
  stateName: string;
  /** The Task's `Resource`, as written in the definition. */
  resource: string;
  /**
   * `lambda`: a Lambda ARN as Resource; `lambda:invoke`: the optimised integration
   * (with or without `.waitForTaskToken`); `other`: any other resource, run as-is.
   */
  kind: 'lambda' | 'lambda:invoke' | 'other';
  /** From the Resource suffix: `.waitForTaskToken`, `.sync`, `.sync:2`, or none. */
  pattern: 'request-response' | 'wait-for-task-token' | 'sync' | 'sync:2';
  /** The resolved Parameters, or the state's effective input when it has none. */
  parameters: JsonValue;
  /** Lambda tasks: the function to invoke as written (name, partial ARN or ARN, maybe with a qualifier)… */
  functionName?: string;
  /** …the same, parsed… */
  lambda?: LambdaTarget;
  /** …and the event it receives. */
  payload?: JsonValue;
  /** The task token, for `.waitForTaskToken` resources (the same value `$$.Task.Token` gave the Parameters). */
  taskToken?: string;
  /** Aborted when Step Functions stops waiting for this task (execution stopped or timed out, task timed out, …). */
  signal: AbortSignal;
}

export interface LambdaTarget {
  account: string;
  region: string;
  name: string;
  qualifier?: string;
}

export interface StepFunctionsModelOptions {
  /**
   * Runs a Task. Lambda tasks (`kind` `lambda` / `lambda:invoke`): return what the
   * handler returned, or throw what it threw (the error's `name` becomes the ASL
   * error, as Lambda's errorType does). Other resources: return the task result.
   * Throw a {@link TaskFailure} to fail with an exact error and cause.
   */
  invokeTask(call: TaskCall): Promise<unknown>;
  /** Epoch milliseconds; dates and history timestamps come from it. Timers always use real time. */
  clock?: () => number;
  /**
   * Timeout of request-response Tasks (Lambda) whose definition sets none. Default 60,
   * the library's implicit value. `null`: none. Callback and `.sync` tasks never get one
   * (AWS lets them run until the execution ends).
   */
  defaultTaskTimeoutSeconds?: number | null;
  /** Secret that authenticates task tokens; restore() reinstates the snapshot's one. */
  tokenSecret?: Buffer;
  /** Unexpected internal errors (a listener throwing, a bug). Default: console.error. */
  onInternalError?: (err: unknown) => void;
  /**
   * Authorizes a call the execution makes as its state machine's role (the child
   * executions of `states:startExecution`); throws an AwsError (AccessDeniedException) to refuse.
   */
  authorizeServiceCall?: (call: { account: string; region: string; stateMachineArn: string; executionArn: string; action: string; resources: string[] }) => Promise<void>;
  /** Library pass-through: Retry pause in ms per state name (a number for every retrier, or one per retrier). Speeds up demos and tests. */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Library pass-through: Wait state duration in ms per state name. */
  waitTimeOverrides?: Record<string, number>;
  /**
   * Events a Standard execution's history may hold (default 25,000, the AWS quota): the event that would
   * go past it ends the execution FAILED with `States.Runtime`, as AWS does. Lower it only in tests.
   */
  historyEventLimit?: number;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: `${string}EventDetails`]: Record<string, unknown> | undefined;
}

/** What names an execution: its account, region, ARN, machine, name and type (every view of one starts with these). */
export interface ExecutionIdentity {
  account: string;
  region: string;
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  type: StateMachineType;
}

export interface ExecutionSummary extends ExecutionIdentity {
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
}

/** Everything a console needs about one execution. */
export interface ExecutionDetail extends ExecutionSummary {
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  roleArn: string;
  /** The definition the execution runs (JSON string). */
  definition: string;
  /** States entered and not yet exited (several with Map iterations). */
  activeStates: string[];
  history: HistoryEvent[];
}

export type ExecutionEvent =
  | { type: 'ExecutionStarted'; execution: ExecutionSummary }
  | { type: 'HistoryEvent'; execution: ExecutionSummary; event: HistoryEvent; activeStates: string[] }
  | { type: 'ExecutionEnded'; execution: ExecutionSummary };

export interface DescribeExecutionOutput {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input?: string;
  inputDetails: { included: boolean };
  output?: string;
  outputDetails?: { included: boolean };
  error?: string;
  cause?: string;
}

/** A history event as the model keeps it (and a snapshot holds it); HistoryEvent is what callers see. */
export interface StoredEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  detailsKey?: string;
  details?: Record<string, unknown>;
}

export interface StateMachineSnapshot {
  account: string;
  region: string;
  name: string;
  stateMachineArn: string;
  definition: string;
  roleArn: string;
  type: StateMachineType;
  creationDate: number;
  updateDate?: number;
}

export interface ExecutionSnapshot extends ExecutionIdentity {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate: number;
  roleArn: string;
  definition: string;
  history: StoredEvent[];
}

export interface StepFunctionsSnapshot {
  version: 1;
  tokenSecret: string;
  stateMachines: StateMachineSnapshot[];
  executions: ExecutionSnapshot[];
}

import '../polyfills.js';
import { randomUUID } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AwsError } from '../edge/types.js';
import {
  WRAP, classifyResource, evalSimplePath, parseDefinition, prepareForRun,
  type JsonValue, type ParsedDefinition, type ResourceInfo, type TaskStateInfo,
} from './asl.js';
import { StatesRuntimeFailure, TaskAbandoned, TaskFailure, sfnErrors } from './errors.js';
import { HISTORY_EVENT_LIMIT, MAX_EXECUTION_SECONDS, exceedsPayloadLimit, historyLimitCause, inputTooLarge, resultTooLarge } from './limits.js';
import { MapGates, gateStateName, gatedMapOf } from './map-concurrency.js';
import { TaskTokens } from './tokens.js';

export { TaskFailure } from './errors.js';

// ───────────────────────────── public types ─────────────────────────────

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

export interface ExecutionSummary {
  account: string;
  region: string;
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  type: StateMachineType;
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

interface StoredEvent {
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

export interface ExecutionSnapshot {
  account: string;
  region: string;
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  type: StateMachineType;
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

// ───────────────────────────── internals ─────────────────────────────

interface StateMachineRecord {
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

interface ExecutionRecord {
  account: string;
  region: string;
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  type: StateMachineType;
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
}

interface EndReason {
  status: 'ABORTED' | 'TIMED_OUT' | 'FAILED';
  error?: string;
  cause?: string;
}

interface Run {
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
  resolveFinished: () => void;
}

interface PendingEvent {
  type: string;
  detailsKey?: string;
  details?: Record<string, unknown>;
  at: number;
  completion: boolean;
}

interface TaskRecord {
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

/** setTimeout caps delays at 2^31-1 ms (24.8 days); task timeouts go up to a year. */
class LongTimer {
  private handle?: ReturnType<typeof setTimeout>;

  constructor(ms: number, fn: () => void) {
    const MAX = 2_147_483_647;
    const arm = (remaining: number): void => {
      this.handle = setTimeout(() => (remaining > MAX ? arm(remaining - MAX) : fn()), Math.min(Math.max(remaining, 0), MAX));
    };
    arm(ms);
  }

  clear(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

type TimeoutErrorFactory = (name: string, cause: string) => Error;

/**
 * The library treats a timeout as "not States.TaskFailed" only when the error is an
 * instance of its own StatesTimeoutError, which it does not export. One Task that
 * times out after 1 ms hands us the class; the model then raises genuine instances.
 */
let timeoutErrorCapture: Promise<TimeoutErrorFactory> | undefined;
let timeoutErrorFactory: TimeoutErrorFactory = (name, cause) => new TaskFailure(name, cause);
function captureTimeoutError(): Promise<TimeoutErrorFactory> {
  timeoutErrorCapture ??= (async () => {
    const probe = new StateMachine(
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:probe', TimeoutSeconds: 0.001, End: true } } } as unknown as StateMachineDefinition,
      { validationOptions: { noValidate: true } },
    );
    let ctor: (new () => Error) | undefined;
    try {
      await probe.run(null, { overrides: { taskResourceLocalHandlers: { T: () => new Promise<never>(() => undefined) } } }).result;
    } catch (err) {
      const inner = (err as Error).cause;
      if (inner instanceof Error && inner.name === 'States.Timeout') ctor = inner.constructor as new () => Error;
    }
    if (ctor) {
      const Ctor = ctor;
      timeoutErrorFactory = (name, cause) => {
        const e = new Ctor();
        e.name = name;
        e.message = cause;
        return e;
      };
    }
    return timeoutErrorFactory;
  })();
  return timeoutErrorCapture;
}

/** Step Functions names: 1–80 characters, no whitespace, brackets, wildcards, special or control characters. */
function isValidName(name: string): boolean {
  if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/.test(name)) return false;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}
const SM_ARN_RE = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/;
const EXEC_ARN_RE = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):(execution|express):([^:]+):([^:]+)(?::([^:]+))?$/;
const ROLE_ARN_RE = /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/;
const TERMINAL_EVENTS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function orUndefined(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === null || token === '') return 0;
  try {
    const { o } = JSON.parse(Buffer.from(String(token), 'base64url').toString()) as { o: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch { /* fall through */ }
  throw sfnErrors.invalidToken('Invalid nextToken');
}

function pageSize(maxResults: unknown): number {
  if (maxResults === undefined || maxResults === null || maxResults === 0) return 100;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000) {
    throw sfnErrors.validation(`1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  return maxResults;
}

function requireString(input: Record<string, unknown>, field: string): string {
  const v = input[field];
  if (v === undefined || v === null) throw sfnErrors.missing(field);
  if (typeof v !== 'string') throw sfnErrors.validation(`Value at '${field}' must be a string`);
  return v;
}

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
function lambdaInvokeResponse(payload: JsonValue): JsonValue {
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
function lambdaFailure(err: unknown): Error {
  if (err instanceof TaskFailure || err instanceof TaskAbandoned) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const errorType = e.name || 'Error';
  const trace = (e.stack ?? '').split('\n').filter((l) => l.length > 0);
  return new TaskFailure(errorType, JSON.stringify({ errorMessage: e.message, errorType, trace }));
}

function serviceFailure(err: unknown, service: string): Error {
  if (err instanceof TaskFailure || err instanceof TaskAbandoned) return err;
  if (err instanceof AwsError) {
    const prefix = service === 'states' ? 'StepFunctions' : service;
    const code = err.code.endsWith('Exception') ? err.code : `${err.code}Exception`;
    return new TaskFailure(`${prefix}.${code}`, `${err.message} (Service: ${service}, Status Code: ${err.status}, Error Code: ${code})`);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return new TaskFailure(e.name || 'Error', e.message);
}

// ───────────────────────────── the model ─────────────────────────────

export class StepFunctionsModel {
  private readonly invokeTask: (call: TaskCall) => Promise<unknown>;
  private readonly clock: () => number;
  private readonly defaultTaskTimeoutSeconds: number | null;
  private readonly onInternalError: (err: unknown) => void;
  private readonly retryIntervalOverrides?: Record<string, number | number[]>;
  private readonly waitTimeOverrides?: Record<string, number>;
  private readonly historyEventLimit: number;
  private tokens: TaskTokens;
  private readonly bootTime = Date.now();
  private readonly stateMachines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  /** Callback tasks by token; settled ones stay so a late SendTask* answers TaskTimedOut. */
  private readonly callbacks = new Map<string, TaskRecord>();
  private readonly listeners = new Set<(event: ExecutionEvent) => void>();
  private closed = false;
  private readonly authorizeServiceCall: StepFunctionsModelOptions['authorizeServiceCall'];

  constructor(options: StepFunctionsModelOptions) {
    this.invokeTask = options.invokeTask;
    this.clock = options.clock ?? Date.now;
    this.defaultTaskTimeoutSeconds = options.defaultTaskTimeoutSeconds === undefined ? 60 : options.defaultTaskTimeoutSeconds;
    this.tokens = new TaskTokens(options.tokenSecret);
    this.retryIntervalOverrides = options.retryIntervalOverrides;
    this.waitTimeOverrides = options.waitTimeOverrides;
    this.historyEventLimit = options.historyEventLimit ?? HISTORY_EVENT_LIMIT;
    this.onInternalError = options.onInternalError ?? ((err) => console.error('[stepfunctions]', err));
    this.authorizeServiceCall = options.authorizeServiceCall;
  }

  // ── state machines ──

  async createStateMachine(ctx: RequestContext, input: Record<string, unknown>): Promise<{ stateMachineArn: string; creationDate: Date }> {
    this.assertOpen();
    const name = requireString(input, 'name');
    const definition = requireString(input, 'definition');
    const roleArn = requireString(input, 'roleArn');
    const type = (input.type ?? 'STANDARD') as StateMachineType;
    if (!isValidName(name)) throw sfnErrors.invalidName(name);
    if (!ROLE_ARN_RE.test(roleArn)) throw sfnErrors.invalidArn(roleArn, 'Resource type not valid in this context');
    if (type !== 'STANDARD' && type !== 'EXPRESS') throw sfnErrors.validation(`1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`);
    const parsed = parseDefinition(definition);
    const arn = `arn:aws:states:${ctx.region}:${ctx.account}:stateMachine:${name}`;
    const existing = this.stateMachines.get(arn);
    if (existing) {
      if (existing.definition === definition && existing.roleArn === roleArn && existing.type === type) {
        return { stateMachineArn: arn, creationDate: new Date(existing.creationDate) };
      }
      throw sfnErrors.stateMachineAlreadyExists(arn);
    }
    const rec: StateMachineRecord = {
      account: ctx.account, region: ctx.region, name, arn, definition, parsed, prepared: prepareForRun(parsed),
      roleArn, type, creationDate: this.clock(),
    };
    this.stateMachines.set(arn, rec);
    return { stateMachineArn: arn, creationDate: new Date(rec.creationDate) };
  }

  async describeStateMachine(ctx: RequestContext, input: Record<string, unknown>) {
    const sm = this.findStateMachine(ctx, requireString(input, 'stateMachineArn'));
    return {
      stateMachineArn: sm.arn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.definition,
      roleArn: sm.roleArn,
      type: sm.type,
      creationDate: new Date(sm.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  async describeStateMachineForExecution(ctx: RequestContext, input: Record<string, unknown>) {
    const rec = this.findExecution(ctx, requireString(input, 'executionArn'));
    return {
      stateMachineArn: rec.stateMachineArn,
      name: rec.stateMachineName,
      definition: rec.definition,
      roleArn: rec.roleArn,
      updateDate: new Date(this.stateMachines.get(rec.stateMachineArn)?.updateDate ?? rec.startDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  async listStateMachines(ctx: RequestContext, input: Record<string, unknown>) {
    const all = [...this.stateMachines.values()]
      .filter((sm) => sm.account === ctx.account && sm.region === ctx.region)
      .sort((a, b) => a.name.localeCompare(b.name));
    const start = decodePageToken(input.nextToken as string | undefined);
    const size = pageSize(input.maxResults);
    const page = all.slice(start, start + size);
    return {
      stateMachines: page.map((sm) => ({ stateMachineArn: sm.arn, name: sm.name, type: sm.type, creationDate: new Date(sm.creationDate) })),
      nextToken: start + size < all.length ? encodePageToken(start + size) : undefined,
    };
  }

  async updateStateMachine(ctx: RequestContext, input: Record<string, unknown>) {
    this.assertOpen();
    const sm = this.findStateMachine(ctx, requireString(input, 'stateMachineArn'));
    if (input.definition === undefined && input.roleArn === undefined) {
      throw new AwsError('MissingRequiredParameter', 'Either the definition or the roleArn must be specified');
    }
    if (input.definition !== undefined) {
      const definition = requireString(input, 'definition');
      const parsed = parseDefinition(definition);
      Object.assign(sm, { definition, parsed, prepared: prepareForRun(parsed) });
    }
    if (input.roleArn !== undefined) {
      const roleArn = requireString(input, 'roleArn');
      if (!ROLE_ARN_RE.test(roleArn)) throw sfnErrors.invalidArn(roleArn);
      sm.roleArn = roleArn;
    }
    sm.updateDate = this.clock();
    return { updateDate: new Date(sm.updateDate) };
  }

  /** Deletes at once; running executions carry on with the definition they started with. */
  async deleteStateMachine(ctx: RequestContext, input: Record<string, unknown>) {
    const sm = this.findStateMachine(ctx, requireString(input, 'stateMachineArn'));
    this.stateMachines.delete(sm.arn);
    return {};
  }

  // ── executions ──

  async startExecution(ctx: RequestContext, input: Record<string, unknown>): Promise<{ executionArn: string; startDate: Date }> {
    const rec = await this.start(ctx, input, false);
    return { executionArn: rec.executionArn, startDate: new Date(rec.startDate) };
  }

  async startSyncExecution(ctx: RequestContext, input: Record<string, unknown>) {
    const rec = await this.start(ctx, input, true);
    await rec.finished;
    const stopDate = rec.stopDate ?? this.clock();
    return {
      executionArn: rec.executionArn,
      stateMachineArn: rec.stateMachineArn,
      name: rec.name,
      startDate: new Date(rec.startDate),
      stopDate: new Date(stopDate),
      status: rec.status,
      input: rec.input,
      inputDetails: { included: true },
      output: rec.output,
      outputDetails: rec.output !== undefined ? { included: true } : undefined,
      error: rec.error,
      cause: rec.cause,
      billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: Math.max(100, Math.ceil((stopDate - rec.startDate) / 100) * 100) },
    };
  }

  async describeExecution(ctx: RequestContext, input: Record<string, unknown>): Promise<DescribeExecutionOutput> {
    const rec = this.findExecution(ctx, requireString(input, 'executionArn'), true);
    return this.describe(rec);
  }

  async listExecutions(ctx: RequestContext, input: Record<string, unknown>) {
    const sm = this.findStateMachine(ctx, requireString(input, 'stateMachineArn'));
    if (sm.type === 'EXPRESS') throw sfnErrors.typeNotSupported('EXPRESS');
    const status = input.statusFilter as ExecutionStatus | undefined;
    if (status !== undefined && !['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'].includes(status)) {
      throw sfnErrors.validation(`1 validation error detected: Value '${String(status)}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set`);
    }
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === sm.arn && (status === undefined || e.status === status))
      .sort((a, b) => b.startDate - a.startDate);
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
  async stopExecution(ctx: RequestContext, input: Record<string, unknown>): Promise<{ stopDate: Date }> {
    const rec = this.findExecution(ctx, requireString(input, 'executionArn'), true);
    const error = input.error as string | undefined;
    const cause = input.cause as string | undefined;
    if (error !== undefined && (typeof error !== 'string' || error.length > 256)) throw sfnErrors.validation("Value at 'error' must be a string of at most 256 characters");
    if (cause !== undefined && (typeof cause !== 'string' || cause.length > 32768)) throw sfnErrors.validation("Value at 'cause' must be a string of at most 32768 characters");
    if (rec.run) await this.endRun(rec.run, { status: 'ABORTED', error, cause });
    return { stopDate: new Date(rec.stopDate ?? this.clock()) };
  }

  async getExecutionHistory(ctx: RequestContext, input: Record<string, unknown>) {
    const rec = this.findExecution(ctx, requireString(input, 'executionArn'), true);
    const includeData = input.includeExecutionData !== false;
    const events = input.reverseOrder === true ? [...rec.history].reverse() : rec.history;
    const start = decodePageToken(input.nextToken as string | undefined);
    const size = pageSize(input.maxResults);
    return {
      events: events.slice(start, start + size).map((e) => this.publicEvent(e, includeData)),
      nextToken: start + size < events.length ? encodePageToken(start + size) : undefined,
    };
  }

  // ── task callbacks ──

  async sendTaskSuccess(ctx: RequestContext, input: Record<string, unknown>): Promise<Record<string, never>> {
    const task = this.callbackTask(ctx, requireString(input, 'taskToken'));
    const output = requireString(input, 'output');
    if (exceedsPayloadLimit(output)) throw sfnErrors.tooLong('output');
    let value: JsonValue;
    try {
      value = JSON.parse(output) as JsonValue;
    } catch (err) {
      throw sfnErrors.invalidOutput(`Invalid JSON: ${(err as Error).message}`);
    }
    this.succeed(task, value);
    return {};
  }

  async sendTaskFailure(ctx: RequestContext, input: Record<string, unknown>): Promise<Record<string, never>> {
    const task = this.callbackTask(ctx, requireString(input, 'taskToken'));
    const error = input.error ?? '';
    const cause = input.cause ?? '';
    if (typeof error !== 'string' || error.length > 256) throw sfnErrors.validation("Value at 'error' must be a string of at most 256 characters");
    if (typeof cause !== 'string' || cause.length > 32768) throw sfnErrors.validation("Value at 'cause' must be a string of at most 32768 characters");
    this.fail(task, new TaskFailure(error, cause));
    return {};
  }

  async sendTaskHeartbeat(ctx: RequestContext, input: Record<string, unknown>): Promise<Record<string, never>> {
    const task = this.callbackTask(ctx, requireString(input, 'taskToken'));
    this.armHeartbeat(task);
    return {};
  }

  // ── helpers for the runner, the console and tests ──

  /** The definition (JSON string) of a state machine, or undefined. */
  getDefinition(stateMachineArn: string): string | undefined {
    return this.stateMachines.get(stateMachineArn)?.definition;
  }

  /** All executions, newest first, optionally filtered (any account/region unless given). */
  allExecutions(filter: { account?: string; region?: string; stateMachineArn?: string; status?: ExecutionStatus } = {}): ExecutionSummary[] {
    return [...this.executions.values()]
      .filter((e) => (filter.account === undefined || e.account === filter.account)
        && (filter.region === undefined || e.region === filter.region)
        && (filter.stateMachineArn === undefined || e.stateMachineArn === filter.stateMachineArn)
        && (filter.status === undefined || e.status === filter.status))
      .sort((a, b) => b.startDate - a.startDate)
      .map((e) => this.summary(e));
  }

  /** One execution with its history and the states it is in, or undefined. */
  getExecution(executionArn: string): ExecutionDetail | undefined {
    const rec = this.executions.get(executionArn);
    if (!rec) return undefined;
    return {
      ...this.summary(rec),
      input: rec.input,
      output: rec.output,
      error: rec.error,
      cause: rec.cause,
      roleArn: rec.roleArn,
      definition: rec.definition,
      activeStates: [...rec.activeStates.keys()],
      history: rec.history.map((e) => this.publicEvent(e, true)),
    };
  }

  /** Resolves with DescribeExecution's answer once the execution has ended (at once if it has). */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    const rec = this.executions.get(executionArn);
    if (!rec) throw sfnErrors.executionDoesNotExist(executionArn);
    await rec.finished;
    return this.describe(rec);
  }

  /** Subscribes to execution events; returns the unsubscribe function. */
  onExecutionEvent(listener: (event: ExecutionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /**
   * State machines and executions, JSON-serialisable. Running executions are
   * recorded as ABORTED: they cannot be resumed after a restart.
   */
  snapshot(): StepFunctionsSnapshot {
    const now = this.clock();
    return {
      version: 1,
      tokenSecret: this.tokens.secret.toString('base64'),
      stateMachines: [...this.stateMachines.values()].map((sm) => ({
        account: sm.account, region: sm.region, name: sm.name, stateMachineArn: sm.arn, definition: sm.definition,
        roleArn: sm.roleArn, type: sm.type, creationDate: sm.creationDate, updateDate: sm.updateDate,
      })),
      executions: [...this.executions.values()].map((e) => {
        const running = e.status === 'RUNNING';
        const history = running
          ? [...e.history, this.makeStored(e, 'ExecutionAborted', 'executionAbortedEventDetails', { cause: 'The local cloud stopped while the execution was running' }, now)]
          : e.history;
        return {
          account: e.account, region: e.region, executionArn: e.executionArn, stateMachineArn: e.stateMachineArn,
          stateMachineName: e.stateMachineName, name: e.name, type: e.type,
          status: running ? 'ABORTED' : e.status as ExecutionSnapshot['status'],
          input: e.input, output: e.output, error: e.error,
          cause: running ? 'The local cloud stopped while the execution was running' : e.cause,
          startDate: e.startDate, stopDate: e.stopDate ?? now, roleArn: e.roleArn, definition: e.definition,
          history: history.map((h) => ({ ...h })),
        };
      }),
    };
  }

  /** Replaces all state with a snapshot. Only while no execution is running. */
  restore(snapshot: StepFunctionsSnapshot): void {
    if (snapshot.version !== 1) throw new Error(`Unsupported Step Functions snapshot version ${String(snapshot.version)}`);
    if ([...this.executions.values()].some((e) => e.status === 'RUNNING')) throw new Error('restore() needs a model with no running execution');
    this.stateMachines.clear();
    this.executions.clear();
    this.callbacks.clear();
    this.tokens = new TaskTokens(Buffer.from(snapshot.tokenSecret, 'base64'));
    for (const sm of snapshot.stateMachines) {
      const parsed = parseDefinition(sm.definition);
      this.stateMachines.set(sm.stateMachineArn, {
        account: sm.account, region: sm.region, name: sm.name, arn: sm.stateMachineArn, definition: sm.definition,
        parsed, prepared: prepareForRun(parsed), roleArn: sm.roleArn, type: sm.type, creationDate: sm.creationDate, updateDate: sm.updateDate,
      });
    }
    for (const e of snapshot.executions) {
      this.executions.set(e.executionArn, {
        ...e, history: e.history.map((h) => ({ ...h })), activeStates: new Map(), finished: Promise.resolve(),
      });
    }
  }

  /**
   * Stops every running execution (ABORTED) and clears every timer, so nothing
   * keeps the process alive. Further API calls that start work fail.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    const running = [...this.executions.values()].filter((e) => e.run);
    await Promise.all(running.map((e) => this.endRun(e.run!, { status: 'ABORTED', cause: 'The local cloud shut down' })));
    for (const task of this.callbacks.values()) this.clearTaskTimers(task);
  }

  // ───────────────────────── execution engine ─────────────────────────

  private async start(ctx: RequestContext, input: Record<string, unknown>, sync: boolean): Promise<ExecutionRecord> {
    // First and only await: from here on, the name check and the insertion are one synchronous step,
    // so two concurrent StartExecution calls with the same name cannot both create an execution.
    await captureTimeoutError();
    this.assertOpen();
    const sm = this.findStateMachine(ctx, requireString(input, 'stateMachineArn'));
    if (sync && sm.type !== 'EXPRESS') throw sfnErrors.typeNotSupported('STANDARD');
    const name = input.name === undefined || input.name === null ? randomUUID() : requireString(input, 'name');
    if (!isValidName(name)) throw sfnErrors.invalidName(name);
    const rawInput = input.input === undefined || input.input === null ? '{}' : requireString(input, 'input');
    if (exceedsPayloadLimit(rawInput)) throw sfnErrors.tooLong('input');
    try {
      JSON.parse(rawInput);
    } catch (err) {
      throw sfnErrors.invalidExecutionInput(`Invalid JSON: ${(err as Error).message}`);
    }
    let executionArn: string;
    if (sm.type === 'EXPRESS') {
      executionArn = `arn:aws:states:${sm.region}:${sm.account}:express:${sm.name}:${name}:${randomUUID()}`;
    } else {
      executionArn = `arn:aws:states:${sm.region}:${sm.account}:execution:${sm.name}:${name}`;
      const existing = this.executions.get(executionArn);
      if (existing) {
        // AWS: idempotent only while the execution runs and only for the very same input.
        if (existing.status === 'RUNNING' && existing.input === rawInput) return existing;
        throw sfnErrors.executionAlreadyExists(executionArn);
      }
    }
    let resolveFinished!: () => void;
    const rec: ExecutionRecord = {
      account: sm.account, region: sm.region, executionArn, stateMachineArn: sm.arn, stateMachineName: sm.name, name,
      type: sm.type, status: 'RUNNING', input: rawInput, startDate: this.clock(), roleArn: sm.roleArn,
      definition: sm.definition, history: [], activeStates: new Map(),
      finished: new Promise<void>((resolve) => { resolveFinished = resolve; }),
    };
    this.executions.set(executionArn, rec);
    this.emit({ type: 'ExecutionStarted', execution: this.summary(rec) });
    this.append(rec, 'ExecutionStarted', 'executionStartedEventDetails', { input: rawInput, inputDetails: { truncated: false }, roleArn: sm.roleArn });
    this.launch(rec, sm.parsed, sm.prepared, resolveFinished);
    return rec;
  }

  private launch(rec: ExecutionRecord, parsed: ParsedDefinition, prepared: StateMachineDefinition, resolveFinished: () => void): void {
    const run: Run = {
      rec, parsed, abort: () => undefined, ended: false, libraryDone: false, pending: new Set(), journal: [],
      failedStates: new Set(), sealed: false, resolveFinished,
      gates: new MapGates((name, index) => this.append(rec, 'MapIterationStarted', 'mapIterationStartedEventDetails', { name, index })),
    };
    rec.run = run;
    const tokens = this.tokens;
    // `$$.Task.Token`: the library has no notion of it, so the context object mints one
    // on first read. Parameters resolution and the task handler call run in one
    // synchronous stretch, and the handler clears the cache, so each Task gets its own.
    const context = {
      Execution: { Id: rec.executionArn, Name: rec.name, RoleArn: rec.roleArn, StartTime: new Date(rec.startDate).toISOString() },
      StateMachine: { Id: rec.stateMachineArn, Name: rec.stateMachineName },
      Task: {
        get Token(): string {
          if (run.tokenCache === undefined) {
            run.tokenCache = tokens.mint(Date.now());
            queueMicrotask(() => { run.tokenCache = undefined; });
          }
          return run.tokenCache;
        },
      },
    };
    const handlers: Record<string, (input: unknown) => Promise<JsonValue>> = {};
    for (const task of parsed.tasks.values()) {
      handlers[task.name] = (wrapped) => this.runTask(run, task, wrapped as Record<string, JsonValue>);
    }
    for (const map of parsed.gatedMaps) handlers[gateStateName(map)] = (wrapped) => run.gates.enter(wrapped);
    const machine = new StateMachine(prepared, { validationOptions: { noValidate: true } });
    const execution = machine.run(JSON.parse(rec.input) as JsonValue as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: this.retryIntervalOverrides,
        waitTimeOverrides: this.waitTimeOverrides,
      },
      context: context as never,
    });
    run.abort = execution.abort;
    const consumed = this.consume(run, execution.eventLogs as AsyncGenerator<LibraryEvent>);
    // The machine's TimeoutSeconds, within the service's maximum execution time (1 year Standard, 5 minutes Express).
    const maxSeconds = MAX_EXECUTION_SECONDS[rec.type];
    const seconds = Math.min(parsed.timeoutSeconds ?? maxSeconds, maxSeconds);
    run.timer = new LongTimer(seconds * 1000, () => { void this.endRun(run, { status: 'TIMED_OUT', error: 'States.Timeout' }); });
    execution.result
      .then((output) => ({ ok: true as const, output: output as unknown }), (error: unknown) => ({ ok: false as const, error }))
      .then(async (outcome) => {
        run.libraryDone = true;
        await consumed;
        this.finish(run, outcome);
      })
      .catch((err: unknown) => this.onInternalError(err));
  }

  /** Ends a run from outside (stop, execution timeout, shutdown). */
  private async endRun(run: Run, reason: EndReason): Promise<void> {
    if (!run.ended && !run.libraryDone) {
      run.ended = true;
      run.endReason = reason;
      run.timer?.clear();
      const why = `Execution ${reason.status === 'ABORTED' ? 'stopped' : 'timed out'}`;
      for (const task of [...run.pending]) this.abandon(task, why);
      run.gates.close(why);
      run.abort();
    }
    await run.rec.finished;
  }

  /**
   * Ends a run on a quota (payload size, history length): FAILED with `error`, whatever its Catch and
   * Retry say. Also once the library has finished but its events are still being read.
   */
  private failRun(run: Run, error: string, cause: string): void {
    if (run.sealed) return;
    run.sealed = true;
    if (run.endReason) return;
    run.ended = true;
    run.endReason = { status: 'FAILED', error, cause };
    run.timer?.clear();
    for (const task of [...run.pending]) this.abandon(task, 'Execution failed');
    run.gates.close('Execution failed');
    if (!run.libraryDone) run.abort();
  }

  private finish(run: Run, outcome: { ok: true; output: unknown } | { ok: false; error: unknown }): void {
    const rec = run.rec;
    run.ended = true;
    run.timer?.clear();
    for (const task of [...run.pending]) this.abandon(task, 'Execution ended');
    run.gates.close('Execution ended');
    run.journal.length = 0;
    const now = this.clock();
    if (run.endReason) {
      const { status } = run.endReason;
      const error = orUndefined(run.endReason.error);
      const cause = orUndefined(run.endReason.cause);
      rec.status = status;
      // A timed-out execution describes with no error or cause: States.Timeout is only in its history event.
      if (status !== 'TIMED_OUT') { rec.error = error; rec.cause = cause; }
      if (status === 'ABORTED') this.append(rec, 'ExecutionAborted', 'executionAbortedEventDetails', { error, cause });
      else if (status === 'TIMED_OUT') this.append(rec, 'ExecutionTimedOut', 'executionTimedOutEventDetails', { error, cause });
      else this.append(rec, 'ExecutionFailed', 'executionFailedEventDetails', { error, cause });
    } else if (outcome.ok) {
      rec.status = 'SUCCEEDED';
      rec.output = json(outcome.output);
      this.append(rec, 'ExecutionSucceeded', 'executionSucceededEventDetails', { output: rec.output, outputDetails: { truncated: false } });
    } else {
      const { error, cause } = this.failureOf(run, outcome.error);
      rec.status = 'FAILED';
      rec.error = error;
      rec.cause = cause;
      this.append(rec, 'ExecutionFailed', 'executionFailedEventDetails', { error, cause });
    }
    rec.stopDate = Math.max(now, rec.startDate);
    rec.activeStates.clear();
    rec.run = undefined;
    this.emit({ type: 'ExecutionEnded', execution: this.summary(rec) });
    run.resolveFinished();
  }

  /** Error and cause of a failed execution, from the library's ExecutionError. */
  private failureOf(run: Run, err: unknown): { error?: string; cause?: string } {
    const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    if (!(inner instanceof Error)) return { error: 'States.Runtime', cause: String(inner) };
    // The library gives a Fail state without Error/Cause the placeholders "FailStateError" and a
    // sentence; Step Functions leaves them empty.
    if (inner.constructor.name === 'FailStateError' && run.lastFailState) {
      const def = run.parsed.states.get(run.lastFailState)?.definition ?? {};
      const hasError = def.Error !== undefined || def.ErrorPath !== undefined;
      const hasCause = def.Cause !== undefined || def.CausePath !== undefined;
      return { error: hasError ? inner.name : undefined, cause: hasCause ? inner.message : undefined };
    }
    return { error: orUndefined(inner.name), cause: orUndefined(inner.message) };
  }

  // ── tasks ──

  private async runTask(run: Run, task: TaskStateInfo, wrapped: Record<string, JsonValue>): Promise<JsonValue> {
    const token = typeof wrapped[WRAP.token] === 'string' ? wrapped[WRAP.token] as string : this.tokens.mint(Date.now());
    run.tokenCache = undefined;
    if (run.ended || this.closed) throw new TaskAbandoned('Execution ended');
    const def = task.definition;
    const parameters = WRAP.params in wrapped ? wrapped[WRAP.params] : wrapped[WRAP.input];
    // "input data when scheduling a task": the resolved Parameters count, not the state's input.
    if (exceedsPayloadLimit(json(parameters))) throw inputTooLarge(task.name);
    const info = classifyResource(task.resource);
    const explicitTimeout = this.seconds(def.TimeoutSeconds, wrapped[WRAP.timeout], WRAP.timeout in wrapped, 'TimeoutSecondsPath');
    const heartbeatSeconds = this.seconds(def.HeartbeatSeconds, wrapped[WRAP.heartbeat], WRAP.heartbeat in wrapped, 'HeartbeatSecondsPath');
    const timeoutSeconds = explicitTimeout ?? (info.pattern === 'request-response' && info.kind !== 'states:startExecution' ? this.defaultTaskTimeoutSeconds ?? undefined : undefined);
    const callback = info.pattern === 'wait-for-task-token';

    let resolve!: (value: JsonValue) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<JsonValue>((res, rej) => { resolve = res; reject = rej; });
    const rec: TaskRecord = {
      run, task, info, token, callback, inputKey: json(wrapped[WRAP.input]), startedAtMs: Date.now(), status: 'pending',
      resolve, reject, controller: new AbortController(), events: [], flushed: 0, anchored: false,
    };
    run.pending.add(rec);
    run.journal.push(rec);
    if (callback) this.callbacks.set(token, rec);

    if (info.kind === 'lambda') {
      this.record(rec, 'LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
        resource: task.resource, input: json(parameters), inputDetails: { truncated: false }, timeoutInSeconds: explicitTimeout,
      });
      this.record(rec, 'LambdaFunctionStarted');
    } else {
      this.record(rec, 'TaskScheduled', 'taskScheduledEventDetails', {
        resourceType: info.resourceType, resource: info.resourceName, region: run.rec.region, parameters: json(parameters),
        timeoutInSeconds: explicitTimeout, heartbeatInSeconds: heartbeatSeconds,
      });
      this.record(rec, 'TaskStarted', 'taskStartedEventDetails', { resourceType: info.resourceType, resource: info.resourceName });
    }
    if (timeoutSeconds !== undefined) {
      rec.timeout = new LongTimer(timeoutSeconds * 1000, () => this.timeOut(rec, timeoutErrorFactory('States.Timeout', '')));
    }
    if (heartbeatSeconds !== undefined) {
      rec.heartbeat = { ms: heartbeatSeconds * 1000 };
      this.armHeartbeat(rec);
    }
    // The invocation waits until the history has caught up with this task's TaskStateEntered: if the
    // previous state's output was over the payload quota, the execution fails before this task runs.
    rec.begin = () => { void this.work(rec, parameters); };
    return promise;
  }

  /** A positive integer from the field or the resolved *Path value; a bad path value is a States.Runtime error, as in AWS. */
  private seconds(fixed: unknown, fromPath: JsonValue | undefined, hasPath: boolean, field: string): number | undefined {
    if (typeof fixed === 'number') return fixed;
    if (!hasPath) return undefined;
    if (typeof fromPath !== 'number' || !Number.isInteger(fromPath) || fromPath < 1 || fromPath > 99_999_999) {
      throw new StatesRuntimeFailure(`The value for the field '${field}' must be a positive integer, got ${json(fromPath)}`);
    }
    return fromPath;
  }

  private async work(rec: TaskRecord, parameters: JsonValue): Promise<void> {
    const { run, info, task } = rec;
    const exec = run.rec;
    const base = {
      account: exec.account, region: exec.region, executionArn: exec.executionArn, stateMachineArn: exec.stateMachineArn,
      stateName: task.name, resource: task.resource, pattern: info.pattern, parameters, signal: rec.controller.signal,
      taskToken: rec.callback ? rec.token : undefined,
    };
    try {
      if (info.kind === 'lambda') {
        const target = parseFunctionName(task.resource, exec.account, exec.region);
        const result = await this.invokeTask({ ...base, kind: 'lambda', functionName: task.resource, lambda: target, payload: parameters });
        this.succeed(rec, toJsonValue(result));
      } else if (info.kind === 'lambda:invoke') {
        const p = (parameters ?? {}) as Record<string, JsonValue>;
        const functionName = typeof p.FunctionName === 'string' ? p.FunctionName : undefined;
        if (!functionName) throw new TaskFailure('Lambda.InvalidParameterValueException', "The field 'FunctionName' is required");
        const payload = p.Payload === undefined ? {} : p.Payload;
        const result = await this.invokeTask({
          ...base, kind: 'lambda:invoke', functionName, lambda: parseFunctionName(functionName, exec.account, exec.region), payload,
        });
        const response = lambdaInvokeResponse(toJsonValue(result));
        if (rec.callback) this.submitted(rec, response);
        else this.succeed(rec, response);
      } else if (info.kind === 'states:startExecution') {
        await this.startChild(rec, parameters);
      } else {
        const result = toJsonValue(await this.invokeTask({ ...base, kind: 'other' }));
        if (rec.callback) this.submitted(rec, result);
        else this.succeed(rec, result);
      }
    } catch (err) {
      if (rec.status !== 'pending') return;
      this.fail(rec, info.kind === 'lambda' || info.kind === 'lambda:invoke' ? lambdaFailure(err) : serviceFailure(err, info.resourceType));
    }
  }

  /** `arn:aws:states:::states:startExecution[.sync[:2]]`: a child execution in this model. */
  private async startChild(rec: TaskRecord, parameters: JsonValue): Promise<void> {
    const exec = rec.run.rec;
    const p = (parameters ?? {}) as Record<string, JsonValue>;
    const input = p.Input === undefined ? '{}' : typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input);
    let started: ExecutionRecord;
    try {
      const scope = { account: exec.account, region: exec.region, stateMachineArn: exec.stateMachineArn, executionArn: exec.executionArn };
      await this.authorizeServiceCall?.({ ...scope, action: 'states:StartExecution', resources: [String(p.StateMachineArn)] });
      if (rec.info.pattern === 'sync' || rec.info.pattern === 'sync:2') {
        // A .sync child is watched through a managed EventBridge rule (Step Functions' IAM page for integrated services).
        const rule = `arn:aws:events:${exec.region}:${exec.account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;
        for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) await this.authorizeServiceCall?.({ ...scope, action, resources: [rule] });
      }
      started = await this.start({ account: exec.account, region: exec.region }, { stateMachineArn: p.StateMachineArn, name: p.Name ?? undefined, input }, false);
    } catch (err) {
      throw serviceFailure(err, 'states');
    }
    if (rec.status !== 'pending') {
      // The parent stopped waiting while the child was starting: AWS stops the child.
      void this.stopChild(started);
      return;
    }
    const startResult = { ExecutionArn: started.executionArn, StartDate: started.startDate };
    if (rec.info.pattern === 'request-response' || rec.info.pattern === 'wait-for-task-token') {
      if (rec.callback) this.submitted(rec, startResult);
      else this.succeed(rec, startResult);
      return;
    }
    rec.child = started;
    this.submitted(rec, startResult);
    await started.finished;
    if (rec.status !== 'pending') return;
    const v2 = rec.info.pattern === 'sync:2';
    const parse = (s: string | undefined): JsonValue => (s === undefined ? null : v2 ? JSON.parse(s) as JsonValue : s);
    const described: Record<string, JsonValue> = {
      ExecutionArn: started.executionArn,
      Input: parse(started.input),
      InputDetails: { Included: true },
      Name: started.name,
      StartDate: started.startDate,
      StateMachineArn: started.stateMachineArn,
      Status: started.status,
      StopDate: started.stopDate ?? null,
      RedriveCount: 0,
      RedriveStatus: 'NOT_REDRIVABLE',
    };
    if (started.status === 'SUCCEEDED') {
      this.succeed(rec, { ...described, Output: parse(started.output), OutputDetails: { Included: true } });
    } else {
      if (started.error !== undefined) described.Error = started.error;
      if (started.cause !== undefined) described.Cause = started.cause;
      this.fail(rec, new TaskFailure('States.TaskFailed', JSON.stringify(described)));
    }
  }

  private async stopChild(child: ExecutionRecord): Promise<void> {
    if (child.run) await this.endRun(child.run, { status: 'ABORTED', cause: 'The parent execution stopped waiting for this execution' });
  }

  private armHeartbeat(rec: TaskRecord): void {
    if (!rec.heartbeat || rec.status !== 'pending') return;
    rec.heartbeat.timer?.clear();
    rec.heartbeat.timer = new LongTimer(rec.heartbeat.ms, () => this.timeOut(rec, timeoutErrorFactory('States.HeartbeatTimeout', '')));
  }

  private clearTaskTimers(rec: TaskRecord): void {
    rec.timeout?.clear();
    rec.heartbeat?.timer?.clear();
  }

  private settle(rec: TaskRecord, status: TaskRecord['status']): boolean {
    if (rec.status !== 'pending') return false;
    rec.status = status;
    this.clearTaskTimers(rec);
    rec.run.pending.delete(rec);
    return true;
  }

  private succeed(rec: TaskRecord, output: JsonValue): void {
    if (rec.status !== 'pending') return;
    const out = json(output);
    if (exceedsPayloadLimit(out)) {
      // AWS names the Lambda ARN for a Lambda resource, the service for an integration (e.g. 'lambda').
      this.fail(rec, resultTooLarge(rec.info.kind === 'lambda' ? rec.task.resource : rec.info.resourceType));
      return;
    }
    this.settle(rec, 'succeeded');
    if (rec.info.kind === 'lambda') this.record(rec, 'LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', { output: out, outputDetails: { truncated: false } }, true);
    else this.record(rec, 'TaskSucceeded', 'taskSucceededEventDetails', { resourceType: rec.info.resourceType, resource: rec.info.resourceName, output: out, outputDetails: { truncated: false } }, true);
    rec.resolve(output);
  }

  private fail(rec: TaskRecord, err: Error): void {
    if (!this.settle(rec, 'failed')) return;
    if (!(err instanceof TaskAbandoned)) {
      const details = { error: orUndefined(err.name), cause: orUndefined(err.message) };
      if (rec.info.kind === 'lambda') this.record(rec, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', details, true);
      else this.record(rec, 'TaskFailed', 'taskFailedEventDetails', { resourceType: rec.info.resourceType, resource: rec.info.resourceName, ...details }, true);
    }
    rec.reject(err);
  }

  private timeOut(rec: TaskRecord, err: Error): void {
    if (!this.settle(rec, 'timed-out')) return;
    rec.controller.abort();
    const details = { error: err.name, cause: orUndefined(err.message) };
    if (rec.info.kind === 'lambda') this.record(rec, 'LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', details, true);
    else this.record(rec, 'TaskTimedOut', 'taskTimedOutEventDetails', { resourceType: rec.info.resourceType, resource: rec.info.resourceName, ...details }, true);
    if (rec.child) void this.stopChild(rec.child);
    rec.reject(err);
  }

  private abandon(rec: TaskRecord, reason: string): void {
    if (!this.settle(rec, 'abandoned')) return;
    rec.controller.abort();
    const i = rec.run.journal.indexOf(rec);
    if (i >= 0) rec.run.journal.splice(i, 1);
    if (rec.child) void this.stopChild(rec.child);
    rec.reject(new TaskAbandoned(reason));
  }

  private submitted(rec: TaskRecord, output: JsonValue): void {
    if (rec.status !== 'pending') return;
    this.record(rec, 'TaskSubmitted', 'taskSubmittedEventDetails', { resourceType: rec.info.resourceType, resource: rec.info.resourceName, output: json(output), outputDetails: { truncated: false } });
  }

  /** AWS token semantics for SendTask*: forged → InvalidToken; gone → TaskTimedOut. */
  private callbackTask(ctx: RequestContext, token: string): TaskRecord {
    const check = this.tokens.check(token);
    if (!check.ok) throw sfnErrors.invalidToken();
    const rec = this.callbacks.get(token);
    if (!rec) {
      // Minted by an earlier life of the local cloud (restored secret): its execution is over.
      if (check.mintedAt < this.bootTime) throw sfnErrors.taskTimedOut();
      throw sfnErrors.taskDoesNotExist();
    }
    if (rec.run.rec.account !== ctx.account || rec.run.rec.region !== ctx.region) throw sfnErrors.invalidToken();
    if (rec.status !== 'pending') throw sfnErrors.taskTimedOut();
    return rec;
  }

  // ── history ──

  /** Task events wait in the task's journal until the library's matching state event has been written. */
  private record(rec: TaskRecord, type: string, detailsKey?: string, details?: Record<string, unknown>, completion = false): void {
    rec.events.push({ type, detailsKey, details, at: this.clock(), completion });
    if (rec.anchored && !completion) this.flush(rec, false);
  }

  private flush(rec: TaskRecord, includeCompletion: boolean): void {
    if (rec.run.sealed) return;
    while (rec.flushed < rec.events.length) {
      const ev = rec.events[rec.flushed];
      if (ev.completion && !includeCompletion) break;
      this.append(rec.run.rec, ev.type, ev.detailsKey, ev.details, ev.at);
      rec.flushed += 1;
    }
  }

  private pickTask(run: Run, stateName: string, inputKey: string, pred: (t: TaskRecord) => boolean): TaskRecord | undefined {
    const candidates = run.journal.filter((t) => t.task.name === stateName && pred(t));
    return candidates.find((t) => t.inputKey === inputKey) ?? candidates[0];
  }

  private onEnterTask(run: Run, stateName: string, input: unknown): void {
    const rec = this.pickTask(run, stateName, json(input), (t) => !t.anchored);
    if (!rec) return;
    rec.anchored = true;
    this.flush(rec, false);
    const begin = rec.begin;
    rec.begin = undefined;
    if (begin && rec.status === 'pending') begin();
  }

  private onExitTask(run: Run, stateName: string, input: unknown): void {
    const rec = this.pickTask(run, stateName, json(input), (t) => t.anchored && t.events.some((e) => e.completion));
    if (!rec) return;
    this.flush(rec, true);
    run.journal.splice(run.journal.indexOf(rec), 1);
  }

  private async consume(run: Run, logs: AsyncGenerator<LibraryEvent>): Promise<void> {
    for await (const ev of logs) {
      try {
        this.onLibraryEvent(run, ev);
      } catch (err) {
        this.onInternalError(err);
      }
    }
  }

  private onLibraryEvent(run: Run, ev: LibraryEvent): void {
    if (run.sealed) return;
    const rec = run.rec;
    if (ev.type === 'MapIterationStarted' || ev.type === 'MapIterationSucceeded' || ev.type === 'MapIterationFailed') {
      const mapName = ev.parentState?.name;
      const gated = mapName !== undefined && run.parsed.gatedMaps.has(mapName);
      // A gated iteration starts when its slot is granted (MapGates' onGrant writes the event).
      if (gated && ev.type === 'MapIterationStarted') return;
      const key = ev.type === 'MapIterationStarted' ? 'mapIterationStartedEventDetails' : ev.type === 'MapIterationSucceeded' ? 'mapIterationSucceededEventDetails' : 'mapIterationFailedEventDetails';
      this.append(rec, ev.type, key, { name: mapName, index: ev.index });
      if (gated && ev.type !== 'MapIterationStarted') run.gates.iterationEnded(mapName);
      return;
    }
    const state = ev.state;
    if (!state) return;
    const gate = gatedMapOf(state.name);
    if (gate !== undefined) {
      // The gate is the model's, not the definition's: it stays out of the history.
      if (ev.type === 'StateEntered') run.gates.gateEntered(gate, state.input);
      return;
    }
    const flag = `${state.name}#${ev.index ?? ''}`;
    switch (ev.type) {
      case 'StateEntered': {
        const input = json(state.input);
        if (exceedsPayloadLimit(input)) return this.failOnPayload(run, inputTooLarge(state.name));
        run.failedStates.delete(flag);
        rec.activeStates.set(state.name, (rec.activeStates.get(state.name) ?? 0) + 1);
        this.append(rec, `${state.type}StateEntered`, 'stateEnteredEventDetails', { name: state.name, input, inputDetails: { truncated: false } });
        if (state.type === 'Fail') run.lastFailState = state.name;
        if (state.type === 'Task') this.onEnterTask(run, state.name, state.input);
        if (state.type === 'Map') {
          const def = run.parsed.states.get(state.name)?.definition ?? {};
          const items = evalSimplePath(def.ItemsPath as string | undefined, evalSimplePath((def.InputPath as string | undefined) ?? '$', state.input));
          this.append(rec, 'MapStateStarted', 'mapStateStartedEventDetails', Array.isArray(items) ? { length: items.length } : {});
          if (run.parsed.gatedMaps.has(state.name)) {
            const effective = def.InputPath === null ? {} : evalSimplePath((def.InputPath as string | undefined) ?? '$', state.input);
            run.gates.mapEntered(state.name, evalSimplePath(def.MaxConcurrencyPath as string, effective));
          }
        }
        if (state.type === 'Parallel') this.append(rec, 'ParallelStateStarted');
        break;
      }
      case 'StateRetried':
        run.failedStates.delete(flag);
        if (state.type === 'Task') this.onEnterTask(run, state.name, state.input);
        break;
      case 'StateFailed':
        run.failedStates.add(flag);
        if (state.type === 'Task') this.onExitTask(run, state.name, state.input);
        if (state.type === 'Map' || state.type === 'Parallel') {
          this.append(rec, `${state.type}StateFailed`, undefined, undefined);
          run.gates.mapEnded(state.name);
          // The library aborts the other iterations/branches but cannot tell us: let go of their tasks.
          for (const t of [...run.pending]) {
            if (t.task.enclosing.includes(state.name) && t.startedAtMs < ev.timestamp) this.abandon(t, `${state.type} state '${state.name}' failed`);
          }
        }
        break;
      case 'StateExited': {
        if (state.type === 'Task') this.onExitTask(run, state.name, state.input);
        // After ResultSelector, ResultPath and OutputPath: too big, and the state never exits.
        const output = json(state.output);
        if (exceedsPayloadLimit(output)) return this.failOnPayload(run, resultTooLarge(state.name));
        if (state.type === 'Map') run.gates.mapEnded(state.name);
        if ((state.type === 'Map' || state.type === 'Parallel') && !run.failedStates.has(flag)) this.append(rec, `${state.type}StateSucceeded`);
        run.failedStates.delete(flag);
        this.append(rec, `${state.type}StateExited`, 'stateExitedEventDetails', { name: state.name, output, outputDetails: { truncated: false } });
        const n = (rec.activeStates.get(state.name) ?? 1) - 1;
        if (n > 0) rec.activeStates.set(state.name, n);
        else rec.activeStates.delete(state.name);
        break;
      }
      default:
        break;
    }
  }

  private makeStored(rec: ExecutionRecord, type: string, detailsKey: string | undefined, details: Record<string, unknown> | undefined, at: number): StoredEvent {
    const last = rec.history[rec.history.length - 1];
    const id = (last?.id ?? 0) + 1;
    const clean = details ? Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined)) : undefined;
    return { id, previousEventId: id - 1, timestamp: Math.max(at, last?.timestamp ?? at), type, detailsKey, details: clean };
  }

  /** States.DataLimitExceeded: terminal, see limits.ts. */
  private failOnPayload(run: Run, err: Error): void {
    this.failRun(run, err.name, err.message);
  }

  private append(rec: ExecutionRecord, type: string, detailsKey?: string, details?: Record<string, unknown>, at = this.clock()): void {
    // A Standard history holds at most historyEventLimit events, the execution's last one included: the
    // event that would leave no room for it fails the execution instead (AWS: event 25,000 is ExecutionFailed).
    if (rec.run && rec.type === 'STANDARD' && !TERMINAL_EVENTS.has(type) && rec.history.length >= this.historyEventLimit - 1) {
      this.failRun(rec.run, 'States.Runtime', historyLimitCause(this.historyEventLimit));
      return;
    }
    const ev = this.makeStored(rec, type, detailsKey, details, at);
    rec.history.push(ev);
    if (this.listeners.size > 0) {
      this.emit({ type: 'HistoryEvent', execution: this.summary(rec), event: this.publicEvent(ev, true), activeStates: [...rec.activeStates.keys()] });
    }
  }

  private publicEvent(ev: StoredEvent, includeData: boolean): HistoryEvent {
    const out: HistoryEvent = { id: ev.id, previousEventId: ev.previousEventId, timestamp: new Date(ev.timestamp), type: ev.type };
    if (ev.detailsKey) {
      const details = { ...(ev.details ?? {}) };
      if (!includeData) {
        for (const k of ['input', 'output', 'parameters'] as const) {
          if (k in details) { delete details[k]; }
        }
      }
      out[ev.detailsKey as `${string}EventDetails`] = details;
    }
    return out;
  }

  private emit(event: ExecutionEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onInternalError(err);
      }
    }
  }

  // ── lookups ──

  private summary(rec: ExecutionRecord): ExecutionSummary {
    return {
      account: rec.account, region: rec.region, executionArn: rec.executionArn, stateMachineArn: rec.stateMachineArn,
      stateMachineName: rec.stateMachineName, name: rec.name, type: rec.type, status: rec.status,
      startDate: new Date(rec.startDate), stopDate: rec.stopDate !== undefined ? new Date(rec.stopDate) : undefined,
    };
  }

  private describe(rec: ExecutionRecord): DescribeExecutionOutput {
    return {
      executionArn: rec.executionArn,
      stateMachineArn: rec.stateMachineArn,
      name: rec.name,
      status: rec.status,
      startDate: new Date(rec.startDate),
      stopDate: rec.stopDate !== undefined ? new Date(rec.stopDate) : undefined,
      input: rec.input,
      inputDetails: { included: true },
      output: rec.output,
      outputDetails: rec.output !== undefined ? { included: true } : undefined,
      error: rec.error,
      cause: rec.cause,
    };
  }

  private findStateMachine(ctx: RequestContext, arn: string): StateMachineRecord {
    const m = arn.match(SM_ARN_RE);
    if (!m) throw sfnErrors.invalidArn(arn);
    const sm = this.stateMachines.get(arn);
    if (!sm || m[1] !== ctx.region || m[2] !== ctx.account) throw sfnErrors.stateMachineDoesNotExist(arn);
    return sm;
  }

  private findExecution(ctx: RequestContext, arn: string, standardOnly = false): ExecutionRecord {
    const m = arn.match(EXEC_ARN_RE);
    if (!m || (m[3] === 'execution' && m[6] !== undefined)) throw sfnErrors.invalidArn(arn);
    if (standardOnly && m[3] === 'express') throw sfnErrors.typeNotSupported('EXPRESS');
    const rec = this.executions.get(arn);
    if (!rec || m[1] !== ctx.region || m[2] !== ctx.account) throw sfnErrors.executionDoesNotExist(arn);
    return rec;
  }

  private assertOpen(): void {
    if (this.closed) throw sfnErrors.unavailable();
  }
}

/** The subset of the library's event log the model reads (its EventLog type is not exported). */
interface LibraryEvent {
  type: string;
  timestamp: number;
  index?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string };
  Error?: string;
  Cause?: unknown;
}

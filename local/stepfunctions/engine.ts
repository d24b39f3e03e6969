// The execution engine: starts an execution, runs its definition on aws-local-stepfunctions, turns the
// library's event log into the history, and ends the execution (succeeded, failed, stopped, timed out).
import '../polyfills.js';
import { randomUUID } from 'node:crypto';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { prepareForRun, type DistributedMapInfo, type ParsedDefinition } from './asl.js';
import { evalSimplePath } from './paths.js';
import { MapRuns, runDistributedMap } from './distributed-map.js';
import { sfnErrors } from './errors.js';
import { append, emit, onEnterTask, onExitTask } from './history.js';
import { MAX_EXECUTION_SECONDS, exceedsPayloadLimit, inputTooLarge, resultTooLarge } from './limits.js';
import { findStateMachine } from './lookup.js';
import { MapGates, gateStateName, gatedMapOf } from './map-concurrency.js';
import type { ExecutionRecord, ModelState, Run, StartExecution } from './records.js';
import { abandon, endRun, failRun, stopChild } from './stop.js';
import { runTask } from './tasks.js';
import { LongTimer, captureTimeoutError } from './timers.js';
import type { JsonValue, RequestContext } from './types.js';
import { assertOpen, isValidName, requireString } from './validate.js';
import { json, orUndefined } from './values.js';
import { summary } from './views.js';

/**
 * Starts an execution (StartExecution, StartSyncExecution with `sync`, a task's child): checks the
 * request, records ExecutionStarted and launches the run.
 */
export async function start(model: ModelState, ctx: RequestContext, input: Record<string, unknown>, sync: boolean): Promise<ExecutionRecord> {
  // First and only await: from here on, the name check and the insertion are one synchronous step,
  // so two concurrent StartExecution calls with the same name cannot both create an execution.
  await captureTimeoutError();
  assertOpen(model);
  const sm = findStateMachine(model, ctx, requireString(input, 'stateMachineArn'));
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
  return startOn(model, sm, name, rawInput);
}

/** The machine an execution runs: a state machine, or the ItemProcessor of a distributed Map. */
interface Runnable {
  account: string;
  region: string;
  arn: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  roleArn: string;
  definition: string;
  parsed: ParsedDefinition;
  prepared: StateMachineDefinition;
}

/** Records ExecutionStarted and launches the run (the request already checked). */
function startOn(model: ModelState, sm: Runnable, name: string, rawInput: string, mapRunArn?: string): ExecutionRecord {
  let executionArn: string;
  if (sm.type === 'EXPRESS') {
    executionArn = `arn:aws:states:${sm.region}:${sm.account}:express:${sm.name}:${name}:${randomUUID()}`;
  } else {
    executionArn = `arn:aws:states:${sm.region}:${sm.account}:execution:${sm.name}:${name}`;
    const existing = model.executions.get(executionArn);
    if (existing) {
      // AWS: idempotent only while the execution runs and only for the very same input.
      if (existing.status === 'RUNNING' && existing.input === rawInput) return existing;
      throw sfnErrors.executionAlreadyExists(executionArn);
    }
  }
  let resolveFinished!: () => void;
  const rec: ExecutionRecord = {
    account: sm.account,
    region: sm.region,
    executionArn,
    stateMachineArn: sm.arn,
    stateMachineName: sm.name,
    name,
    type: sm.type,
    status: 'RUNNING',
    input: rawInput,
    startDate: model.clock(),
    roleArn: sm.roleArn,
    definition: sm.definition,
    history: [],
    activeStates: new Map(),
    finished: new Promise<void>((resolve) => {
      resolveFinished = resolve;
    }),
    ...(mapRunArn ? { mapRunArn } : {}),
  };
  model.executions.set(executionArn, rec);
  emit(model, { type: 'ExecutionStarted', execution: summary(rec) });
  append(model, rec, 'ExecutionStarted', 'executionStartedEventDetails', { input: rawInput, inputDetails: { truncated: false }, roleArn: sm.roleArn });
  launch(model, rec, sm.parsed, sm.prepared, resolveFinished);
  return rec;
}

function launch(model: ModelState, rec: ExecutionRecord, parsed: ParsedDefinition, prepared: StateMachineDefinition, resolveFinished: () => void): void {
  const run: Run = {
    rec,
    parsed,
    abort: () => undefined,
    ended: false,
    libraryDone: false,
    pending: new Set(),
    journal: [],
    failedStates: new Set(),
    sealed: false,
    resolveFinished,
    gates: new MapGates((name, index) => append(model, rec, 'MapIterationStarted', 'mapIterationStartedEventDetails', { name, index })),
    mapRuns: new MapRuns(),
  };
  rec.run = run;
  const tokens = model.tokens;
  const startChild: StartExecution = (ctx, input) => start(model, ctx, input, false);
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
          queueMicrotask(() => {
            run.tokenCache = undefined;
          });
        }
        return run.tokenCache;
      },
    },
  };
  const handlers: Record<string, (input: unknown) => Promise<JsonValue>> = {};
  for (const task of parsed.tasks.values()) {
    handlers[task.name] = (wrapped) => runTask(model, run, task, wrapped as Record<string, JsonValue>, startChild);
  }
  for (const map of parsed.gatedMaps) handlers[gateStateName(map)] = (wrapped) => run.gates.enter(wrapped);
  for (const map of parsed.distributedMaps.values()) {
    const ctx = {
      run,
      stateName: map.name,
      label: map.label,
      append: (type: string, key?: string, details?: Record<string, unknown>) => append(model, rec, type, key, details),
      startChild: async (mapRunArn: string, name: string, input: JsonValue) => startOn(model, processorMachine(rec, map), name, json(input), mapRunArn),
      stopChild: (child: ExecutionRecord) => {
        void stopChild(child);
      },
    };
    handlers[map.name] = (wrapped) => runDistributedMap(ctx, wrapped as Record<string, JsonValue>);
  }
  const machine = new StateMachine(prepared, { validationOptions: { noValidate: true } });
  const execution = machine.run(JSON.parse(rec.input) as JsonValue as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: model.retryIntervalOverrides,
      waitTimeOverrides: model.waitTimeOverrides,
    },
    context: context as never,
  });
  run.abort = execution.abort;
  const consumed = consume(model, run, execution.eventLogs as AsyncGenerator<LibraryEvent>);
  // The machine's TimeoutSeconds, within the service's maximum execution time (1 year Standard, 5 minutes Express).
  const maxSeconds = MAX_EXECUTION_SECONDS[rec.type];
  const seconds = Math.min(parsed.timeoutSeconds ?? maxSeconds, maxSeconds);
  run.timer = new LongTimer(seconds * 1000, () => {
    void endRun(run, { status: 'TIMED_OUT', error: 'States.Timeout' });
  });
  execution.result
    .then(
      (output) => ({ ok: true as const, output: output as unknown }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    .then(async (outcome) => {
      run.libraryDone = true;
      await consumed;
      finish(model, run, outcome);
    })
    .catch((err: unknown) => model.onInternalError(err));
}

function finish(model: ModelState, run: Run, outcome: { ok: true; output: unknown } | { ok: false; error: unknown }): void {
  const rec = run.rec;
  run.ended = true;
  run.timer?.clear();
  for (const task of [...run.pending]) abandon(task, 'Execution ended');
  run.gates.close('Execution ended');
  run.mapRuns.close((child) => {
    void stopChild(child);
  });
  run.journal.length = 0;
  const now = model.clock();
  if (run.endReason) {
    const { status } = run.endReason;
    const error = orUndefined(run.endReason.error);
    const cause = orUndefined(run.endReason.cause);
    rec.status = status;
    // A timed-out execution describes with no error or cause: States.Timeout is only in its history event.
    if (status !== 'TIMED_OUT') {
      rec.error = error;
      rec.cause = cause;
    }
    if (status === 'ABORTED') append(model, rec, 'ExecutionAborted', 'executionAbortedEventDetails', { error, cause });
    else if (status === 'TIMED_OUT') append(model, rec, 'ExecutionTimedOut', 'executionTimedOutEventDetails', { error, cause });
    else append(model, rec, 'ExecutionFailed', 'executionFailedEventDetails', { error, cause });
  } else if (outcome.ok) {
    rec.status = 'SUCCEEDED';
    rec.output = json(outcome.output);
    append(model, rec, 'ExecutionSucceeded', 'executionSucceededEventDetails', { output: rec.output, outputDetails: { truncated: false } });
  } else {
    const { error, cause } = failureOf(run, outcome.error);
    rec.status = 'FAILED';
    rec.error = error;
    rec.cause = cause;
    append(model, rec, 'ExecutionFailed', 'executionFailedEventDetails', { error, cause });
  }
  rec.stopDate = Math.max(now, rec.startDate);
  rec.activeStates.clear();
  rec.run = undefined;
  emit(model, { type: 'ExecutionEnded', execution: summary(rec) });
  run.resolveFinished();
}

/** Error and cause of a failed execution, from the library's ExecutionError. */
function failureOf(run: Run, err: unknown): { error?: string; cause?: string } {
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

async function consume(model: ModelState, run: Run, logs: AsyncGenerator<LibraryEvent>): Promise<void> {
  for await (const ev of logs) {
    try {
      onLibraryEvent(model, run, ev);
    } catch (err) {
      model.onInternalError(err);
    }
  }
}

function onLibraryEvent(model: ModelState, run: Run, ev: LibraryEvent): void {
  if (run.sealed) return;
  const rec = run.rec;
  if (ev.type === 'MapIterationStarted' || ev.type === 'MapIterationSucceeded' || ev.type === 'MapIterationFailed') {
    const mapName = ev.parentState?.name;
    const gated = mapName !== undefined && run.parsed.gatedMaps.has(mapName);
    // A gated iteration starts when its slot is granted (MapGates' onGrant writes the event).
    if (gated && ev.type === 'MapIterationStarted') return;
    const key = ev.type === 'MapIterationStarted' ? 'mapIterationStartedEventDetails' : ev.type === 'MapIterationSucceeded' ? 'mapIterationSucceededEventDetails' : 'mapIterationFailedEventDetails';
    append(model, rec, ev.type, key, { name: mapName, index: ev.index });
    if (gated && ev.type !== 'MapIterationStarted') run.gates.iterationEnded(mapName);
    return;
  }
  const state = ev.state;
  if (!state) return;
  if (run.parsed.distributedMaps.has(state.name)) return onDistributedMapEvent(model, run, ev, state);
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
      if (exceedsPayloadLimit(input)) return failOnPayload(run, inputTooLarge(state.name));
      run.failedStates.delete(flag);
      rec.activeStates.set(state.name, (rec.activeStates.get(state.name) ?? 0) + 1);
      append(model, rec, `${state.type}StateEntered`, 'stateEnteredEventDetails', { name: state.name, input, inputDetails: { truncated: false } });
      if (state.type === 'Fail') run.lastFailState = state.name;
      if (state.type === 'Task') onEnterTask(model, run, state.name, state.input);
      if (state.type === 'Map') {
        const def = run.parsed.states.get(state.name)?.definition ?? {};
        const items = evalSimplePath(def.ItemsPath as string | undefined, evalSimplePath((def.InputPath as string | undefined) ?? '$', state.input));
        append(model, rec, 'MapStateStarted', 'mapStateStartedEventDetails', Array.isArray(items) ? { length: items.length } : {});
        if (run.parsed.gatedMaps.has(state.name)) {
          const effective = def.InputPath === null ? {} : evalSimplePath((def.InputPath as string | undefined) ?? '$', state.input);
          run.gates.mapEntered(state.name, evalSimplePath(def.MaxConcurrencyPath as string, effective));
        }
      }
      if (state.type === 'Parallel') append(model, rec, 'ParallelStateStarted');
      break;
    }
    case 'StateRetried':
      run.failedStates.delete(flag);
      if (state.type === 'Task') onEnterTask(model, run, state.name, state.input);
      break;
    case 'StateFailed':
      run.failedStates.add(flag);
      if (state.type === 'Task') onExitTask(model, run, state.name, state.input);
      if (state.type === 'Map' || state.type === 'Parallel') {
        append(model, rec, `${state.type}StateFailed`, undefined, undefined);
        run.gates.mapEnded(state.name);
        // The library aborts the other iterations/branches but cannot tell us: let go of their tasks.
        for (const t of [...run.pending]) {
          if (t.task.enclosing.includes(state.name) && t.startedAtMs < ev.timestamp) abandon(t, `${state.type} state '${state.name}' failed`);
        }
      }
      break;
    case 'StateExited': {
      if (state.type === 'Task') onExitTask(model, run, state.name, state.input);
      // After ResultSelector, ResultPath and OutputPath: too big, and the state never exits.
      const output = json(state.output);
      if (exceedsPayloadLimit(output)) return failOnPayload(run, resultTooLarge(state.name));
      if (state.type === 'Map') run.gates.mapEnded(state.name);
      if ((state.type === 'Map' || state.type === 'Parallel') && !run.failedStates.has(flag)) append(model, rec, `${state.type}StateSucceeded`);
      run.failedStates.delete(flag);
      append(model, rec, `${state.type}StateExited`, 'stateExitedEventDetails', { name: state.name, output, outputDetails: { truncated: false } });
      const n = (rec.activeStates.get(state.name) ?? 1) - 1;
      if (n > 0) rec.activeStates.set(state.name, n);
      else rec.activeStates.delete(state.name);
      break;
    }
    default:
      break;
  }
}

/** The ItemProcessor of a distributed Map as the machine its children run (prepared once per definition). */
const processorMachines = new WeakMap<DistributedMapInfo, StateMachineDefinition>();
function processorMachine(parent: ExecutionRecord, map: DistributedMapInfo): Runnable {
  let prepared = processorMachines.get(map);
  if (!prepared) processorMachines.set(map, (prepared = prepareForRun(map.processor)));
  const name = `${parent.stateMachineName}/${map.label}`;
  return {
    account: parent.account,
    region: parent.region,
    arn: `arn:aws:states:${parent.region}:${parent.account}:stateMachine:${name}`,
    name,
    type: map.executionType,
    roleArn: parent.roleArn,
    definition: map.definition,
    parsed: map.processor,
    prepared,
  };
}

/**
 * A distributed Map runs as a hidden Task (distributed-map.ts): its history is the Map's,
 * MapStateEntered, MapRunStarted … MapRunSucceeded/-Failed, MapStateExited, with no iteration events.
 */
function onDistributedMapEvent(model: ModelState, run: Run, ev: LibraryEvent, state: NonNullable<LibraryEvent['state']>): void {
  const rec = run.rec;
  if (ev.type === 'StateEntered') {
    const input = json(state.input);
    if (exceedsPayloadLimit(input)) return failOnPayload(run, inputTooLarge(state.name));
    rec.activeStates.set(state.name, (rec.activeStates.get(state.name) ?? 0) + 1);
    append(model, rec, 'MapStateEntered', 'stateEnteredEventDetails', { name: state.name, input, inputDetails: { truncated: false } });
    run.mapRuns.entered(state.name);
  } else if (ev.type === 'StateRetried') {
    run.mapRuns.entered(state.name);
  } else if (ev.type === 'StateExited') {
    const output = json(state.output);
    if (exceedsPayloadLimit(output)) return failOnPayload(run, resultTooLarge(state.name));
    append(model, rec, 'MapStateExited', 'stateExitedEventDetails', { name: state.name, output, outputDetails: { truncated: false } });
    const n = (rec.activeStates.get(state.name) ?? 1) - 1;
    if (n > 0) rec.activeStates.set(state.name, n);
    else rec.activeStates.delete(state.name);
  }
}

/** States.DataLimitExceeded: terminal, see limits.ts. */
function failOnPayload(run: Run, err: Error): void {
  failRun(run, err.name, err.message);
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

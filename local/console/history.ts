import type { HistoryEvent } from '../stepfunctions/model.js';
import { END, START } from './graph.js';

/**
 * What the execution history says about each state, the way the Step
 * Functions console colours its graph: succeeded, caught (failed but a Catch
 * took over), failed, in progress, aborted, or not run.
 */
export type StateOutcome = 'succeeded' | 'caught' | 'failed' | 'running' | 'aborted';

export interface StateRun {
  outcome: StateOutcome;
  /** Times the state was entered. */
  entered: number;
  /** Task attempts beyond the first (Retry). */
  retries: number;
  enteredAt?: string;
  exitedAt?: string;
  error?: { error?: string; cause?: string };
}

export interface HistoryRow {
  id: number;
  type: string;
  timestamp: string;
  /** Milliseconds since the execution started. */
  elapsedMs: number;
  /** The state the event belongs to. */
  state?: string;
  /** `*EventDetails` of the event (input / output / parameters are JSON strings, as in the API). */
  details?: Record<string, unknown>;
}

export interface ExecutionPath {
  states: Record<string, StateRun>;
  /** Transitions taken, in order, including Start → first state and last state → End. */
  transitions: { from: string; to: string }[];
  /** Where the execution is (active states), or where it stopped. */
  current: string[];
  rows: HistoryRow[];
}

const FAILURE = /^(Task|LambdaFunction)(Failed|TimedOut|StartFailed|ScheduleFailed|SubmitFailed)$|^(Map|Parallel)StateFailed$/;
const SUCCESS = /^(Task|LambdaFunction)Succeeded$/;
const SCHEDULED = /^(TaskScheduled|LambdaFunctionScheduled)$/;

function detailsOf(e: HistoryEvent): Record<string, unknown> | undefined {
  const key = Object.keys(e).find((k) => k.endsWith('EventDetails'));
  return key ? (e[key as `${string}EventDetails`] as Record<string, unknown> | undefined) : undefined;
}

/** Reads a history (oldest first) into per-state outcomes, the path taken and the table rows. */
export function readHistory(history: HistoryEvent[], execution: { status: string; activeStates: string[] }): ExecutionPath {
  const states: Record<string, StateRun> = {};
  const transitions: { from: string; to: string }[] = [];
  const rows: HistoryRow[] = [];
  const open: string[] = [];
  let previous = START;
  let lastEntered: string | undefined;
  const failedAttempt = new Set<string>();
  const start = history.length ? new Date(history[0].timestamp).getTime() : 0;

  for (const e of history) {
    const details = detailsOf(e);
    const at = new Date(e.timestamp);
    let state: string | undefined;
    if (e.type.endsWith('StateEntered')) {
      state = String(details?.name ?? '');
      const run = (states[state] ??= { outcome: 'running', entered: 0, retries: 0 });
      run.entered += 1;
      run.outcome = 'running';
      run.enteredAt = at.toISOString();
      failedAttempt.delete(state);
      open.push(state);
      transitions.push({ from: previous, to: state });
      previous = state;
      lastEntered = state;
      if (e.type === 'FailStateEntered') run.outcome = 'failed';
    } else if (e.type.endsWith('StateExited')) {
      state = String(details?.name ?? '');
      const run = states[state];
      if (run) {
        if (run.outcome !== 'failed') run.outcome = failedAttempt.has(state) ? 'caught' : 'succeeded';
        run.exitedAt = at.toISOString();
      }
      const i = open.lastIndexOf(state);
      if (i !== -1) open.splice(i, 1);
    } else {
      state = open[open.length - 1];
      const run = state ? states[state] : undefined;
      if (run && SCHEDULED.test(e.type) && failedAttempt.has(state!)) run.retries += 1;
      if (run && SCHEDULED.test(e.type)) failedAttempt.delete(state!);
      if (run && FAILURE.test(e.type)) {
        failedAttempt.add(state!);
        run.error = { error: details?.error as string | undefined, cause: details?.cause as string | undefined };
      }
      if (run && SUCCESS.test(e.type)) {
        failedAttempt.delete(state!);
        delete run.error;
      }
      if (e.type === 'ExecutionSucceeded') {
        for (const s of open) states[s].outcome = 'succeeded';
        transitions.push({ from: previous, to: END });
      }
      if (e.type === 'ExecutionFailed' || e.type === 'ExecutionTimedOut') {
        for (const s of open) states[s].outcome = 'failed';
        if (lastEntered && states[lastEntered]?.outcome === 'failed') transitions.push({ from: previous, to: END });
      }
      if (e.type === 'ExecutionAborted') for (const s of open) states[s].outcome = 'aborted';
    }
    rows.push({ id: e.id, type: e.type, timestamp: at.toISOString(), elapsedMs: at.getTime() - start, state, details });
  }

  const running = execution.status === 'RUNNING';
  const current = running ? [...execution.activeStates] : lastEntered ? [lastEntered] : [];
  if (running) for (const s of current) if (states[s]) states[s].outcome = 'running';
  return { states, transitions, current, rows };
}

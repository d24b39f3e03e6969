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

/** One time the execution was in a state: the rows of the state table, as the Step Functions console's table view. */
export interface StateVisit {
  state: string;
  /** ASL type, from the history event (`TaskStateEntered` → Task). */
  type: string;
  enteredAt: string;
  /** When it left the state, or when the execution ended while in it; absent while it is there. */
  exitedAt?: string;
  durationMs?: number;
  outcome: StateOutcome;
  /** Task attempts beyond the first in this visit. */
  retries: number;
  error?: { error?: string; cause?: string };
}

export interface ExecutionPath {
  states: Record<string, StateRun>;
  /** Transitions taken, in order, including Start → first state and last state → End. */
  transitions: { from: string; to: string }[];
  /** Where the execution is (active states), or where it stopped. */
  current: string[];
  rows: HistoryRow[];
  /** Every state entered, in order, with how long it took. */
  visits: StateVisit[];
  /** State transitions: states entered (what Step Functions counts and bills). */
  transitionCount: number;
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
  const visits: StateVisit[] = [];
  const openVisits = new Map<string, StateVisit>();
  const close = (v: StateVisit, at: Date, outcome: StateOutcome) => {
    v.exitedAt = at.toISOString();
    v.durationMs = at.getTime() - Date.parse(v.enteredAt);
    v.outcome = outcome;
  };
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
      const visit: StateVisit = { state, type: e.type.replace(/StateEntered$/, ''), enteredAt: run.enteredAt, outcome: run.outcome, retries: 0 };
      visits.push(visit);
      openVisits.set(state, visit);
    } else if (e.type.endsWith('StateExited')) {
      state = String(details?.name ?? '');
      const run = states[state];
      if (run) {
        if (run.outcome !== 'failed') run.outcome = failedAttempt.has(state) ? 'caught' : 'succeeded';
        run.exitedAt = at.toISOString();
        const visit = openVisits.get(state);
        if (visit) close(visit, at, run.outcome);
        openVisits.delete(state);
      }
      const i = open.lastIndexOf(state);
      if (i !== -1) open.splice(i, 1);
    } else {
      state = open[open.length - 1];
      const run = state ? states[state] : undefined;
      const visit = state ? openVisits.get(state) : undefined;
      if (run && SCHEDULED.test(e.type) && failedAttempt.has(state!)) {
        run.retries += 1;
        if (visit) visit.retries += 1;
      }
      if (run && SCHEDULED.test(e.type)) failedAttempt.delete(state!);
      if (run && FAILURE.test(e.type)) {
        failedAttempt.add(state!);
        run.error = { error: details?.error as string | undefined, cause: details?.cause as string | undefined };
        if (visit) visit.error = run.error;
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
      // The execution ended in these states (a Fail state, a stop): their time runs to the end.
      if (/^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(e.type)) {
        for (const [name, v] of openVisits) close(v, at, states[name]?.outcome ?? v.outcome);
        openVisits.clear();
      }
    }
    rows.push({ id: e.id, type: e.type, timestamp: at.toISOString(), elapsedMs: at.getTime() - start, state, details });
  }

  const running = execution.status === 'RUNNING';
  const current = running ? [...execution.activeStates] : lastEntered ? [lastEntered] : [];
  if (running) for (const s of current) if (states[s]) states[s].outcome = 'running';
  return { states, transitions, current, rows, visits, transitionCount: visits.length };
}

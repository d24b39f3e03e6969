// The most history events a pass through ASL states can write, computed from the definition: every retrier
// spent on every task, the longest way through Next, Choice and Catch. Event names as Step Functions writes them.

export interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Retry?: { MaxAttempts?: number }[];
  ItemProcessor?: { StartAt: string; States: Record<string, AslState> };
}

/** Attempts of a task at most: the first, and each retrier's MaxAttempts (default 3), all spent. */
export function maxAttempts(state: AslState): number {
  return 1 + (state.Retry ?? []).reduce((n, r) => n + (r.MaxAttempts ?? 3), 0);
}

/**
 * Events per attempt: a Lambda ARN as Resource writes LambdaFunctionScheduled, -Started and
 * -Succeeded/-Failed/-TimedOut; a service integration (states:startExecution.sync:2) writes
 * TaskScheduled, TaskStarted, TaskSubmitted and TaskSucceeded/-Failed.
 */
export function eventsPerAttempt(state: AslState): number {
  return String(state.Resource).startsWith('arn:aws:lambda:') ? 3 : 4;
}

/**
 * Events of one pass through a state: <Type>StateEntered and -Exited; a task's attempts;
 * a Map's MapStateStarted and -Succeeded/-Failed, and `items` iterations of
 * MapIterationStarted, the iteration's longest path, MapIterationSucceeded/-Failed.
 */
export function stateEvents(state: AslState, items = 0): number {
  if (state.Type === 'Task') return 2 + maxAttempts(state) * eventsPerAttempt(state);
  if (state.Type === 'Map') return 4 + items * iterationEvents(state);
  return 2;
}

/** Events of one Map iteration at most: MapIterationStarted/-Succeeded around the longest path. */
export function iterationEvents(map: AslState): number {
  const processor = map.ItemProcessor!;
  return 2 + longestPath(processor.States, processor.StartAt);
}

/**
 * The most events from `from` to an end, through every edge (Next, Choices, Default,
 * Catch); Map states nested here count no iterations (pass them to stateEvents).
 */
export function longestPath(states: Record<string, AslState>, from: string, seen: string[] = []): number {
  if (seen.includes(from)) throw new Error(`the states loop through ${from}: no bound`);
  const state = states[from];
  if (!state) throw new Error(`no state ${from}`);
  const nexts = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)].filter((n): n is string => !!n);
  const rest = nexts.length ? Math.max(...nexts.map((n) => longestPath(states, n, [...seen, from]))) : 0;
  return stateEvents(state) + rest;
}

/** The events of a path of named states, with `items` iterations for its Map states. */
export function pathEvents(states: Record<string, AslState>, path: string[], items: number): number {
  return path.reduce((n, name) => n + stateEvents(states[name], items), 0);
}

// The execution history: appending events (within the history quota), holding a task's events until the
// library's matching state event is written, and telling execution listeners.
import { historyLimitCause } from './limits.js';
import type { ExecutionRecord, ModelState, Run, TaskRecord } from './records.js';
import { failRun } from './stop.js';
import type { ExecutionEvent, StoredEvent } from './types.js';
import { json } from './values.js';
import { publicEvent, summary } from './views.js';

const TERMINAL_EVENTS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/** Task events wait in the task's journal until the library's matching state event has been written. */
export function record(model: ModelState, rec: TaskRecord, type: string, detailsKey?: string, details?: Record<string, unknown>, completion = false): void {
  rec.events.push({ type, detailsKey, details, at: model.clock(), completion });
  if (rec.anchored && !completion) flush(model, rec, false);
}

export function flush(model: ModelState, rec: TaskRecord, includeCompletion: boolean): void {
  if (rec.run.sealed) return;
  while (rec.flushed < rec.events.length) {
    const ev = rec.events[rec.flushed];
    if (ev.completion && !includeCompletion) break;
    append(model, rec.run.rec, ev.type, ev.detailsKey, ev.details, ev.at);
    rec.flushed += 1;
  }
}

export function pickTask(run: Run, stateName: string, inputKey: string, pred: (t: TaskRecord) => boolean): TaskRecord | undefined {
  const candidates = run.journal.filter((t) => t.task.name === stateName && pred(t));
  return candidates.find((t) => t.inputKey === inputKey) ?? candidates[0];
}

export function onEnterTask(model: ModelState, run: Run, stateName: string, input: unknown): void {
  const rec = pickTask(run, stateName, json(input), (t) => !t.anchored);
  if (!rec) return;
  rec.anchored = true;
  flush(model, rec, false);
  const begin = rec.begin;
  rec.begin = undefined;
  if (begin && rec.status === 'pending') begin();
}

export function onExitTask(model: ModelState, run: Run, stateName: string, input: unknown): void {
  const rec = pickTask(run, stateName, json(input), (t) => t.anchored && t.events.some((e) => e.completion));
  if (!rec) return;
  flush(model, rec, true);
  run.journal.splice(run.journal.indexOf(rec), 1);
}

export function makeStored(rec: ExecutionRecord, type: string, detailsKey: string | undefined, details: Record<string, unknown> | undefined, at: number): StoredEvent {
  const last = rec.history[rec.history.length - 1];
  const id = (last?.id ?? 0) + 1;
  const clean = details ? Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined)) : undefined;
  return { id, previousEventId: id - 1, timestamp: Math.max(at, last?.timestamp ?? at), type, detailsKey, details: clean };
}

export function append(model: ModelState, rec: ExecutionRecord, type: string, detailsKey?: string, details?: Record<string, unknown>, at = model.clock()): void {
  // A Standard history holds at most historyEventLimit events, the execution's last one included: the
  // event that would leave no room for it fails the execution instead (AWS: event 25,000 is ExecutionFailed).
  if (rec.run && rec.type === 'STANDARD' && !TERMINAL_EVENTS.has(type) && rec.history.length >= model.historyEventLimit - 1) {
    failRun(rec.run, 'States.Runtime', historyLimitCause(model.historyEventLimit));
    return;
  }
  const ev = makeStored(rec, type, detailsKey, details, at);
  rec.history.push(ev);
  if (model.listeners.size > 0) {
    emit(model, { type: 'HistoryEvent', execution: summary(rec), event: publicEvent(ev, true), activeStates: [...rec.activeStates.keys()] });
  }
}

export function emit(model: ModelState, event: ExecutionEvent): void {
  for (const listener of model.listeners) {
    try {
      listener(event);
    } catch (err) {
      model.onInternalError(err);
    }
  }
}

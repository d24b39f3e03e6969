// Ending a run before its definition does (StopExecution, execution timeout, a quota, shutdown) and
// letting go of its pending tasks, whose tokens then answer TaskTimedOut.
import { TaskAbandoned } from './errors.js';
import type { EndReason, ExecutionRecord, ModelState, Run, TaskRecord } from './records.js';

/** Ends a run from outside (stop, execution timeout, shutdown). */
export async function endRun(run: Run, reason: EndReason): Promise<void> {
  if (!run.ended && !run.libraryDone) {
    run.ended = true;
    run.endReason = reason;
    run.timer?.clear();
    const why = `Execution ${reason.status === 'ABORTED' ? 'stopped' : 'timed out'}`;
    for (const task of [...run.pending]) abandon(task, why);
    run.gates.close(why);
    run.mapRuns.close((child) => {
      void stopChild(child);
    });
    run.abort();
  }
  await run.rec.finished;
}

/**
 * Ends a run on a quota (payload size, history length): FAILED with `error`, whatever its Catch and
 * Retry say. Also once the library has finished but its events are still being read.
 */
export function failRun(run: Run, error: string, cause: string): void {
  if (run.sealed) return;
  run.sealed = true;
  if (run.endReason) return;
  run.ended = true;
  run.endReason = { status: 'FAILED', error, cause };
  run.timer?.clear();
  for (const task of [...run.pending]) abandon(task, 'Execution failed');
  run.gates.close('Execution failed');
  run.mapRuns.close((child) => {
    void stopChild(child);
  });
  if (!run.libraryDone) run.abort();
}

export async function stopChild(child: ExecutionRecord): Promise<void> {
  if (child.run) await endRun(child.run, { status: 'ABORTED', cause: 'The parent execution stopped waiting for this execution' });
}

export function clearTaskTimers(rec: TaskRecord): void {
  rec.timeout?.clear();
  rec.heartbeat?.timer?.clear();
}

export function settle(rec: TaskRecord, status: TaskRecord['status']): boolean {
  if (rec.status !== 'pending') return false;
  rec.status = status;
  clearTaskTimers(rec);
  rec.run.pending.delete(rec);
  return true;
}

export function abandon(rec: TaskRecord, reason: string): void {
  if (!settle(rec, 'abandoned')) return;
  rec.controller.abort();
  const i = rec.run.journal.indexOf(rec);
  if (i >= 0) rec.run.journal.splice(i, 1);
  if (rec.child) void stopChild(rec.child);
  rec.reject(new TaskAbandoned(reason));
}

/**
 * Stops every running execution (ABORTED) and clears every timer, so nothing
 * keeps the process alive. Further API calls that start work fail.
 */
export async function shutdown(model: ModelState): Promise<void> {
  model.closed = true;
  const running = [...model.executions.values()].filter((e) => e.run);
  await Promise.all(running.map((e) => endRun(e.run!, { status: 'ABORTED', cause: 'The local cloud shut down' })));
  for (const task of model.callbacks.values()) clearTaskTimers(task);
}

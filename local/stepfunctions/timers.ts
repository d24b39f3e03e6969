// Timers the model arms (task, heartbeat and execution timeouts) and the library's own timeout error,
// which Retry and Catch tell apart from States.TaskFailed.
import '../polyfills.js';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { TaskFailure } from './errors.js';

/** setTimeout caps delays at 2^31-1 ms (24.8 days); task timeouts go up to a year. */
export class LongTimer {
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
export function captureTimeoutError(): Promise<TimeoutErrorFactory> {
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

/** A timeout error (`States.Timeout`, `States.HeartbeatTimeout`) the library treats as one, once captureTimeoutError() has run. */
export function timeoutError(name: string, cause: string): Error {
  return timeoutErrorFactory(name, cause);
}

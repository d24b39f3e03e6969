// One execution environment of a function: a worker thread that loads the bundle once (the cold
// start) and then serves one invocation at a time; killed on timeout or crash, as Lambda kills its sandbox.
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { lambdaErrors, LambdaInvocationError, MAX_RESPONSE_PAYLOAD_BYTES, type LambdaErrorPayload } from './errors.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.cjs');

export interface InstanceSpec {
  bundle: string;
  handlerExport: string;
  /** `file.export`, as the function's `handler` setting names it (for init errors). */
  handlerName: string;
  functionName: string;
  functionArn: string;
  memorySize: number;
  timeoutSeconds: number;
  env: Record<string, string>;
  onLog: (line: string) => void;
  /** Called once, as soon as the instance can serve no more invocations. */
  onDead: (instance: LambdaInstance) => void;
}

type WorkerMessage =
  | { ready: true }
  | { initError: LambdaErrorPayload }
  | { id: number | undefined; ok: true; payload: string; fatal?: undefined }
  | { id: number | undefined; ok: false; error: LambdaErrorPayload; fatal?: boolean };

interface Running {
  id: number;
  requestId: string;
  resolve: (result: unknown) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

export type InstanceState = 'initializing' | 'idle' | 'busy' | 'dead';

export class LambdaInstance {
  readonly id = randomUUID().replace(/-/g, '');
  /** Resolves once the bundle has loaded; rejects with the init error (the instance is then dead). */
  readonly ready: Promise<void>;
  state: InstanceState = 'initializing';
  private readonly worker: Worker;
  private running?: Running;
  private seq = 0;

  constructor(private readonly spec: InstanceSpec) {
    const logStreamName = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${this.id}`;
    this.worker = new Worker(WORKER, {
      stdout: true,
      stderr: true,
      workerData: {
        bundle: spec.bundle,
        handlerExport: spec.handlerExport,
        handlerName: spec.handlerName,
        functionName: spec.functionName,
        functionArn: spec.functionArn,
        memorySize: spec.memorySize,
        logStreamName,
        instanceId: this.id,
      },
      env: spec.env,
    });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) !== -1) {
          spec.onLog(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      });
    }
    let loaded!: () => void;
    let failed!: (err: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      loaded = resolve;
      failed = reject;
    });
    this.ready.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
    this.worker.on('message', (msg: WorkerMessage) => {
      if ('ready' in msg) {
        if (this.state === 'initializing') this.state = 'idle';
        return loaded();
      }
      if ('initError' in msg) {
        failed(new LambdaInvocationError(msg.initError));
        return void this.kill();
      }
      const run = this.running;
      if (!run || msg.id !== run.id) {
        // A crash between invocations (a stray timer's error): the environment is gone all the same.
        if (msg.fatal) void this.kill();
        return;
      }
      const tooLarge = msg.ok && Buffer.byteLength(msg.payload, 'utf8') > MAX_RESPONSE_PAYLOAD_BYTES;
      // A crash, or a response Lambda cannot deliver: the environment is reset.
      if (msg.fatal || tooLarge) void this.kill();
      this.finish(run);
      if (!msg.ok) run.reject(new LambdaInvocationError(msg.error));
      else if (tooLarge) run.reject(lambdaErrors.responseTooLarge());
      else run.resolve(JSON.parse(msg.payload));
    });
    this.worker.on('error', (err) => {
      // Only an error thrown outside the handler's reach gets here (the worker script catches the rest).
      failed(new LambdaInvocationError({ errorType: 'Runtime.Unknown', errorMessage: err.message }));
    });
    this.worker.on('exit', (code) => {
      const run = this.running;
      this.markDead();
      failed(new LambdaInvocationError({ errorType: 'Runtime.ExitError', errorMessage: `Error: Runtime exited with error: exit status ${code}` }));
      if (run) {
        this.finish(run);
        run.reject(lambdaErrors.exited(run.requestId, `exit status ${code}`));
      }
    });
  }

  /** Runs one invocation; the instance must be idle. Resolves with the parsed JSON response. */
  invoke(payload: string, requestId: string): Promise<unknown> {
    if (this.state !== 'idle') return Promise.reject(new Error(`Instance ${this.id} is ${this.state}, not idle`));
    this.state = 'busy';
    const id = ++this.seq;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Lambda stops the sandbox mid-flight: no further line of the handler runs, its pending
        // calls are abandoned, and the next invocation gets a fresh environment.
        this.markDead();
        this.finish(this.running!);
        this.spec.onLog(`${new Date().toISOString()} ${requestId} Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`);
        reject(lambdaErrors.timedOut(requestId, this.spec.timeoutSeconds));
        void this.kill();
      }, timeoutMs);
      this.running = { id, requestId, resolve, reject, timer };
      this.worker.postMessage({ id, payload, requestId, deadline: Date.now() + timeoutMs });
    });
  }

  /** Ends the environment; an invocation still running fails with Runtime.ExitError. */
  async kill(): Promise<void> {
    this.markDead();
    await this.worker.terminate();
  }

  private markDead(): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    this.spec.onDead(this);
  }

  private finish(run: Running): void {
    clearTimeout(run.timer);
    this.running = undefined;
    if (this.state === 'busy') this.state = 'idle';
  }
}

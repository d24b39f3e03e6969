import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';

/**
 * Lambda, locally: each function is bundled by esbuild the way
 * serverless-esbuild bundles it for deploy, and runs in its own worker thread
 * with its own environment (so every account's functions have their own
 * credentials and endpoint). Errors come back as the Lambda runtime reports
 * them: `{errorType, errorMessage, trace}`.
 */
export interface LocalFunctionConfig {
  account: string;
  region: string;
  name: string;
  handlerFile: string;
  handlerExport: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
  /**
   * The execution role's ARN. The function's SDK calls carry it as their session token
   * (`AWS_SESSION_TOKEN`), so the local cloud authorizes them against this role, as STS
   * credentials of an assumed role are in AWS.
   */
  roleArn?: string;
}

export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** A failed invocation, named like the error Step Functions and callers see. */
export class LambdaInvocationError extends Error {
  constructor(readonly payload: LambdaErrorPayload) {
    super(payload.errorMessage);
    this.name = payload.errorType;
  }
}

export interface InvocationRecord {
  functionArn: string;
  requestId: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  errorType?: string;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const WORKER = join(HERE, 'worker.cjs');

export function functionArn(account: string, region: string, name: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}`;
}

class LocalFunction {
  readonly arn: string;
  private worker?: Worker;
  private loaded?: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  constructor(
    readonly config: LocalFunctionConfig,
    private readonly bundle: string,
    private readonly baseEnv: Record<string, string>,
    private readonly overrideEnv: Record<string, string>,
    private readonly onLog: (functionArn: string, line: string) => void,
  ) {
    this.arn = functionArn(config.account, config.region, config.name);
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER, {
      stdout: true,
      stderr: true,
      workerData: {
        bundle: this.bundle,
        handlerExport: this.config.handlerExport,
        functionName: this.config.name,
        functionArn: this.arn,
        memorySize: this.config.memorySize,
        instanceId: randomUUID().slice(0, 8),
      },
      env: {
        ...this.baseEnv,
        AWS_LAMBDA_FUNCTION_NAME: this.config.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.config.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_REGION: this.config.region,
        AWS_DEFAULT_REGION: this.config.region,
        ...this.config.environment,
        ...this.overrideEnv,
      },
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) !== -1) {
          this.onLog(this.arn, buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      });
    }
    let markLoaded!: () => void;
    this.loaded = new Promise<void>((resolve) => {
      markLoaded = resolve;
    });
    worker.on('message', (msg: { ready?: boolean; id: number; ok: boolean; result?: unknown; error?: LambdaErrorPayload }) => {
      if (msg.ready) return markLoaded();
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(JSON.parse(JSON.stringify(msg.result ?? null)));
      else p.reject(new LambdaInvocationError(msg.error!));
    });
    const fail = (payload: LambdaErrorPayload) => {
      markLoaded();
      if (this.worker === worker) this.worker = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new LambdaInvocationError(payload));
        this.pending.delete(id);
      }
    };
    worker.on('error', (err) => fail({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: err.message }));
    worker.on('exit', (code) => fail({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: exited with code ${code}` }));
    return worker;
  }

  invoke(event: unknown): Promise<unknown> {
    this.worker ??= this.spawn();
    const worker = this.worker;
    const id = ++this.seq;
    const timeoutMs = this.config.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LambdaInvocationError({ errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.config.timeoutSeconds.toFixed(2)} seconds` }));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, event, requestId: randomUUID(), timeoutMs });
    });
  }

  /** Starts the instance ahead of the first invocation (a provisioned-concurrency of one). */
  warm(): Promise<void> {
    this.worker ??= this.spawn();
    return this.loaded ?? Promise.resolve();
  }

  /** Ends the instance, like Lambda recycling it; in-flight invocations fail with Runtime.ExitError. */
  async recycle(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

export interface RuntimeOptions {
  /** Where bundles go. */
  buildDir: string;
  /** The AWS endpoint every function reaches (the edge). */
  endpoint: string;
  /** Secret key the local cloud expects (access key = account id). */
  secretAccessKey?: string;
  /** Environment for every function that wins over the function's own (log level …). */
  environment?: Record<string, string>;
  /** Observes every invocation (benchmarks count Lambda time; the console shows it). */
  onInvocation?: (r: InvocationRecord) => void;
  /** Every line a function writes (its CloudWatch Logs, locally); default: prefixed to stdout. */
  onLog?: (functionArn: string, line: string) => void;
  /** Fault injection hook: may throw before the handler runs, or after it returned. */
  intercept?: (fn: LocalFunctionConfig & { arn: string }, event: unknown, run: () => Promise<unknown>) => Promise<unknown>;
}

export class LambdaRuntime {
  private readonly functions = new Map<string, LocalFunction>();

  constructor(private readonly opts: RuntimeOptions) {}

  /** Bundles every handler (one esbuild run) and registers the functions. */
  async deploy(configs: LocalFunctionConfig[]): Promise<string[]> {
    const entries = new Map<string, string>();
    for (const c of configs) entries.set(c.handlerFile, resolveSource(c.handlerFile));
    mkdirSync(this.opts.buildDir, { recursive: true });
    const outFor = (file: string) => join(this.opts.buildDir, `${file.replace(/[^a-zA-Z0-9]+/g, '_').slice(-120)}.cjs`);
    const todo = [...entries.entries()];
    await Promise.all(todo.map(([file, source]) => build({
      entryPoints: [source],
      outfile: outFor(file),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      keepNames: true,
      sourcemap: false,
      logLevel: 'silent',
    })));
    const arns: string[] = [];
    for (const c of configs) {
      const fn = new LocalFunction(c, outFor(c.handlerFile), {
        AWS_ACCESS_KEY_ID: c.account,
        AWS_SECRET_ACCESS_KEY: this.opts.secretAccessKey ?? 'x',
        ...(c.roleArn ? { AWS_SESSION_TOKEN: sessionTokenFor(c.roleArn, c.name) } : {}),
        AWS_ENDPOINT_URL: this.opts.endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        PATH: process.env.PATH ?? '',
      }, this.opts.environment ?? {}, this.opts.onLog ?? ((arn, line) => process.stdout.write(`[${arn.split(':').pop()}] ${line}\n`)));
      this.functions.set(fn.arn, fn);
      arns.push(fn.arn);
    }
    return arns;
  }

  /** Loads every function's instance now, so first invocations do not pay the cold start. */
  warmAll(): Promise<void> {
    return Promise.all([...this.functions.values()].map((f) => f.warm())).then(() => undefined);
  }


  /** Invokes a function by ARN (or `name` in the caller's account); resolves with its JSON result. */
  async invoke(arn: string, event: unknown): Promise<unknown> {
    const fn = this.functions.get(normalizeArn(arn));
    if (!fn) throw new LambdaInvocationError({ errorType: 'Lambda.ResourceNotFoundException', errorMessage: `Function not found: ${arn}` });
    const started = Date.now();
    const requestId = randomUUID();
    const run = () => fn.invoke(event);
    try {
      const result = this.opts.intercept ? await this.opts.intercept({ ...fn.config, arn: fn.arn }, event, run) : await run();
      this.opts.onInvocation?.({ functionArn: fn.arn, requestId, startedAt: started, durationMs: Date.now() - started, ok: true });
      return result;
    } catch (err) {
      this.opts.onInvocation?.({ functionArn: fn.arn, requestId, startedAt: started, durationMs: Date.now() - started, ok: false, errorType: (err as Error).name });
      throw err;
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.functions.values()].map((f) => f.recycle()));
  }
}

/**
 * The session token a function's credentials carry locally: names the assumed role and the
 * session (the function), like `arn:aws:sts::111111111111:assumed-role/<role>/<function>`.
 */
export function sessionTokenFor(roleArn: string, sessionName: string): string {
  return `local-role:${Buffer.from(JSON.stringify({ roleArn, sessionName })).toString('base64url')}`;
}

/** Reads a token made by {@link sessionTokenFor}; undefined for anything else. */
export function roleOfSessionToken(token: string | undefined): { roleArn: string; sessionName: string } | undefined {
  if (!token?.startsWith('local-role:')) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token.slice('local-role:'.length), 'base64url').toString('utf8')) as { roleArn?: unknown; sessionName?: unknown };
    return typeof v.roleArn === 'string' && typeof v.sessionName === 'string' ? { roleArn: v.roleArn, sessionName: v.sessionName } : undefined;
  } catch {
    return undefined;
  }
}

/** Strips a version or alias qualifier: `…:function:name:$LATEST` → `…:function:name`. */
function normalizeArn(arn: string): string {
  const parts = arn.split(':');
  return parts.length > 7 ? parts.slice(0, 7).join(':') : arn;
}

/** `functions/steps/preflight` → the .ts (or .js) file on disk. */
function resolveSource(handlerFile: string): string {
  return resolve(`${handlerFile}.ts`);
}

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { DEFAULT_ACCOUNT_CONCURRENCY, lambdaErrors, MAX_REQUEST_PAYLOAD_BYTES } from './errors.js';
import { InstancePool, type PoolStats } from './pool.js';

export { LambdaInvocationError, LambdaServiceError, type LambdaErrorPayload } from './errors.js';
export type { PoolStats } from './pool.js';

/**
 * Lambda, locally: each function is bundled by esbuild the way
 * serverless-esbuild bundles it for deploy, and runs in execution environments
 * (worker threads, see instance.ts) with its own environment (so every account's
 * functions have their own credentials and endpoint). As in Lambda, an
 * environment serves one invocation at a time: a concurrent invocation gets
 * another one (a cold start), an idle one is reused, and one that runs past
 * its timeout or crashes is killed and replaced. Payload sizes and concurrency
 * are limited as Lambda limits them. Errors come back as the Lambda runtime
 * reports them: `{errorType, errorMessage, trace}`.
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
  /**
   * Reserved concurrency (`reservedConcurrency` in serverless.yml): at most this many invocations
   * at once, more fail with `TooManyRequestsException`; the account's other functions share what is left.
   */
  reservedConcurrency?: number;
}

export interface InvocationRecord {
  functionArn: string;
  requestId: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  errorType?: string;
  /** The execution environment that ran it (absent when it failed before getting one). */
  instanceId?: string;
  /** Whether that environment was started for this invocation. */
  coldStart?: boolean;
}

export function functionArn(account: string, region: string, name: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}`;
}

/**
 * Instances a function may have alive at once, locally, unless `maxInstancesPerFunction` says
 * otherwise. Each one is a thread of about 40 MB that took a cold start; a stack has about 20
 * functions, so this bounds a busy local cloud near 3 GB.
 */
export const DEFAULT_MAX_INSTANCES_PER_FUNCTION = 4;
const DEFAULT_INSTANCE_IDLE_MS = 10 * 60_000;

class LocalFunction {
  readonly arn: string;
  readonly pool: InstancePool;
  /** Invocations accepted and not finished (running or waiting for an instance). */
  inFlight = 0;

  constructor(
    readonly config: LocalFunctionConfig,
    bundle: string,
    env: Record<string, string>,
    limits: { maxInstances: number; idleMs: number },
    onLog: (functionArn: string, line: string) => void,
  ) {
    this.arn = functionArn(config.account, config.region, config.name);
    this.pool = new InstancePool(
      {
        bundle,
        handlerExport: config.handlerExport,
        handlerName: `${basename(config.handlerFile)}.${config.handlerExport}`,
        functionName: config.name,
        functionArn: this.arn,
        memorySize: config.memorySize,
        timeoutSeconds: config.timeoutSeconds,
        env,
        onLog: (line) => onLog(this.arn, line),
      },
      limits.maxInstances,
      limits.idleMs,
    );
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
  /** Concurrent executions per account and region (AWS default 1000); over it invocations are throttled. */
  accountConcurrency?: number;
  /**
   * Local resource cap: instances alive per function at once (default 4). Lambda would start
   * more; here further concurrent invocations wait for a free instance instead.
   */
  maxInstancesPerFunction?: number;
  /** An instance idle this long is reclaimed (default 10 minutes; Lambda reclaims idle ones after minutes too). */
  instanceIdleMs?: number;
  /** Observes every invocation (benchmarks count Lambda time; the console shows it). */
  onInvocation?: (r: InvocationRecord) => void;
  /** Every line a function writes (its CloudWatch Logs, locally); default: prefixed to stdout. */
  onLog?: (functionArn: string, line: string) => void;
  /** Fault injection hook: may throw before the handler runs, or after it returned. */
  intercept?: (fn: LocalFunctionConfig & { arn: string }, event: unknown, run: () => Promise<unknown>) => Promise<unknown>;
}

export class LambdaRuntime {
  private readonly functions = new Map<string, LocalFunction>();
  private stopped = false;

  constructor(private readonly opts: RuntimeOptions) {}

  /** Bundles every handler (one esbuild run) and registers the functions. */
  async deploy(configs: LocalFunctionConfig[]): Promise<string[]> {
    const entries = new Map<string, string>();
    for (const c of configs) entries.set(c.handlerFile, resolveSource(c.handlerFile));
    mkdirSync(this.opts.buildDir, { recursive: true });
    const outFor = (file: string) => join(this.opts.buildDir, `${file.replace(/[^a-zA-Z0-9]+/g, '_').slice(-120)}.cjs`);
    const todo = [...entries.entries()];
    await Promise.all(
      todo.map(([file, source]) =>
        build({
          entryPoints: [source],
          outfile: outFor(file),
          bundle: true,
          platform: 'node',
          format: 'cjs',
          target: 'node20',
          keepNames: true,
          sourcemap: false,
          logLevel: 'silent',
        }),
      ),
    );
    const arns: string[] = [];
    const onLog = this.opts.onLog ?? ((arn, line) => process.stdout.write(`[${arn.split(':').pop()}] ${line}\n`));
    for (const c of configs) {
      const env = {
        AWS_ACCESS_KEY_ID: c.account,
        AWS_SECRET_ACCESS_KEY: this.opts.secretAccessKey ?? 'x',
        ...(c.roleArn ? { AWS_SESSION_TOKEN: sessionTokenFor(c.roleArn, c.name) } : {}),
        AWS_ENDPOINT_URL: this.opts.endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        PATH: process.env.PATH ?? '',
        AWS_LAMBDA_FUNCTION_NAME: c.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(c.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${c.name}`,
        AWS_REGION: c.region,
        AWS_DEFAULT_REGION: c.region,
        ...c.environment,
        ...this.opts.environment,
      };
      const limits = { maxInstances: this.opts.maxInstancesPerFunction ?? DEFAULT_MAX_INSTANCES_PER_FUNCTION, idleMs: this.opts.instanceIdleMs ?? DEFAULT_INSTANCE_IDLE_MS };
      const fn = new LocalFunction(c, outFor(c.handlerFile), env, limits, onLog);
      await this.functions.get(fn.arn)?.pool.shutdown();
      this.functions.set(fn.arn, fn);
      arns.push(fn.arn);
    }
    return arns;
  }

  /** Starts one instance of every function now, so first invocations do not pay the cold start. */
  warmAll(): Promise<void> {
    return Promise.all([...this.functions.values()].map((f) => f.pool.warm())).then(() => undefined);
  }

  /** A function's instances right now (how many are alive, idle, busy; how many were started). */
  instances(arn: string): PoolStats | undefined {
    return this.functions.get(normalizeArn(arn))?.pool.stats();
  }

  /** Invokes a function by ARN (or `name` in the caller's account); resolves with its JSON result. */
  async invoke(arn: string, event: unknown): Promise<unknown> {
    const fn = this.functions.get(normalizeArn(arn));
    if (!fn) throw lambdaErrors.notFound(arn);
    if (this.stopped) throw lambdaErrors.shutDown();
    // The Invoke request body is the event's JSON; Lambda refuses it before anything runs.
    const payload = event === undefined ? '{}' : JSON.stringify(event);
    if (Buffer.byteLength(payload, 'utf8') > MAX_REQUEST_PAYLOAD_BYTES) throw lambdaErrors.requestTooLarge();
    this.admit(fn);

    fn.inFlight++;
    const started = Date.now();
    const requestId = randomUUID();
    let lease: { instanceId?: string; coldStart?: boolean } = {};
    const run = async () => {
      const { instance, coldStart } = await fn.pool.acquire();
      lease = { instanceId: instance.id, coldStart };
      try {
        return await instance.invoke(payload, requestId);
      } finally {
        fn.pool.release(instance);
      }
    };
    const record = (ok: boolean, errorType?: string) =>
      this.opts.onInvocation?.({ functionArn: fn.arn, requestId, startedAt: started, durationMs: Date.now() - started, ok, ...(errorType ? { errorType } : {}), ...lease });
    try {
      const result = this.opts.intercept ? await this.opts.intercept({ ...fn.config, arn: fn.arn }, event, run) : await run();
      record(true);
      return result;
    } catch (err) {
      record(false, (err as Error).name);
      throw err;
    } finally {
      fn.inFlight--;
    }
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.functions.values()].map((f) => f.pool.shutdown()));
  }

  /**
   * Lambda's concurrency check: a function with reserved concurrency has that many slots of its
   * own; the others share what the account has left (`ConcurrentExecutions` minus every reservation).
   */
  private admit(fn: LocalFunction): void {
    const reserved = fn.config.reservedConcurrency;
    if (reserved !== undefined) {
      if (fn.inFlight >= reserved) throw lambdaErrors.reservedConcurrencyExceeded();
      return;
    }
    let reservedTotal = 0;
    let unreservedInFlight = 0;
    for (const other of this.functions.values()) {
      if (other.config.account !== fn.config.account || other.config.region !== fn.config.region) continue;
      if (other.config.reservedConcurrency !== undefined) reservedTotal += other.config.reservedConcurrency;
      else unreservedInFlight += other.inFlight;
    }
    const limit = this.opts.accountConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY;
    if (unreservedInFlight >= limit - reservedTotal) throw lambdaErrors.accountConcurrencyExceeded();
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

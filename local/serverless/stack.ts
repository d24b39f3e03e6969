import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * Reads a Serverless Framework v3 config the way `serverless package` does,
 * for the variable sources our stacks use: `${self:…}`, `${param:…}`,
 * `${opt:…}`, `${sls:stage}`, `${env:…}`, `${file(…)}`, each with an optional
 * `, default`. CloudFormation intrinsics are left for deploy time (see
 * local/cloudformation/intrinsics.ts).
 */
export interface LoadOptions {
  stage?: string;
  region?: string;
  /** Overrides for `${param:…}` (like `serverless deploy --param`). */
  params?: Record<string, string>;
}

export interface HttpEvent {
  path: string;
  method: string;
  authorizer?: string;
}

export interface EventBridgeEvent {
  eventBus?: unknown;
  pattern?: Record<string, unknown>;
  /** A schedule rule on the default bus instead of a pattern. */
  schedule?: string;
  /** The target's RetryPolicy, as serverless spells it. */
  retryPolicy?: { maximumEventAge?: number; maximumRetryAttempts?: number };
  /** The target's DeadLetterConfig Arn (an ARN or an intrinsic). */
  deadLetterQueueArn?: unknown;
}

export interface FunctionDef {
  /** Key under `functions:` (what `Fn::GetAtt: [key, Arn]` names). */
  key: string;
  /** Deployed name: `<service>-<stage>-<key>`. */
  name: string;
  /** CloudFormation logical id: `PreflightLambdaFunction`. */
  logicalId: string;
  /** Source file of the handler, absolute, without extension resolution. */
  handlerFile: string;
  handlerExport: string;
  timeout: number;
  memorySize: number;
  /** `reservedConcurrency`: the function's own concurrency, taken from the account's. */
  reservedConcurrency?: number;
  environment: Record<string, unknown>;
  http: HttpEvent[];
  eventBridge: EventBridgeEvent[];
  schedules: { rate: string; enabled: boolean; input?: unknown }[];
}

export interface StateMachineDef {
  key: string;
  logicalId: string;
  name: string;
  type: string;
  definition: Record<string, unknown>;
}

export interface ServerlessStack {
  file: string;
  service: string;
  stage: string;
  region: string;
  params: Record<string, string>;
  functions: FunctionDef[];
  stateMachines: StateMachineDef[];
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  raw: Record<string, unknown>;
}

// A Serverless variable names a source (`self:`, `param:`, `file(` …); `${AWS::Region}` and
// `${Table.Arn}` are CloudFormation Fn::Sub placeholders and are left alone, as serverless does.
const VAR = /\$\{((?:[a-zA-Z]+:(?!:)|file\()[^{}]*)\}/;

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function parseDefault(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  const t = raw.trim();
  if (/^'.*'$|^".*"$/.test(t)) return t.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t;
}

/** Splits `source:address, default` at the first top-level comma. */
function splitDefault(expr: string): [string, string | undefined] {
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) return [expr.slice(0, i).trim(), expr.slice(i + 1)];
  }
  return [expr.trim(), undefined];
}

export function loadServerlessStack(file: string, opts: LoadOptions = {}): ServerlessStack {
  const path = resolve(file);
  const base = dirname(path);
  const raw = parse(readFileSync(path, 'utf8'), { maxAliasCount: -1 }) as Record<string, unknown>;
  const stage = opts.stage ?? 'local';
  const region = opts.region ?? 'us-east-1';
  const stageParams = (raw.params as Record<string, Record<string, string>> | undefined) ?? {};
  const params: Record<string, string> = { ...stageParams.default, ...stageParams[stage], ...opts.params };

  const lookup = (expr: string, depth: number): unknown => {
    const [source, def] = splitDefault(expr);
    let value: unknown;
    const file = source.match(/^file\((.+)\)(?::(.+))?$/);
    if (file) {
      const text = readFileSync(resolve(base, file[1].trim()), 'utf8');
      const doc = parse(text, { maxAliasCount: -1 }) as unknown;
      value = file[2] ? getPath(doc, file[2]) : doc;
    } else if (source.startsWith('self:')) value = getPath(raw, source.slice(5));
    else if (source.startsWith('param:')) value = params[source.slice(6)];
    else if (source === 'sls:stage' || source === 'opt:stage') value = stage;
    else if (source === 'opt:region' || source === 'aws:region') value = region;
    else if (source.startsWith('opt:')) value = undefined;
    else if (source.startsWith('env:')) value = process.env[source.slice(4)];
    else throw new Error(`${path}: unsupported variable source \${${source}}`);
    if (value === undefined) value = parseDefault(def);
    if (value === undefined) throw new Error(`${path}: variable \${${expr}} has no value`);
    return resolveVars(value, depth + 1);
  };

  const resolveVars = (value: unknown, depth = 0): unknown => {
    if (depth > 20) throw new Error(`${path}: variables nest too deeply`);
    if (typeof value === 'string') {
      const whole = value.match(VAR);
      if (whole && whole[0] === value) return lookup(whole[1], depth);
      let out = value;
      let m: RegExpMatchArray | null;
      while ((m = out.match(VAR))) out = out.replace(m[0], String(lookup(m[1], depth)));
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => resolveVars(v, depth));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVars(v, depth)]));
    return value;
  };

  const cfg = resolveVars(raw) as Record<string, unknown>;
  const service = String(cfg.service);
  const provider = (cfg.provider ?? {}) as Record<string, unknown>;
  const providerEnv = (provider.environment ?? {}) as Record<string, unknown>;
  const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

  const functions = Object.entries((cfg.functions ?? {}) as Record<string, Record<string, unknown>>).map(([key, f]): FunctionDef => {
    const handler = String(f.handler);
    const dot = handler.lastIndexOf('.');
    const events = (f.events ?? []) as Record<string, unknown>[];
    const schedules = events
      .filter((e) => 'schedule' in e)
      .map((e) => {
        const s = e.schedule as string | Record<string, unknown>;
        return typeof s === 'string' ? { rate: s, enabled: true } : { rate: String(s.rate), enabled: s.enabled !== false, input: s.input };
      });
    return {
      key,
      name: `${service}-${stage}-${key}`,
      logicalId: `${upper(key).replace(/[-_](\w)/g, (_m, c: string) => c.toUpperCase())}LambdaFunction`,
      handlerFile: resolve(base, handler.slice(0, dot)),
      handlerExport: handler.slice(dot + 1),
      timeout: Number(f.timeout ?? provider.timeout ?? 6),
      memorySize: Number(f.memorySize ?? provider.memorySize ?? 1024),
      ...(f.reservedConcurrency === undefined ? {} : { reservedConcurrency: Number(f.reservedConcurrency) }),
      environment: { ...providerEnv, ...(f.environment as Record<string, unknown> | undefined) },
      http: events
        .filter((e) => 'http' in e)
        .map((e) => {
          const h = e.http as Record<string, unknown>;
          return { path: `/${String(h.path).replace(/^\//, '')}`, method: String(h.method).toUpperCase(), authorizer: h.authorizer as string | undefined };
        }),
      eventBridge: events.filter((e) => 'eventBridge' in e).map((e) => e.eventBridge as EventBridgeEvent),
      schedules,
    };
  });

  const sfn = ((cfg.stepFunctions as Record<string, unknown> | undefined)?.stateMachines ?? {}) as Record<string, Record<string, unknown>>;
  const stateMachines = Object.entries(sfn).map(([key, sm]): StateMachineDef => ({
    key,
    logicalId: String(sm.id ?? `${upper(key)}StepFunctionsStateMachine`),
    name: String(sm.name ?? `${upper(key)}StepFunctionsStateMachine-${stage}`),
    type: String(sm.type ?? 'STANDARD'),
    definition: sm.definition as Record<string, unknown>,
  }));

  const resources = ((cfg.resources as Record<string, unknown> | undefined)?.Resources ?? {}) as ServerlessStack['resources'];
  return { file: path, service, stage, region, params, functions, stateMachines, resources, raw: cfg };
}

/**
 * The EventBridge service model: buses, bus policies, rules, targets, PutEvents
 * with asynchronous delivery and retries, scheduled rules, fault injection and
 * an inspectable event log. State is kept per account and region; nothing here
 * knows about HTTP (see protocol.ts).
 */
import { randomUUID } from 'node:crypto';
import { seededRandom } from '../shared/prng.js';
import { AwsError } from '../edge/types.js';
import { type CompiledPattern, compileEventPatternParameter, compilePattern, DEFAULT_PATTERN_SIZE_QUOTA, parseTestEvent } from './pattern.js';
import {
  classifyFailure, type DeadLetterMessage, deadLetterMessage, type DeliveryErrorCode, type DeliveryFailure, DeliveryMetrics,
  type ExhaustedRetryCondition, retryPolicyOf, retryPolicyProblem, type RuleMetricName, type RuleMetrics,
} from './delivery.js';

// ---------------------------------------------------------------------------
// Public types

export interface CallContext {
  /** The caller's account (for PutEvents: the sender). */
  account: string;
  region: string;
}

/** A rule target, in the API's shape. Extra service-specific parameters are kept as given. */
export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  [parameter: string]: unknown;
}

/** The event as EventBridge delivers it to targets. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  /** The account that sent the event (PutEvents caller), never the bus owner's when they differ. */
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** The rule a delivery comes from. */
export interface RuleRef {
  account: string;
  region: string;
  busName: string;
  name: string;
  arn: string;
}

export interface DeliveryContext {
  /** What the target receives: the event, or the result of Input / InputPath / InputTransformer. */
  input: unknown;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  deliveryId: string;
  /** True for a copy injected by the duplicate-delivery fault. */
  duplicate: boolean;
}

/**
 * Delivers one event to one target. Resolve when delivered; throw (or reject) to fail the
 * attempt. Errors are classified by their AWS name (see delivery.ts): permission and
 * missing-resource errors are not retried, others are, per the target's RetryPolicy;
 * `retryable: true|false` on the error decides instead.
 */
export type InvokeTarget = (target: Target, event: EventBridgeEvent, rule: RuleRef, context: DeliveryContext) => unknown;

export interface FaultOptions {
  /** Probability that a delivery is made twice. */
  duplicateRate?: number;
  /** Probability that a delivery is held back by a random delay in `delayMs`. */
  delayRate?: number;
  delayMs?: { min: number; max: number };
  /** Buffer deliveries for `reorderWindowMs` and release them in a shuffled order. */
  reorder?: boolean;
  reorderWindowMs?: number;
  /** Seed of the fault PRNG: the same seed and the same calls give the same faults. */
  seed?: number;
}

export interface RetryOptions {
  /**
   * Retries after the first attempt for targets without RetryPolicy.MaximumRetryAttempts.
   * Default: EventBridge's 185.
   */
  maxRetries?: number;
  /** First backoff; doubles on each retry. Default 200 ms. */
  baseDelayMs?: number;
  /** Backoff cap. Default 5000 ms. */
  maxDelayMs?: number;
}

export interface EventBridgeModelOptions {
  invokeTarget?: InvokeTarget;
  /** Scheduled rules fire every this many ms once start() is called, whatever their rate. Default 5000. */
  scheduleIntervalMs?: number;
  retry?: RetryOptions;
  /** Off unless given. */
  faults?: FaultOptions;
  /** Events kept in the log (all buses together). Default 1000. */
  maxRecentEvents?: number;
  /** Region used by the programmatic helpers when none is given. Default us-east-1. */
  defaultRegion?: string;
  /** The organization of an account, for `aws:PrincipalOrgID` conditions in bus policies. */
  organizationOf?: (account: string) => string | undefined;
  /** Clock, for tests. */
  now?: () => Date;
  /** The account quota "Event pattern size", in characters. Default 2048, as in AWS (adjustable up to 4096). */
  eventPatternSizeQuota?: number;
  /**
   * Sends a message to a target's dead-letter queue (throw to have it counted in
   * InvocationsFailedToBeSentToDlq). Default: kept in the model, see deadLetterMessages().
   */
  sendToDeadLetterQueue?: (message: DeadLetterMessage) => unknown;
}

export type DeliveryStatus = 'pending' | 'delayed' | 'in-flight' | 'retrying' | 'delivered' | 'failed';

export interface DeliveryRecord {
  deliveryId: string;
  eventId: string;
  ruleName: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  duplicate: boolean;
  delayedMs?: number;
  error?: string;
  /** ERROR_CODE of the last failure (dead-letter-queue page). */
  errorCode?: DeliveryErrorCode;
  /** Why a retried delivery stopped: its RetryPolicy ran out. */
  exhaustedRetryCondition?: ExhaustedRetryCondition;
  /** Whether the failed event reached the target's dead-letter queue. */
  deadLetter?: 'sent' | 'failed';
  input?: unknown;
  finishedAt?: string;
}

export interface EventLogRecord {
  eventId: string;
  receivedAt: string;
  /** Bus owner. */
  account: string;
  region: string;
  busName: string;
  busArn: string;
  /** Account that sent the event (`event.account`). */
  sender: string;
  event: EventBridgeEvent;
  /** 'dropped' when the (same-account) bus does not exist: AWS accepts such events and drops them. */
  status: 'accepted' | 'dropped';
  dropReason?: string;
  matchedRules: string[];
  deliveries: DeliveryRecord[];
}

export type EventLogChange =
  | { type: 'event'; record: EventLogRecord }
  | { type: 'delivery'; eventId: string; delivery: DeliveryRecord };

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: Date | number | string;
  TraceHeader?: string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface ModelSnapshot {
  version: 1;
  stores: Array<{
    account: string;
    region: string;
    buses: Array<{ name: string; description?: string; policy?: PolicyDocument; creationTime: string; lastModifiedTime: string }>;
    rules: Array<{
      busName: string;
      name: string;
      eventPattern?: string;
      scheduleExpression?: string;
      state: string;
      description?: string;
      roleArn?: string;
      createdBy: string;
      targets: Target[];
    }>;
    tags: Array<[string, Record<string, string>]>;
  }>;
}

// ---------------------------------------------------------------------------
// Internal state

interface BusState {
  name: string;
  arn: string;
  description?: string;
  policy?: PolicyDocument;
  creationTime: Date;
  lastModifiedTime: Date;
}

interface RuleState {
  name: string;
  arn: string;
  busName: string;
  eventPattern?: string;
  pattern?: CompiledPattern;
  scheduleExpression?: string;
  state: string;
  description?: string;
  roleArn?: string;
  createdBy: string;
  targets: Target[];
}

interface Store {
  account: string;
  region: string;
  buses: Map<string, BusState>;
  /** bus name → rule name → rule */
  rules: Map<string, Map<string, RuleState>>;
  tags: Map<string, Record<string, string>>;
}

interface DeliveryJob {
  delivery: DeliveryRecord;
  target: Target;
  event: EventBridgeEvent;
  rule: RuleRef;
  input: unknown;
  delayMs: number;
  acceptedAt: number;
  lastFailure?: DeliveryFailure;
}

const DEFAULT_BUS = 'default';
const MAX_ENTRIES = 10;
const MAX_TARGETS_PER_RULE = 5;
const MAX_PUT_EVENTS_BYTES = 256 * 1024;
const ENABLED_STATES = new Set(['ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);
const RULE_STATES = new Set([...ENABLED_STATES, 'DISABLED']);
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
const STATEMENT_ID = /^[a-zA-Z0-9-_]{1,64}$/;
const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

function notFound(message: string): AwsError {
  return new AwsError('ResourceNotFoundException', message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw validation(`Parameter ${name} must be a string.`);
  return v;
}

function requiredString(v: unknown, name: string): string {
  const s = optionalString(v, name);
  if (s === undefined || s === '') throw validation(`Parameter ${name} is required.`);
  return s;
}

/** EventBridge writes event times to the second: 2017-12-22T18:43:48Z. */
function eventTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function toDate(v: Date | number | string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}


function paginate<T>(items: T[], nextToken: unknown, limit: unknown): { page: T[]; NextToken?: string } {
  let offset = 0;
  if (nextToken !== undefined && nextToken !== null) {
    const decoded = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString('utf8')) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0) throw validation('The NextToken provided is not valid.');
    offset = decoded;
  }
  let size = items.length;
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw validation(`1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`);
    }
    size = limit;
  }
  const page = items.slice(offset, offset + size);
  const end = offset + page.length;
  return end < items.length ? { page, NextToken: Buffer.from(String(end)).toString('base64url') } : { page };
}

/** rate(5 minutes) / rate(1 hour) / cron(0 12 * * ? *): the shapes EventBridge accepts. */
export function isValidScheduleExpression(expr: string): boolean {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    return n >= 1 && (n === 1) === !rate[2].endsWith('s');
  }
  const cron = /^cron\((.+)\)$/.exec(expr);
  if (!cron) return false;
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) return false;
  // Day-of-month and day-of-week cannot both be given: one must be '?'.
  return (fields[2] === '?') !== (fields[4] === '?');
}

/** Minimal JSONPath for InputPath / InputPathsMap: $, $.a.b, $.a[0], $['a-b']. */
export function readJsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw validation(`Invalid JSON path: ${path}`);
  let cur: unknown = root;
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw validation(`Invalid JSON path: ${path}`);
    const key = m[1] ?? m[3] ?? m[4];
    if (key !== undefined) cur = isRecord(cur) && Object.hasOwn(cur, key) ? cur[key] : undefined;
    else cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * Fills an InputTemplate: `<name>` inside a JSON string gets the value's text,
 * outside a string the value's JSON. The result is parsed when it is JSON.
 */
export function applyInputTemplate(template: string, vars: Record<string, unknown>): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === '\\' && inString) {
      out += ch + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') inString = !inString;
    if (ch === '<') {
      const close = template.indexOf('>', i);
      const name = close > i ? template.slice(i + 1, close) : '';
      if (name && Object.hasOwn(vars, name)) {
        const value = vars[name];
        if (inString) {
          const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
          out += JSON.stringify(text).slice(1, -1);
        } else {
          out += value === undefined ? 'null' : JSON.stringify(value);
        }
        i = close;
        continue;
      }
    }
    out += ch;
  }
  try {
    return JSON.parse(out) as unknown;
  } catch {
    return out;
  }
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

// ---------------------------------------------------------------------------
// Bus policies

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

function principalMatches(principal: unknown, account: string): boolean {
  const one = (p: unknown): boolean => p === '*' || p === account || p === `arn:aws:iam::${account}:root`;
  if (principal === '*') return true;
  if (!isRecord(principal)) return false;
  return asList(principal.AWS as unknown).some(one);
}

function conditionHolds(condition: PolicyStatement['Condition'], context: Record<string, string | undefined>): boolean {
  if (!condition) return true;
  for (const [operator, entries] of Object.entries(condition)) {
    // Only StringEquals on keys we know is evaluated; anything else does not hold.
    if (operator !== 'StringEquals' || !isRecord(entries)) return false;
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key.toLowerCase()];
      if (actual === undefined || !asList(expected).includes(actual)) return false;
    }
  }
  return true;
}

function validatePolicy(doc: unknown): PolicyDocument {
  if (!isRecord(doc)) throw validation('The policy must be a JSON object.');
  const statements = asList(doc.Statement as unknown);
  if (statements.length === 0) throw validation('The policy must contain at least one Statement.');
  for (const s of statements) {
    if (!isRecord(s) || (s.Effect !== 'Allow' && s.Effect !== 'Deny')) throw validation('Each policy statement needs an Effect of Allow or Deny.');
    if (s.Principal === undefined) throw validation('Each policy statement needs a Principal.');
  }
  return { Version: typeof doc.Version === 'string' ? doc.Version : '2012-10-17', Statement: statements as PolicyStatement[] };
}

/** Explicit Deny wins, then any Allow; otherwise the request is not allowed. */
export function policyAllowsPutEvents(policy: PolicyDocument | undefined, sender: string, busArn: string, orgId?: string): boolean {
  if (!policy) return false;
  const ctx = { 'aws:principalaccount': sender, 'aws:principalorgid': orgId };
  const applies = (s: PolicyStatement) =>
    principalMatches(s.Principal, sender) &&
    asList(s.Action).some((a) => ['events:putevents', 'events:*', '*'].includes(a.toLowerCase())) &&
    asList(s.Resource ?? '*').some((r) => globMatch(r, busArn)) &&
    conditionHolds(s.Condition, ctx);
  const matching = policy.Statement.filter(applies);
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}

// ---------------------------------------------------------------------------
// The model

export class EventBridgeModel {
  private readonly stores = new Map<string, Store>();
  private readonly invoker: InvokeTarget;
  private readonly scheduleIntervalMs: number;
  private readonly retry: RetryOptions & { baseDelayMs: number; maxDelayMs: number };
  private readonly faults?: FaultOptions;
  private readonly random: () => number;
  private readonly maxRecentEvents: number;
  private readonly defaultRegion: string;
  private readonly organizationOf: (account: string) => string | undefined;
  private readonly now: () => Date;
  private readonly patternSizeQuota: number;
  private readonly sendToDeadLetterQueue: (message: DeadLetterMessage) => unknown;
  private readonly deadLetters: DeadLetterMessage[] = [];
  private readonly metrics = new DeliveryMetrics();

  private readonly log: EventLogRecord[] = [];
  private readonly listeners = new Set<(change: EventLogChange) => void>();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private idleCheckScheduled = false;
  private scheduleTimer?: NodeJS.Timeout;
  private readonly timers = new Map<NodeJS.Timeout, DeliveryJob[]>();
  private reorderBuffer: DeliveryJob[] = [];
  private reorderTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly faultCounts = { duplicates: 0, delays: 0, reorders: 0 };

  constructor(options: EventBridgeModelOptions = {}) {
    this.invoker =
      options.invokeTarget ??
      (() => {
        throw Object.assign(new Error('No invokeTarget configured for the EventBridge model'), { retryable: false });
      });
    this.scheduleIntervalMs = options.scheduleIntervalMs ?? 5000;
    this.retry = { baseDelayMs: 200, maxDelayMs: 5000, ...options.retry };
    this.faults = options.faults;
    this.random = seededRandom(options.faults?.seed ?? 1);
    this.maxRecentEvents = options.maxRecentEvents ?? 1000;
    this.defaultRegion = options.defaultRegion ?? 'us-east-1';
    this.organizationOf = options.organizationOf ?? (() => undefined);
    this.now = options.now ?? (() => new Date());
    this.patternSizeQuota = options.eventPatternSizeQuota ?? DEFAULT_PATTERN_SIZE_QUOTA;
    this.sendToDeadLetterQueue = options.sendToDeadLetterQueue ?? ((message) => void this.deadLetters.push(message));
  }

  // --- stores and names ----------------------------------------------------

  private store(account: string, region: string): Store {
    const key = `${account}/${region}`;
    let s = this.stores.get(key);
    if (!s) {
      const now = this.now();
      s = { account, region, buses: new Map(), rules: new Map(), tags: new Map() };
      s.buses.set(DEFAULT_BUS, { name: DEFAULT_BUS, arn: busArn(region, account, DEFAULT_BUS), creationTime: now, lastModifiedTime: now });
      this.stores.set(key, s);
    }
    return s;
  }

  /** Management calls take a bus name or ARN; an ARN must be the caller's own bus. */
  private busNameOf(ctx: CallContext, nameOrArn: unknown): string {
    const value = optionalString(nameOrArn, 'EventBusName') ?? DEFAULT_BUS;
    const arn = BUS_ARN.exec(value);
    if (!arn) return value;
    if (arn[2] !== ctx.account || arn[1] !== ctx.region) {
      throw new AwsError('AccessDeniedException', `User: arn:aws:iam::${ctx.account}:root is not authorized to manage resources of ${value}`);
    }
    return arn[3];
  }

  private bus(ctx: CallContext, nameOrArn: unknown): BusState {
    const name = this.busNameOf(ctx, nameOrArn);
    const bus = this.store(ctx.account, ctx.region).buses.get(name);
    if (!bus) throw notFound(`Event bus ${name} does not exist.`);
    return bus;
  }

  private rule(ctx: CallContext, ruleName: unknown, busNameOrArn: unknown): RuleState {
    const name = requiredString(ruleName, 'Name');
    const busName = this.busNameOf(ctx, busNameOrArn);
    const rule = this.store(ctx.account, ctx.region).rules.get(busName)?.get(name);
    if (!rule) throw notFound(`Rule ${name} does not exist on EventBus ${busName}.`);
    return rule;
  }

  // --- buses -------------------------------------------------------------

  createEventBus(ctx: CallContext, input: { Name?: unknown; Description?: unknown; EventSourceName?: unknown; Tags?: unknown }): { EventBusArn: string; Description?: string } {
    const name = requiredString(input.Name, 'Name');
    const description = optionalString(input.Description, 'Description');
    if (!BUS_NAME.test(name)) throw validation(`Event bus name ${name} is not valid.`);
    if (name.includes('/') && input.EventSourceName === undefined) throw validation('Event bus name must not contain \'/\'.');
    const s = this.store(ctx.account, ctx.region);
    if (s.buses.has(name)) throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
    const now = this.now();
    const bus: BusState = { name, arn: busArn(ctx.region, ctx.account, name), description, creationTime: now, lastModifiedTime: now };
    s.buses.set(name, bus);
    const tags = tagMap(input.Tags);
    if (Object.keys(tags).length > 0) s.tags.set(bus.arn, tags);
    return description === undefined ? { EventBusArn: bus.arn } : { EventBusArn: bus.arn, Description: description };
  }

  deleteEventBus(ctx: CallContext, input: { Name?: unknown }): Record<string, never> {
    const name = this.busNameOf(ctx, requiredString(input.Name, 'Name'));
    if (name === DEFAULT_BUS) throw validation('Cannot delete event bus default.');
    const s = this.store(ctx.account, ctx.region);
    const bus = s.buses.get(name);
    if (!bus) return {}; // idempotent, like AWS
    if ((s.rules.get(name)?.size ?? 0) > 0) throw validation("EventBus can't be deleted since it has rules.");
    s.buses.delete(name);
    s.rules.delete(name);
    s.tags.delete(bus.arn);
    return {};
  }

  describeEventBus(ctx: CallContext, input: { Name?: unknown }): Record<string, unknown> {
    return describeBus(this.bus(ctx, input.Name));
  }

  listEventBuses(ctx: CallContext, input: { NamePrefix?: unknown; NextToken?: unknown; Limit?: unknown }): { EventBuses: Array<Record<string, unknown>>; NextToken?: string } {
    const prefix = optionalString(input.NamePrefix, 'NamePrefix') ?? '';
    const buses = [...this.store(ctx.account, ctx.region).buses.values()].filter((b) => b.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
    const { page, NextToken } = paginate(buses, input.NextToken, input.Limit);
    return { EventBuses: page.map(describeBus), ...(NextToken ? { NextToken } : {}) };
  }

  // --- permissions ---------------------------------------------------------

  /** PutPermission: Action + Principal (account id or "*") + StatementId [+ Condition], or a whole Policy. */
  putPermission(ctx: CallContext, input: { EventBusName?: unknown; Action?: unknown; Principal?: unknown; StatementId?: unknown; Condition?: unknown; Policy?: unknown }): Record<string, never> {
    const bus = this.bus(ctx, input.EventBusName);
    if (input.Policy !== undefined && input.Policy !== null) {
      this.applyPolicy(bus, requiredString(input.Policy, 'Policy'));
      return {};
    }
    const action = requiredString(input.Action, 'Action');
    const principal = requiredString(input.Principal, 'Principal');
    const sid = requiredString(input.StatementId, 'StatementId');
    if (action !== 'events:PutEvents') throw validation(`Provided value in parameter 'action' is not supported: ${action}`);
    if (!/^(\d{12}|\*)$/.test(principal)) throw validation(`Parameter Principal is not valid: ${principal}`);
    if (!STATEMENT_ID.test(sid)) throw validation(`Parameter StatementId is not valid: ${sid}`);
    const statement: PolicyStatement = {
      Sid: sid,
      Effect: 'Allow',
      Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
      Action: 'events:PutEvents',
      Resource: bus.arn,
    };
    if (input.Condition !== undefined && input.Condition !== null) {
      const c = input.Condition;
      if (!isRecord(c) || typeof c.Type !== 'string' || typeof c.Key !== 'string' || typeof c.Value !== 'string') {
        throw validation('Condition needs Type, Key and Value.');
      }
      statement.Condition = { [c.Type]: { [c.Key]: c.Value } };
    }
    const others = (bus.policy?.Statement ?? []).filter((s) => s.Sid !== sid);
    bus.policy = { Version: '2012-10-17', Statement: [...others, statement] };
    bus.lastModifiedTime = this.now();
    return {};
  }

  removePermission(ctx: CallContext, input: { EventBusName?: unknown; StatementId?: unknown; RemoveAllPermissions?: unknown }): Record<string, never> {
    const bus = this.bus(ctx, input.EventBusName);
    if (input.RemoveAllPermissions === true) {
      bus.policy = undefined;
      bus.lastModifiedTime = this.now();
      return {};
    }
    const sid = requiredString(input.StatementId, 'StatementId');
    if (!bus.policy) throw notFound('EventBus does not have a policy.');
    const remaining = bus.policy.Statement.filter((s) => s.Sid !== sid);
    if (remaining.length === bus.policy.Statement.length) throw notFound('Statement with the provided id does not exist.');
    bus.policy = remaining.length > 0 ? { ...bus.policy, Statement: remaining } : undefined;
    bus.lastModifiedTime = this.now();
    return {};
  }

  /**
   * Sets a bus's whole resource policy (IAM policy JSON, as in a CloudFormation
   * AWS::Events::EventBusPolicy or `aws events put-permission --policy`).
   */
  setBusPolicy(account: string, busName: string, policy: string | PolicyDocument, region = this.defaultRegion): void {
    const bus = this.bus({ account, region }, busName);
    this.applyPolicy(bus, policy);
  }

  /** Creates the bus if it is missing (programmatic set-up for the runner). */
  ensureEventBus(account: string, busName: string, region = this.defaultRegion): string {
    const s = this.store(account, region);
    if (!s.buses.has(busName)) this.createEventBus({ account, region }, { Name: busName });
    return s.buses.get(busName)!.arn;
  }

  private applyPolicy(bus: BusState, policy: string | PolicyDocument): void {
    let doc: unknown = policy;
    if (typeof policy === 'string') {
      try {
        doc = JSON.parse(policy);
      } catch {
        throw validation('The policy is not valid JSON.');
      }
    }
    bus.policy = validatePolicy(doc);
    bus.lastModifiedTime = this.now();
  }

  // --- rules ---------------------------------------------------------------

  putRule(ctx: CallContext, input: Record<string, unknown>): { RuleArn: string } {
    const name = requiredString(input.Name, 'Name');
    if (!RULE_NAME.test(name)) throw validation(`Rule name ${name} is not valid.`);
    const bus = this.bus(ctx, input.EventBusName);
    const eventPattern = optionalString(input.EventPattern, 'EventPattern');
    const scheduleExpression = optionalString(input.ScheduleExpression, 'ScheduleExpression');
    const state = optionalString(input.State, 'State') ?? 'ENABLED';
    if (eventPattern === undefined && scheduleExpression === undefined) throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    if (!RULE_STATES.has(state)) throw validation(`Parameter State is not valid: ${state}`);
    const pattern: CompiledPattern | undefined = eventPattern === undefined ? undefined : compileEventPatternParameter(eventPattern, this.patternSizeQuota);
    if (scheduleExpression !== undefined) {
      if (bus.name !== DEFAULT_BUS) throw validation('ScheduleExpression is supported only on the default event bus.');
      if (!isValidScheduleExpression(scheduleExpression)) throw validation('Parameter ScheduleExpression is not valid.');
    }
    const s = this.store(ctx.account, ctx.region);
    let rules = s.rules.get(bus.name);
    if (!rules) s.rules.set(bus.name, (rules = new Map()));
    const existing = rules.get(name);
    // PutRule replaces the rule: omitted arguments are not kept (targets are).
    const rule: RuleState = {
      name,
      arn: ruleArn(ctx.region, ctx.account, bus.name, name),
      busName: bus.name,
      eventPattern,
      pattern,
      scheduleExpression,
      state,
      description: optionalString(input.Description, 'Description'),
      roleArn: optionalString(input.RoleArn, 'RoleArn'),
      createdBy: existing?.createdBy ?? ctx.account,
      targets: existing?.targets ?? [],
    };
    rules.set(name, rule);
    const tags = tagMap(input.Tags);
    if (Object.keys(tags).length > 0) s.tags.set(rule.arn, { ...s.tags.get(rule.arn), ...tags });
    return { RuleArn: rule.arn };
  }

  describeRule(ctx: CallContext, input: { Name?: unknown; EventBusName?: unknown }): Record<string, unknown> {
    const rule = this.rule(ctx, input.Name, input.EventBusName);
    return { ...describeRule(rule), CreatedBy: rule.createdBy };
  }

  listRules(ctx: CallContext, input: { NamePrefix?: unknown; EventBusName?: unknown; NextToken?: unknown; Limit?: unknown }): { Rules: Array<Record<string, unknown>>; NextToken?: string } {
    const bus = this.bus(ctx, input.EventBusName);
    const prefix = optionalString(input.NamePrefix, 'NamePrefix') ?? '';
    const rules = [...(this.store(ctx.account, ctx.region).rules.get(bus.name)?.values() ?? [])].filter((r) => r.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
    const { page, NextToken } = paginate(rules, input.NextToken, input.Limit);
    return { Rules: page.map(describeRule), ...(NextToken ? { NextToken } : {}) };
  }

  deleteRule(ctx: CallContext, input: { Name?: unknown; EventBusName?: unknown; Force?: unknown }): Record<string, never> {
    const name = requiredString(input.Name, 'Name');
    const busName = this.busNameOf(ctx, input.EventBusName);
    const s = this.store(ctx.account, ctx.region);
    const rule = s.rules.get(busName)?.get(name);
    if (!rule) return {}; // idempotent, like AWS
    if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
    s.rules.get(busName)!.delete(name);
    s.tags.delete(rule.arn);
    return {};
  }

  enableRule(ctx: CallContext, input: { Name?: unknown; EventBusName?: unknown }): Record<string, never> {
    this.rule(ctx, input.Name, input.EventBusName).state = 'ENABLED';
    return {};
  }

  disableRule(ctx: CallContext, input: { Name?: unknown; EventBusName?: unknown }): Record<string, never> {
    this.rule(ctx, input.Name, input.EventBusName).state = 'DISABLED';
    return {};
  }

  testEventPattern(_ctx: CallContext, input: { EventPattern?: unknown; Event?: unknown }): { Result: boolean } {
    const compiled = compileEventPatternParameter(requiredString(input.EventPattern, 'EventPattern'), this.patternSizeQuota);
    return { Result: compiled.matches(parseTestEvent(requiredString(input.Event, 'Event'))) };
  }

  // --- targets -------------------------------------------------------------

  putTargets(ctx: CallContext, input: { Rule?: unknown; EventBusName?: unknown; Targets?: unknown }): { FailedEntryCount: number; FailedEntries: Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> } {
    const targets = input.Targets;
    if (!Array.isArray(targets) || targets.length < 1 || targets.length > 10) {
      throw validation(`1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1`);
    }
    (targets as unknown[]).forEach((t, i) => {
      const problem = isRecord(t) ? retryPolicyProblem(t.RetryPolicy, i) : undefined;
      if (problem) throw validation(problem);
    });
    const rule = this.rule(ctx, input.Rule, input.EventBusName);
    const failed: Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> = [];
    const accepted: Target[] = [];
    for (const t of targets as unknown[]) {
      const id = isRecord(t) && typeof t.Id === 'string' ? t.Id : '';
      const problem = targetProblem(t);
      if (problem) failed.push({ TargetId: id, ErrorCode: 'ValidationException', ErrorMessage: problem });
      else accepted.push(clone(t as Target));
    }
    const ids = new Set(accepted.map((t) => t.Id));
    const kept = rule.targets.filter((t) => !ids.has(t.Id));
    if (kept.length + accepted.length > MAX_TARGETS_PER_RULE) {
      throw new AwsError('LimitExceededException', `The requested resource exceeds the maximum number allowed: at most ${MAX_TARGETS_PER_RULE} targets per rule.`);
    }
    rule.targets = [...rule.targets.map((t) => accepted.find((a) => a.Id === t.Id) ?? t), ...accepted.filter((a) => !rule.targets.some((t) => t.Id === a.Id))];
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  removeTargets(ctx: CallContext, input: { Rule?: unknown; EventBusName?: unknown; Ids?: unknown; Force?: unknown }): { FailedEntryCount: number; FailedEntries: never[] } {
    const ids = input.Ids;
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100 || ids.some((i) => typeof i !== 'string')) {
      throw validation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100");
    }
    const rule = this.rule(ctx, input.Rule, input.EventBusName);
    rule.targets = rule.targets.filter((t) => !ids.includes(t.Id));
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  listTargetsByRule(ctx: CallContext, input: { Rule?: unknown; EventBusName?: unknown; NextToken?: unknown; Limit?: unknown }): { Targets: Target[]; NextToken?: string } {
    const rule = this.rule(ctx, input.Rule, input.EventBusName);
    const { page, NextToken } = paginate(rule.targets, input.NextToken, input.Limit);
    return { Targets: clone(page), ...(NextToken ? { NextToken } : {}) };
  }

  listRuleNamesByTarget(ctx: CallContext, input: { TargetArn?: unknown; EventBusName?: unknown; NextToken?: unknown; Limit?: unknown }): { RuleNames: string[]; NextToken?: string } {
    const arn = requiredString(input.TargetArn, 'TargetArn');
    const bus = this.bus(ctx, input.EventBusName);
    const names = [...(this.store(ctx.account, ctx.region).rules.get(bus.name)?.values() ?? [])].filter((r) => r.targets.some((t) => t.Arn === arn)).map((r) => r.name).sort();
    const { page, NextToken } = paginate(names, input.NextToken, input.Limit);
    return { RuleNames: page, ...(NextToken ? { NextToken } : {}) };
  }

  // --- tags ----------------------------------------------------------------

  private taggable(ctx: CallContext, arn: string): Store {
    const s = this.store(ctx.account, ctx.region);
    const exists = [...s.buses.values()].some((b) => b.arn === arn) || [...s.rules.values()].some((m) => [...m.values()].some((r) => r.arn === arn));
    if (!exists) throw notFound(`Resource ${arn} does not exist.`);
    return s;
  }

  tagResource(ctx: CallContext, input: { ResourceARN?: unknown; Tags?: unknown }): Record<string, never> {
    const arn = requiredString(input.ResourceARN, 'ResourceARN');
    const s = this.taggable(ctx, arn);
    s.tags.set(arn, { ...s.tags.get(arn), ...tagMap(input.Tags) });
    return {};
  }

  untagResource(ctx: CallContext, input: { ResourceARN?: unknown; TagKeys?: unknown }): Record<string, never> {
    const arn = requiredString(input.ResourceARN, 'ResourceARN');
    const s = this.taggable(ctx, arn);
    const tags = { ...s.tags.get(arn) };
    for (const k of Array.isArray(input.TagKeys) ? input.TagKeys : []) delete tags[String(k)];
    s.tags.set(arn, tags);
    return {};
  }

  listTagsForResource(ctx: CallContext, input: { ResourceARN?: unknown }): { Tags: Array<{ Key: string; Value: string }> } {
    const arn = requiredString(input.ResourceARN, 'ResourceARN');
    const s = this.taggable(ctx, arn);
    return { Tags: Object.entries(s.tags.get(arn) ?? {}).map(([Key, Value]) => ({ Key, Value })) };
  }

  // --- PutEvents -----------------------------------------------------------

  /**
   * Accepts up to 10 entries. Each entry goes to a bus by name (the caller's
   * account) or by ARN (any account: allowed cross-account only when the bus
   * policy allows the sender; otherwise that entry fails with
   * AccessDeniedException). Matching targets are invoked after this returns.
   */
  putEvents(ctx: CallContext, input: { Entries?: unknown; EndpointId?: unknown }): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1) {
      throw validation("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null and must have length greater than or equal to 1");
    }
    if (entries.length > MAX_ENTRIES) {
      throw validation(`1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`);
    }
    const size = entries.reduce((sum: number, e: unknown) => sum + entrySize(isRecord(e) ? (e as PutEventsRequestEntry) : {}), 0);
    if (size > MAX_PUT_EVENTS_BYTES) throw validation(`Total size of the entries in the request is over the limit (${size} > ${MAX_PUT_EVENTS_BYTES} bytes).`);
    const results = entries.map((e: unknown) => this.putEntry(ctx, isRecord(e) ? (e as PutEventsRequestEntry) : {}));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  /**
   * An event an AWS service emits for an account (Step Functions' execution status changes on the
   * default bus): routed and delivered as PutEvents does, and the only way in for `aws.*` sources.
   */
  putServiceEvent(ctx: CallContext, entry: PutEventsRequestEntry): PutEventsResultEntry {
    return this.putEntry(ctx, entry, true);
  }

  private putEntry(ctx: CallContext, entry: PutEventsRequestEntry, fromService = false): PutEventsResultEntry {
    const fail = (ErrorCode: string, ErrorMessage: string): PutEventsResultEntry => ({ ErrorCode, ErrorMessage });
    for (const [field, value] of [['Source', entry.Source], ['DetailType', entry.DetailType], ['Detail', entry.Detail]] as const) {
      if (typeof value !== 'string' || value === '') return fail('InvalidArgument', `Parameter ${field} is not valid. Reason: ${field} is a required argument.`);
    }
    const source = entry.Source!;
    if (source.startsWith('aws.') && !fromService) return fail('NotAuthorizedForSourceException', 'Not authorized for the source.');
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail!);
    } catch {
      return fail('MalformedDetail', 'Detail is malformed.');
    }
    if (!isRecord(detail)) return fail('MalformedDetail', 'Detail is malformed.');
    const resources = entry.Resources ?? [];
    if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string')) return fail('InvalidArgument', 'Parameter Resources is not valid.');

    // Resolve the destination bus: a name in the caller's account, or an ARN in any account.
    let owner = ctx.account;
    let region = ctx.region;
    let busName = DEFAULT_BUS;
    if (entry.EventBusName !== undefined && entry.EventBusName !== null) {
      if (typeof entry.EventBusName !== 'string' || entry.EventBusName === '') return fail('InvalidArgument', 'Parameter EventBusName is not valid.');
      const arn = BUS_ARN.exec(entry.EventBusName);
      if (arn) [, region, owner, busName] = arn;
      else if (entry.EventBusName.startsWith('arn:')) return fail('InvalidArgument', `Parameter EventBusName is not valid: ${entry.EventBusName}`);
      else busName = entry.EventBusName;
    }
    const store = this.store(owner, region);
    const bus = store.buses.get(busName);
    const arnOfBus = busArn(region, owner, busName);
    if (owner !== ctx.account && !(bus && policyAllowsPutEvents(bus.policy, ctx.account, bus.arn, this.organizationOf(ctx.account)))) {
      return fail(
        'AccessDeniedException',
        `User: arn:aws:iam::${ctx.account}:root is not authorized to perform: events:PutEvents on resource: ${arnOfBus} because no resource-based policy allows the events:PutEvents action`,
      );
    }

    const now = this.now();
    const event: EventBridgeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType!,
      source,
      account: ctx.account,
      time: eventTime(toDate(entry.Time) ?? now),
      region,
      resources: [...resources],
      detail,
    };
    const record: EventLogRecord = {
      eventId: event.id,
      receivedAt: now.toISOString(),
      account: owner,
      region,
      busName,
      busArn: arnOfBus,
      sender: ctx.account,
      event,
      status: bus ? 'accepted' : 'dropped',
      ...(bus ? {} : { dropReason: `Event bus ${busName} does not exist.` }),
      matchedRules: [],
      deliveries: [],
    };
    this.route(store, record, bus ? [...(store.rules.get(busName)?.values() ?? [])].filter((r) => r.pattern && ENABLED_STATES.has(r.state) && r.pattern.matches(event)) : []);
    return { EventId: event.id };
  }

  // --- schedules -----------------------------------------------------------

  /** Fires every enabled scheduled rule once, in every account and region. Returns the event ids. */
  fireSchedules(): string[] {
    const ids: string[] = [];
    for (const store of this.stores.values()) {
      for (const rule of store.rules.get(DEFAULT_BUS)?.values() ?? []) {
        if (!rule.scheduleExpression || !ENABLED_STATES.has(rule.state)) continue;
        const now = this.now();
        const event: EventBridgeEvent = {
          version: '0',
          id: randomUUID(),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: store.account,
          time: eventTime(now),
          region: store.region,
          resources: [rule.arn],
          detail: {},
        };
        const record: EventLogRecord = {
          eventId: event.id,
          receivedAt: now.toISOString(),
          account: store.account,
          region: store.region,
          busName: DEFAULT_BUS,
          busArn: busArn(store.region, store.account, DEFAULT_BUS),
          sender: store.account,
          event,
          status: 'accepted',
          matchedRules: [],
          deliveries: [],
        };
        this.route(store, record, [rule]);
        ids.push(event.id);
      }
    }
    return ids;
  }

  /** Starts the schedule timer (every `scheduleIntervalMs`). */
  start(): void {
    this.stopped = false;
    if (this.scheduleTimer) return;
    this.scheduleTimer = setInterval(() => this.fireSchedules(), this.scheduleIntervalMs);
    this.scheduleTimer.unref();
  }

  /**
   * Stops the schedule timer and cancels pending retries, injected delays and the
   * reorder buffer (those deliveries end as failed), so no timer is left behind.
   * Until start() is called again, deliveries are attempted once, without delays.
   */
  stop(): void {
    this.stopped = true;
    if (this.scheduleTimer) clearInterval(this.scheduleTimer);
    this.scheduleTimer = undefined;
    if (this.reorderTimer) clearTimeout(this.reorderTimer);
    this.reorderTimer = undefined;
    const cancelled = [...this.reorderBuffer, ...[...this.timers.values()].flat()];
    for (const timer of this.timers.keys()) clearTimeout(timer);
    this.timers.clear();
    this.reorderBuffer = [];
    for (const job of cancelled) this.finish(job, 'failed', 'Delivery cancelled: the EventBridge model was stopped.');
  }

  // --- delivery ------------------------------------------------------------

  private route(store: Store, record: EventLogRecord, rules: RuleState[]): void {
    this.appendLog(record);
    for (const rule of rules) {
      record.matchedRules.push(rule.name);
      this.metrics.add(rule.arn, 'TriggeredRules');
      const ref: RuleRef = { account: store.account, region: store.region, busName: rule.busName, name: rule.name, arn: rule.arn };
      for (const target of rule.targets) this.schedule(record, ref, target, false);
    }
    this.emit({ type: 'event', record: clone(record) });
  }

  private schedule(record: EventLogRecord, rule: RuleRef, target: Target, duplicate: boolean): void {
    const { maxAttempts } = retryPolicyOf(target, this.retry.maxRetries);
    let input: unknown;
    let inputError: string | undefined;
    try {
      input = targetInput(target, record.event, rule);
    } catch (err) {
      inputError = err instanceof Error ? err.message : String(err);
    }
    const delivery: DeliveryRecord = {
      deliveryId: randomUUID(),
      eventId: record.eventId,
      ruleName: rule.name,
      ruleArn: rule.arn,
      targetId: target.Id,
      targetArn: target.Arn,
      status: 'pending',
      attempts: 0,
      maxAttempts,
      duplicate,
      input,
    };
    record.deliveries.push(delivery);
    this.pending++;
    const job: DeliveryJob = { delivery, target: clone(target), event: record.event, rule, input, delayMs: 0, acceptedAt: this.now().getTime() };
    if (inputError !== undefined) {
      queueMicrotask(() => void this.fail(job, { code: 'INVALID_JSON', message: `Input could not be built: ${inputError}`, retryable: false }));
      return;
    }
    const f = this.faults;
    if (f && !this.stopped) {
      if (!duplicate && (f.duplicateRate ?? 0) > 0 && this.random() < f.duplicateRate!) {
        this.faultCounts.duplicates++;
        this.schedule(record, rule, target, true);
      }
      if ((f.delayRate ?? 0) > 0 && this.random() < f.delayRate!) {
        const { min, max } = f.delayMs ?? { min: 50, max: 500 };
        job.delayMs = Math.round(min + this.random() * Math.max(0, max - min));
        delivery.delayedMs = job.delayMs;
        this.faultCounts.delays++;
      }
      if (f.reorder) {
        this.reorderBuffer.push(job);
        this.reorderTimer ??= setTimeout(() => this.flushReorderBuffer(), f.reorderWindowMs ?? 20);
        return;
      }
    }
    this.launch(job);
  }

  private flushReorderBuffer(): void {
    this.reorderTimer = undefined;
    const batch = this.reorderBuffer;
    this.reorderBuffer = [];
    const shuffled = [...batch];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    this.faultCounts.reorders += shuffled.filter((job, i) => job !== batch[i]).length;
    for (const job of shuffled) this.launch(job);
  }

  private launch(job: DeliveryJob): void {
    if (job.delayMs > 0 && !this.stopped) {
      this.setStatus(job, 'delayed');
      this.later(job, job.delayMs);
    } else {
      // After the PutEvents response is on its way.
      setImmediate(() => void this.attempt(job));
    }
  }

  private later(job: DeliveryJob, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(job);
    }, ms);
    this.timers.set(timer, [job]);
  }

  private async attempt(job: DeliveryJob): Promise<void> {
    const { delivery } = job;
    const { maxEventAgeMs } = retryPolicyOf(job.target, this.retry.maxRetries);
    const tooOld = () => this.now().getTime() - job.acceptedAt >= maxEventAgeMs;
    // A retry that comes due after MaximumEventAgeInSeconds is not made.
    if (job.lastFailure && tooOld()) return void this.fail(job, job.lastFailure, 'MaximumEventAgeInSeconds');
    delivery.attempts++;
    this.metrics.add(job.rule.arn, 'InvocationAttempts');
    if (delivery.attempts > 1) this.metrics.add(job.rule.arn, 'RetryInvocationAttempts');
    this.setStatus(job, 'in-flight');
    try {
      await this.invoker(clone(job.target), clone(job.event), { ...job.rule }, {
        input: clone(job.input),
        attempt: delivery.attempts,
        maxAttempts: delivery.maxAttempts,
        deliveryId: delivery.deliveryId,
        duplicate: delivery.duplicate,
      });
      this.metrics.add(job.rule.arn, 'SuccessfulInvocationAttempts');
      this.metrics.add(job.rule.arn, 'Invocations');
      this.finish(job, 'delivered');
    } catch (err) {
      const failure = classifyFailure(err);
      job.lastFailure = failure;
      delivery.errorCode = failure.code;
      if (!failure.retryable) return void this.fail(job, failure);
      if (this.stopped) return this.finish(job, 'failed', failure.message);
      if (delivery.attempts >= delivery.maxAttempts) return void this.fail(job, failure, 'MaximumRetryAttempts');
      if (tooOld()) return void this.fail(job, failure, 'MaximumEventAgeInSeconds');
      delivery.error = failure.message;
      this.setStatus(job, 'retrying');
      this.later(job, Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (delivery.attempts - 1)));
    }
  }

  /**
   * A delivery that failed for good: counted in FailedInvocations and, when the target has a
   * DeadLetterConfig, sent to its queue with the attributes EventBridge sets.
   */
  private async fail(job: DeliveryJob, failure: DeliveryFailure, exhausted?: ExhaustedRetryCondition): Promise<void> {
    const { delivery } = job;
    delivery.errorCode = failure.code;
    if (exhausted) delivery.exhaustedRetryCondition = exhausted;
    this.metrics.add(job.rule.arn, 'Invocations');
    this.metrics.add(job.rule.arn, 'FailedInvocations');
    const queueArn = job.target.DeadLetterConfig?.Arn;
    if (queueArn) {
      const message = deadLetterMessage(queueArn, job.rule.arn, job.target, job.event, failure, delivery.attempts, exhausted, this.now());
      try {
        await this.sendToDeadLetterQueue(message);
        delivery.deadLetter = 'sent';
        this.metrics.add(job.rule.arn, 'InvocationsSentToDlq');
      } catch {
        delivery.deadLetter = 'failed';
        this.metrics.add(job.rule.arn, 'InvocationsFailedToBeSentToDlq');
      }
    }
    this.finish(job, 'failed', failure.message);
  }

  private setStatus(job: DeliveryJob, status: DeliveryStatus): void {
    job.delivery.status = status;
    this.emit({ type: 'delivery', eventId: job.delivery.eventId, delivery: clone(job.delivery) });
  }

  private finish(job: DeliveryJob, status: 'delivered' | 'failed', error?: string): void {
    if (job.delivery.status === 'delivered' || job.delivery.status === 'failed') return;
    if (error !== undefined) job.delivery.error = error;
    job.delivery.finishedAt = new Date().toISOString();
    this.setStatus(job, status);
    this.pending--;
    if (this.pending === 0) this.checkIdle();
  }

  private checkIdle(): void {
    if (this.idleCheckScheduled) return;
    this.idleCheckScheduled = true;
    // A macrotask later, so work started by the last delivery has a chance to register.
    setImmediate(() => {
      this.idleCheckScheduled = false;
      if (this.pending !== 0) return;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    });
  }

  /** Resolves when no delivery is pending (including retries and injected delays). */
  waitForIdle(timeoutMs = 30_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        reject(new Error(`EventBridge model still has ${this.pending} pending deliveries after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
      this.checkIdle();
    });
  }

  /** Deliveries not yet delivered or failed. */
  get pendingDeliveries(): number {
    return this.pending;
  }

  /** The rule's AWS/Events metrics (FailedInvocations, InvocationsSentToDlq, …) since the model started. */
  ruleMetrics(ruleArn: string): RuleMetrics {
    return this.metrics.get(ruleArn);
  }

  /** Resolves with the rule's metrics once `metric` reaches `atLeast` (e.g. FailedInvocations ≥ 1). */
  waitForMetric(ruleArn: string, metric: RuleMetricName, atLeast = 1, timeoutMs = 30_000): Promise<RuleMetrics> {
    return this.metrics.waitFor(ruleArn, metric, atLeast, timeoutMs);
  }

  /** Messages sent to dead-letter queues (when no sendToDeadLetterQueue option is given), oldest first. */
  deadLetterMessages(queueArn?: string): DeadLetterMessage[] {
    return clone(queueArn === undefined ? this.deadLetters : this.deadLetters.filter((m) => m.queueArn === queueArn));
  }

  /** Faults injected so far (duplicates + delays + reordered deliveries). */
  get faultsInjected(): number {
    return this.faultCounts.duplicates + this.faultCounts.delays + this.faultCounts.reorders;
  }

  get faultsByKind(): { duplicates: number; delays: number; reorders: number } {
    return { ...this.faultCounts };
  }

  // --- event log -------------------------------------------------------------

  private appendLog(record: EventLogRecord): void {
    this.log.push(record);
    if (this.log.length > this.maxRecentEvents) this.log.splice(0, this.log.length - this.maxRecentEvents);
  }

  /** Recent events (oldest first) with their deliveries; copies, safe to keep. */
  recentEvents(filter: { account?: string; region?: string; busName?: string; limit?: number } = {}): EventLogRecord[] {
    const matching = this.log.filter(
      (r) => (filter.account === undefined || r.account === filter.account) && (filter.region === undefined || r.region === filter.region) && (filter.busName === undefined || r.busName === filter.busName),
    );
    return clone(filter.limit === undefined ? matching : matching.slice(-filter.limit));
  }

  /** Subscribes to new events and delivery status changes. Returns the unsubscribe function. */
  onEvent(listener: (change: EventLogChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: EventLogChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A broken console subscriber must not break delivery.
      }
    }
  }

  // --- persistence -----------------------------------------------------------

  /** Buses, policies, rules, targets and tags (not the event log). */
  snapshot(): ModelSnapshot {
    return {
      version: 1,
      stores: [...this.stores.values()].map((s) => ({
        account: s.account,
        region: s.region,
        buses: [...s.buses.values()].map((b) => ({
          name: b.name,
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.policy ? { policy: clone(b.policy) } : {}),
          creationTime: b.creationTime.toISOString(),
          lastModifiedTime: b.lastModifiedTime.toISOString(),
        })),
        rules: [...s.rules.values()].flatMap((m) =>
          [...m.values()].map((r) => ({
            busName: r.busName,
            name: r.name,
            ...(r.eventPattern !== undefined ? { eventPattern: r.eventPattern } : {}),
            ...(r.scheduleExpression !== undefined ? { scheduleExpression: r.scheduleExpression } : {}),
            state: r.state,
            ...(r.description !== undefined ? { description: r.description } : {}),
            ...(r.roleArn !== undefined ? { roleArn: r.roleArn } : {}),
            createdBy: r.createdBy,
            targets: clone(r.targets),
          })),
        ),
        tags: [...s.tags.entries()].map(([arn, t]) => [arn, { ...t }] as [string, Record<string, string>]),
      })),
    };
  }

  /** Replaces all state with a snapshot (object or its JSON). */
  restore(snapshot: ModelSnapshot | string): void {
    const snap = (typeof snapshot === 'string' ? JSON.parse(snapshot) : snapshot) as ModelSnapshot;
    if (!isRecord(snap) || snap.version !== 1 || !Array.isArray(snap.stores)) throw new Error('Not an EventBridge model snapshot (version 1)');
    this.stores.clear();
    for (const s of snap.stores) {
      const store = this.store(s.account, s.region);
      for (const b of s.buses) {
        store.buses.set(b.name, {
          name: b.name,
          arn: busArn(s.region, s.account, b.name),
          description: b.description,
          policy: b.policy ? clone(b.policy) : undefined,
          creationTime: new Date(b.creationTime),
          lastModifiedTime: new Date(b.lastModifiedTime),
        });
      }
      for (const r of s.rules) {
        let rules = store.rules.get(r.busName);
        if (!rules) store.rules.set(r.busName, (rules = new Map()));
        rules.set(r.name, {
          name: r.name,
          arn: ruleArn(s.region, s.account, r.busName, r.name),
          busName: r.busName,
          eventPattern: r.eventPattern,
          pattern: r.eventPattern !== undefined ? compilePattern(r.eventPattern) : undefined,
          scheduleExpression: r.scheduleExpression,
          state: r.state,
          description: r.description,
          roleArn: r.roleArn,
          createdBy: r.createdBy,
          targets: clone(r.targets),
        });
      }
      for (const [arn, tags] of s.tags) store.tags.set(arn, { ...tags });
    }
  }
}

// ---------------------------------------------------------------------------
// Helpers

export function busArn(region: string, account: string, name: string): string {
  return `arn:aws:events:${region}:${account}:event-bus/${name}`;
}

export function ruleArn(region: string, account: string, busName: string, name: string): string {
  return busName === DEFAULT_BUS ? `arn:aws:events:${region}:${account}:rule/${name}` : `arn:aws:events:${region}:${account}:rule/${busName}/${name}`;
}

function describeBus(b: BusState): Record<string, unknown> {
  return {
    Name: b.name,
    Arn: b.arn,
    ...(b.description !== undefined ? { Description: b.description } : {}),
    ...(b.policy ? { Policy: JSON.stringify(b.policy) } : {}),
    CreationTime: b.creationTime,
    LastModifiedTime: b.lastModifiedTime,
  };
}

function describeRule(r: RuleState): Record<string, unknown> {
  return {
    Name: r.name,
    Arn: r.arn,
    ...(r.eventPattern !== undefined ? { EventPattern: r.eventPattern } : {}),
    ...(r.scheduleExpression !== undefined ? { ScheduleExpression: r.scheduleExpression } : {}),
    State: r.state,
    ...(r.description !== undefined ? { Description: r.description } : {}),
    ...(r.roleArn !== undefined ? { RoleArn: r.roleArn } : {}),
    EventBusName: r.busName,
  };
}

function tagMap(tags: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(tags)) return out;
  for (const t of tags) if (isRecord(t) && typeof t.Key === 'string') out[t.Key] = typeof t.Value === 'string' ? t.Value : '';
  return out;
}

function targetProblem(t: unknown): string | undefined {
  if (!isRecord(t)) return 'Target must be an object.';
  if (typeof t.Id !== 'string' || !TARGET_ID.test(t.Id)) return `Target Id is not valid: ${String(t.Id)}`;
  if (typeof t.Arn !== 'string' || t.Arn.length < 1 || t.Arn.length > 1600) return 'Target Arn is not valid.';
  const given = ['Input', 'InputPath', 'InputTransformer'].filter((k) => t[k] !== undefined && t[k] !== null);
  if (given.length > 1) return 'Only one of Input, InputPath, or InputTransformer must be provided.';
  if (typeof t.Input === 'string') {
    try {
      JSON.parse(t.Input);
    } catch {
      return 'Input is not valid JSON text.';
    }
  }
  if (t.InputPath !== undefined && (typeof t.InputPath !== 'string' || !t.InputPath.startsWith('$'))) return 'InputPath is not a valid JSON path.';
  if (t.InputTransformer !== undefined) {
    const it = t.InputTransformer;
    if (!isRecord(it) || typeof it.InputTemplate !== 'string') return 'InputTransformer needs an InputTemplate.';
    if (it.InputPathsMap !== undefined && (!isRecord(it.InputPathsMap) || Object.values(it.InputPathsMap).some((p) => typeof p !== 'string' || !p.startsWith('$')))) {
      return 'InputPathsMap values must be JSON paths.';
    }
  }
  return undefined;
}

/** What a target receives: Input (constant JSON), InputPath (part of the event), InputTransformer, or the event. */
export function targetInput(target: Target, event: EventBridgeEvent, rule: RuleRef): unknown {
  if (typeof target.Input === 'string') return JSON.parse(target.Input) as unknown;
  if (typeof target.InputPath === 'string') return readJsonPath(event, target.InputPath) ?? null;
  if (target.InputTransformer) {
    const vars: Record<string, unknown> = {
      'aws.events.rule-arn': rule.arn,
      'aws.events.rule-name': rule.name,
      'aws.events.event.ingestion-time': event.time,
      'aws.events.event': event,
      'aws.events.event.json': event,
    };
    for (const [name, path] of Object.entries(target.InputTransformer.InputPathsMap ?? {})) vars[name] = readJsonPath(event, path) ?? null;
    return applyInputTemplate(target.InputTransformer.InputTemplate, vars);
  }
  return event;
}

function entrySize(e: PutEventsRequestEntry): number {
  let size = 0;
  if (e.Time !== undefined) size += 14;
  for (const v of [e.Source, e.DetailType, e.Detail]) if (typeof v === 'string') size += Buffer.byteLength(v);
  for (const r of Array.isArray(e.Resources) ? e.Resources : []) if (typeof r === 'string') size += Buffer.byteLength(r);
  return size;
}

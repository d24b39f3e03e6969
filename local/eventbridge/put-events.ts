/**
 * PutEvents: the request limits, each entry's checks, the destination bus (by name, or by ARN
 * across accounts when the bus policy allows), and the delivered event handed on for routing.
 */
import { randomUUID } from 'node:crypto';
import { validation } from './errors.js';
import type { EventLogRecord, Route } from './event-log.js';
import { isRecord } from './params.js';
import { policyAllowsPutEvents } from './policy.js';
import { BUS_ARN, busArn, DEFAULT_BUS, ENABLED_STATES, type Stores } from './stores.js';
import type { CallContext, EventBridgeEvent, PutEventsRequestEntry, PutEventsResultEntry } from './types.js';

const MAX_ENTRIES = 10;
const MAX_PUT_EVENTS_BYTES = 256 * 1024;

/** EventBridge writes event times to the second: 2017-12-22T18:43:48Z. */
export function eventTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function toDate(v: Date | number | string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function entrySize(e: PutEventsRequestEntry): number {
  let size = 0;
  if (e.Time !== undefined) size += 14;
  for (const v of [e.Source, e.DetailType, e.Detail]) if (typeof v === 'string') size += Buffer.byteLength(v);
  for (const r of Array.isArray(e.Resources) ? e.Resources : []) if (typeof r === 'string') size += Buffer.byteLength(r);
  return size;
}

/** What PutEvents needs of the model: its state, the sender's organization, and the router. */
export interface PutEventsEnv {
  stores: Stores;
  organizationOf: (account: string) => string | undefined;
  route: Route;
}

/**
 * Accepts up to 10 entries. Each entry goes to a bus by name (the caller's
 * account) or by ARN (any account: allowed cross-account only when the bus
 * policy allows the sender; otherwise that entry fails with
 * AccessDeniedException). Matching targets are invoked after this returns.
 */
export function putEvents(env: PutEventsEnv, ctx: CallContext, input: { Entries?: unknown; EndpointId?: unknown }): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length < 1) {
    throw validation("1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null and must have length greater than or equal to 1");
  }
  if (entries.length > MAX_ENTRIES) {
    throw validation(`1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`);
  }
  const size = entries.reduce((sum: number, e: unknown) => sum + entrySize(isRecord(e) ? (e as PutEventsRequestEntry) : {}), 0);
  if (size > MAX_PUT_EVENTS_BYTES) throw validation(`Total size of the entries in the request is over the limit (${size} > ${MAX_PUT_EVENTS_BYTES} bytes).`);
  const results = entries.map((e: unknown) => putEntry(env, ctx, isRecord(e) ? (e as PutEventsRequestEntry) : {}));
  return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
}

/** One entry of PutEvents (or, with `fromService`, an event an AWS service emits: `aws.*` sources allowed). */
export function putEntry(env: PutEventsEnv, ctx: CallContext, entry: PutEventsRequestEntry, fromService = false): PutEventsResultEntry {
  const fail = (ErrorCode: string, ErrorMessage: string): PutEventsResultEntry => ({ ErrorCode, ErrorMessage });
  for (const [field, value] of [
    ['Source', entry.Source],
    ['DetailType', entry.DetailType],
    ['Detail', entry.Detail],
  ] as const) {
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
  const store = env.stores.store(owner, region);
  const bus = store.buses.get(busName);
  const arnOfBus = busArn(region, owner, busName);
  if (owner !== ctx.account && !(bus && policyAllowsPutEvents(bus.policy, ctx.account, bus.arn, env.organizationOf(ctx.account)))) {
    return fail(
      'AccessDeniedException',
      `User: arn:aws:iam::${ctx.account}:root is not authorized to perform: events:PutEvents on resource: ${arnOfBus} because no resource-based policy allows the events:PutEvents action`,
    );
  }

  const now = env.stores.now();
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
  env.route(store, record, bus ? [...(store.rules.get(busName)?.values() ?? [])].filter((r) => r.pattern && ENABLED_STATES.has(r.state) && r.pattern.matches(event)) : []);
  return { EventId: event.id };
}

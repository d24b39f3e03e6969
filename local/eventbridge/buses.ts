/**
 * Event buses: CreateEventBus, DeleteEventBus, DescribeEventBus, ListEventBuses, and creating a
 * bus for the runner's set-up. The default bus is made by the store and cannot be deleted.
 */
import { alreadyExists, validation } from './errors.js';
import { optionalString, paginate, requiredString, tagMap } from './params.js';
import { type BusState, busArn, DEFAULT_BUS, type Stores } from './stores.js';
import type { CallContext } from './types.js';

const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;

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

export function createEventBus(
  stores: Stores,
  ctx: CallContext,
  input: { Name?: unknown; Description?: unknown; EventSourceName?: unknown; Tags?: unknown },
): { EventBusArn: string; Description?: string } {
  const name = requiredString(input.Name, 'Name');
  const description = optionalString(input.Description, 'Description');
  if (!BUS_NAME.test(name)) throw validation(`Event bus name ${name} is not valid.`);
  if (name.includes('/') && input.EventSourceName === undefined) throw validation("Event bus name must not contain '/'.");
  const s = stores.store(ctx.account, ctx.region);
  if (s.buses.has(name)) throw alreadyExists(`Event bus ${name} already exists.`);
  const now = stores.now();
  const bus: BusState = { name, arn: busArn(ctx.region, ctx.account, name), description, creationTime: now, lastModifiedTime: now };
  s.buses.set(name, bus);
  const tags = tagMap(input.Tags);
  if (Object.keys(tags).length > 0) s.tags.set(bus.arn, tags);
  return description === undefined ? { EventBusArn: bus.arn } : { EventBusArn: bus.arn, Description: description };
}

export function deleteEventBus(stores: Stores, ctx: CallContext, input: { Name?: unknown }): Record<string, never> {
  const name = stores.busNameOf(ctx, requiredString(input.Name, 'Name'));
  if (name === DEFAULT_BUS) throw validation('Cannot delete event bus default.');
  const s = stores.store(ctx.account, ctx.region);
  const bus = s.buses.get(name);
  if (!bus) return {}; // idempotent, like AWS
  if ((s.rules.get(name)?.size ?? 0) > 0) throw validation("EventBus can't be deleted since it has rules.");
  s.buses.delete(name);
  s.rules.delete(name);
  s.tags.delete(bus.arn);
  return {};
}

export function describeEventBus(stores: Stores, ctx: CallContext, input: { Name?: unknown }): Record<string, unknown> {
  return describeBus(stores.bus(ctx, input.Name));
}

export function listEventBuses(
  stores: Stores,
  ctx: CallContext,
  input: { NamePrefix?: unknown; NextToken?: unknown; Limit?: unknown },
): { EventBuses: Array<Record<string, unknown>>; NextToken?: string } {
  const prefix = optionalString(input.NamePrefix, 'NamePrefix') ?? '';
  const buses = [...stores.store(ctx.account, ctx.region).buses.values()].filter((b) => b.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
  const { page, NextToken } = paginate(buses, input.NextToken, input.Limit);
  return { EventBuses: page.map(describeBus), ...(NextToken ? { NextToken } : {}) };
}

/** Creates the bus if it is missing (programmatic set-up for the runner). */
export function ensureEventBus(stores: Stores, account: string, busName: string, region: string): string {
  const s = stores.store(account, region);
  if (!s.buses.has(busName)) createEventBus(stores, { account, region }, { Name: busName });
  return s.buses.get(busName)!.arn;
}

/**
 * Thing operations: create, describe, update, delete, list, and their attachment to certificate
 * principals (attach, detach, both directions of listing, exclusive and non-exclusive).
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, invalid, notFound, versionConflict } from './errors.js';
import { compare, paginate } from './pagination.js';
import type { IotState, ThingRecord } from './state.js';
import type { CallContext, IotInputs, IotOutputs, ThingPrincipalType } from './types.js';
import { pageSizeOf, principalTypeOf, required, thingNameOf } from './validation.js';

export function createThing(s: IotState, ctx: CallContext, input: IotInputs['CreateThing']): IotOutputs['CreateThing'] {
  const name = thingNameOf(input.thingName);
  // Thing types and billing groups are not emulated, so none exists.
  if (input.thingTypeName) throw notFound(`Thing type ${input.thingTypeName} does not exist.`);
  if (input.billingGroupName) throw notFound(`Billing group ${input.billingGroupName} does not exist.`);
  const attributes = { ...(input.attributePayload?.attributes ?? {}) };
  const acct = s.account(ctx);
  const existing = acct.things.get(name);
  if (existing) {
    // Documented: the same name and configuration succeeds; a different configuration conflicts.
    if (JSON.stringify(sortKeys(existing.attributes)) === JSON.stringify(sortKeys(attributes))) {
      return { thingName: name, thingArn: s.thingArn(ctx, name), thingId: existing.thingId };
    }
    throw alreadyExists(`Thing ${name} already exists in account with different attributes`, { resourceId: existing.thingId, resourceArn: s.thingArn(ctx, name) });
  }
  const thing: ThingRecord = { thingName: name, thingId: randomUUID(), attributes, version: 1 };
  acct.things.set(name, thing);
  return { thingName: name, thingArn: s.thingArn(ctx, name), thingId: thing.thingId };
}

/** A thing of the caller's account, or ResourceNotFoundException. */
function existingThing(s: IotState, ctx: CallContext, name: string): ThingRecord {
  const t = s.account(ctx).things.get(name);
  if (!t) throw notFound(`Thing ${name} cannot be found.`);
  return t;
}

export function describeThing(s: IotState, ctx: CallContext, input: IotInputs['DescribeThing']): IotOutputs['DescribeThing'] {
  const t = existingThing(s, ctx, thingNameOf(input.thingName));
  return { defaultClientId: t.thingName, thingName: t.thingName, thingId: t.thingId, thingArn: s.thingArn(ctx, t.thingName), attributes: { ...t.attributes }, version: t.version };
}

export function updateThing(s: IotState, ctx: CallContext, input: IotInputs['UpdateThing']): IotOutputs['UpdateThing'] {
  const t = existingThing(s, ctx, thingNameOf(input.thingName));
  if (input.thingTypeName) throw notFound(`Thing type ${input.thingTypeName} does not exist.`);
  if (input.expectedVersion !== undefined && input.expectedVersion !== t.version) {
    throw versionConflict(`The version for thing ${t.thingName} does not match the expected version.`);
  }
  const payload = input.attributePayload;
  if (payload?.attributes) {
    const merged = payload.merge ? { ...t.attributes, ...payload.attributes } : { ...payload.attributes };
    // With merge, an empty value removes the attribute.
    t.attributes = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== ''));
  }
  t.version += 1;
  return {};
}

/** Deleting a thing that does not exist succeeds (documented). */
export function deleteThing(s: IotState, ctx: CallContext, input: IotInputs['DeleteThing']): IotOutputs['DeleteThing'] {
  const name = thingNameOf(input.thingName);
  const acct = s.account(ctx);
  const t = acct.things.get(name);
  if (!t) return {};
  if (input.expectedVersion !== undefined && input.expectedVersion !== t.version) {
    throw versionConflict(`The version for thing ${name} does not match the expected version.`);
  }
  if ((acct.thingPrincipals.get(name)?.size ?? 0) > 0) throw invalid(`Cannot delete. Thing ${name} is still attached to one or more principals`);
  acct.things.delete(name);
  acct.thingPrincipals.delete(name);
  return {};
}

export function listThings(s: IotState, ctx: CallContext, input: IotInputs['ListThings']): IotOutputs['ListThings'] {
  const size = pageSizeOf(input.maxResults, s.pageSize, 'maxResults');
  if (input.thingTypeName) return { things: [] };
  let things = [...s.account(ctx).things.values()];
  if (input.attributeName) {
    const value = input.attributeValue;
    things = things.filter((t) => {
      const v = t.attributes[input.attributeName!];
      if (v === undefined) return false;
      if (value === undefined) return true;
      return input.usePrefixAttributeValue ? v.startsWith(value) : v === value;
    });
  }
  things.sort((a, b) => compare(a.thingName, b.thingName));
  const { page, next } = paginate(things, (t) => t.thingName, size, input.nextToken, 'nextToken');
  return { things: page.map((t) => ({ thingName: t.thingName, thingArn: s.thingArn(ctx, t.thingName), attributes: { ...t.attributes }, version: t.version })), nextToken: next };
}

export function attachThingPrincipal(s: IotState, ctx: CallContext, input: IotInputs['AttachThingPrincipal']): IotOutputs['AttachThingPrincipal'] {
  const name = thingNameOf(input.thingName);
  const principal = required(input.principal, 'principal');
  const type = principalTypeOf(input.thingPrincipalType) ?? 'NON_EXCLUSIVE_THING';
  existingThing(s, ctx, name);
  s.principalCert(ctx, principal, 'principal');
  const acct = s.account(ctx);
  const current = acct.principalThings.get(principal);
  for (const [other, otherType] of current ?? []) {
    if (other === name) continue;
    // EXCLUSIVE_THING: "The thing will be the only thing that's attached to the principal."
    if (otherType === 'EXCLUSIVE_THING') throw invalid(`The principal ${principal} is exclusively attached to thing ${other}.`);
    if (type === 'EXCLUSIVE_THING') throw invalid(`The principal ${principal} is already attached to thing ${other}; it cannot be attached exclusively to ${name}.`);
  }
  if (current) current.set(name, type);
  else acct.principalThings.set(principal, new Map([[name, type]]));
  let principals = acct.thingPrincipals.get(name);
  if (!principals) acct.thingPrincipals.set(name, (principals = new Map()));
  principals.set(principal, type);
  s.propagation.attached(s.scope(ctx), principal, name);
  return {};
}

export function detachThingPrincipal(s: IotState, ctx: CallContext, input: IotInputs['DetachThingPrincipal']): IotOutputs['DetachThingPrincipal'] {
  const name = thingNameOf(input.thingName);
  const principal = required(input.principal, 'principal');
  existingThing(s, ctx, name);
  s.principalCert(ctx, principal, 'principal');
  const acct = s.account(ctx);
  const things = acct.principalThings.get(principal);
  if (!things?.has(name)) throw notFound(`The principal ${principal} is not attached to thing ${name}.`);
  things.delete(name);
  if (things.size === 0) acct.principalThings.delete(principal);
  acct.thingPrincipals.get(name)?.delete(principal);
  s.propagation.detached(s.scope(ctx), principal, name);
  return {};
}

function principalThingList(s: IotState, ctx: CallContext, principal: string | undefined, type: ThingPrincipalType | undefined): [string, ThingPrincipalType][] {
  const p = required(principal, 'principal');
  s.principalCert(ctx, p, 'principal');
  return [...(s.account(ctx).principalThings.get(p) ?? [])].filter(([, t]) => !type || t === type).sort((a, b) => compare(a[0], b[0]));
}

export function listPrincipalThings(s: IotState, ctx: CallContext, input: IotInputs['ListPrincipalThings']): IotOutputs['ListPrincipalThings'] {
  const size = pageSizeOf(input.maxResults, s.pageSize, 'maxResults');
  const { page, next } = paginate(principalThingList(s, ctx, input.principal, undefined), ([n]) => n, size, input.nextToken, 'nextToken');
  return { things: page.map(([n]) => n), nextToken: next };
}

export function listPrincipalThingsV2(s: IotState, ctx: CallContext, input: IotInputs['ListPrincipalThingsV2']): IotOutputs['ListPrincipalThingsV2'] {
  const size = pageSizeOf(input.maxResults, s.pageSize, 'maxResults');
  const type = principalTypeOf(input.thingPrincipalType);
  const { page, next } = paginate(principalThingList(s, ctx, input.principal, type), ([n]) => n, size, input.nextToken, 'nextToken');
  return { principalThingObjects: page.map(([thingName, thingPrincipalType]) => ({ thingName, thingPrincipalType })), nextToken: next };
}

function thingPrincipalList(s: IotState, ctx: CallContext, thingName: string | undefined, type: ThingPrincipalType | undefined): [string, ThingPrincipalType][] {
  const name = thingNameOf(thingName);
  existingThing(s, ctx, name);
  return [...(s.account(ctx).thingPrincipals.get(name) ?? [])].filter(([, t]) => !type || t === type).sort((a, b) => compare(a[0], b[0]));
}

export function listThingPrincipals(s: IotState, ctx: CallContext, input: IotInputs['ListThingPrincipals']): IotOutputs['ListThingPrincipals'] {
  const size = pageSizeOf(input.maxResults, s.pageSize, 'maxResults');
  const { page, next } = paginate(thingPrincipalList(s, ctx, input.thingName, undefined), ([p]) => p, size, input.nextToken, 'nextToken');
  return { principals: page.map(([p]) => p), nextToken: next };
}

export function listThingPrincipalsV2(s: IotState, ctx: CallContext, input: IotInputs['ListThingPrincipalsV2']): IotOutputs['ListThingPrincipalsV2'] {
  const size = pageSizeOf(input.maxResults, s.pageSize, 'maxResults');
  const type = principalTypeOf(input.thingPrincipalType);
  const { page, next } = paginate(thingPrincipalList(s, ctx, input.thingName, type), ([p]) => p, size, input.nextToken, 'nextToken');
  return { thingPrincipalObjects: page.map(([principal, thingPrincipalType]) => ({ principal, thingPrincipalType })), nextToken: next };
}

function sortKeys(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort((a, b) => compare(a[0], b[0]));
}

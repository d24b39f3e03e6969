/**
 * Bus resource policies: PutPermission / RemovePermission, whole policy documents, and whether
 * a policy lets another account put events on the bus (cross-account PutEvents).
 */
import { notFound, validation } from './errors.js';
import { isRecord, requiredString } from './params.js';
import type { BusState, Stores } from './stores.js';
import type { CallContext, PolicyDocument, PolicyStatement } from './types.js';

const STATEMENT_ID = /^[a-zA-Z0-9-_]{1,64}$/;

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
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

/** PutPermission: Action + Principal (account id or "*") + StatementId [+ Condition], or a whole Policy. */
export function putPermission(
  stores: Stores,
  ctx: CallContext,
  input: { EventBusName?: unknown; Action?: unknown; Principal?: unknown; StatementId?: unknown; Condition?: unknown; Policy?: unknown },
): Record<string, never> {
  const bus = stores.bus(ctx, input.EventBusName);
  if (input.Policy !== undefined && input.Policy !== null) {
    applyPolicy(bus, requiredString(input.Policy, 'Policy'), stores.now);
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
  bus.lastModifiedTime = stores.now();
  return {};
}

export function removePermission(stores: Stores, ctx: CallContext, input: { EventBusName?: unknown; StatementId?: unknown; RemoveAllPermissions?: unknown }): Record<string, never> {
  const bus = stores.bus(ctx, input.EventBusName);
  if (input.RemoveAllPermissions === true) {
    bus.policy = undefined;
    bus.lastModifiedTime = stores.now();
    return {};
  }
  const sid = requiredString(input.StatementId, 'StatementId');
  if (!bus.policy) throw notFound('EventBus does not have a policy.');
  const remaining = bus.policy.Statement.filter((s) => s.Sid !== sid);
  if (remaining.length === bus.policy.Statement.length) throw notFound('Statement with the provided id does not exist.');
  bus.policy = remaining.length > 0 ? { ...bus.policy, Statement: remaining } : undefined;
  bus.lastModifiedTime = stores.now();
  return {};
}

/** Sets a bus's whole policy from its JSON or document, checked as PutPermission's Policy is. */
export function applyPolicy(bus: BusState, policy: string | PolicyDocument, now: () => Date): void {
  let doc: unknown = policy;
  if (typeof policy === 'string') {
    try {
      doc = JSON.parse(policy);
    } catch {
      throw validation('The policy is not valid JSON.');
    }
  }
  bus.policy = validatePolicy(doc);
  bus.lastModifiedTime = now();
}

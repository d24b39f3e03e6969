/**
 * Policy operations: create, get, delete, list, and their attachment to certificates (attach, detach,
 * list attached, list targets), at most MAX_POLICIES_PER_TARGET per certificate.
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, deleteConflict, limitExceeded, malformedPolicy, notFound } from './errors.js';
import { compare, paginate } from './pagination.js';
import { MAX_POLICIES_PER_TARGET } from './quotas.js';
import type { IotState, PolicyRecord } from './state.js';
import type { CallContext, IotInputs, IotOutputs } from './types.js';
import { pageSizeOf, policyNameOf, required } from './validation.js';

export function createPolicy(s: IotState, ctx: CallContext, input: IotInputs['CreatePolicy']): IotOutputs['CreatePolicy'] {
  const name = policyNameOf(input.policyName);
  const document = required(input.policyDocument, 'policyDocument');
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw malformedPolicy('The policy document is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('Statement' in parsed)) {
    throw malformedPolicy('The policy document must be a JSON object with a Statement.');
  }
  const acct = s.account(ctx);
  if (acct.policies.has(name)) throw alreadyExists(`Policy cannot be created - name already exists (name=${name})`, { resourceId: name, resourceArn: s.policyArn(ctx, name) });
  const now = s.now();
  acct.policies.set(name, { policyName: name, policyDocument: document, creationDate: now, lastModifiedDate: now, generationId: randomUUID() });
  return { policyName: name, policyArn: s.policyArn(ctx, name), policyDocument: document, policyVersionId: '1' };
}

/** A policy of the caller's account, or ResourceNotFoundException. */
function existingPolicy(s: IotState, ctx: CallContext, name: string): PolicyRecord {
  const p = s.account(ctx).policies.get(name);
  if (!p) throw notFound(`The policy ${name} does not exist.`);
  return p;
}

export function getPolicy(s: IotState, ctx: CallContext, input: IotInputs['GetPolicy']): IotOutputs['GetPolicy'] {
  const p = existingPolicy(s, ctx, policyNameOf(input.policyName));
  return {
    policyName: p.policyName,
    policyArn: s.policyArn(ctx, p.policyName),
    policyDocument: p.policyDocument,
    defaultVersionId: '1',
    creationDate: new Date(p.creationDate),
    lastModifiedDate: new Date(p.lastModifiedDate),
    generationId: p.generationId,
  };
}

export function deletePolicy(s: IotState, ctx: CallContext, input: IotInputs['DeletePolicy']): IotOutputs['DeletePolicy'] {
  const name = policyNameOf(input.policyName);
  existingPolicy(s, ctx, name);
  const acct = s.account(ctx);
  for (const policies of acct.targetPolicies.values()) {
    if (policies.has(name)) throw deleteConflict(`The policy cannot be deleted as the policy is attached to one or more principals (name=${name})`);
  }
  acct.policies.delete(name);
}

export function listPolicies(s: IotState, ctx: CallContext, input: IotInputs['ListPolicies']): IotOutputs['ListPolicies'] {
  const size = pageSizeOf(input.pageSize, s.pageSize, 'pageSize');
  // "If true, the results are returned in ascending creation order."
  const dir = input.ascendingOrder ? 1 : -1;
  const key = (p: PolicyRecord): string => `${String(p.creationDate).padStart(15, '0')}#${p.policyName}`;
  const policies = [...s.account(ctx).policies.values()].sort((a, b) => dir * compare(key(a), key(b)));
  const { page, next } = paginate(policies, key, size, input.marker, 'marker', dir);
  return { policies: page.map((p) => ({ policyName: p.policyName, policyArn: s.policyArn(ctx, p.policyName) })), nextMarker: next };
}

export function attachPolicy(s: IotState, ctx: CallContext, input: IotInputs['AttachPolicy']): IotOutputs['AttachPolicy'] {
  const name = policyNameOf(input.policyName);
  const target = required(input.target, 'target');
  existingPolicy(s, ctx, name);
  s.principalCert(ctx, target, 'target');
  const acct = s.account(ctx);
  let policies = acct.targetPolicies.get(target);
  if (policies?.has(name)) return; // idempotent
  if ((policies?.size ?? 0) >= MAX_POLICIES_PER_TARGET) {
    throw limitExceeded(`A target can have at most ${MAX_POLICIES_PER_TARGET} policies attached (target=${target}).`);
  }
  if (!policies) acct.targetPolicies.set(target, (policies = new Set()));
  policies.add(name);
}

export function detachPolicy(s: IotState, ctx: CallContext, input: IotInputs['DetachPolicy']): IotOutputs['DetachPolicy'] {
  const name = policyNameOf(input.policyName);
  const target = required(input.target, 'target');
  existingPolicy(s, ctx, name);
  s.principalCert(ctx, target, 'target');
  const policies = s.account(ctx).targetPolicies.get(target);
  if (!policies?.has(name)) throw notFound(`The policy ${name} is not attached to ${target}.`);
  policies.delete(name);
  if (policies.size === 0) s.account(ctx).targetPolicies.delete(target);
}

export function listAttachedPolicies(s: IotState, ctx: CallContext, input: IotInputs['ListAttachedPolicies']): IotOutputs['ListAttachedPolicies'] {
  const target = required(input.target, 'target');
  const size = pageSizeOf(input.pageSize, s.pageSize, 'pageSize');
  s.principalCert(ctx, target, 'target');
  // `recursive` only matters for thing groups, which have no parents here.
  const names = [...(s.account(ctx).targetPolicies.get(target) ?? [])].sort(compare);
  const { page, next } = paginate(names, (n) => n, size, input.marker, 'marker');
  return { policies: page.map((n) => ({ policyName: n, policyArn: s.policyArn(ctx, n) })), nextMarker: next };
}

export function listTargetsForPolicy(s: IotState, ctx: CallContext, input: IotInputs['ListTargetsForPolicy']): IotOutputs['ListTargetsForPolicy'] {
  const name = policyNameOf(input.policyName);
  const size = pageSizeOf(input.pageSize, s.pageSize, 'pageSize');
  existingPolicy(s, ctx, name);
  const targets = [...s.account(ctx).targetPolicies]
    .filter(([, p]) => p.has(name))
    .map(([t]) => t)
    .sort(compare);
  const { page, next } = paginate(targets, (t) => t, size, input.marker, 'marker');
  return { targets: page, nextMarker: next };
}

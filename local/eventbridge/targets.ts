/**
 * Rule targets: PutTargets (with each target's Input / InputPath / InputTransformer and
 * RetryPolicy checked), RemoveTargets, ListTargetsByRule and ListRuleNamesByTarget.
 */
import { retryPolicyProblem } from './delivery.js';
import { limitExceeded, validation } from './errors.js';
import { clone, isRecord, paginate, requiredString } from './params.js';
import type { Stores } from './stores.js';
import type { CallContext, Target } from './types.js';

const MAX_TARGETS_PER_RULE = 5;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;

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

export function putTargets(
  stores: Stores,
  ctx: CallContext,
  input: { Rule?: unknown; EventBusName?: unknown; Targets?: unknown },
): { FailedEntryCount: number; FailedEntries: Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> } {
  const targets = input.Targets;
  if (!Array.isArray(targets) || targets.length < 1 || targets.length > 10) {
    throw validation(`1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1`);
  }
  (targets as unknown[]).forEach((t, i) => {
    const problem = isRecord(t) ? retryPolicyProblem(t.RetryPolicy, i) : undefined;
    if (problem) throw validation(problem);
  });
  const rule = stores.rule(ctx, input.Rule, input.EventBusName);
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
    throw limitExceeded(`The requested resource exceeds the maximum number allowed: at most ${MAX_TARGETS_PER_RULE} targets per rule.`);
  }
  rule.targets = [...rule.targets.map((t) => accepted.find((a) => a.Id === t.Id) ?? t), ...accepted.filter((a) => !rule.targets.some((t) => t.Id === a.Id))];
  return { FailedEntryCount: failed.length, FailedEntries: failed };
}

export function removeTargets(
  stores: Stores,
  ctx: CallContext,
  input: { Rule?: unknown; EventBusName?: unknown; Ids?: unknown; Force?: unknown },
): { FailedEntryCount: number; FailedEntries: never[] } {
  const ids = input.Ids;
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100 || ids.some((i) => typeof i !== 'string')) {
    throw validation("1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100");
  }
  const rule = stores.rule(ctx, input.Rule, input.EventBusName);
  rule.targets = rule.targets.filter((t) => !ids.includes(t.Id));
  return { FailedEntryCount: 0, FailedEntries: [] };
}

export function listTargetsByRule(
  stores: Stores,
  ctx: CallContext,
  input: { Rule?: unknown; EventBusName?: unknown; NextToken?: unknown; Limit?: unknown },
): { Targets: Target[]; NextToken?: string } {
  const rule = stores.rule(ctx, input.Rule, input.EventBusName);
  const { page, NextToken } = paginate(rule.targets, input.NextToken, input.Limit);
  return { Targets: clone(page), ...(NextToken ? { NextToken } : {}) };
}

export function listRuleNamesByTarget(
  stores: Stores,
  ctx: CallContext,
  input: { TargetArn?: unknown; EventBusName?: unknown; NextToken?: unknown; Limit?: unknown },
): { RuleNames: string[]; NextToken?: string } {
  const arn = requiredString(input.TargetArn, 'TargetArn');
  const bus = stores.bus(ctx, input.EventBusName);
  const names = [...(stores.store(ctx.account, ctx.region).rules.get(bus.name)?.values() ?? [])]
    .filter((r) => r.targets.some((t) => t.Arn === arn))
    .map((r) => r.name)
    .sort();
  const { page, NextToken } = paginate(names, input.NextToken, input.Limit);
  return { RuleNames: page, ...(NextToken ? { NextToken } : {}) };
}

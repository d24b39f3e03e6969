/**
 * Rules: PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule and
 * TestEventPattern; a rule's pattern is compiled once, when it is put.
 */
import { validation } from './errors.js';
import { type CompiledPattern, compileEventPatternParameter, parseTestEvent } from './pattern.js';
import { optionalString, paginate, requiredString, tagMap } from './params.js';
import { isValidScheduleExpression } from './schedule.js';
import { DEFAULT_BUS, ENABLED_STATES, ruleArn, type RuleState, type Stores } from './stores.js';
import type { CallContext } from './types.js';

const RULE_STATES = new Set([...ENABLED_STATES, 'DISABLED']);
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

function ruleDescription(r: RuleState): Record<string, unknown> {
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

export function putRule(stores: Stores, ctx: CallContext, input: Record<string, unknown>, patternSizeQuota: number): { RuleArn: string } {
  const name = requiredString(input.Name, 'Name');
  if (!RULE_NAME.test(name)) throw validation(`Rule name ${name} is not valid.`);
  const bus = stores.bus(ctx, input.EventBusName);
  const eventPattern = optionalString(input.EventPattern, 'EventPattern');
  const scheduleExpression = optionalString(input.ScheduleExpression, 'ScheduleExpression');
  const state = optionalString(input.State, 'State') ?? 'ENABLED';
  if (eventPattern === undefined && scheduleExpression === undefined) throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
  if (!RULE_STATES.has(state)) throw validation(`Parameter State is not valid: ${state}`);
  const pattern: CompiledPattern | undefined = eventPattern === undefined ? undefined : compileEventPatternParameter(eventPattern, patternSizeQuota);
  if (scheduleExpression !== undefined) {
    if (bus.name !== DEFAULT_BUS) throw validation('ScheduleExpression is supported only on the default event bus.');
    if (!isValidScheduleExpression(scheduleExpression)) throw validation('Parameter ScheduleExpression is not valid.');
  }
  const s = stores.store(ctx.account, ctx.region);
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

export function describeRule(stores: Stores, ctx: CallContext, input: { Name?: unknown; EventBusName?: unknown }): Record<string, unknown> {
  const rule = stores.rule(ctx, input.Name, input.EventBusName);
  return { ...ruleDescription(rule), CreatedBy: rule.createdBy };
}

export function listRules(
  stores: Stores,
  ctx: CallContext,
  input: { NamePrefix?: unknown; EventBusName?: unknown; NextToken?: unknown; Limit?: unknown },
): { Rules: Array<Record<string, unknown>>; NextToken?: string } {
  const bus = stores.bus(ctx, input.EventBusName);
  const prefix = optionalString(input.NamePrefix, 'NamePrefix') ?? '';
  const rules = [...(stores.store(ctx.account, ctx.region).rules.get(bus.name)?.values() ?? [])].filter((r) => r.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
  const { page, NextToken } = paginate(rules, input.NextToken, input.Limit);
  return { Rules: page.map(ruleDescription), ...(NextToken ? { NextToken } : {}) };
}

export function deleteRule(stores: Stores, ctx: CallContext, input: { Name?: unknown; EventBusName?: unknown; Force?: unknown }): Record<string, never> {
  const name = requiredString(input.Name, 'Name');
  const busName = stores.busNameOf(ctx, input.EventBusName);
  const s = stores.store(ctx.account, ctx.region);
  const rule = s.rules.get(busName)?.get(name);
  if (!rule) return {}; // idempotent, like AWS
  if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
  s.rules.get(busName)!.delete(name);
  s.tags.delete(rule.arn);
  return {};
}

export function enableRule(stores: Stores, ctx: CallContext, input: { Name?: unknown; EventBusName?: unknown }): Record<string, never> {
  stores.rule(ctx, input.Name, input.EventBusName).state = 'ENABLED';
  return {};
}

export function disableRule(stores: Stores, ctx: CallContext, input: { Name?: unknown; EventBusName?: unknown }): Record<string, never> {
  stores.rule(ctx, input.Name, input.EventBusName).state = 'DISABLED';
  return {};
}

export function testEventPattern(input: { EventPattern?: unknown; Event?: unknown }, patternSizeQuota: number): { Result: boolean } {
  const compiled = compileEventPatternParameter(requiredString(input.EventPattern, 'EventPattern'), patternSizeQuota);
  return { Result: compiled.matches(parseTestEvent(requiredString(input.Event, 'Event'))) };
}

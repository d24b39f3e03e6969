// State machine operations: CreateStateMachine, DescribeStateMachine, ListStateMachines,
// UpdateStateMachine and DeleteStateMachine.
import { AwsError } from '../edge/types.js';
import { parseDefinition, prepareForRun } from './asl.js';
import { sfnErrors } from './errors.js';
import { findStateMachine } from './lookup.js';
import { decodePageToken, encodePageToken, pageSize } from './pagination.js';
import type { ModelState, StateMachineRecord } from './records.js';
import type { RequestContext, StateMachineType } from './types.js';
import { assertOpen, isValidName, requireString } from './validate.js';

const ROLE_ARN_RE = /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/;

export async function createStateMachine(model: ModelState, ctx: RequestContext, input: Record<string, unknown>): Promise<{ stateMachineArn: string; creationDate: Date }> {
  assertOpen(model);
  const name = requireString(input, 'name');
  const definition = requireString(input, 'definition');
  const roleArn = requireString(input, 'roleArn');
  const type = (input.type ?? 'STANDARD') as StateMachineType;
  if (!isValidName(name)) throw sfnErrors.invalidName(name);
  if (!ROLE_ARN_RE.test(roleArn)) throw sfnErrors.invalidArn(roleArn, 'Resource type not valid in this context');
  if (type !== 'STANDARD' && type !== 'EXPRESS')
    throw sfnErrors.validation(`1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`);
  const parsed = parseDefinition(definition);
  const arn = `arn:aws:states:${ctx.region}:${ctx.account}:stateMachine:${name}`;
  const existing = model.stateMachines.get(arn);
  if (existing) {
    if (existing.definition === definition && existing.roleArn === roleArn && existing.type === type) {
      return { stateMachineArn: arn, creationDate: new Date(existing.creationDate) };
    }
    throw sfnErrors.stateMachineAlreadyExists(arn);
  }
  const rec: StateMachineRecord = {
    account: ctx.account,
    region: ctx.region,
    name,
    arn,
    definition,
    parsed,
    prepared: prepareForRun(parsed),
    roleArn,
    type,
    creationDate: model.clock(),
  };
  model.stateMachines.set(arn, rec);
  return { stateMachineArn: arn, creationDate: new Date(rec.creationDate) };
}

export async function describeStateMachine(model: ModelState, ctx: RequestContext, input: Record<string, unknown>) {
  const sm = findStateMachine(model, ctx, requireString(input, 'stateMachineArn'));
  return {
    stateMachineArn: sm.arn,
    name: sm.name,
    status: 'ACTIVE',
    definition: sm.definition,
    roleArn: sm.roleArn,
    type: sm.type,
    creationDate: new Date(sm.creationDate),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

export async function listStateMachines(model: ModelState, ctx: RequestContext, input: Record<string, unknown>) {
  const all = [...model.stateMachines.values()].filter((sm) => sm.account === ctx.account && sm.region === ctx.region).sort((a, b) => a.name.localeCompare(b.name));
  const start = decodePageToken(input.nextToken as string | undefined);
  const size = pageSize(input.maxResults);
  const page = all.slice(start, start + size);
  return {
    stateMachines: page.map((sm) => ({ stateMachineArn: sm.arn, name: sm.name, type: sm.type, creationDate: new Date(sm.creationDate) })),
    nextToken: start + size < all.length ? encodePageToken(start + size) : undefined,
  };
}

export async function updateStateMachine(model: ModelState, ctx: RequestContext, input: Record<string, unknown>) {
  assertOpen(model);
  const sm = findStateMachine(model, ctx, requireString(input, 'stateMachineArn'));
  if (input.definition === undefined && input.roleArn === undefined) {
    throw new AwsError('MissingRequiredParameter', 'Either the definition or the roleArn must be specified');
  }
  if (input.definition !== undefined) {
    const definition = requireString(input, 'definition');
    const parsed = parseDefinition(definition);
    Object.assign(sm, { definition, parsed, prepared: prepareForRun(parsed) });
  }
  if (input.roleArn !== undefined) {
    const roleArn = requireString(input, 'roleArn');
    if (!ROLE_ARN_RE.test(roleArn)) throw sfnErrors.invalidArn(roleArn);
    sm.roleArn = roleArn;
  }
  sm.updateDate = model.clock();
  return { updateDate: new Date(sm.updateDate) };
}

/** Deletes at once; running executions carry on with the definition they started with. */
export async function deleteStateMachine(model: ModelState, ctx: RequestContext, input: Record<string, unknown>) {
  const sm = findStateMachine(model, ctx, requireString(input, 'stateMachineArn'));
  model.stateMachines.delete(sm.arn);
  return {};
}

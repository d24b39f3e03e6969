// ASL definitions: validation, what the model reads of them (tasks, timeouts, gated Maps), and the
// rewrite aws-local-stepfunctions runs so that it behaves like Step Functions.
import '../polyfills.js';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { AwsError } from '../edge/types.js';
import { MAX_SECONDS_FIELD } from './limits.js';
import { isDistributedMap, mapLabel, processorDefinition, rewriteDistributedMap, unsupportedDistributedFields } from './distributed-map.js';
import { gatedMapOf, isGatedMap, rewriteMapConcurrency } from './map-concurrency.js';

/**
 * What the model needs to know about an ASL definition, and the rewrite that lets
 * aws-local-stepfunctions run it with Step Functions' semantics where the library
 * falls short (see README.md, "How the library is driven").
 */

export type { JsonValue } from './types.js';
export type { DistributedMapInfo, IntegrationPattern, ParsedDefinition, ResourceInfo, StateInfo, TaskKind, TaskStateInfo } from './definition.js';
import type { DistributedMapInfo, IntegrationPattern, MachineDef, ParsedDefinition, ResourceInfo, StateDef, StateInfo, TaskKind, TaskStateInfo } from './definition.js';

/** Keys the rewrite adds to every Task's Parameters; the task handler unwraps them. */
export const WRAP = {
  input: '__sfnLocalInput',
  params: '__sfnLocalParameters',
  token: '__sfnLocalToken',
  timeout: '__sfnLocalTimeout',
  heartbeat: '__sfnLocalHeartbeat',
} as const;

/**
 * The library arms its own per-Task timer from TimeoutSeconds (60 s when unset).
 * The model runs task timeouts itself, so the library's timer is pushed to the
 * largest delay Node's setTimeout accepts (about 24.8 days).
 */
export const LIBRARY_TASK_TIMEOUT_SECONDS = 2_147_483;

/**
 * Fields the library would silently ignore, giving results AWS would not:
 * refused at creation instead (variables, distributed Map inputs and outputs).
 */
const UNSUPPORTED_FIELDS = [
  'Assign',
  'ItemReader',
  'ItemBatcher',
  'ResultWriter',
  'ToleratedFailurePercentage',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCount',
  'ToleratedFailureCountPath',
];
/** What a distributed Map may have that the model runs (distributed-map.ts). */
const DISTRIBUTED_FIELDS = new Set(['ItemBatcher', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ToleratedFailureCount', 'ToleratedFailureCountPath']);

function invalidDefinition(detail: string): AwsError {
  return new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${detail}'`);
}

function subMachines(state: StateDef): MachineDef[] {
  if (state.Type === 'Map') {
    const processor = (state.ItemProcessor ?? state.Iterator) as MachineDef | undefined;
    return processor ? [processor] : [];
  }
  if (state.Type === 'Parallel') return (state.Branches as MachineDef[] | undefined) ?? [];
  return [];
}

function walk(machine: MachineDef, enclosing: string[], visit: (name: string, state: StateDef, enclosing: string[]) => void): void {
  for (const [name, state] of Object.entries(machine.States ?? {})) {
    visit(name, state, enclosing);
    for (const sub of subMachines(state)) walk(sub, [...enclosing, name], visit);
  }
}

/**
 * Parses and validates a definition the way CreateStateMachine does: JSON first,
 * then the ASL schema and semantic checks of asl-validator (through the library's
 * constructor, so what is accepted is what the library can run).
 */
export function parseDefinition(definition: string): ParsedDefinition {
  let raw: MachineDef;
  try {
    raw = JSON.parse(definition) as MachineDef;
  } catch (err) {
    throw invalidDefinition(`INVALID_JSON_DESCRIPTION: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalidDefinition('SCHEMA_VALIDATION_FAILED: the definition must be a JSON object');
  try {
    new StateMachine(raw as unknown as StateMachineDefinition);
  } catch (err) {
    const text = (err as Error).message.replace(/^State machine definition is invalid, see error\(s\) below:\s*/, '').trim();
    throw invalidDefinition(text);
  }
  if (typeof raw.TimeoutSeconds === 'number' && raw.TimeoutSeconds > MAX_SECONDS_FIELD) {
    throw invalidDefinition(`SCHEMA_VALIDATION_FAILED: Maximum value is ${MAX_SECONDS_FIELD} at /TimeoutSeconds`);
  }
  const states = new Map<string, StateInfo>();
  const tasks = new Map<string, TaskStateInfo>();
  const gatedMaps = new Set<string>();
  const distributedMaps = new Map<string, DistributedMapInfo>();
  let jsonata = raw.QueryLanguage === 'JSONata';
  const unsupported = new Set<string>();
  walk(raw, [], (name, state, enclosing) => {
    states.set(name, { name, type: String(state.Type), definition: state, enclosing });
    if (state.QueryLanguage === 'JSONata') jsonata = true;
    const distributed = isDistributedMap(state);
    for (const field of UNSUPPORTED_FIELDS) if (field in state && !(distributed && DISTRIBUTED_FIELDS.has(field))) unsupported.add(`${field} (state '${name}')`);
    if (distributed) {
      for (const field of unsupportedDistributedFields(state)) unsupported.add(`${field} (state '${name}')`);
      if (unsupported.size === 0) {
        const { definition: processor, type } = processorDefinition(state);
        distributedMaps.set(name, { name, label: mapLabel(name, state), processor: parseDefinition(processor), definition: processor, executionType: type });
      }
    }
    if (state.Type === 'Task') tasks.set(name, { name, resource: String(state.Resource), definition: state, enclosing });
    if (
      isGatedMap(
        state,
        enclosing.some((n) => states.get(n)?.type === 'Map'),
      )
    )
      gatedMaps.add(name);
  });
  // The library only evaluates JSONPath: running a JSONata definition would silently give wrong results.
  if (jsonata) throw invalidDefinition('UNSUPPORTED_FEATURE: QueryLanguage JSONata is not supported by the local cloud (JSONPath only)');
  if (unsupported.size > 0) throw invalidDefinition(`UNSUPPORTED_FEATURE: not supported by the local cloud: ${[...unsupported].join(', ')}`);
  // The processor's states belong to the child machine.
  for (const name of distributedMaps.keys()) for (const [inner, info] of [...tasks]) if (info.enclosing.includes(name)) tasks.delete(inner);
  return { raw, states, tasks, timeoutSeconds: typeof raw.TimeoutSeconds === 'number' ? raw.TimeoutSeconds : undefined, gatedMaps, distributedMaps };
}

/** Replaces `"x.$": "$$.State.Name"` by the literal state name: the library has no `$$.State` in its context object. */
function inlineStateName(template: unknown, stateName: string): unknown {
  if (Array.isArray(template)) return template.map((v) => inlineStateName(v, stateName));
  if (!template || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && value === '$$.State.Name') out[key.slice(0, -2)] = stateName;
    else out[key] = inlineStateName(value, stateName);
  }
  return out;
}

/**
 * The copy of the definition handed to the library. Each Task's Parameters are
 * wrapped so the task handler also receives the effective input, the task token
 * and the values of TimeoutSecondsPath/HeartbeatSecondsPath (the library resolves
 * TimeoutSecondsPath against the Parameters output, not the state input).
 * Timeouts are then the model's job: the library's own timers are neutralised.
 */
export function prepareForRun(parsed: ParsedDefinition): StateMachineDefinition {
  const copy = structuredClone(parsed.raw);
  delete copy.TimeoutSeconds;
  walk(copy, [], (name, state) => {
    if (gatedMapOf(name) !== undefined) return;
    if (isDistributedMap(state)) {
      rewriteDistributedMap(state, LIBRARY_TASK_TIMEOUT_SECONDS);
      return;
    }
    if (state.Type === 'Task') {
      const wrapped: Record<string, unknown> = { [`${WRAP.input}.$`]: '$', [`${WRAP.token}.$`]: '$$.Task.Token' };
      if ('Parameters' in state) wrapped[WRAP.params] = inlineStateName(state.Parameters, name);
      if (typeof state.TimeoutSecondsPath === 'string') wrapped[`${WRAP.timeout}.$`] = state.TimeoutSecondsPath;
      if (typeof state.HeartbeatSecondsPath === 'string') wrapped[`${WRAP.heartbeat}.$`] = state.HeartbeatSecondsPath;
      state.Parameters = wrapped;
      delete state.TimeoutSecondsPath;
      delete state.HeartbeatSecondsPath;
      delete state.HeartbeatSeconds;
      state.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
    } else if (state.Type === 'Pass' && state.Parameters !== undefined) {
      state.Parameters = inlineStateName(state.Parameters, name);
    } else if (state.Type === 'Map') {
      if (state.ItemSelector !== undefined) state.ItemSelector = inlineStateName(state.ItemSelector, name);
      if (state.Parameters !== undefined) state.Parameters = inlineStateName(state.Parameters, name);
      rewriteMapConcurrency(name, state, parsed.gatedMaps.has(name), LIBRARY_TASK_TIMEOUT_SECONDS);
    }
  });
  return copy as unknown as StateMachineDefinition;
}

export function classifyResource(resource: string): ResourceInfo {
  if (/^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:/.test(resource)) {
    return { kind: 'lambda', pattern: 'request-response', resourceType: 'lambda', resourceName: resource };
  }
  const m = resource.match(/^arn:aws[\w-]*:states:::([^:]+):(.+)$/);
  if (!m) return { kind: 'other', pattern: 'request-response', resourceType: 'unknown', resourceName: resource };
  const [, service, rest] = m;
  let action = rest;
  let pattern: IntegrationPattern = 'request-response';
  if (action.endsWith('.waitForTaskToken')) {
    pattern = 'wait-for-task-token';
    action = action.slice(0, -'.waitForTaskToken'.length);
  } else if (action.endsWith('.sync:2')) {
    pattern = 'sync:2';
    action = action.slice(0, -'.sync:2'.length);
  } else if (action.endsWith('.sync')) {
    pattern = 'sync';
    action = action.slice(0, -'.sync'.length);
  }
  let kind: TaskKind = 'other';
  if (service === 'lambda' && action === 'invoke') kind = 'lambda:invoke';
  else if (service === 'states' && action === 'startExecution') kind = 'states:startExecution';
  return { kind, pattern, resourceType: service, resourceName: rest };
}

export { evalSimplePath } from './paths.js';

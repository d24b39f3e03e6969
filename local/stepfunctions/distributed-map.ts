// Distributed Map as AWS runs it: the items (or batches of items, ItemBatcher) each run as a child
// execution of the ItemProcessor, with its own history and quotas, listed by ListExecutions under the
// map run (`mapRunArn`); failures within ToleratedFailurePercentage / ToleratedFailureCount do not fail
// the state. aws-local-stepfunctions 3 validates these fields but runs every Map inline.
import { randomUUID } from 'node:crypto';
import { TaskFailure, StatesRuntimeFailure } from './errors.js';
import type { ExecutionRecord, Run } from './records.js';
import { MapRuns, type MapRun } from './map-runs.js';

export { MapRuns };
import type { JsonValue } from './types.js';
import { evalSimplePath } from './paths.js';

/** "Up to 10,000 parallel child workflow executions" (developer guide, "Distributed mode"). */
export const DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000;

/** The hidden Task the library runs in place of a distributed Map; the model runs the map. */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::local:distributed-map';

/** Keys of the hidden Task's Parameters, resolved by the library against the Map's effective input. */
const KEY = {
  items: '__sfnLocalItems',
  selector: '__sfnLocalSelector',
  perItem: '__sfnLocalPerItem',
  maxConcurrency: '__sfnLocalMaxConcurrency',
  maxItemsPerBatch: '__sfnLocalMaxItemsPerBatch',
  batchInput: '__sfnLocalBatchInput',
  toleratedPercentage: '__sfnLocalToleratedPercentage',
  toleratedCount: '__sfnLocalToleratedCount',
} as const;

type StateDef = Record<string, unknown> & { Type?: string };
export type Processor = { StartAt: string; States: Record<string, StateDef>; ProcessorConfig?: { Mode?: string; ExecutionType?: string } };

export function isDistributedMap(state: StateDef): boolean {
  const processor = (state.ItemProcessor ?? state.Iterator) as Processor | undefined;
  return state.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

/** The child machine's definition: the ItemProcessor without its ProcessorConfig. */
export function processorDefinition(state: StateDef): { definition: string; type: 'STANDARD' | 'EXPRESS' } {
  const { ProcessorConfig, ...processor } = (state.ItemProcessor ?? state.Iterator) as Processor;
  return { definition: JSON.stringify(processor), type: ProcessorConfig?.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD' };
}

/** The map run's label in ARNs: the Label field, or the state name with what ARNs refuse replaced. */
export function mapLabel(name: string, state: StateDef): string {
  return typeof state.Label === 'string' ? state.Label : name.replace(/[^\w-]/g, '-').slice(0, 40);
}

const mentionsItem = (v: unknown): boolean => JSON.stringify(v ?? null).includes('$$.Map.Item');

/**
 * What the local cloud cannot run of a distributed Map, for CreateStateMachine to refuse:
 * an ItemReader (no S3 locally), a ResultWriter, MaxInputBytesPerBatch, and `$$.Map.Item`
 * anywhere but as a plain path at the top level of ItemSelector.
 */
export function unsupportedDistributedFields(state: StateDef): string[] {
  const out: string[] = [];
  for (const field of ['ItemReader', 'ResultWriter']) if (field in state) out.push(field);
  const batcher = state.ItemBatcher as Record<string, unknown> | undefined;
  if (batcher && ('MaxInputBytesPerBatch' in batcher || 'MaxInputBytesPerBatchPath' in batcher)) out.push('ItemBatcher.MaxInputBytesPerBatch');
  if (batcher && mentionsItem(batcher.BatchInput)) out.push('$$.Map.Item in ItemBatcher.BatchInput');
  const selector = (state.ItemSelector ?? state.Parameters) as Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(selector ?? {})) {
    if (!mentionsItem(value)) continue;
    if (!key.endsWith('.$') || typeof value !== 'string' || !/^\$\$\.Map\.Item\.(Index$|Value($|[.[]))/.test(value)) out.push(`ItemSelector.${key}`);
  }
  return out;
}

/**
 * Rewrites a distributed Map of the copy the library runs into a Task whose handler is the model's
 * (see `runDistributedMap`). What the library can resolve once (ItemsPath, the ItemSelector fields
 * that do not depend on the item, MaxConcurrencyPath, BatchInput, the tolerance paths) goes in its
 * Parameters; Retry, Catch, ResultSelector, ResultPath, OutputPath and InputPath stay on it.
 */
export function rewriteDistributedMap(state: StateDef, timeoutSeconds: number): void {
  const selector = (state.ItemSelector ?? state.Parameters) as Record<string, unknown> | undefined;
  const fixed: Record<string, unknown> = {};
  const perItem: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(selector ?? {})) (mentionsItem(value) ? perItem : fixed)[key] = value;
  const params: Record<string, unknown> = { [`${KEY.items}.$`]: typeof state.ItemsPath === 'string' ? state.ItemsPath : '$' };
  if (selector) {
    params[KEY.selector] = fixed;
    // A string, so the library leaves the per-item paths alone.
    params[KEY.perItem] = JSON.stringify(perItem);
  }
  const copy = (field: string, key: string, from: Record<string, unknown> = state) => {
    if (`${field}Path` in from) params[`${key}.$`] = from[`${field}Path`];
    else if (field in from) params[key] = from[field];
  };
  copy('MaxConcurrency', KEY.maxConcurrency);
  copy('ToleratedFailurePercentage', KEY.toleratedPercentage);
  copy('ToleratedFailureCount', KEY.toleratedCount);
  const batcher = state.ItemBatcher as Record<string, unknown> | undefined;
  if (batcher) {
    copy('MaxItemsPerBatch', KEY.maxItemsPerBatch, batcher);
    if ('BatchInput' in batcher) params[KEY.batchInput] = batcher.BatchInput;
    if (!(KEY.maxItemsPerBatch in params) && !(`${KEY.maxItemsPerBatch}.$` in params)) params[KEY.maxItemsPerBatch] = 0;
  }
  for (const field of [
    'ItemProcessor',
    'Iterator',
    'ItemSelector',
    'Parameters',
    'ItemsPath',
    'MaxConcurrency',
    'MaxConcurrencyPath',
    'ItemBatcher',
    'ToleratedFailurePercentage',
    'ToleratedFailurePercentagePath',
    'ToleratedFailureCount',
    'ToleratedFailureCountPath',
    'Label',
  ])
    delete state[field];
  state.Type = 'Task';
  state.Resource = DISTRIBUTED_MAP_RESOURCE;
  state.Parameters = params;
  state.TimeoutSeconds = timeoutSeconds;
}

/** The item's input: the ItemSelector's fixed fields with its `$$.Map.Item` paths resolved. */
function selectItem(fixed: Record<string, JsonValue>, perItem: Record<string, string>, item: JsonValue, index: number): JsonValue {
  const out: Record<string, JsonValue> = { ...fixed };
  for (const [key, path] of Object.entries(perItem)) {
    const value = path === '$$.Map.Item.Index' ? index : evalSimplePath(`$${path.slice('$$.Map.Item.Value'.length)}`, item);
    if (value === undefined) throw new StatesRuntimeFailure(`The JSONPath '${path}' specified for the field '${key}' could not be found in the input '${JSON.stringify(item)}'`);
    out[key.slice(0, -2)] = value as JsonValue;
  }
  return out;
}

function whole(value: JsonValue | undefined, field: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (field !== 'ToleratedFailurePercentage' && !Number.isInteger(value))) {
    throw new StatesRuntimeFailure(`The value for the field '${field}' must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Starts a child of a map run: an execution of the ItemProcessor (engine.ts). */
export type StartMapChild = (mapRunArn: string, name: string, input: JsonValue) => Promise<ExecutionRecord>;

export interface DistributedMapContext {
  run: Run;
  stateName: string;
  label: string;
  /** Appends a history event of the parent. */
  append: (type: string, detailsKey?: string, details?: Record<string, unknown>) => void;
  startChild: StartMapChild;
  stopChild: (child: ExecutionRecord) => void;
}

/**
 * The hidden Task's handler: selects and batches the items, runs each as a child execution with at
 * most MaxConcurrency at once, and resolves with their outputs in order (a failed child's entry is its
 * `{Error, Cause}`), or fails with `States.ExceedToleratedFailureThreshold` once more children failed
 * than tolerated (the others are then stopped).
 */
export async function runDistributedMap(ctx: DistributedMapContext, wrapped: Record<string, JsonValue>): Promise<JsonValue> {
  const { run, stateName } = ctx;
  await ctx.run.mapRuns.arrive(stateName);
  if (run.ended) throw new StatesRuntimeFailure('Execution ended');
  const items = wrapped[KEY.items];
  if (!Array.isArray(items)) throw new StatesRuntimeFailure('Items of a Map state must be an array: the input or ItemsPath does not select one');
  const fixed = (wrapped[KEY.selector] ?? undefined) as Record<string, JsonValue> | undefined;
  const perItem = typeof wrapped[KEY.perItem] === 'string' ? (JSON.parse(wrapped[KEY.perItem] as string) as Record<string, string>) : {};
  const selected = items.map((item, index) => (fixed ? selectItem(fixed, perItem, item, index) : item));
  const perBatch = whole(wrapped[KEY.maxItemsPerBatch], 'MaxItemsPerBatch', 0, 100_000_000);
  const inputs: JsonValue[] = [];
  if (perBatch === undefined) inputs.push(...selected);
  else {
    const size = perBatch === 0 ? selected.length || 1 : perBatch;
    const batchInput = wrapped[KEY.batchInput];
    for (let i = 0; i < selected.length; i += size) inputs.push({ Items: selected.slice(i, i + size), ...(batchInput !== undefined ? { BatchInput: batchInput } : {}) });
  }
  const concurrency = whole(wrapped[KEY.maxConcurrency], 'MaxConcurrency', 0, DISTRIBUTED_MAP_MAX_CONCURRENCY) || DISTRIBUTED_MAP_MAX_CONCURRENCY;
  const percentage = whole(wrapped[KEY.toleratedPercentage], 'ToleratedFailurePercentage', 0, 100) ?? 0;
  const count = whole(wrapped[KEY.toleratedCount], 'ToleratedFailureCount', 0, 100_000_000) ?? 0;
  const exceeded = (failed: number) => failed > count && (inputs.length === 0 || (failed / inputs.length) * 100 > percentage);

  const { rec } = run;
  const mapRun: MapRun<ExecutionRecord> = { mapRunArn: `arn:aws:states:${rec.region}:${rec.account}:mapRun:${rec.stateMachineName}/${ctx.label}:${randomUUID()}`, children: new Set() };
  run.mapRuns.open.add(mapRun);
  ctx.append('MapRunStarted', 'mapRunStartedEventDetails', { mapRunArn: mapRun.mapRunArn });
  const results: JsonValue[] = new Array(inputs.length).fill(null);
  let failed = 0;
  let next = 0;
  let failure: Error | undefined;
  const worker = async () => {
    while (next < inputs.length && !failure && !run.ended) {
      const index = next++;
      const child = await ctx.startChild(mapRun.mapRunArn, randomUUID(), inputs[index]);
      mapRun.children.add(child);
      await child.finished;
      if (child.status === 'SUCCEEDED') results[index] = child.output === undefined ? null : (JSON.parse(child.output) as JsonValue);
      else {
        failed++;
        results[index] = { Error: child.error ?? `States.${child.status}`, Cause: child.cause ?? null };
        if (exceeded(failed) && !failure) {
          failure = new TaskFailure(
            'States.ExceedToleratedFailureThreshold',
            `The number of failed items (${failed} of ${inputs.length}) exceeded the tolerated failure threshold for Map Run '${mapRun.mapRunArn}'`,
          );
          // The map run fails: AWS stops the children still running.
          for (const other of mapRun.children) if (other.status === 'RUNNING') ctx.stopChild(other);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  } finally {
    run.mapRuns.open.delete(mapRun);
  }
  if (run.ended) throw new StatesRuntimeFailure('Execution ended');
  if (failure) {
    ctx.append('MapRunFailed', 'mapRunFailedEventDetails', { error: failure.name, cause: failure.message });
    throw failure;
  }
  ctx.append('MapRunSucceeded');
  return results;
}

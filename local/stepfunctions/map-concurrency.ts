// Inline Map concurrency as AWS runs it: at most 40 iterations at once, whatever MaxConcurrency or
// MaxConcurrencyPath says (0 = "no limit" = 40). The rewrite caps literal values; a gate caps path values.
import type { JsonValue } from './types.js';
import { TaskAbandoned } from './errors.js';

/**
 * "In this mode [Inline], the Map state supports up to 40 concurrent iterations" (developer guide,
 * "Using Map state in Inline mode"). aws-local-stepfunctions 3 runs `MaxConcurrency || 40` iterations,
 * so a MaxConcurrency of 100 would run 100 at once.
 */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

/** Keys of the item the gate receives (see {@link installMapGate}). */
const GATE = { item: '__sfnLocalItem', id: '__sfnLocalIteration', index: '__sfnLocalIndex' } as const;
const GATE_PREFIX = '__sfnLocalMapSlot:';

type StateDef = Record<string, unknown> & { Type?: string };
type Processor = { StartAt: string; States: Record<string, StateDef>; ProcessorConfig?: { Mode?: string } };

/** The hidden first state of a gated Map's iterations. */
export function gateStateName(mapName: string): string {
  return `${GATE_PREFIX}${mapName}`;
}

/** The Map a gate state belongs to, or undefined for any other state. */
export function gatedMapOf(stateName: string): string | undefined {
  return stateName.startsWith(GATE_PREFIX) ? stateName.slice(GATE_PREFIX.length) : undefined;
}

function cap(value: number): number {
  return value === 0 ? INLINE_MAP_MAX_CONCURRENCY : Math.min(value, INLINE_MAP_MAX_CONCURRENCY);
}

/**
 * Whether a Map's iterations go through a gate: an inline Map whose limit comes from MaxConcurrencyPath
 * (only known at run time). A Map inside another Map's iterations runs once per outer iteration,
 * concurrently, and is not gated (see README, "Limitations"). Distributed Maps are left alone: AWS runs
 * them as child executions, up to 10,000 at once.
 */
export function isGatedMap(state: StateDef, insideMap: boolean): boolean {
  const processor = (state.ItemProcessor ?? state.Iterator) as Processor | undefined;
  return state.Type === 'Map' && !insideMap && typeof state.MaxConcurrencyPath === 'string' && processor?.ProcessorConfig?.Mode !== 'DISTRIBUTED';
}

/**
 * Rewrites one Map of the copy the library runs. A literal MaxConcurrency of an inline Map is capped in
 * place. A gated Map's iterations first go through a hidden Task (the gate) that waits for one of the
 * Map's slots; the model hides that state from the history and reports MapIterationStarted when the slot
 * is granted. The gate receives the item (or the ItemSelector output), its index and a unique id.
 */
export function rewriteMapConcurrency(name: string, state: StateDef, gated: boolean, gateTimeoutSeconds: number): void {
  const processor = (state.ItemProcessor ?? state.Iterator) as Processor | undefined;
  if (!processor || processor.ProcessorConfig?.Mode === 'DISTRIBUTED') return;
  if (typeof state.MaxConcurrency === 'number') state.MaxConcurrency = cap(state.MaxConcurrency);
  if (!gated) return;
  const selector = state.ItemSelector ?? state.Parameters;
  state.ItemSelector = {
    ...(selector === undefined ? { [`${GATE.item}.$`]: '$$.Map.Item.Value' } : { [GATE.item]: selector }),
    [`${GATE.index}.$`]: '$$.Map.Item.Index',
    [`${GATE.id}.$`]: 'States.UUID()',
  };
  delete state.Parameters;
  const gate = gateStateName(name);
  processor.States = {
    [gate]: { Type: 'Task', Resource: 'arn:aws:states:::local:map-slot', TimeoutSeconds: gateTimeoutSeconds, Next: processor.StartAt },
    ...processor.States,
  };
  processor.StartAt = gate;
}

interface Waiter {
  id: string;
  index: number;
  item: JsonValue;
  resolve: (item: JsonValue) => void;
  reject: (err: Error) => void;
}

interface Slots {
  limit: number;
  active: number;
  queue: Waiter[];
  /** Between the Map's StateEntered and its StateExited/StateFailed. */
  open: boolean;
}

/**
 * The slots of the gated Maps of one execution. `enter` is the gate's task handler; the other methods
 * follow the library's event log, in order, so grants are written after MapStateStarted.
 */
export class MapGates {
  private readonly slots = new Map<string, Slots>();
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly onGrant: (mapName: string, index: number) => void) {}

  private of(mapName: string): Slots {
    let s = this.slots.get(mapName);
    if (!s) {
      s = { limit: INLINE_MAP_MAX_CONCURRENCY, active: 0, queue: [], open: false };
      this.slots.set(mapName, s);
    }
    return s;
  }

  /** The gate's task handler: resolves with the iteration's real input once a slot is granted. */
  enter(wrapped: unknown): Promise<JsonValue> {
    const w = (wrapped ?? {}) as Record<string, JsonValue>;
    return new Promise<JsonValue>((resolve, reject) => {
      const id = String(w[GATE.id]);
      this.waiters.set(id, { id, index: Number(w[GATE.index]), item: w[GATE.item] ?? null, resolve, reject });
    });
  }

  /** StateEntered of a gated Map, with the value its MaxConcurrencyPath selects from the effective input. */
  mapEntered(mapName: string, value: unknown): void {
    const s = this.of(mapName);
    s.limit = typeof value === 'number' && Number.isInteger(value) && value >= 0 ? cap(value) : INLINE_MAP_MAX_CONCURRENCY;
    s.active = 0;
    s.open = true;
  }

  /** StateEntered of a gate state: the iteration queues for a slot. */
  gateEntered(mapName: string, input: unknown): void {
    const id = String((input as Record<string, unknown> | null)?.[GATE.id]);
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    const s = this.of(mapName);
    // A late event of an iteration the library aborted when the Map failed.
    if (!s.open) return this.drop(waiter, `Map state '${mapName}' failed`);
    s.queue.push(waiter);
    this.pump(mapName);
  }

  /** MapIterationSucceeded / MapIterationFailed: the iteration gives its slot back. */
  iterationEnded(mapName: string): void {
    const s = this.slots.get(mapName);
    if (!s) return;
    s.active = Math.max(0, s.active - 1);
    this.pump(mapName);
  }

  /** The Map state exited, or failed (the library then aborts its iterations): let go of those still queued. */
  mapEnded(mapName: string): void {
    const s = this.slots.get(mapName);
    if (!s) return;
    for (const w of s.queue.splice(0)) this.drop(w, `Map state '${mapName}' failed`);
    s.active = 0;
    s.open = false;
  }

  /** The execution ended: every pending gate settles, so the library's task timers are cleared. */
  close(reason: string): void {
    for (const s of this.slots.values()) s.queue.length = 0;
    this.slots.clear();
    for (const w of [...this.waiters.values()]) this.drop(w, reason);
  }

  private pump(mapName: string): void {
    const s = this.of(mapName);
    while (s.active < s.limit && s.queue.length > 0) {
      const w = s.queue.shift()!;
      s.active += 1;
      this.waiters.delete(w.id);
      this.onGrant(mapName, w.index);
      w.resolve(w.item);
    }
  }

  private drop(w: Waiter, reason: string): void {
    this.waiters.delete(w.id);
    w.reject(new TaskAbandoned(reason));
  }
}

/**
 * Matching compiled event patterns against events, the way aws/event-ruler (the library
 * behind EventBridge) does it: both sides are flattened to dot-joined field paths.
 */
import { type CidrBlock, inCidr } from './ip.js';

export type JsonScalar = string | number | boolean | null;

/** One entry of a field's value array: a literal or a match expression. */
export type Matcher =
  | { kind: 'exact'; value: JsonScalar }
  | { kind: 'prefix'; value: string; ignoreCase: boolean }
  | { kind: 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; source: string; regex: RegExp }
  | { kind: 'numeric'; lower?: { value: number; inclusive: boolean }; upper?: { value: number; inclusive: boolean } }
  | { kind: 'exists'; value: boolean }
  | { kind: 'cidr'; source: string; block: CidrBlock }
  | { kind: 'anything-but'; test: AnythingBut };

export type AnythingBut =
  { op: 'values'; strings: Set<string>; numbers: number[] } | { op: 'prefix' | 'suffix' | 'equals-ignore-case'; values: string[] } | { op: 'wildcard'; sources: string[]; values: RegExp[] };

/**
 * One alternative of a pattern once its `$or`s are expanded: the fields to match, by
 * dot-joined path, in path order (the order event-ruler steps through them).
 */
export type SubRule = ReadonlyArray<readonly [path: string, matchers: readonly Matcher[]]>;

/** A leaf value of the event and, for each array it sits in an object or array element of, that element's index. */
interface FlatValue {
  value: JsonScalar;
  membership: ReadonlyArray<readonly [arrayId: number, index: number]>;
}

export type FlatEvent = Map<string, FlatValue[]>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * event-ruler's flattening: nested keys are joined with '.', so `{"a": {"b": 1}}` and
 * `{"a.b": 1}` both give the field "a.b". Array elements that are objects or arrays record
 * their index (array consistency); scalar elements are just more values of the field.
 */
export function flattenEvent(event: Record<string, unknown>): FlatEvent {
  const out: FlatEvent = new Map();
  let arrays = 0;
  const add = (path: string, value: JsonScalar, membership: FlatValue['membership']) => {
    let list = out.get(path);
    if (!list) out.set(path, (list = []));
    list.push({ value, membership });
  };
  const walk = (v: unknown, path: string, membership: FlatValue['membership']): void => {
    if (Array.isArray(v)) {
      const id = arrays++;
      v.forEach((element, index) => {
        if (typeof element === 'object' && element !== null) walk(element, path, [...membership, [id, index]]);
        else if (element !== undefined) add(path, element as JsonScalar, membership);
      });
    } else if (isPlainObject(v)) {
      for (const [key, child] of Object.entries(v)) walk(child, path === '' ? key : `${path}.${key}`, membership);
    } else if (v !== undefined && path !== '') {
      add(path, v as JsonScalar, membership);
    }
  };
  walk(event, '', []);
  return out;
}

function lower(s: string): string {
  return s.toLowerCase();
}

/** Does the value satisfy the matcher? (`exists` is decided by the caller.) */
export function matchValue(m: Matcher, v: JsonScalar): boolean {
  switch (m.kind) {
    case 'exact':
      return v === m.value;
    case 'prefix':
      return typeof v === 'string' && (m.ignoreCase ? lower(v).startsWith(lower(m.value)) : v.startsWith(m.value));
    case 'suffix':
      return typeof v === 'string' && (m.ignoreCase ? lower(v).endsWith(lower(m.value)) : v.endsWith(m.value));
    case 'equals-ignore-case':
      return typeof v === 'string' && lower(v) === lower(m.value);
    case 'wildcard':
      return typeof v === 'string' && m.regex.test(v);
    case 'numeric': {
      if (typeof v !== 'number') return false;
      if (m.lower && (m.lower.inclusive ? v < m.lower.value : v <= m.lower.value)) return false;
      if (m.upper && (m.upper.inclusive ? v > m.upper.value : v >= m.upper.value)) return false;
      return true;
    }
    case 'exists':
      return m.value;
    case 'cidr':
      return typeof v === 'string' && inCidr(m.block, v);
    case 'anything-but':
      return !excluded(m.test, v);
  }
}

/** True when the value is one of those anything-but excludes. A value of another type is never excluded. */
function excluded(t: AnythingBut, v: JsonScalar): boolean {
  if (t.op === 'values') return typeof v === 'string' ? t.strings.has(v) : typeof v === 'number' && t.numbers.includes(v);
  if (typeof v !== 'string') return false;
  switch (t.op) {
    case 'prefix':
      return t.values.some((p) => v.startsWith(p));
    case 'suffix':
      return t.values.some((s) => v.endsWith(s));
    case 'equals-ignore-case':
      return t.values.some((s) => lower(s) === lower(v));
    case 'wildcard':
      return t.values.some((r) => r.test(v));
  }
}

/** event-ruler's ArrayMembership.checkArrayConsistency: the merged membership, or undefined when they conflict. */
function consistent(soFar: ReadonlyMap<number, number>, field: FlatValue['membership']): ReadonlyMap<number, number> | undefined {
  let merged: Map<number, number> | undefined;
  for (const [array, index] of field) {
    const seen = soFar.get(array);
    if (seen === undefined) (merged ??= new Map(soFar)).set(array, index);
    else if (seen !== index) return undefined;
  }
  return merged ?? soFar;
}

/**
 * Every field must match one of its values, and all the values chosen must be
 * array-consistent (come from the same element of any array they share). `exists: false`
 * holds when no value of the field is consistent with the choices made so far.
 */
export function matchSubRule(rule: SubRule, flat: FlatEvent): boolean {
  const step = (i: number, soFar: ReadonlyMap<number, number>): boolean => {
    if (i === rule.length) return true;
    const [path, matchers] = rule[i];
    const values = flat.get(path) ?? [];
    let anyConsistent = false;
    for (const fv of values) {
      const merged = consistent(soFar, fv.membership);
      if (merged === undefined) continue;
      anyConsistent = true;
      if (matchers.some((m) => matchValue(m, fv.value)) && step(i + 1, merged)) return true;
    }
    const absentOk = !anyConsistent && matchers.some((m) => m.kind === 'exists' && !m.value);
    return absentOk && step(i + 1, soFar);
  };
  return step(0, new Map());
}

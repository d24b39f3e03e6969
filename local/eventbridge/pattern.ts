/**
 * EventBridge event-pattern matcher, written from the content-filtering
 * chapter of the EventBridge user guide (operator table, null/empty-string and
 * array pages). Where the guide is silent, the behaviour follows aws/event-ruler,
 * the open-source matching library behind EventBridge.
 *
 * A pattern is compiled once (validating it: an invalid pattern raises
 * `InvalidEventPatternException`, as PutRule and TestEventPattern do) and then
 * matched against parsed events.
 */
import { AwsError } from '../edge/types.js';

type JsonScalar = string | number | boolean | null;

/** One entry of a field's value array: a literal or a match expression. */
export type Matcher =
  | { kind: 'exact'; value: JsonScalar }
  | { kind: 'prefix'; value: string; ignoreCase: boolean }
  | { kind: 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; source: string; regex: RegExp }
  | { kind: 'numeric'; lower?: { value: number; inclusive: boolean }; upper?: { value: number; inclusive: boolean } }
  | { kind: 'exists'; value: boolean }
  | { kind: 'cidr'; source: string; version: 4 | 6; network: bigint; mask: bigint }
  | { kind: 'anything-but'; test: AnythingBut };

type AnythingBut =
  | { op: 'values'; strings: Set<string>; numbers: number[] }
  | { op: 'prefix' | 'suffix' | 'equals-ignore-case'; values: string[] }
  | { op: 'wildcard'; values: RegExp[] };

/** A compiled object level: its fields (AND) and its `$or` groups (each an OR of sub-levels). */
export interface PatternNode {
  fields: Array<[string, Matcher[] | PatternNode]>;
  ors: PatternNode[][];
}

/** A validated pattern, ready to match events. */
export class CompiledPattern {
  constructor(
    /** The pattern's JSON text, as given. */
    readonly source: string,
    readonly root: PatternNode,
  ) {}

  matches(event: unknown): boolean {
    return isPlainObject(event) && matchNode(this.root, event);
  }
}

/** The guide: "throws InvalidEventPatternException if the use of $or results in over 1000 rule combinations". */
const MAX_OR_COMBINATIONS = 1000;
/** PutRule/TestEventPattern: EventPattern length constraint. */
export const MAX_PATTERN_LENGTH = 4096;

/** event-ruler reserves these names inside `$or` objects. */
const RESERVED_IN_OR = new Set([
  'exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr',
  '=', '<', '<=', '>', '>=',
]);

function invalid(message: string): AwsError {
  return new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates and compiles a pattern given as JSON text or as an object.
 * @throws AwsError InvalidEventPatternException
 */
export function compilePattern(pattern: string | object): CompiledPattern {
  let source: string;
  let parsed: unknown;
  if (typeof pattern === 'string') {
    source = pattern;
    try {
      parsed = JSON.parse(pattern);
    } catch (err) {
      throw invalid(`malformed JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  } else {
    parsed = pattern;
    source = JSON.stringify(pattern);
  }
  if (!isPlainObject(parsed)) throw invalid('Filter is not an object');
  const root = compileNode(parsed, false);
  const combinations = countCombinations(root);
  if (combinations > MAX_OR_COMBINATIONS) throw invalid(`$or results in ${combinations} rule combinations, over the limit of ${MAX_OR_COMBINATIONS}`);
  return new CompiledPattern(source, root);
}

/** Returns undefined when the pattern is valid, otherwise the reason. */
export function checkPattern(pattern: string | object): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function countCombinations(node: PatternNode): number {
  let total = 1;
  for (const [, spec] of node.fields) if (!Array.isArray(spec)) total *= countCombinations(spec);
  for (const group of node.ors) total *= group.reduce((sum, alt) => sum + countCombinations(alt), 0);
  return total;
}

function compileNode(obj: Record<string, unknown>, insideOr: boolean): PatternNode {
  const keys = Object.keys(obj);
  if (keys.length === 0) throw invalid('Empty objects are not allowed');
  const node: PatternNode = { fields: [], ors: [] };
  for (const key of keys) {
    const value = obj[key];
    if (key === '$or') {
      node.ors.push(compileOr(value));
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) throw invalid(`${key} is a reserved field name which cannot be used inside $or`);
    if (Array.isArray(value)) node.fields.push([key, compileValues(key, value)]);
    else if (isPlainObject(value)) node.fields.push([key, compileNode(value, insideOr)]);
    else throw invalid(`"${key}" must be an object or an array`);
  }
  return node;
}

function compileOr(value: unknown): PatternNode[] {
  if (!Array.isArray(value)) throw invalid('$or must be followed by an array');
  if (value.length < 2) throw invalid('There must be at least 2 objects in $or');
  return value.map((alt) => {
    if (!isPlainObject(alt)) throw invalid('Only JSON objects are allowed in the $or array');
    return compileNode(alt, true);
  });
}

function compileValues(key: string, values: unknown[]): Matcher[] {
  if (values.length === 0) throw invalid(`Empty arrays are not allowed ("${key}")`);
  return values.map((v) => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return { kind: 'exact', value: v };
    if (typeof v === 'number') return { kind: 'exact', value: v };
    if (isPlainObject(v)) return compileExpression(v);
    throw invalid(`Match value must be String, number, true, false, null or a match expression ("${key}")`);
  });
}

function onlyKey(expr: Record<string, unknown>): [string, unknown] {
  const keys = Object.keys(expr);
  if (keys.length === 0) throw invalid('Match expression name not found');
  if (keys.length > 1) throw invalid('Only one key allowed in match expression');
  return [keys[0], expr[keys[0]]];
}

function requireString(op: string, v: unknown): string {
  if (typeof v !== 'string') throw invalid(`${op} match pattern must be a string`);
  return v;
}

function compileExpression(expr: Record<string, unknown>): Matcher {
  const [op, arg] = onlyKey(expr);
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (isPlainObject(arg)) {
        const [inner, value] = onlyKey(arg);
        if (inner !== 'equals-ignore-case') throw invalid(`Unsupported ${op} pattern: ${inner}`);
        return { kind: op, value: requireString('equals-ignore-case', value), ignoreCase: true };
      }
      return { kind: op, value: requireString(op, arg), ignoreCase: false };
    }
    case 'equals-ignore-case':
      return { kind: 'equals-ignore-case', value: requireString(op, arg) };
    case 'wildcard': {
      const source = requireString(op, arg);
      return { kind: 'wildcard', source, regex: wildcardToRegex(source) };
    }
    case 'numeric':
      return compileNumeric(arg);
    case 'exists':
      if (typeof arg !== 'boolean') throw invalid('exists match pattern must be either true or false');
      return { kind: 'exists', value: arg };
    case 'cidr':
      return compileCidr(requireString(op, arg));
    case 'anything-but':
      return { kind: 'anything-but', test: compileAnythingBut(arg) };
    default:
      throw invalid(`Unrecognized match type ${op}`);
  }
}

function compileAnythingBut(arg: unknown): AnythingBut {
  if (isPlainObject(arg)) {
    const [inner, value] = onlyKey(arg);
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) throw invalid(`Empty arrays are not allowed in anything-but/${inner}`);
    const strings = list.map((s) => {
      if (typeof s !== 'string') throw invalid(`anything-but/${inner} values must be strings`);
      return s;
    });
    switch (inner) {
      case 'prefix':
      case 'suffix':
        if (strings.some((s) => s === '')) throw invalid('Null prefix/suffix not allowed');
        return { op: inner, values: strings };
      case 'equals-ignore-case':
        return { op: inner, values: strings };
      case 'wildcard':
        return { op: 'wildcard', values: strings.map(wildcardToRegex) };
      default:
        throw invalid(`Unsupported anything-but pattern: ${inner}`);
    }
  }
  const list = Array.isArray(arg) ? arg : [arg];
  const strings = list.filter((v): v is string => typeof v === 'string');
  const numbers = list.filter((v): v is number => typeof v === 'number');
  if (strings.length + numbers.length !== list.length) throw invalid('Inside anything-but, only strings and numbers are supported');
  if (list.length === 0 || (strings.length > 0 && numbers.length > 0)) {
    throw invalid('Inside anything but list, either all values are number or string, mixed type is not supported');
  }
  return { op: 'values', strings: new Set(strings), numbers };
}

function compileNumeric(arg: unknown): Matcher {
  if (!Array.isArray(arg)) throw invalid('Value of numeric must be an array');
  const num = (i: number, op: string): number => {
    const v = arg[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`Value of ${op} must be numeric`);
    return v;
  };
  const op = arg[0];
  if (typeof op !== 'string') throw invalid(`Invalid member in numeric match: ${JSON.stringify(op)}`);
  const matcher: Extract<Matcher, { kind: 'numeric' }> = { kind: 'numeric' };
  let next = 2;
  switch (op) {
    case '=': {
      const v = num(1, op);
      matcher.lower = { value: v, inclusive: true };
      matcher.upper = { value: v, inclusive: true };
      break;
    }
    case '<':
    case '<=':
      matcher.upper = { value: num(1, op), inclusive: op === '<=' };
      break;
    case '>':
    case '>=': {
      matcher.lower = { value: num(1, op), inclusive: op === '>=' };
      if (arg.length > 2) {
        const top = arg[2];
        if (top !== '<' && top !== '<=') throw invalid(`Bad numeric range operator: ${JSON.stringify(top)}`);
        matcher.upper = { value: num(3, top), inclusive: top === '<=' };
        if (matcher.upper.value <= matcher.lower.value) throw invalid('Bottom must be less than top');
        next = 4;
      }
      break;
    }
    default:
      throw invalid(`Unrecognized numeric range operator: ${op}`);
  }
  if (arg.length > next) throw invalid('Too many elements in numeric expression');
  return matcher;
}

/**
 * `*` matches any run of characters (including none); `\*` is a literal asterisk
 * and `\\` a literal backslash. Consecutive wildcards and other escapes are invalid.
 */
function wildcardToRegex(source: string): RegExp {
  let out = '';
  let previousWasWildcard = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      const escaped = source[i + 1];
      if (escaped !== '*' && escaped !== '\\') throw invalid(`Invalid wildcard pattern "${source}": a backslash may only escape * or \\`);
      out += `\\${escaped}`;
      i++;
      previousWasWildcard = false;
    } else if (ch === '*') {
      if (previousWasWildcard) throw invalid(`Invalid wildcard pattern "${source}": consecutive wildcard characters are not allowed`);
      out += '.*';
      previousWasWildcard = true;
    } else {
      out += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      previousWasWildcard = false;
    }
  }
  return new RegExp(`^${out}$`, 's');
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const words: number[] = [];
  const pushGroups = (list: string[], target: number[]): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i];
      if (g.includes('.') && i === list.length - 1) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return false;
        target.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        target.push(parseInt(g, 16));
      } else {
        return false;
      }
    }
    return true;
  };
  const tailWords: number[] = [];
  if (!pushGroups(head, words) || !pushGroups(tail, tailWords)) return undefined;
  const missing = 8 - words.length - tailWords.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...words, ...new Array<number>(missing).fill(0), ...tailWords];
  return all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

function compileCidr(source: string): Matcher {
  const [addr, bitsText, extra] = source.split('/');
  const ip = parseIp(addr);
  const width = ip?.version === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!ip || extra !== undefined || !/^\d+$/.test(bitsText ?? String(width)) || bits > width) throw invalid(`Malformed CIDR: ${source}`);
  const full = (1n << BigInt(width)) - 1n;
  const mask = bits === 0 ? 0n : (full << BigInt(width - bits)) & full;
  return { kind: 'cidr', source, version: ip.version, network: ip.value & mask, mask };
}

// ---------------------------------------------------------------------------
// Matching

/** Leaf values at a path: arrays are flattened ("crushed"), objects are not leaves. */
function leafValues(v: unknown, out: JsonScalar[] = []): JsonScalar[] {
  if (v === undefined) return out;
  if (Array.isArray(v)) for (const item of v) leafValues(item, out);
  else if (!isPlainObject(v)) out.push(v as JsonScalar);
  return out;
}

/** Objects at a path: an array of objects is matched element by element. */
function objectValues(v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(v)) for (const item of v) objectValues(item, out);
  else if (isPlainObject(v)) out.push(v);
  return out;
}

function lower(s: string): string {
  return s.toLowerCase();
}

function matchOne(m: Matcher, v: JsonScalar): boolean {
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
    case 'cidr': {
      if (typeof v !== 'string') return false;
      const ip = parseIp(v);
      return ip !== undefined && ip.version === m.version && (ip.value & m.mask) === m.network;
    }
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

function matchLeaf(matchers: Matcher[], raw: unknown): boolean {
  const values = leafValues(raw);
  if (values.length === 0) return matchers.some((m) => m.kind === 'exists' && !m.value);
  return matchers.some((m) => (m.kind === 'exists' ? m.value : values.some((v) => matchOne(m, v))));
}

function matchNode(node: PatternNode, obj: Record<string, unknown> | undefined): boolean {
  for (const [key, spec] of node.fields) {
    const raw = obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
    if (Array.isArray(spec)) {
      if (!matchLeaf(spec, raw)) return false;
    } else {
      // Fields of one sub-pattern must all match inside the same array element.
      const candidates = objectValues(raw);
      const ok = candidates.length === 0 ? matchNode(spec, undefined) : candidates.some((c) => matchNode(spec, c));
      if (!ok) return false;
    }
  }
  return node.ors.every((group) => group.some((alt) => matchNode(alt, obj)));
}

/** Does the event (a parsed object) match the pattern (compiled, JSON text or object)? */
export function matchesPattern(pattern: CompiledPattern | string | object, event: unknown): boolean {
  return (pattern instanceof CompiledPattern ? pattern : compilePattern(pattern)).matches(event);
}

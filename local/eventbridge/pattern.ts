/**
 * EventBridge event patterns: validation (→ `InvalidEventPatternException`, as PutRule and
 * TestEventPattern answer), the documented limits, and compilation into event-ruler's form.
 *
 * Written from the content-filtering chapter of the EventBridge user guide (operator table,
 * null/empty-string and array pages, the `$or` note) and the quotas page; where the guide is
 * silent, the behaviour follows aws/event-ruler, the open-source matching library behind
 * EventBridge: keys are joined with '.' (so `{"a": {"b": [1]}}` and `{"a.b": [1]}` are the same
 * rule, and match `{"a": {"b": 1}}` and `{"a.b": 1}` alike), each `$or` expands into
 * alternatives, and a field given twice keeps its last value.
 */
import { AwsError } from '../edge/types.js';
import { parseCidr } from './ip.js';
import { type AnythingBut, flattenEvent, type Matcher, matchSubRule, type SubRule } from './match.js';
import { wildcardComplexity, wildcardProblem, wildcardToRegex } from './wildcard.js';

export type { Matcher, SubRule } from './match.js';

/** PutRule/TestEventPattern: the API's length constraint on EventPattern (a ValidationException past it). */
export const MAX_PATTERN_LENGTH = 4096;
/** Quotas page, "Event pattern size": 2,048 characters by default, adjustable (up to the API's 4,096). */
export const DEFAULT_PATTERN_SIZE_QUOTA = 2048;
/** The guide: "throws InvalidEventPatternException if the use of $or results in over 1000 rule combinations". */
export const MAX_OR_COMBINATIONS = 1000;
/**
 * Wildcard complexity (event-ruler's MachineComplexityEvaluator) above which a rule is "too
 * complex". EventBridge does not publish its threshold; 10 is event-ruler's per-rule example,
 * and agrees with EventBridge's answers to the guide's wildcard examples: the path pattern with
 * five repeated "/dir" after a wildcard (complexity 7) is accepted, the bus ARN pattern with six
 * wildcards (complexity 11) refused.
 */
export const MAX_WILDCARD_COMPLEXITY = 10;

/** A validated pattern, ready to match events. */
export class CompiledPattern {
  constructor(
    /** The pattern's JSON text, as given. */
    readonly source: string,
    /** The alternatives (one per `$or` combination); the event matches when one of them does. */
    readonly rules: readonly SubRule[],
  ) {}

  matches(event: unknown): boolean {
    if (!isPlainObject(event)) return false;
    const flat = flattenEvent(event);
    return this.rules.some((rule) => matchSubRule(rule, flat));
  }
}

/** A pattern object before `$or` expansion, in document order: fields (AND) and `$or` groups. */
interface PatternNode {
  entries: Array<{ key: string; spec: Matcher[] | PatternNode } | { or: PatternNode[] }>;
}

/** event-ruler reserves these names inside `$or` objects. */
const RESERVED_IN_OR = new Set(['exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr', '=', '<', '<=', '>', '>=']);

function invalid(message: string): AwsError {
  return new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Characters as the API and the quota count them (Unicode code points). */
function characters(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * An EventPattern parameter as PutRule and TestEventPattern take it: the API's length
 * constraint (ValidationException), then the account's pattern-size quota and the pattern
 * itself (InvalidEventPatternException).
 * @throws AwsError ValidationException | InvalidEventPatternException
 */
export function compileEventPatternParameter(text: string, sizeQuota: number = DEFAULT_PATTERN_SIZE_QUOTA): CompiledPattern {
  const length = characters(text);
  if (length > MAX_PATTERN_LENGTH) {
    throw new AwsError('ValidationException', `1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PATTERN_LENGTH}`);
  }
  if (length > sizeQuota) throw invalid(`Event pattern size ${length} exceeds the maximum of ${sizeQuota} characters (quota "Event pattern size")`);
  return compilePattern(text);
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
  const rules = expand(root, '', [new Map()]).map((rule) => [...rule.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  if (wildcardComplexityOf(rules) > MAX_WILDCARD_COMPLEXITY) {
    throw invalid('Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character');
  }
  return new CompiledPattern(source, rules);
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

/**
 * Fields TestEventPattern requires in its Event. The API reference lists `resources` too, but
 * EventBridge accepts events without it (LocalStack's TestEventPattern tests, recorded against
 * AWS, send none), so only these are required.
 */
export const TEST_EVENT_REQUIRED_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

/**
 * TestEventPattern's Event parameter: a JSON object with the required fields, or
 * ValidationException "Parameter Event is not valid." (EventBridge's answer for malformed
 * JSON, a non-object and a missing field alike).
 * @throws AwsError ValidationException
 */
export function parseTestEvent(text: string): Record<string, unknown> {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    event = undefined;
  }
  if (!isPlainObject(event) || TEST_EVENT_REQUIRED_FIELDS.some((field) => !Object.hasOwn(event as object, field))) {
    throw new AwsError('ValidationException', 'Parameter Event is not valid.');
  }
  return event;
}

/** Does the event (a parsed object) match the pattern (compiled, JSON text or object)? */
export function matchesPattern(pattern: CompiledPattern | string | object, event: unknown): boolean {
  return (pattern instanceof CompiledPattern ? pattern : compilePattern(pattern)).matches(event);
}

function countCombinations(node: PatternNode): number {
  let total = 1;
  for (const entry of node.entries) {
    if ('or' in entry) total *= entry.or.reduce((sum, alt) => sum + countCombinations(alt), 0);
    else if (!Array.isArray(entry.spec)) total *= countCombinations(entry.spec);
  }
  return total;
}

/**
 * event-ruler's JsonRuleCompiler: walks the pattern in document order, writing each leaf under
 * its dot-joined path into every alternative (a later write of the same path wins); an `$or`
 * replaces the alternatives with one copy per branch.
 */
function expand(node: PatternNode, path: string, rules: Array<Map<string, Matcher[]>>): Array<Map<string, Matcher[]>> {
  let current = rules;
  for (const entry of node.entries) {
    if ('or' in entry) {
      const before = current;
      current = entry.or.flatMap((alt) =>
        expand(
          alt,
          path,
          before.map((rule) => new Map(rule)),
        ),
      );
      continue;
    }
    const childPath = path === '' ? entry.key : `${path}.${entry.key}`;
    if (Array.isArray(entry.spec)) for (const rule of current) rule.set(childPath, entry.spec);
    else current = expand(entry.spec, childPath, current);
  }
  return current;
}

/**
 * event-ruler puts the alternatives that use wildcards into one machine and measures its
 * complexity; alternatives that agree on every earlier field share the machine of a field.
 */
function wildcardComplexityOf(rules: readonly SubRule[]): number {
  const machines = new Map<string, string[]>();
  for (const rule of rules) {
    rule.forEach(([path, matchers], i) => {
      const wildcards = matchers.flatMap((m) => (m.kind === 'wildcard' ? [m.source] : m.kind === 'anything-but' && m.test.op === 'wildcard' ? m.test.sources : []));
      if (wildcards.length === 0) return;
      const machine = JSON.stringify([rule.slice(0, i).map(([p, ms]) => [p, ms.map(describeMatcher)]), path]);
      machines.set(machine, [...(machines.get(machine) ?? []), ...wildcards]);
    });
  }
  let worst = 0;
  for (const sources of machines.values()) worst = Math.max(worst, wildcardComplexity(sources, MAX_WILDCARD_COMPLEXITY + 1));
  return worst;
}

function describeMatcher(m: Matcher): unknown {
  if (m.kind === 'wildcard') return ['wildcard', m.source];
  if (m.kind === 'cidr') return ['cidr', m.source];
  if (m.kind === 'anything-but') return ['anything-but', m.test.op, m.test.op === 'values' ? [...m.test.strings, ...m.test.numbers] : m.test.op === 'wildcard' ? m.test.sources : m.test.values];
  return m;
}

function compileNode(obj: Record<string, unknown>, insideOr: boolean): PatternNode {
  const keys = Object.keys(obj);
  if (keys.length === 0) throw invalid('Empty objects are not allowed');
  const node: PatternNode = { entries: [] };
  for (const key of keys) {
    const value = obj[key];
    if (key === '$or') {
      node.entries.push({ or: compileOr(value) });
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) throw invalid(`${key} is a reserved field name which cannot be used inside $or`);
    if (Array.isArray(value)) node.entries.push({ key, spec: compileValues(value) });
    else if (isPlainObject(value)) node.entries.push({ key, spec: compileNode(value, insideOr) });
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

function compileValues(values: unknown[]): Matcher[] {
  if (values.length === 0) throw invalid('Empty arrays are not allowed');
  return values.map((v) => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return { kind: 'exact', value: v };
    if (isPlainObject(v)) return compileExpression(v);
    throw invalid('Match value must be String, number, true, false, or null');
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

function compileWildcard(source: string): RegExp {
  const problem = wildcardProblem(source);
  if (problem !== undefined) throw invalid(problem);
  return wildcardToRegex(source);
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
      return { kind: 'wildcard', source, regex: compileWildcard(source) };
    }
    case 'numeric':
      return compileNumeric(arg);
    case 'exists':
      if (typeof arg !== 'boolean') throw invalid('exists match pattern must be either true or false.');
      return { kind: 'exists', value: arg };
    case 'cidr': {
      // EventBridge answers a non-string CIDR with the prefix message.
      const source = requireString('prefix', arg);
      const block = parseCidr(source);
      if (typeof block === 'string') throw invalid(block);
      return { kind: 'cidr', source, block };
    }
    case 'anything-but':
      return { kind: 'anything-but', test: compileAnythingBut(arg) };
    default:
      throw invalid(`Unrecognized match type ${op}`);
  }
}

/** event-ruler's anything-but parsing, with its messages (they are what EventBridge answers). */
function compileAnythingBut(arg: unknown): AnythingBut {
  let op: 'values' | 'prefix' | 'suffix' | 'equals-ignore-case' | 'wildcard' = 'values';
  let value = arg;
  if (isPlainObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length === 0) throw invalid('Anything-But expression name not found');
    const inner = keys[0];
    if (inner !== 'prefix' && inner !== 'suffix' && inner !== 'equals-ignore-case' && inner !== 'wildcard') throw invalid(`Unsupported anything-but pattern: ${inner}`);
    if (keys.length > 1) throw invalid('Only one key allowed in match expression');
    op = inner;
    value = arg[inner];
  }
  if (!Array.isArray(value) && typeof value !== 'string' && typeof value !== 'number') {
    throw invalid('Value of anything-but must be an array or single string/number value.');
  }
  if (op === 'values') {
    const list: unknown[] = Array.isArray(value) ? value : [value];
    if (list.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw invalid('Inside anything but list, start|null|boolean is not supported.');
    const strings = list.filter((v): v is string => typeof v === 'string');
    const numbers = list.filter((v): v is number => typeof v === 'number');
    if (strings.length > 0 === numbers.length > 0) throw invalid('Inside anything but list, either all values are number or string, mixed type is not supported');
    return { op: 'values', strings: new Set(strings), numbers };
  }
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const strings = list.map((s) => {
    if (typeof s === 'string') {
      if (s === '' && (op === 'prefix' || op === 'suffix')) throw invalid('Null prefix/suffix not allowed');
      return s;
    }
    if (op === 'equals-ignore-case') throw invalid('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
    throw invalid(op === 'wildcard' ? 'wildcard match pattern must be a string' : 'prefix/suffix match pattern must be a string');
  });
  if (op === 'wildcard') return { op, sources: strings, values: strings.map(compileWildcard) };
  return { op, values: strings };
}

function compileNumeric(arg: unknown): Matcher {
  if (!Array.isArray(arg)) throw invalid('Value of numeric must be an array.');
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
        if (top !== '<' && top !== '<=') throw invalid(`Bad numeric range operator: ${String(top)}`);
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

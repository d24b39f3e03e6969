/**
 * What a target receives: the event, a constant Input, the part of it an InputPath selects, or
 * an InputTransformer's template filled from InputPathsMap (with a minimal JSONPath reader).
 */
import { validation } from './errors.js';
import { isRecord } from './params.js';
import type { EventBridgeEvent, RuleRef, Target } from './types.js';

/** What a target receives: Input (constant JSON), InputPath (part of the event), InputTransformer, or the event. */
export function targetInput(target: Target, event: EventBridgeEvent, rule: RuleRef): unknown {
  if (typeof target.Input === 'string') return JSON.parse(target.Input) as unknown;
  if (typeof target.InputPath === 'string') return readJsonPath(event, target.InputPath) ?? null;
  if (target.InputTransformer) {
    const vars: Record<string, unknown> = {
      'aws.events.rule-arn': rule.arn,
      'aws.events.rule-name': rule.name,
      'aws.events.event.ingestion-time': event.time,
      'aws.events.event': event,
      'aws.events.event.json': event,
    };
    for (const [name, path] of Object.entries(target.InputTransformer.InputPathsMap ?? {})) vars[name] = readJsonPath(event, path) ?? null;
    return applyInputTemplate(target.InputTransformer.InputTemplate, vars);
  }
  return event;
}

/** Minimal JSONPath for InputPath / InputPathsMap: $, $.a.b, $.a[0], $['a-b']. */
export function readJsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw validation(`Invalid JSON path: ${path}`);
  let cur: unknown = root;
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw validation(`Invalid JSON path: ${path}`);
    const key = m[1] ?? m[3] ?? m[4];
    if (key !== undefined) cur = isRecord(cur) && Object.hasOwn(cur, key) ? cur[key] : undefined;
    else cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * Fills an InputTemplate: `<name>` inside a JSON string gets the value's text,
 * outside a string the value's JSON. The result is parsed when it is JSON.
 */
export function applyInputTemplate(template: string, vars: Record<string, unknown>): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch === '\\' && inString) {
      out += ch + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') inString = !inString;
    if (ch === '<') {
      const close = template.indexOf('>', i);
      const name = close > i ? template.slice(i + 1, close) : '';
      if (name && Object.hasOwn(vars, name)) {
        const value = vars[name];
        if (inString) {
          const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
          out += JSON.stringify(text).slice(1, -1);
        } else {
          out += value === undefined ? 'null' : JSON.stringify(value);
        }
        i = close;
        continue;
      }
    }
    out += ch;
  }
  try {
    return JSON.parse(out) as unknown;
  } catch {
    return out;
  }
}

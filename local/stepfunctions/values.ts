// Value conversions shared by the engine, the tasks and the history: JSON text and values as Step
// Functions writes them, and empty strings read as "absent" (error and cause).
import type { JsonValue } from './types.js';

export function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

export function orUndefined(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

// Checks on API input shared by the operations: names as Step Functions accepts them, required string
// members, and the refusal of new work once the model is shutting down.
import { sfnErrors } from './errors.js';
import type { ModelState } from './records.js';

/** Step Functions names: 1–80 characters, no whitespace, brackets, wildcards, special or control characters. */
export function isValidName(name: string): boolean {
  if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/.test(name)) return false;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

export function requireString(input: Record<string, unknown>, field: string): string {
  const v = input[field];
  if (v === undefined || v === null) throw sfnErrors.missing(field);
  if (typeof v !== 'string') throw sfnErrors.validation(`Value at '${field}' must be a string`);
  return v;
}

export function assertOpen(model: ModelState): void {
  if (model.closed) throw sfnErrors.unavailable();
}

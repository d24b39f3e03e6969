/**
 * Reading API parameters (strings, records, tags, page tokens and limits) and copying values
 * in and out of the model, so no caller shares the model's objects.
 */
import { validation } from './errors.js';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optionalString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw validation(`Parameter ${name} must be a string.`);
  return v;
}

export function requiredString(v: unknown, name: string): string {
  const s = optionalString(v, name);
  if (s === undefined || s === '') throw validation(`Parameter ${name} is required.`);
  return s;
}

export function tagMap(tags: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(tags)) return out;
  for (const t of tags) if (isRecord(t) && typeof t.Key === 'string') out[t.Key] = typeof t.Value === 'string' ? t.Value : '';
  return out;
}

export function paginate<T>(items: T[], nextToken: unknown, limit: unknown): { page: T[]; NextToken?: string } {
  let offset = 0;
  if (nextToken !== undefined && nextToken !== null) {
    const decoded = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString('utf8')) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0) throw validation('The NextToken provided is not valid.');
    offset = decoded;
  }
  let size = items.length;
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw validation(`1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`);
    }
    size = limit;
  }
  const page = items.slice(offset, offset + size);
  const end = offset + page.length;
  return end < items.length ? { page, NextToken: Buffer.from(String(end)).toString('base64url') } : { page };
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

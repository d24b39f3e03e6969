import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const dir = new URL('../../events/', import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

export const schemas = new Map<string, { file: string; validate: ReturnType<Ajv2020['compile']> }>();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
  const schema = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { title: string };
  schemas.set(schema.title, { file, validate: ajv.compile(schema) });
}

/** Validates a delivered-shape event (`detail` as an object) against its detail-type's schema; returns the errors. */
export function eventErrors(event: { 'detail-type': string; [k: string]: unknown }): string[] {
  const entry = schemas.get(event['detail-type']);
  if (!entry) return [`no schema for detail-type "${event['detail-type']}"`];
  return entry.validate(event) ? [] : (entry.validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The same for a PutEvents entry (`Detail` as a JSON string). */
export function entryErrors(entry: { Source?: string; DetailType?: string; Detail?: string }): string[] {
  return eventErrors({ source: entry.Source, 'detail-type': entry.DetailType ?? '', detail: JSON.parse(entry.Detail ?? 'null') as unknown });
}

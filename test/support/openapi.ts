import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/** docs/openapi.yaml, and validators for the responses it documents. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation | unknown[]>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, Parameter>; responses: Record<string, { content?: Record<string, { schema: Schema }> }> };
}
export interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { content: Record<string, { schema: Schema; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}
export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  schema: Schema;
}
export type Schema = Record<string, unknown>;

export const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function loadOpenApi(): OpenApiDoc {
  return parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as OpenApiDoc;
}

/** Follows a local `$ref` (`#/components/...`). */
export function deref<T>(doc: OpenApiDoc, node: T | { $ref: string }): T {
  const ref = node && typeof node === 'object' ? (node as { $ref?: string }).$ref : undefined;
  if (!ref) return node as T;
  return deref(
    doc,
    ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], doc) as T,
  );
}

/** The operations of the document as `METHOD /path`. */
export function operations(doc: OpenApiDoc): Map<string, Operation> {
  const out = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) if (item[method]) out.set(`${method.toUpperCase()} ${path}`, item[method] as Operation);
  }
  return out;
}

let compiled: { ajv: Ajv2020; cache: Map<string, ValidateFunction> } | undefined;

/**
 * Checks a response body against what the document says `METHOD /path`
 * answers with this status. Returns the schema errors (empty when it conforms).
 */
export function responseErrors(method: string, path: string, status: number, body: unknown): string[] {
  const doc = loadOpenApi();
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ $id: 'openapi', components: doc.components } as object);
    compiled = { ajv, cache: new Map() };
  }
  const op = operations(doc).get(`${method.toUpperCase()} ${path}`);
  if (!op) return [`${method} ${path} is not documented`];
  const response = op.responses[String(status)];
  if (!response) return [`${method} ${path} does not document status ${status}`];
  const content = deref<{ content?: Record<string, { schema: Schema }> }>(doc, response).content?.['application/json'];
  if (!content) return [`${method} ${path} ${status} documents no JSON body`];
  const key = `${method} ${path} ${status}`;
  let validate = compiled.cache.get(key);
  if (!validate) {
    // Point the document's local refs at the registered copy.
    const schema = JSON.parse(JSON.stringify(content.schema).replace(/"#\/components\//g, '"openapi#/components/')) as Schema;
    validate = compiled.ajv.compile(schema);
    compiled.cache.set(key, validate);
  }
  return validate(body)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}

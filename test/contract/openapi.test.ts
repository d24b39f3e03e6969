import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadServerlessStack } from '../../local/serverless/stack.js';
import { setSourceEnv } from '../support/env.js';
import { deref, loadOpenApi, operations, type Operation, type Parameter, type Schema } from '../support/openapi.js';
import { deployParams } from '../support/deploy-params.js';

setSourceEnv();
const validation = await import('../../src/validation.js');
const { UUID } = await import('../../src/ids.js');
const { MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS } = await import('../../src/config.js');
const { FINAL_STATUSES, OPEN_STATUSES } = await import('../../src/types.js');
const { emptyCounts } = await import('../../src/batch/progress.js');
const completedSchema = (await import('../../events/certificate-transfer-completed.schema.json', { with: { type: 'json' } })).default as {
  properties: { detail: { properties: { restore: Schema } } };
};

const doc = loadOpenApi();
const ops = operations(doc);
const stack = loadServerlessStack('serverless.yml', { stage: 'dev', params: deployParams('serverless.yml') });
const routes = stack.functions.flatMap((f) => f.http.map((h) => ({ key: `${h.method} ${h.path}`, authorizer: h.authorizer, handler: f.key })));

/** A schema with refs followed and prose dropped: what a validator checks. */
function normalize(schema: unknown): unknown {
  const node = deref(doc, schema as Schema);
  if (Array.isArray(node)) return node.map(normalize);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (['description', 'nullable', 'example', 'examples'].includes(k)) continue;
    out[k] = k === 'required' ? [...(v as string[])].sort() : normalize(v);
  }
  return out;
}

/** Request body schema of an operation. */
const bodySchema = (key: string) => ops.get(key)!.requestBody!.content['application/json'].schema;

describe('docs/openapi.yaml', () => {
  it('documents every route of serverless.yml, and only those', () => {
    expect(routes.length).toBeGreaterThanOrEqual(6);
    expect([...ops.keys()].sort()).toEqual(routes.map((r) => r.key).sort());
  });

  it('says every operation is signed with SigV4, as every route is AWS_IAM', () => {
    expect(doc.components).toHaveProperty('securitySchemes.sigv4');
    for (const r of routes) expect(r.authorizer, r.key).toBe('aws_iam');
    for (const [key, op] of ops) expect(op.security ?? (doc as unknown as { security: unknown }).security, key).toEqual([{ sigv4: [] }]);
  });

  it('declares every path parameter with the id pattern the handlers check', () => {
    for (const [key, op] of ops) {
      const path = key.split(' ')[1];
      const item = doc.paths[path] as { parameters?: unknown[] };
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => deref<Parameter>(doc, p as Parameter));
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        const p = params.find((x) => x.in === 'path' && x.name === name);
        expect(p, `${key} {${name}}`).toMatchObject({ required: true });
        expect(deref<Schema>(doc, p!.schema).pattern).toBe(UUID.source);
      }
    }
  });

  it('documents a 400 and a 500 with the error body on every operation, and the Error schema names the field', () => {
    for (const [key, op] of ops) {
      expect(Object.keys(op.responses), key).toEqual(expect.arrayContaining(['400', '403', '500']));
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect(success, key).toHaveLength(1);
    }
    expect(doc.components.schemas.Error).toMatchObject({ required: ['error', 'message'], properties: { field: { type: 'string' } } });
  });

  it('POST /transfers: the body schema is the one src/validation.ts enforces', () => {
    const documented = normalize(bodySchema('POST /transfers')) as { properties: Record<string, Schema> };
    const enforced = normalize(validation.transferRequestSchema) as { properties: Record<string, Schema> };
    // The validator's floor is the deployment's (minTimeoutSeconds, 60 unless a stack is started with less); the contract says 60.
    expect(documented.properties.timeoutSeconds).toMatchObject({ minimum: MIN_TIMEOUT_SECONDS, maximum: 31_104_000 });
    expect(enforced.properties.timeoutSeconds.maximum).toBe(MAX_TIMEOUT_SECONDS);
    delete documented.properties.timeoutSeconds.minimum;
    delete enforced.properties.timeoutSeconds.minimum;
    expect(documented).toEqual(enforced);
  });

  it('POST /transfer-batches: the body schema is the one src/validation.ts enforces', () => {
    const documented = normalize(bodySchema('POST /transfer-batches')) as { properties: Record<string, Schema> };
    const enforced = normalize(validation.batchRequestSchema) as { properties: Record<string, Schema> };
    expect(documented.properties.timeoutSeconds).toMatchObject({ minimum: MIN_TIMEOUT_SECONDS, maximum: 31_104_000 });
    delete documented.properties.timeoutSeconds.minimum;
    delete enforced.properties.timeoutSeconds.minimum;
    expect(documented).toEqual(enforced);
  });

  it('DELETE /transfers/{transferId}: the optional body is the one src/validation.ts enforces', () => {
    expect(ops.get('DELETE /transfers/{transferId}')!.requestBody).not.toHaveProperty('required', true);
    expect(normalize(bodySchema('DELETE /transfers/{transferId}'))).toEqual(normalize(validation.cancelRequestSchema));
  });

  it('GET /transfers: the query parameters are the ones src/validation.ts enforces', () => {
    const params = ((ops.get('GET /transfers') as Operation).parameters ?? []).map((p) => deref<Parameter>(doc, p as Parameter));
    expect(params.every((p) => p.in === 'query' && !p.required)).toBe(true);
    const documented = Object.fromEntries(params.map((p) => [p.name, normalize(p.schema)]));
    const enforced = (normalize(validation.listQuerySchema) as { properties: Record<string, unknown> }).properties;
    expect(documented).toEqual(enforced);
  });

  it('its request examples pass the validators', () => {
    const check: Record<string, (body: unknown) => unknown> = {
      'POST /transfers': (b) => validation.validateTransferRequest(b),
      'POST /transfer-batches': (b) => validation.validateBatchRequest(b),
      'DELETE /transfers/{transferId}': (b) => validation.validateCancelRequest(JSON.stringify(b)),
    };
    let examples = 0;
    for (const [key, op] of ops) {
      for (const [name, ex] of Object.entries(op.requestBody?.content['application/json'].examples ?? {})) {
        expect(() => check[key](ex.value), `${key} example ${name}`).not.toThrow();
        examples++;
      }
    }
    expect(examples).toBeGreaterThanOrEqual(5);
  });

  it('lists every transfer status the store knows, RESTORE_FAILED included, and every one a batch counts', () => {
    const statuses = deref<Schema>(doc, doc.components.schemas.TransferStatus).enum as string[];
    expect(statuses).toEqual([...OPEN_STATUSES, ...FINAL_STATUSES]);
    expect(statuses).toContain('RESTORE_FAILED');
    expect([...(doc.components.schemas.BatchCounts.required as string[])].sort()).toEqual(Object.keys(emptyCounts()).sort());
  });

  it('documents the restore result as the Completed event carries it', () => {
    /** A JSON Schema without prose, and without `type` where an enum or const already says it. */
    const shape = (node: unknown): unknown => {
      const n = normalize(node);
      if (Array.isArray(n)) return n.map(shape);
      if (!n || typeof n !== 'object') return n;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(n)) if (!(k === 'type' && ('enum' in n || 'const' in n))) out[k] = shape(v);
      return out;
    };
    expect(shape(doc.components.schemas.RestoreOutcome)).toEqual(shape(completedSchema.properties.detail.properties.restore));
  });

  it('POST /transfers/{transferId}/restore: 200 with the transfer, 404, 409 with the status, 502 with the restore result', () => {
    const op = ops.get('POST /transfers/{transferId}/restore')!;
    expect(op.requestBody).toBeUndefined();
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '404', '409', '502']));
    const ok = deref<{ content: Record<string, { schema: Schema }> }>(doc, op.responses['200'] as never);
    expect(ok.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Transfer' });
    expect(doc.components.schemas.RestoreIncompleteError).toMatchObject({ required: expect.arrayContaining(['restore', 'currentStatus']) });
  });

  it('its schemas compile as JSON Schema 2020-12 (OpenAPI 3.1)', () => {
    expect((doc as unknown as { openapi: string }).openapi).toMatch(/^3\.1\./);
    const ajv = new Ajv2020({ strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ $id: 'openapi', components: doc.components } as object);
    for (const name of Object.keys(doc.components.schemas)) expect(() => ajv.getSchema(`openapi#/components/schemas/${name}`), name).not.toThrow();
  });
});

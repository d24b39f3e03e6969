import { describe, expect, it } from 'vitest';
import { setSourceEnv, TARGET, HUMAN_TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certId } from '../../support/certs.js';
import { draft } from '../../support/transfers.js';
import { apiEvent } from '../../fixtures/apigw.js';
import { lambdaContext } from '../../fixtures/context.js';

setSourceEnv();
const store = await import('../../../src/store.js');
const { handler } = await import('../../../functions/api/list-transfers.js');

useTransferTable();

async function make(opts: { certificateId?: string; targetAccount?: string; batchId?: string; status?: 'CANCELLED' | 'AWAITING_DECISION' } = {}) {
  const record = await store.createTransfer({ ...draft(opts.certificateId, opts.targetAccount), batchId: opts.batchId });
  const { transferId } = record;
  if (opts.status === 'AWAITING_DECISION') await store.transition(transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered', set: { taskToken: 'secret-token' } });
  if (opts.status === 'CANCELLED') await store.settle(record, 'CANCELLED', { message: 'cancelled' });
  return transferId;
}

async function list(query?: Record<string, string>) {
  const res = await handler(apiEvent('GET', '/transfers', { query }), lambdaContext());
  return { status: res.statusCode, body: JSON.parse(res.body) as { items: Record<string, unknown>[]; nextToken?: string; field?: string; error?: string; message?: string } };
}

describe('GET /transfers', () => {
  it('lists newest first, without history, snapshot or task token, with the console link', async () => {
    const certificateId = certId();
    const first = await make({ certificateId, status: 'CANCELLED' });
    const second = await make({ certificateId, status: 'AWAITING_DECISION' });

    const res = await list({ certificateId });

    expect(res.status).toBe(200);
    expect(res.body.items.map((i) => i.transferId).sort()).toEqual([first, second].sort());
    const keys = res.body.items.map((i) => `${String(i.createdAt)}#${String(i.transferId)}`);
    expect(keys).toEqual([...keys].sort().reverse());
    expect(res.body.items.find((i) => i.transferId === second)).toMatchObject({ status: 'AWAITING_DECISION', consoleUrl: expect.stringContaining(second) });
    expect(res.body.items[0]).not.toHaveProperty('history');
    expect(JSON.stringify(res.body)).not.toContain('secret-token');
    expect(res.body.nextToken).toBeUndefined();
  });

  it('pages with nextToken until every transfer was seen exactly once', async () => {
    const batchId = crypto.randomUUID();
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await make({ batchId }));

    const seen: unknown[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await list({ batchId, limit: '3', ...(token ? { nextToken: token } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((i) => i.transferId));
      token = res.body.nextToken;
      pages++;
    } while (token);

    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen).toHaveLength(made.length);
    expect([...seen].sort()).toEqual([...made].sort());
  });

  it('combines filters: status and target account within a batch', async () => {
    const batchId = crypto.randomUUID();
    const wanted = await make({ batchId, targetAccount: HUMAN_TARGET, status: 'CANCELLED' });
    await make({ batchId, targetAccount: TARGET, status: 'CANCELLED' });
    await make({ batchId, targetAccount: HUMAN_TARGET });

    const res = await list({ batchId, status: 'CANCELLED', targetAccount: HUMAN_TARGET });

    expect(res.body.items.map((i) => i.transferId)).toEqual([wanted]);
    expect(res.body.items[0]).toMatchObject({ batchId, status: 'CANCELLED', targetAccount: HUMAN_TARGET });
  });

  it('filters by status alone through its index', async () => {
    const id = await make({ status: 'CANCELLED', targetAccount: HUMAN_TARGET });
    const res = await list({ status: 'CANCELLED', limit: '100' });
    expect(res.body.items.map((i) => i.transferId)).toContain(id);
    expect(res.body.items.every((i) => i.status === 'CANCELLED')).toBe(true);
  });

  it.each([
    ['an unknown status', { status: 'BOGUS' }, 'status', 'must be one of REQUESTED'],
    ['a lowercase status', { status: 'accepted' }, 'status', 'must be one of'],
    ['a short certificateId', { certificateId: 'abc' }, 'certificateId', '64 hexadecimal'],
    ['an 11-digit targetAccount', { targetAccount: '12345678901' }, 'targetAccount', '12-digit'],
    ['a batchId that is no id', { batchId: 'batch-1' }, 'batchId', 'batch id'],
    ['limit 0', { limit: '0' }, 'limit', 'from 1 to 100'],
    ['limit 101', { limit: '101' }, 'limit', 'from 1 to 100'],
    ['a non-numeric limit', { limit: 'ten' }, 'limit', 'from 1 to 100'],
    ['an unknown parameter', { owner: 'me' }, 'owner', 'not a known field'],
    ['a garbled nextToken', { nextToken: 'not-a-token' }, 'nextToken', 'previous page'],
  ])('400 naming the parameter for %s', async (_name, query, field, text) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'ValidationError', field });
    expect(res.body.message).toContain(text);
  });

  it('400 for a nextToken of another query, rather than a DynamoDB error', async () => {
    const batchId = crypto.randomUUID();
    await make({ batchId });
    await make({ batchId });
    const page = await list({ batchId, limit: '1' });
    expect(page.body.nextToken).toBeTruthy();

    const res = await list({ status: 'CANCELLED', nextToken: page.body.nextToken! });

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'nextToken' });
  });
});

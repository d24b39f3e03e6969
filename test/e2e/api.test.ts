import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';
import { responseErrors } from '../support/openapi.js';

/*
 * The REST API on the local cloud, through signed HTTP only: every route of
 * serverless.yml, its errors, and every answer checked against docs/openapi.yaml.
 */
const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

/** A signed request whose answer must be what the OpenAPI document says for that route and status. */
async function call(method: string, route: string, opts: { path?: string; body?: unknown; query?: Record<string, string> } = {}) {
  const res = await t.api().request(method, opts.path ?? route, opts.body, opts.query);
  expect(responseErrors(method, route, res.status, res.body), `${method} ${route} ${res.status}: ${JSON.stringify(res.body)}`).toEqual([]);
  return res;
}

const finalStatus = (s: unknown) => ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'].includes(String(s));

describe('transfer API on the local cloud', () => {
  it('POST, then GET with history, snapshot, restore outcome and console URL, as documented', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const started = await call('POST', '/transfers', { body: { certificateId: cert.certificateId, targetAccount: AUTO, transferMessage: 'e2e', requestId: 'api-e2e-1' } });
    expect(started.status).toBe(202);
    const transferId = String(started.body.transferId);

    const done = await until('the transfer to end', async () => {
      const r = await call('GET', '/transfers/{transferId}', { path: `/transfers/${transferId}` });
      return finalStatus(r.body.status) ? r.body : undefined;
    });

    expect(done).toMatchObject({ status: 'ACCEPTED', requestId: 'api-e2e-1', consoleUrl: expect.stringContaining(transferId), snapshot: { policies: cert.policies } });
    expect((done.history as { status: string }[]).map((h) => h.status)).toEqual(expect.arrayContaining(['REQUESTED', 'PREPARING', 'AWAITING_DECISION', 'ACCEPTED']));
  });

  describe('GET /transfers', () => {
    let mine: string[] = [];
    let certificateId = '';
    beforeAll(async () => {
      // Offers to the notify-only account stay AWAITING_DECISION: a stable set to list.
      const certs = await Promise.all(Array.from({ length: 5 }, () => makeDeviceCertificate(t.iot(SOURCE), { policies: 0, things: 0 })));
      certificateId = certs[0].certificateId;
      mine = [];
      for (const c of certs) mine.push(String((await call('POST', '/transfers', { body: { certificateId: c.certificateId, targetAccount: HUMAN } })).body.transferId));
      await until('every offer to await a decision', async () => {
        const page = await call('GET', '/transfers', { query: { status: 'AWAITING_DECISION', targetAccount: HUMAN, limit: '100' } });
        const ids = (page.body.items as { transferId: string }[]).map((i) => i.transferId);
        return mine.every((id) => ids.includes(id));
      });
    });

    it('pages through the transfers to an account with nextToken, each exactly once', async () => {
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await call('GET', '/transfers', { query: { targetAccount: HUMAN, status: 'AWAITING_DECISION', limit: '2', ...(nextToken ? { nextToken } : {}) } });
        expect(page.status).toBe(200);
        seen.push(...(page.body.items as { transferId: string; targetAccount: string }[]).map((i) => i.transferId));
        nextToken = page.body.nextToken as string | undefined;
        pages++;
      } while (nextToken && pages < 50);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expect.arrayContaining(mine));
    });

    it('filters by certificate', async () => {
      const page = await call('GET', '/transfers', { query: { certificateId } });
      expect((page.body.items as { transferId: string }[]).map((i) => i.transferId)).toEqual([mine[0]]);
    });

    it.each([
      [{ status: 'BOGUS' }, 'status'],
      [{ limit: 'many' }, 'limit'],
      [{ targetAccount: '42' }, 'targetAccount'],
      [{ sort: 'asc' }, 'sort'],
      [{ nextToken: 'garbage' }, 'nextToken'],
    ])('400 naming the bad query parameter %j', async (query, field) => {
      const res = await call('GET', '/transfers', { query });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'ValidationError', field });
    });

    it('DELETE on a transfer awaiting a decision cancels it; a second DELETE is a 409 with the status', async () => {
      const id = mine[4];
      const first = await call('DELETE', '/transfers/{transferId}', { path: `/transfers/${id}`, body: { reason: 'e2e' } });
      expect(first).toMatchObject({ status: 202, body: { status: 'CANCELLING' } });
      const again = await call('DELETE', '/transfers/{transferId}', { path: `/transfers/${id}` });
      expect(again).toMatchObject({ status: 409, body: { error: 'TransferStateConflict' } });
    });
  });

  it.each([
    ['POST', '/transfers', { body: { certificateId: 'nope', targetAccount: AUTO } }, 400, 'certificateId'],
    ['POST', '/transfers', { body: { certificateId: 'a'.repeat(64), targetAccount: '444444444444' } }, 403, 'targetAccount'],
    ['POST', '/transfers', { body: { certificateId: 'a'.repeat(64), targetAccount: AUTO } }, 404, 'certificateId'],
    ['GET', '/transfers/{transferId}', { path: `/transfers/${crypto.randomUUID()}` }, 404, 'transferId'],
    ['GET', '/transfers/{transferId}', { path: '/transfers/not-an-id' }, 400, 'transferId'],
    ['DELETE', '/transfers/{transferId}', { path: `/transfers/${crypto.randomUUID()}`, body: { reason: 7 } }, 400, 'reason'],
    ['POST', '/transfer-batches', { body: { certificateIds: ['x'], targetAccount: AUTO } }, 400, 'certificateIds'],
    ['POST', '/transfer-batches', { body: { filter: { status: 'REVOKED' }, targetAccount: AUTO } }, 400, 'filter.status'],
    ['GET', '/transfer-batches/{batchId}', { path: `/transfer-batches/${crypto.randomUUID()}` }, 404, 'batchId'],
  ] as const)('%s %s → %i naming %s', async (method, route, opts, status, field) => {
    const res = await call(method, route, opts);
    expect(res.status).toBe(status);
    expect(res.body.field).toBe(field);
  });

  describe('timeoutSeconds on a local cloud started without relaxations: 60 … 31,104,000, as deployed', () => {
    it.each([
      ['/transfers', 59],
      ['/transfers', 31_104_001],
      ['/transfer-batches', 59],
    ] as const)('POST %s with %i → 400 naming timeoutSeconds and the range; nothing recorded, the certificate untouched', async (route, timeoutSeconds) => {
      const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 0 });
      const body = route === '/transfers' ? { certificateId: cert.certificateId, targetAccount: AUTO, timeoutSeconds } : { certificateIds: [cert.certificateId], targetAccount: AUTO, timeoutSeconds };

      const res = await call('POST', route, { body });

      expect(res).toMatchObject({ status: 400, body: { error: 'ValidationError', field: 'timeoutSeconds' } });
      expect(String(res.body.message)).toContain('timeoutSeconds must be an integer from 60 to 31104000');
      expect((await t.api().listTransfers({ certificateId: cert.certificateId })).items).toEqual([]);
      expect((await t.iot(SOURCE).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).certificateDescription?.status).toBe('ACTIVE');
    });

    it('31,104,000 is accepted: the wait is scheduled for that long, and an accepting target ends it as usual', async () => {
      const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 0 });
      const started = await call('POST', '/transfers', { body: { certificateId: cert.certificateId, targetAccount: AUTO, timeoutSeconds: 31_104_000 } });
      expect(started.status).toBe(202);

      const done = await until('the transfer to end', async () => {
        const r = await call('GET', '/transfers/{transferId}', { path: `/transfers/${String(started.body.transferId)}` });
        return finalStatus(r.body.status) ? r.body : undefined;
      });

      expect(done).toMatchObject({ status: 'ACCEPTED', timeoutSeconds: 31_104_000 });
      const history = await t.sfn().send(new GetExecutionHistoryCommand({ executionArn: String(started.body.executionArn) }));
      const waits = (history.events ?? []).filter((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken');
      expect(waits.map((e) => e.taskScheduledEventDetails?.timeoutInSeconds)).toEqual([31_104_000]);
    });
  });

  it('refuses unsigned requests and wrong signatures (403, as API Gateway does)', async () => {
    const unsigned = await fetch(`${t.cloud.apiUrl}/transfers`);
    expect(unsigned.status).toBe(403);
    expect(responseErrors('GET', '/transfers', 403, await unsigned.json())).toEqual([]);
    const forged = await t.api(SOURCE, 'wrong-secret').request('GET', '/transfers');
    expect(forged.status).toBe(403);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RejectCertificateTransferCommand } from '@aws-sdk/client-iot';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';

/*
 * Secrets stay where they belong: task tokens in the source account's store,
 * private keys with whoever created the certificate. Every function runs at
 * DEBUG log level with raw-event logging requested, through accept, reject by
 * hand, cancel and a failure; no log line and no event may carry a token, a
 * PEM or a private key.
 */
const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';

let t: TestCloud;
const logs: string[] = [];
const tokens = new Set<string>();

beforeAll(async () => {
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
  t = await startTestCloud({
    logLevel: 'DEBUG',
    // 555… is allowed but runs no target kit: offers to it fail inside the notify step.
    sourceParams: { allowedTargetAccounts: '222222222222,333333333333,555555555555' },
    onLog: (_arn, line) => logs.push(line),
    intercept: async (fn, event, run) => {
      const token = (event as { taskToken?: string }).taskToken;
      if (token) tokens.add(token);
      return run();
    },
  });
}, 60_000);
afterAll(async () => {
  delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
  await t?.stop();
});

const settle = (id: string) =>
  until(`transfer ${id} to end`, async () => {
    const r = await t.api().getTransfer(id);
    return ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'].includes(String(r.status)) ? r : undefined;
  });

describe('no secret leaves its place', () => {
  beforeAll(async () => {
    const source = t.iot(SOURCE);
    // accept
    const a = await makeDeviceCertificate(source);
    await settle(String((await t.api().startTransfer({ certificateId: a.certificateId, targetAccount: AUTO })).transferId));
    // reject by hand
    const r = await makeDeviceCertificate(source);
    const rid = String((await t.api().startTransfer({ certificateId: r.certificateId, targetAccount: HUMAN })).transferId);
    await until('offer', async () => (await t.api().getTransfer(rid)).status === 'AWAITING_DECISION');
    await t.iot(HUMAN).send(new RejectCertificateTransferCommand({ certificateId: r.certificateId }));
    await settle(rid);
    // cancel
    const c = await makeDeviceCertificate(source);
    const cid = String((await t.api().startTransfer({ certificateId: c.certificateId, targetAccount: HUMAN })).transferId);
    await until('offer', async () => (await t.api().getTransfer(cid)).status === 'AWAITING_DECISION');
    await t.api().cancelTransfer(cid);
    await settle(cid);
    // a failing step, whose error path logs the (redacted) event carrying the token
    const f = await makeDeviceCertificate(source);
    const failed = await settle(String((await t.api().startTransfer({ certificateId: f.certificateId, targetAccount: '555555555555' })).transferId));
    expect(failed.status).toBe('FAILED');
  }, 120_000);

  it('the flows really ran and logged at DEBUG (the checks below are not vacuous)', () => {
    expect(tokens.size).toBeGreaterThanOrEqual(4);
    expect(logs.length).toBeGreaterThan(5);
    expect(
      logs.some((l) => l.includes('notify-target failed')),
      logs
        .filter((l) => l.includes('"level":"ERROR"') || l.includes('failed'))
        .slice(0, 3)
        .join('\n'),
    ).toBe(true);
  });

  it('no log line carries a task token', () => {
    for (const token of tokens) expect(logs.filter((l) => l.includes(token))).toEqual([]);
  });

  it('no event on any bus carries a task token', () => {
    const events = t.cloud.events.recentEvents({ limit: 10_000 }).map((r) => JSON.stringify(r.event));
    expect(events.length).toBeGreaterThan(5);
    for (const token of tokens) expect(events.filter((e) => e.includes(token))).toEqual([]);
    for (const e of events) expect(e).not.toMatch(/taskToken|TaskToken/);
  });

  it('no log line or event carries a certificate PEM or a private key', () => {
    const everything = [...logs, ...t.cloud.events.recentEvents({ limit: 10_000 }).map((r) => JSON.stringify(r.event))];
    for (const line of everything) {
      expect(line).not.toContain('-----BEGIN');
      expect(line).not.toMatch(/PRIVATE KEY/);
    }
  });

  it('the API never returns a task token', async () => {
    const list = await t.api().request('GET', '/transfers', undefined, { limit: '50' });
    const body = JSON.stringify(list.body);
    for (const token of tokens) expect(body).not.toContain(token);
  });
});

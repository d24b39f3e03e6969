import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransferApiClient } from '../../src/api-client.js';
import { makeDeviceCertificate, startTestCloud, until, type DeviceCertificate, type TestCloud } from '../support/cloud.js';
import { RECONCILER_RUN_KEY } from '../../src/keys.js';
import { MAX_BATCH_BODY_IDS, MAX_BATCH_SIZE } from '../../src/validation.js';

/*
 * Malformed and hostile input, table-driven, across every way in: the REST
 * API, the Requested trigger, decision events and the CLI. Each case must get
 * the right 4xx (or, for events, be dropped with a logged reason) and change
 * nothing: the whole IoT state and the whole transfer table are compared
 * before and after.
 */
const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';
const STRANGER = '444444444444';
const run = promisify(execFile);

let t: TestCloud;
let cert: DeviceCertificate;
let awaiting: { transferId: string; certificateId: string };
const logs: string[] = [];
let tableName: string;

beforeAll(async () => {
  t = await startTestCloud({ logLevel: 'WARN', onLog: (_arn, line) => logs.push(line) });
  tableName = t.cloud.stacks[0].resources.TransferTable.ref;
  cert = await makeDeviceCertificate(t.iot(SOURCE));
  // One transfer waiting for a human, for decision and cancel cases.
  const waiting = await makeDeviceCertificate(t.iot(SOURCE));
  const started = await t.api().startTransfer({ certificateId: waiting.certificateId, targetAccount: HUMAN });
  awaiting = { transferId: String(started.transferId), certificateId: waiting.certificateId };
  await until('the offer', async () => (await t.api().getTransfer(awaiting.transferId)).status === 'AWAITING_DECISION');
  // Manifests an operator got wrong, uploaded to the stack's bucket.
  const s3 = new S3Client({ endpoint: t.cloud.awsUrl, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: SOURCE, secretAccessKey: 'x' } });
  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: t.cloud.stacks[0].resources.ManifestBucket.ref, Key: key, Body: body }));
  await put('too-many.txt', Array.from({ length: MAX_BATCH_SIZE + 1 }, (_, i) => i.toString(16).padStart(64, '0')).join('\n'));
  await put('typo.txt', `${cert.certificateId}\n${cert.certificateId.slice(1)}\n`);
  s3.destroy();
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

async function fingerprint(): Promise<string> {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: t.cloud.awsUrl, region: 'us-east-1', credentials: { accessKeyId: SOURCE, secretAccessKey: 'x' } }));
  const items: Record<string, unknown>[] = [];
  let key: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: key }));
    // Rate-budget counters and the reconciler's last-run mark are bookkeeping, not state that a request changes.
    items.push(...(page.Items ?? []).filter((i) => !String(i.pk).startsWith('RATE#') && i.pk !== RECONCILER_RUN_KEY.pk));
    key = page.LastEvaluatedKey;
  } while (key);
  ddb.destroy();
  items.sort((a, b) => String(a.pk).localeCompare(String(b.pk)));
  const iot = t.cloud.iot.snapshot() as unknown as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify(items)).update(JSON.stringify(iot)).digest('hex');
}

const HEX = 'a'.repeat(64);
const api = () => t.api();
const raw = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${t.cloud.apiUrl}${path}`, { method, body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
};

interface HttpCase {
  name: string;
  send: () => Promise<{ status: number; body: Record<string, unknown> }>;
  status: number;
  field?: string;
}

const http: HttpCase[] = [
  { name: 'POST /transfers without a body', send: () => api().request('POST', '/transfers'), status: 400, field: 'body' },
  { name: 'POST /transfers with a body that is not JSON', send: () => api().request('POST', '/transfers', '{"certificateId": "'), status: 400, field: 'body' },
  { name: 'POST /transfers with a JSON array', send: () => api().request('POST', '/transfers', []), status: 400, field: 'body' },
  { name: 'POST /transfers with JSON null', send: () => api().request('POST', '/transfers', null), status: 400, field: 'body' },
  { name: 'certificateId missing', send: () => api().request('POST', '/transfers', { targetAccount: AUTO }), status: 400, field: 'certificateId' },
  { name: 'certificateId a number', send: () => api().request('POST', '/transfers', { certificateId: 1234, targetAccount: AUTO }), status: 400, field: 'certificateId' },
  { name: 'certificateId 63 characters', send: () => api().request('POST', '/transfers', { certificateId: HEX.slice(1), targetAccount: AUTO }), status: 400, field: 'certificateId' },
  { name: 'certificateId 65 characters', send: () => api().request('POST', '/transfers', { certificateId: `${HEX}a`, targetAccount: AUTO }), status: 400, field: 'certificateId' },
  { name: 'certificateId with unicode', send: () => api().request('POST', '/transfers', { certificateId: `${HEX.slice(2)}é€`, targetAccount: AUTO }), status: 400, field: 'certificateId' },
  { name: 'certificateId SQL injection', send: () => api().request('POST', '/transfers', { certificateId: "' OR '1'='1' --", targetAccount: AUTO }), status: 400, field: 'certificateId' },
  { name: 'certificateId a NoSQL operator object', send: () => api().request('POST', '/transfers', { certificateId: { $ne: null }, targetAccount: AUTO }), status: 400, field: 'certificateId' },
  { name: 'targetAccount missing', send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId }), status: 400, field: 'targetAccount' },
  { name: 'targetAccount 13 digits', send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: '2222222222222' }), status: 400, field: 'targetAccount' },
  { name: 'targetAccount with letters', send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: '22222222222a' }), status: 400, field: 'targetAccount' },
  { name: 'targetAccount a number', send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: 222222222222 }), status: 400, field: 'targetAccount' },
  { name: 'targetAccount the source itself', send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: SOURCE }), status: 400, field: 'targetAccount' },
  { name: 'targetAccount not on the allow-list', send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: STRANGER }), status: 403, field: 'targetAccount' },
  {
    name: 'transferMessage of 129 characters',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, transferMessage: 'm'.repeat(129) }),
    status: 400,
    field: 'transferMessage',
  },
  {
    name: 'transferMessage an object',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, transferMessage: { text: 'hi' } }),
    status: 400,
    field: 'transferMessage',
  },
  {
    name: 'timeoutSeconds a string',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, timeoutSeconds: '600' }),
    status: 400,
    field: 'timeoutSeconds',
  },
  {
    name: 'timeoutSeconds negative',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, timeoutSeconds: -1 }),
    status: 400,
    field: 'timeoutSeconds',
  },
  {
    name: 'timeoutSeconds beyond a year',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, timeoutSeconds: 1e12 }),
    status: 400,
    field: 'timeoutSeconds',
  },
  {
    name: 'restoreOnFailure "false" as a string',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, restoreOnFailure: 'false' }),
    status: 400,
    field: 'restoreOnFailure',
  },
  { name: 'an unknown extra field', send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, priority: 'high' }), status: 400, field: 'priority' },
  {
    name: 'a __proto__ key',
    send: () => api().request('POST', '/transfers', `{"certificateId":"${cert.certificateId}","targetAccount":"${AUTO}","__proto__":{"admin":true}}`),
    status: 400,
    field: '__proto__',
  },
  {
    name: 'requestId with injection characters',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, requestId: '<script>alert(1)</script>' }),
    status: 400,
    field: 'requestId',
  },
  { name: 'a certificate that does not exist', send: () => api().request('POST', '/transfers', { certificateId: HEX, targetAccount: AUTO }), status: 404, field: 'certificateId' },
  {
    name: 'a certificate already in an open transfer',
    send: () => api().request('POST', '/transfers', { certificateId: awaiting.certificateId, targetAccount: AUTO }),
    status: 409,
    field: 'certificateId',
  },
  {
    name: 'a body over 10 MB',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, transferMessage: 'x'.repeat(11 * 1024 * 1024) }),
    status: 413,
  },
  {
    name: 'a 1 MB message',
    send: () => api().request('POST', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO, transferMessage: 'x'.repeat(1024 * 1024) }),
    status: 400,
    field: 'transferMessage',
  },
  { name: 'GET a malformed transfer id', send: () => api().request('GET', '/transfers/not-a-transfer-id'), status: 400, field: 'transferId' },
  { name: 'GET a path-traversal transfer id', send: () => api().request('GET', `/transfers/${encodeURIComponent('../../etc/passwd')}`), status: 400, field: 'transferId' },
  { name: 'GET an unknown transfer', send: () => api().request('GET', `/transfers/${crypto.randomUUID()}`), status: 404, field: 'transferId' },
  { name: 'DELETE an unknown transfer', send: () => api().request('DELETE', `/transfers/${crypto.randomUUID()}`), status: 404, field: 'transferId' },
  { name: 'DELETE with a 1,000-character reason', send: () => api().request('DELETE', `/transfers/${awaiting.transferId}`, { reason: 'r'.repeat(1000) }), status: 400, field: 'reason' },
  { name: 'DELETE with an unknown field', send: () => api().request('DELETE', `/transfers/${awaiting.transferId}`, { force: true }), status: 400, field: 'force' },
  { name: 'GET /transfers?status=BOGUS', send: () => api().request('GET', '/transfers', undefined, { status: 'BOGUS' }), status: 400, field: 'status' },
  { name: 'GET /transfers?limit=abc', send: () => api().request('GET', '/transfers', undefined, { limit: 'abc' }), status: 400, field: 'limit' },
  { name: 'GET /transfers?certificateId=../../', send: () => api().request('GET', '/transfers', undefined, { certificateId: '../../' }), status: 400, field: 'certificateId' },
  {
    name: 'POST /transfer-batches with 85,001 ids',
    send: () => api().request('POST', '/transfer-batches', { certificateIds: Array.from({ length: MAX_BATCH_BODY_IDS + 1 }, (_, i) => i.toString(16).padStart(64, '0')), targetAccount: AUTO }),
    status: 400,
    field: 'certificateIds',
  },
  {
    name: 'POST /transfer-batches with a manifest of 100,001 ids',
    send: () => api().request('POST', '/transfer-batches', { manifest: { key: 'too-many.txt' }, targetAccount: AUTO }),
    status: 400,
    field: 'manifest',
  },
  {
    name: 'POST /transfer-batches with a manifest line that is no id',
    send: () => api().request('POST', '/transfer-batches', { manifest: { key: 'typo.txt' }, targetAccount: AUTO }),
    status: 400,
    field: 'manifest',
  },
  {
    name: 'POST /transfer-batches with a manifest never uploaded',
    send: () => api().request('POST', '/transfer-batches', { manifest: { key: 'nope.txt' }, targetAccount: AUTO }),
    status: 400,
    field: 'manifest.key',
  },
  {
    name: "POST /transfer-batches with a manifest in another account's bucket",
    send: () => api().request('POST', '/transfer-batches', { manifest: { bucket: 'someone-elses-bucket', key: 'typo.txt' }, targetAccount: AUTO }),
    status: 400,
    field: 'manifest.bucket',
  },
  { name: 'POST /transfer-batches with no ids', send: () => api().request('POST', '/transfer-batches', { certificateIds: [], targetAccount: AUTO }), status: 400, field: 'certificateIds' },
  {
    name: 'POST /transfer-batches with maxConcurrency 0',
    send: () => api().request('POST', '/transfer-batches', { certificateIds: [cert.certificateId], targetAccount: AUTO, maxConcurrency: 0 }),
    status: 400,
    field: 'maxConcurrency',
  },
  { name: 'GET an unknown batch', send: () => api().request('GET', `/transfer-batches/${crypto.randomUUID()}`), status: 404, field: 'batchId' },
  { name: 'PUT /transfers (no such method)', send: () => api().request('PUT', '/transfers', { certificateId: cert.certificateId, targetAccount: AUTO }), status: 403 },
  { name: 'PATCH a transfer (no such method)', send: () => api().request('PATCH', `/transfers/${awaiting.transferId}`, {}), status: 403 },
  { name: 'an unknown path', send: () => api().request('GET', '/admin'), status: 403 },
  { name: 'an unsigned POST', send: () => raw('POST', '/transfers', JSON.stringify({ certificateId: cert.certificateId, targetAccount: AUTO })), status: 403 },
  {
    name: 'a forged Authorization header',
    send: () =>
      raw('POST', '/transfers', JSON.stringify({ certificateId: cert.certificateId, targetAccount: AUTO }), {
        authorization: `AWS4-HMAC-SHA256 Credential=${SOURCE}/20261122/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
        'x-amz-date': '20261122T000000Z',
      }),
    status: 403,
  },
  {
    name: 'a request signed with the wrong secret',
    send: () =>
      new TransferApiClient({ endpoint: t.cloud.apiUrl, region: 'us-east-1', credentials: { accessKeyId: SOURCE, secretAccessKey: 'wrong' } }).request('POST', '/transfers', {
        certificateId: cert.certificateId,
        targetAccount: AUTO,
      }),
    status: 403,
  },
];

describe('hostile HTTP requests get the right 4xx and change nothing', () => {
  it.each(http)('$name → $status', async ({ send, status, field }) => {
    const before = await fingerprint();
    const res = await send();
    expect(res.status).toBe(status);
    if (field) expect(res.body.field).toBe(field);
    if (status === 400) expect(String(res.body.message)).toContain(field ?? '');
    expect(await fingerprint()).toBe(before);
  });
});

interface EventCase {
  name: string;
  account: string;
  detailType: string;
  detail: unknown;
  /** The reason logged by the function that dropped it, or "refused by EventBridge" when the bus policy stops it. */
  expect: RegExp | 'refused by EventBridge';
}

const events: () => EventCase[] = () => [
  {
    name: 'an accept from a stranger account',
    account: STRANGER,
    detailType: 'Certificate Transfer Accepted',
    detail: { transferId: awaiting.transferId, certificateId: awaiting.certificateId, sourceAccount: SOURCE, targetAccount: STRANGER, decidedAt: new Date().toISOString() },
    expect: 'refused by EventBridge',
  },
  {
    name: 'an accept from the wrong target',
    account: AUTO,
    detailType: 'Certificate Transfer Accepted',
    detail: { transferId: awaiting.transferId, certificateId: awaiting.certificateId, sourceAccount: SOURCE, targetAccount: AUTO, decidedAt: new Date().toISOString() },
    expect: /sent by account 222222222222/,
  },
  {
    name: 'an accept from the source account itself',
    account: SOURCE,
    detailType: 'Certificate Transfer Accepted',
    detail: { transferId: awaiting.transferId, certificateId: awaiting.certificateId, sourceAccount: SOURCE, targetAccount: HUMAN, decidedAt: new Date().toISOString() },
    expect: /sent by account 111111111111/,
  },
  {
    name: 'a reject naming another certificate',
    account: HUMAN,
    detailType: 'Certificate Transfer Rejected',
    detail: { transferId: awaiting.transferId, certificateId: HEX, sourceAccount: SOURCE, targetAccount: HUMAN, decidedAt: new Date().toISOString() },
    expect: /certificateId does not match/,
  },
  {
    name: 'an accept with an injection-looking transferId',
    account: HUMAN,
    detailType: 'Certificate Transfer Accepted',
    detail: { transferId: "x' OR 1=1", certificateId: awaiting.certificateId, sourceAccount: SOURCE, targetAccount: HUMAN, decidedAt: 'now' },
    expect: /malformed detail/,
  },
  // EventBridge itself refuses a Detail that is not a JSON object.
  { name: 'an accept whose detail is a string', account: HUMAN, detailType: 'Certificate Transfer Accepted', detail: 'accept please', expect: 'refused by EventBridge' },
  {
    name: 'an accept for an unknown transfer',
    account: HUMAN,
    detailType: 'Certificate Transfer Accepted',
    detail: { transferId: crypto.randomUUID(), certificateId: awaiting.certificateId, sourceAccount: SOURCE, targetAccount: HUMAN, decidedAt: new Date().toISOString() },
    expect: /unknown transfer/,
  },
];

describe('hostile events are dropped with a logged reason and change nothing', () => {
  const names = [
    'an accept from a stranger account',
    'an accept from the wrong target',
    'an accept from the source account itself',
    'a reject naming another certificate',
    'an accept with an injection-looking transferId',
    'an accept whose detail is a string',
    'an accept for an unknown transfer',
  ];
  it.each(names)('%s', async (name) => {
    const c = events().find((e) => e.name === name)!;
    const before = await fingerprint();
    const seen = logs.length;
    const out = await t.events(c.account).send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: `arn:aws:events:us-east-1:${SOURCE}:event-bus/certificate-transfer-local`, Source: 'iot.certificate-transfer', DetailType: c.detailType, Detail: JSON.stringify(c.detail) },
        ],
      }),
    );
    if (c.expect === 'refused by EventBridge') {
      expect(out.FailedEntryCount).toBe(1);
    } else {
      expect(out.FailedEntryCount).toBe(0);
      await t.cloud.events.waitForIdle();
      const expected = c.expect;
      await until('the logged reason', async () => logs.slice(seen).some((l) => l.includes('Decision ignored') && expected.test(l)));
    }
    expect(await fingerprint()).toBe(before);
    expect((await t.api().getTransfer(awaiting.transferId)).status).toBe('AWAITING_DECISION');
  });

  it('a Requested event from a target account starts nothing', async () => {
    const before = await fingerprint();
    const out = await t.events(AUTO).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: `arn:aws:events:us-east-1:${SOURCE}:event-bus/certificate-transfer-local`,
            Source: 'iot.certificate-transfer',
            DetailType: 'Certificate Transfer Requested',
            Detail: JSON.stringify({ certificateId: cert.certificateId, targetAccount: AUTO }),
          },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    await t.cloud.events.waitForIdle();
    expect(await fingerprint()).toBe(before);
  });

  it.each([
    ['a malformed certificateId', { certificateId: 'nope', targetAccount: AUTO, requestId: 'bad-1' }, /certificateId/],
    ['an unknown field', { certificateId: cert?.certificateId ?? HEX, targetAccount: AUTO, requestId: 'bad-2', evil: true }, /evil/],
    ['a target not on the allow-list', { certificateId: HEX, targetAccount: STRANGER, requestId: 'bad-3' }, /allow-list/],
  ])('a Requested event with %s is answered by a Completed FAILED event naming the reason', async (_n, detail, reason) => {
    const completed: Record<string, unknown>[] = [];
    const off = t.cloud.events.onEvent((ch) => {
      if (ch.type === 'event' && ch.record.event['detail-type'] === 'Certificate Transfer Completed') completed.push(ch.record.event.detail as Record<string, unknown>);
    });
    try {
      await t.events(SOURCE).send(
        new PutEventsCommand({
          Entries: [{ EventBusName: 'certificate-transfer-local', Source: 'iot.certificate-transfer', DetailType: 'Certificate Transfer Requested', Detail: JSON.stringify(detail) }],
        }),
      );
      const failed = await until('the FAILED event', async () => completed.find((d) => d.requestId === detail.requestId));
      expect(failed).toMatchObject({ outcome: 'FAILED', reason: expect.stringMatching(reason) });
    } finally {
      off();
    }
  });
});

describe('bad CLI arguments exit 2 with a message naming the argument, sending nothing', () => {
  const cli = async (...args: string[]) => {
    try {
      const out = await run('node', ['bin/cert-transfer.mjs', ...args], { env: { ...process.env, AWS_ACCESS_KEY_ID: SOURCE, AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' } });
      return { code: 0, out: out.stdout + out.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout + e.stderr };
    }
  };
  it.each([
    ['start with no certificate id', ['start', '--to', AUTO], /certificate/i],
    ['start with a malformed certificate id', ['start', 'xyz', '--to', AUTO], /certificate/i],
    ['start with a malformed account', ['start', HEX, '--to', 'abc'], /--to|account/i],
    ['start with a bad duration', ['start', HEX, '--to', AUTO, '--timeout', '7x'], /timeout/i],
    ['an unknown command', ['teleport', HEX], /teleport|command/i],
    ['an unknown option', ['status', crypto.randomUUID(), '--colour'], /colour|option/i],
  ])(
    '%s',
    async (_n, args, message) => {
      const before = await fingerprint();
      const res = await cli(...args, '--endpoint', t.cloud.apiUrl);
      expect(res.code).toBe(2);
      expect(res.out).toMatch(message);
      expect(await fingerprint()).toBe(before);
    },
    30_000,
  );
});

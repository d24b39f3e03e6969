// SigV4 clients we did not write (curl --aws-sigv4, botocore's SigV4Auth) against the local cloud's
// transfer API: start, read, list, cancel, percent-encoded paths, and tampered requests refused.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';

const SOURCE = '111111111111';
const HUMAN = '333333333333';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'sigv4-clients-'));

interface Answer {
  status: number;
  errorType?: string;
  body: Record<string, unknown>;
}

interface Client {
  name: string;
  /** Signs and sends; `query` is appended as written, so each client's own canonicalization is what gets tested. */
  send(method: string, path: string, opts?: { body?: unknown }): Promise<Answer>;
}

let t: TestCloud;
let curlVersion: number[] = [];
beforeAll(async () => {
  t = await startTestCloud();
  curlVersion = (await run('curl', ['--version'])).stdout
    .match(/^curl (\d+)\.(\d+)\.(\d+)/)!
    .slice(1)
    .map(Number);
}, 120_000);
afterAll(async () => {
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

const parse = (text: string): Record<string, unknown> => (text ? (JSON.parse(text) as Record<string, unknown>) : {});
let bodies = 0;

/** curl --aws-sigv4, its body always from a file (--data-binary @file), so large bodies go the same way. */
async function curl(method: string, path: string, opts: { body?: unknown; headers?: string[] } = {}): Promise<Answer> {
  const args = ['-sS', '-X', method, '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', `${SOURCE}:x`, '-w', '\n%{http_code}\n%header{x-amzn-errortype}'];
  for (const h of opts.headers ?? []) args.push('-H', h);
  if (opts.body !== undefined) {
    const file = join(work, `body-${++bodies}.json`);
    writeFileSync(file, typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    args.push('-H', 'content-type: application/json', '--data-binary', `@${file}`);
  }
  const { stdout } = await run('curl', [...args, `${t.cloud.apiUrl}${path}`]);
  const lines = stdout.split('\n');
  const errorType = lines.pop() || undefined;
  const status = Number(lines.pop());
  return { status, errorType, body: parse(lines.join('\n')) };
}

/** botocore's signer and HTTP session, driven by test/e2e/sigv4-botocore.py. */
function botocore(method: string, path: string, opts: { body?: unknown; tamper?: 'signature' | 'body'; tamperedBody?: unknown } = {}): Promise<Answer & { signedHeaders: string }> {
  const spec = {
    method,
    url: `${t.cloud.apiUrl}${path}`,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    tamper: opts.tamper,
    tamperedBody: opts.tamperedBody === undefined ? undefined : JSON.stringify(opts.tamperedBody),
  };
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [join(import.meta.dirname, 'sigv4-botocore.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`botocore script exited ${code}: ${err}`));
      const r = JSON.parse(out) as { status: number; errorType: string | null; body: Record<string, unknown> | null; signedHeaders: string };
      resolve({ status: r.status, errorType: r.errorType ?? undefined, body: r.body ?? {}, signedHeaders: r.signedHeaders });
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

const clients: Client[] = [
  { name: 'curl --aws-sigv4', send: (m, p, o) => curl(m, p, o) },
  { name: 'botocore SigV4Auth', send: (m, p, o) => botocore(m, p, o) },
];

async function certificateUntouched(certificateId: string, send: Client['send']) {
  const cert = await t.iot(SOURCE).send(new DescribeCertificateCommand({ certificateId }));
  expect(cert.certificateDescription?.status).toBe('ACTIVE');
  const listed = await send('GET', `/transfers?certificateId=${certificateId}`);
  expect(listed).toMatchObject({ status: 200, body: { items: [] } });
}

describe.each(clients)('$name against the transfer API', (client) => {
  let transferId = '';
  let certificateId = '';

  it('POST /transfers with a JSON body starts a transfer to the notify-only account', async () => {
    certificateId = (await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 })).certificateId;
    const res = await client.send('POST', '/transfers', { body: { certificateId, targetAccount: HUMAN, transferMessage: `signed by ${client.name}` } });
    transferId = String(res.body.transferId);
    expect(res).toMatchObject({
      status: 202,
      body: {
        transferId: expect.stringMatching(UUID),
        executionArn: expect.stringMatching(/^arn:aws:states:us-east-1:111111111111:execution:/),
        consoleUrl: expect.stringContaining('/executions/details/'),
      },
    });
  });

  it('GET /transfers/{transferId} shows it waiting for the target decision', async () => {
    const res = await until('the offer to wait for a decision', async () => {
      const r = await client.send('GET', `/transfers/${transferId}`);
      return r.status === 200 && r.body.status === 'AWAITING_DECISION' ? r : undefined;
    });
    expect(res.body).toMatchObject({ transferId, certificateId, targetAccount: HUMAN, transferMessage: `signed by ${client.name}` });
  });

  it('GET /transfers?certificateId=…&status=AWAITING_DECISION lists it', async () => {
    // In sorted order: curl before 8.14 signs the query as written, and AWS sorts it.
    const res = await client.send('GET', `/transfers?certificateId=${certificateId}&status=AWAITING_DECISION`);
    expect(res).toMatchObject({ status: 200, body: { items: [expect.objectContaining({ transferId, status: 'AWAITING_DECISION' })] } });
  });

  it('a percent-encoded path segment is signed as sent and encoded once more by the verifier', async () => {
    const encoded = `/transfers/${transferId.replace('-', '%2D')}`;
    const res = await client.send('GET', encoded);
    const curlSignsPathVerbatim = client.name.startsWith('curl') && (curlVersion[0] < 8 || (curlVersion[0] === 8 && curlVersion[1] < 14));
    if (curlSignsPathVerbatim) {
      // curl before 8.14 signs the path without the second encoding every service but S3 applies, so AWS refuses it too.
      expect(res).toMatchObject({ status: 403, errorType: 'InvalidSignatureException', body: { message: expect.stringContaining(`\n/transfers/${transferId.replace('-', '%252D')}\n`) } });
    } else {
      expect(res).toMatchObject({ status: 200, body: { transferId, status: 'AWAITING_DECISION' } });
    }
  });

  it('DELETE /transfers/{transferId} cancels it, and the certificate comes back', async () => {
    const res = await client.send('DELETE', `/transfers/${transferId}`);
    expect(res).toMatchObject({ status: 202, body: { transferId, status: 'CANCELLING' } });
    const done = await until('the cancel to finish', async () => {
      const r = await client.send('GET', `/transfers/${transferId}`);
      return r.body.status === 'CANCELLED' ? r : undefined;
    });
    expect(done).toMatchObject({ status: 200, body: { transferId, status: 'CANCELLED' } });
    const cert = await t.iot(SOURCE).send(new DescribeCertificateCommand({ certificateId }));
    expect(cert.certificateDescription?.status).toBe('ACTIVE');
  });
});

describe('botocore: encoded ARNs in the path, and tampering', () => {
  it('a path segment carrying an encoded IoT ARN (%3A, %2F) passes the signature check and reaches the route', async () => {
    const arn = encodeURIComponent(`arn:aws:iot:us-east-1:${SOURCE}:cert/${'a'.repeat(64)}`);
    expect(arn).toContain('%2F');
    const res = await botocore('GET', `/transfers/${arn}`);
    expect(res).toMatchObject({ status: 400, body: { message: expect.stringContaining('transferId') } });
  });

  it('signs only what it sends: no x-amz-content-sha256 in SignedHeaders', async () => {
    const res = await botocore('GET', '/transfers?status=AWAITING_DECISION&limit=1');
    expect(res).toMatchObject({ status: 200, signedHeaders: 'host;x-amz-date' });
  });

  it('a tampered signature is refused with 403 and starts nothing', async () => {
    const { certificateId } = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 0 });
    const res = await botocore('POST', '/transfers', { body: { certificateId, targetAccount: HUMAN }, tamper: 'signature' });
    expect(res).toMatchObject({ status: 403, errorType: 'InvalidSignatureException', body: { message: expect.stringContaining('does not match the signature you provided') } });
    await certificateUntouched(certificateId, (m, p) => botocore(m, p));
  });

  it('a body changed after signing is refused with 403 and starts nothing', async () => {
    const signedFor = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 0 });
    const swapped = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 0 });
    const res = await botocore('POST', '/transfers', {
      body: { certificateId: signedFor.certificateId, targetAccount: HUMAN },
      tamper: 'body',
      tamperedBody: { certificateId: swapped.certificateId, targetAccount: HUMAN },
    });
    expect(res).toMatchObject({ status: 403, errorType: 'InvalidSignatureException' });
    await certificateUntouched(signedFor.certificateId, (m, p) => botocore(m, p));
    await certificateUntouched(swapped.certificateId, (m, p) => botocore(m, p));
  });
});

describe('curl: a body that is not the one signed', () => {
  it('an x-amz-content-sha256 of another body, signed by curl, is refused with 403 and starts nothing', async () => {
    const { certificateId } = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 0 });
    const other = createHash('sha256').update('{}').digest('hex');
    const res = await curl('POST', '/transfers', { body: { certificateId, targetAccount: HUMAN }, headers: [`x-amz-content-sha256: ${other}`] });
    expect(res).toMatchObject({ status: 403, errorType: 'InvalidSignatureException' });
    await certificateUntouched(certificateId, (m, p) => curl(m, p));
  });

  it('a large body (1 MiB, from a file) is hashed whole', async () => {
    const { certificateId } = await makeDeviceCertificate(t.iot(SOURCE), { policies: 0, things: 0 });
    // Trailing whitespace keeps the JSON valid.
    const body = `${JSON.stringify({ certificateId, targetAccount: HUMAN })}${' '.repeat(1024 * 1024)}`;
    const res = await curl('POST', '/transfers', { body });
    expect(res).toMatchObject({ status: 202, body: { transferId: expect.stringMatching(UUID) } });
  });
});

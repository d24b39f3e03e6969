import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { canonicalHeaders, canonicalQuery, canonicalUri, verifySigV4 } from '../../../local/apigateway/sigv4.js';

const secretFor = (key: string) => (/^\d{12}$/.test(key) ? 'x' : undefined);

/** Signed by the JS SDK's signer; `applyChecksum: false` signs like curl and botocore do (no x-amz-content-sha256). */
async function signed(
  opts: { secret?: string; accessKeyId?: string; body?: string; path?: string; query?: Record<string, string>; date?: Date; headers?: Record<string, string>; applyChecksum?: boolean } = {},
) {
  const body = opts.body ?? '{"certificateId":"abc"}';
  const req = new HttpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 3000,
    path: opts.path ?? '/transfers',
    query: opts.query ?? {},
    headers: { host: '127.0.0.1:3000', 'content-type': 'application/json', ...opts.headers },
    body,
  });
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'us-east-1',
    credentials: { accessKeyId: opts.accessKeyId ?? '111111111111', secretAccessKey: opts.secret ?? 'x' },
    sha256: Sha256,
    applyChecksum: opts.applyChecksum ?? true,
  });
  const s = await signer.sign(req, { signingDate: opts.date });
  const headers = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const rawPath = opts.path ?? '/transfers';
  // The query as TransferApiClient sends it (URLSearchParams: a space becomes '+').
  return { method: 'POST', rawPath, rawQuery: new URLSearchParams(opts.query ?? {}).toString(), headers: headers as Record<string, string | string[]>, body: Buffer.from(body) };
}

describe('SigV4 verification (API Gateway AWS_IAM)', () => {
  it('accepts a correctly signed request and names the caller account', async () => {
    expect(verifySigV4(await signed(), secretFor)).toMatchObject({ ok: true, account: '111111111111', service: 'execute-api', region: 'us-east-1' });
  });

  it('accepts query strings and encoded path segments', async () => {
    // Clients sign the path as they send it, already encoded (the SDK and TransferApiClient do).
    const req = await signed({ path: '/transfers/a%20b%2Fc', query: { status: 'AWAITING_DECISION', certificateId: 'x y' } });
    expect(verifySigV4(req, secretFor)).toMatchObject({ ok: true });
  });

  it('refuses an unsigned request with Missing Authentication Token', async () => {
    const req = await signed();
    delete req.headers.authorization;
    expect(verifySigV4(req, secretFor)).toMatchObject({ ok: false, status: 403, message: 'Missing Authentication Token' });
  });

  it('refuses a wrong secret', async () => {
    expect(verifySigV4(await signed({ secret: 'wrong' }), secretFor)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });

  it('refuses a body changed after signing', async () => {
    const req = await signed();
    req.body = Buffer.from('{"certificateId":"evil"}');
    expect(verifySigV4(req, secretFor)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });

  it('refuses an unknown access key', async () => {
    expect(verifySigV4(await signed({ accessKeyId: 'AKIAUNKNOWN' }), secretFor)).toMatchObject({ ok: false, type: 'UnrecognizedClientException' });
  });

  it('refuses a signature from more than 5 minutes ago, as API Gateway does', async () => {
    expect(verifySigV4(await signed({ date: new Date(Date.now() - 6 * 60_000) }), secretFor)).toMatchObject({ ok: false, message: expect.stringContaining('expired') });
  });

  it('refuses a signature scoped to another service or region, as API Gateway does', async () => {
    const req = await signed();
    expect(verifySigV4(req, secretFor, Date.now(), { service: 's3' })).toMatchObject({ ok: false, message: expect.stringContaining("scoped to correct service: 's3'") });
    expect(verifySigV4(req, secretFor, Date.now(), { region: 'eu-west-1' })).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
    expect(verifySigV4(req, secretFor, Date.now(), { service: 'execute-api', region: 'us-east-1' })).toMatchObject({ ok: true });
  });

  it('refuses a garbled Authorization header', async () => {
    const req = await signed();
    req.headers.authorization = 'AWS4-HMAC-SHA256 nonsense';
    expect(verifySigV4(req, secretFor)).toMatchObject({ ok: false, type: 'IncompleteSignatureException' });
  });
});

describe('SigV4 canonical request, from exactly what the client signed', () => {
  it('encodes each path segment once more, as sent: an encoded ARN stays one segment', () => {
    expect(canonicalUri('/transfers/a%20b')).toBe('/transfers/a%2520b');
    expect(canonicalUri('/things/arn%3Aaws%3Aiot%3Aus-east-1%3A111111111111%3Acert%2Fabc')).toBe('/things/arn%253Aaws%253Aiot%253Aus-east-1%253A111111111111%253Acert%252Fabc');
    expect(canonicalUri('/a/./b/../c//d/')).toBe('/a/c/d/');
    expect(canonicalUri('')).toBe('/');
  });

  it('sorts the query by encoded key then value, each re-encoded per RFC 3986 (+ is a space, %2B a plus)', () => {
    expect(canonicalQuery('b=2&a=1&a=0&A=9')).toBe('A=9&a=0&a=1&b=2');
    expect(canonicalQuery('x=a+b&y=a%2Bb&z=%7e%2f&flag')).toBe('flag=&x=a%20b&y=a%2Bb&z=~%2F');
    expect(canonicalQuery('')).toBe('');
  });

  it('takes only the signed headers: values trimmed, runs of spaces collapsed, repeats joined with a comma', () => {
    const headers = { host: 'h', 'my-header': ['  a   b ', 'c'], 'x-unsigned': 'n' };
    expect(canonicalHeaders(headers, ['host', 'my-header'])).toBe('host:h\nmy-header:a b,c\n');
  });

  it('accepts a client that signed only host and x-amz-date, whatever else it sends (curl, botocore)', async () => {
    const req = await signed({ applyChecksum: false });
    expect(req.headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date,');
    req.headers['x-amz-content-sha256'] = createHash('sha256').update(req.body).digest('hex');
    req.headers['user-agent'] = 'curl/7.88.1';
    expect(verifySigV4(req, secretFor)).toMatchObject({ ok: true });
  });

  it('hashes the body received: a signed UNSIGNED-PAYLOAD or the hash of another body is refused', async () => {
    const unsigned = await signed({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(unsigned.headers.authorization).toContain('x-amz-content-sha256');
    expect(verifySigV4(unsigned, secretFor)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
    const other = await signed({ headers: { 'x-amz-content-sha256': createHash('sha256').update('{}').digest('hex') } });
    expect(verifySigV4(other, secretFor)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });

  it('says what it expected, as API Gateway does: the canonical string and the string to sign', async () => {
    const res = verifySigV4(await signed({ secret: 'wrong' }), secretFor);
    expect(res.ok).toBe(false);
    expect(!res.ok && res.message).toMatch(
      /The Canonical String for this request should have been\n'POST\n\/transfers\n\ncontent-type:application\/json\nhost:127.0.0.1:3000\n[^]*'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n\d{8}T\d{6}Z\n\d{8}\/us-east-1\/execute-api\/aws4_request\n[0-9a-f]{64}'\n$/,
    );
  });

  it('refuses a signature whose length is wrong without comparing past it', async () => {
    const req = await signed();
    req.headers.authorization = String(req.headers.authorization).replace(/Signature=[0-9a-f]{64}/, (m) => m.slice(0, -1));
    expect(verifySigV4(req, secretFor)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });

  it('refuses a credential scope dated another day than X-Amz-Date', async () => {
    const req = await signed();
    const day = String(req.headers['x-amz-date']).slice(0, 8);
    req.headers.authorization = String(req.headers.authorization).replace(`/${day}/`, '/20150830/');
    expect(verifySigV4(req, secretFor)).toMatchObject({
      ok: false,
      type: 'InvalidSignatureException',
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150830' != '${day}', from '${req.headers['x-amz-date']}'.`,
    });
  });

  it('refuses a signature from more than 5 minutes ahead, and accepts one 4 minutes off either way', async () => {
    expect(verifySigV4(await signed({ date: new Date(Date.now() + 6 * 60_000) }), secretFor)).toMatchObject({
      ok: false,
      type: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/),
    });
    const now = Date.now();
    const old = verifySigV4(await signed({ date: new Date(now - 6 * 60_000) }), secretFor, now);
    expect(old).toMatchObject({ ok: false, message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/) });
    expect(verifySigV4(await signed({ date: new Date(now - 4 * 60_000) }), secretFor, now)).toMatchObject({ ok: true });
    expect(verifySigV4(await signed({ date: new Date(now + 4 * 60_000) }), secretFor, now)).toMatchObject({ ok: true });
  });

  it('refuses a signature that does not cover the Host header', async () => {
    const req = await signed();
    req.headers.authorization = String(req.headers.authorization).replace('SignedHeaders=content-type;host;', 'SignedHeaders=content-type;');
    expect(verifySigV4(req, secretFor)).toMatchObject({ ok: false, type: 'InvalidSignatureException', message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." });
  });

  it('names every missing Authorization parameter, and refuses a signature in both the header and the query', async () => {
    const req = await signed();
    delete req.headers['x-amz-date'];
    req.headers.authorization = 'AWS4-HMAC-SHA256 Credential=111111111111/20150830/us-east-1/execute-api/aws4_request';
    expect(verifySigV4(req, secretFor)).toMatchObject({
      ok: false,
      type: 'IncompleteSignatureException',
      message:
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=111111111111/20150830/us-east-1/execute-api/aws4_request",
    });
    const both = await signed();
    both.rawQuery = 'X-Amz-Algorithm=AWS4-HMAC-SHA256';
    expect(verifySigV4(both, secretFor)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });

  it('refuses another algorithm and a credential without five parts', async () => {
    const req = await signed();
    const auth = String(req.headers.authorization);
    expect(verifySigV4({ ...req, headers: { ...req.headers, authorization: auth.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256') } }, secretFor)).toMatchObject({
      ok: false,
      type: 'IncompleteSignatureException',
    });
    expect(verifySigV4({ ...req, headers: { ...req.headers, authorization: auth.replace('/us-east-1/', '/') } }, secretFor)).toMatchObject({
      ok: false,
      type: 'IncompleteSignatureException',
      message: expect.stringContaining('exactly 5 slash-delimited elements'),
    });
    expect(verifySigV4({ ...req, headers: { ...req.headers, authorization: 'Bearer abc' } }, secretFor)).toMatchObject({ ok: false, type: 'MissingAuthenticationTokenException' });
  });

  it('accepts an HTTP Date header when there is no X-Amz-Date, signing its time in ISO 8601 basic format', () => {
    const time = Math.floor(Date.now() / 1000) * 1000;
    const amzDate = new Date(time).toISOString().replace(/[-:]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    // Signed by hand, per the spec's four steps, so the test does not lean on the verifier's own code.
    const creq = `GET\n/transfers\n\ndate:${new Date(time).toUTCString()}\nhost:127.0.0.1:3000\n\ndate;host\n${createHash('sha256').update('').digest('hex')}`;
    const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${day}/us-east-1/execute-api/aws4_request\n${createHash('sha256').update(creq).digest('hex')}`;
    const key = ['us-east-1', 'execute-api', 'aws4_request'].reduce((k, part) => createHmac('sha256', k).update(part).digest(), createHmac('sha256', 'AWS4x').update(day).digest());
    const signature = createHmac('sha256', key).update(sts).digest('hex');
    const req = {
      method: 'GET',
      rawPath: '/transfers',
      rawQuery: '',
      body: Buffer.alloc(0),
      headers: {
        host: '127.0.0.1:3000',
        date: new Date(time).toUTCString(),
        authorization: `AWS4-HMAC-SHA256 Credential=111111111111/${day}/us-east-1/execute-api/aws4_request, SignedHeaders=date;host, Signature=${signature}`,
      },
    };
    expect(verifySigV4(req, secretFor, time)).toMatchObject({ ok: true, account: '111111111111' });
    expect(verifySigV4({ ...req, headers: { ...req.headers, date: new Date(time + 1000).toUTCString() } }, secretFor, time)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });
});

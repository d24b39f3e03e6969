import { describe, expect, it } from 'vitest';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { verifySigV4 } from '../../../local/apigateway/sigv4.js';

const secretFor = (key: string) => (/^\d{12}$/.test(key) ? 'x' : undefined);

async function signed(opts: { secret?: string; accessKeyId?: string; body?: string; path?: string; query?: Record<string, string>; date?: Date } = {}) {
  const body = opts.body ?? '{"certificateId":"abc"}';
  const req = new HttpRequest({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 3000, path: opts.path ?? '/transfers', query: opts.query ?? {}, headers: { host: '127.0.0.1:3000', 'content-type': 'application/json' }, body });
  const signer = new SignatureV4({ service: 'execute-api', region: 'us-east-1', credentials: { accessKeyId: opts.accessKeyId ?? '111111111111', secretAccessKey: opts.secret ?? 'x' }, sha256: Sha256 });
  const s = await signer.sign(req, { signingDate: opts.date });
  const headers = Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const rawPath = opts.path ?? '/transfers';
  return { method: 'POST', rawPath, query: new URLSearchParams(opts.query ?? {}), headers, body: Buffer.from(body) };
}

describe('SigV4 verification (API Gateway AWS_IAM)', () => {
  it('accepts a correctly signed request and names the caller account', async () => {
    await expect(verifySigV4(await signed(), secretFor)).resolves.toMatchObject({ ok: true, account: '111111111111', service: 'execute-api', region: 'us-east-1' });
  });

  it('accepts query strings and encoded path segments', async () => {
    // Clients sign the path as they send it, already encoded (the SDK and TransferApiClient do).
    const req = await signed({ path: '/transfers/a%20b%2Fc', query: { status: 'AWAITING_DECISION', certificateId: 'x y' } });
    await expect(verifySigV4(req, secretFor)).resolves.toMatchObject({ ok: true });
  });

  it('refuses an unsigned request with Missing Authentication Token', async () => {
    const req = await signed();
    delete req.headers.authorization;
    await expect(verifySigV4(req, secretFor)).resolves.toMatchObject({ ok: false, status: 403, message: 'Missing Authentication Token' });
  });

  it('refuses a wrong secret', async () => {
    await expect(verifySigV4(await signed({ secret: 'wrong' }), secretFor)).resolves.toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });

  it('refuses a body changed after signing', async () => {
    const req = await signed();
    req.body = Buffer.from('{"certificateId":"evil"}');
    await expect(verifySigV4(req, secretFor)).resolves.toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });

  it('refuses an unknown access key', async () => {
    await expect(verifySigV4(await signed({ accessKeyId: 'AKIAUNKNOWN' }), secretFor)).resolves.toMatchObject({ ok: false, type: 'UnrecognizedClientException' });
  });

  it('refuses a signature from more than 15 minutes ago', async () => {
    await expect(verifySigV4(await signed({ date: new Date(Date.now() - 20 * 60_000) }), secretFor)).resolves.toMatchObject({ ok: false, message: expect.stringContaining('expired') });
  });

  it('refuses a signature scoped to another service or region, as API Gateway does', async () => {
    const req = await signed();
    await expect(verifySigV4(req, secretFor, Date.now(), { service: 's3' })).resolves.toMatchObject({ ok: false, message: expect.stringContaining("scoped to correct service: 's3'") });
    await expect(verifySigV4(req, secretFor, Date.now(), { region: 'eu-west-1' })).resolves.toMatchObject({ ok: false, type: 'InvalidSignatureException' });
    await expect(verifySigV4(req, secretFor, Date.now(), { service: 'execute-api', region: 'us-east-1' })).resolves.toMatchObject({ ok: true });
  });

  it('refuses a garbled Authorization header', async () => {
    const req = await signed();
    req.headers.authorization = 'AWS4-HMAC-SHA256 nonsense';
    await expect(verifySigV4(req, secretFor)).resolves.toMatchObject({ ok: false, type: 'IncompleteSignatureException' });
  });
});

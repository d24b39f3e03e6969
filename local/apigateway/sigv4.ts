import { createHash } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

/**
 * Verifies an AWS Signature Version 4 the way API Gateway's AWS_IAM
 * authorization does: recompute the signature over the signed headers with
 * the caller's secret and compare. Locally the secret of every account is the
 * configured one (LocalStack convention: access key id = account id).
 */
export interface VerifyInput {
  method: string;
  /** Path as received, percent-encoded. */
  rawPath: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
}

export type VerifyResult =
  | { ok: true; accessKeyId: string; account: string; region: string; service: string }
  | { ok: false; status: 403; message: string; type: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'InvalidSignatureException' | 'UnrecognizedClientException' };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** Requests signed more than 15 minutes away from now are refused, as AWS does. */
const MAX_SKEW_MS = 15 * 60 * 1000;

function parseAmzDate(v: string): Date | undefined {
  const m = v.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}

export async function verifySigV4(req: VerifyInput, secretFor: (accessKeyId: string) => string | undefined, now = Date.now(), opts: { service?: string; region?: string } = {}): Promise<VerifyResult> {
  const auth = req.headers['authorization'];
  if (!auth) return { ok: false, status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const m = auth.match(AUTH);
  if (!m) return { ok: false, status: 403, type: 'IncompleteSignatureException', message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters` };
  const [, accessKeyId, , region, service, signedHeaderList, signature] = m;
  if (opts.service && service !== opts.service) {
    return { ok: false, status: 403, type: 'InvalidSignatureException', message: `Credential should be scoped to correct service: '${opts.service}'. ` };
  }
  if (opts.region && region !== opts.region) {
    return { ok: false, status: 403, type: 'InvalidSignatureException', message: `Credential should be scoped to a valid region, not '${region}'. ` };
  }
  const secret = secretFor(accessKeyId);
  if (secret === undefined) return { ok: false, status: 403, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };

  const amzDate = req.headers['x-amz-date'];
  const date = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!date) return { ok: false, status: 403, type: 'IncompleteSignatureException', message: 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.' };
  if (Math.abs(now - date.getTime()) > MAX_SKEW_MS) return { ok: false, status: 403, type: 'InvalidSignatureException', message: 'Signature expired: the request time is too far from the server time.' };

  const signed = signedHeaderList.split(';');
  const headers: Record<string, string> = {};
  for (const h of signed) {
    if (req.headers[h] === undefined) return { ok: false, status: 403, type: 'IncompleteSignatureException', message: `Signed header ${h} is missing from the request` };
    headers[h] = req.headers[h];
  }
  // A claimed payload hash must be the body's: otherwise the signature covers a different body.
  const claimed = req.headers['x-amz-content-sha256'];
  if (claimed && claimed !== 'UNSIGNED-PAYLOAD' && claimed !== createHash('sha256').update(req.body).digest('hex')) {
    return { ok: false, status: 403, type: 'InvalidSignatureException', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const request = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: (headers.host ?? '').split(':')[0],
    // The path as sent (encoded once); the signer encodes it again, as SigV4 does for every service but S3.
    path: req.rawPath,
    query,
    headers,
    body: req.body.length ? req.body : undefined,
  });
  const signer = new SignatureV4({ service, region, credentials: { accessKeyId, secretAccessKey: secret }, sha256: Sha256, uriEscapePath: true });
  const expected = await signer.sign(request, { signingDate: date, signableHeaders: new Set(signed), unsignableHeaders: new Set() });
  const expectedSig = String(expected.headers['authorization'] ?? '').match(/Signature=([0-9a-f]{64})/)?.[1];
  if (expectedSig !== signature) {
    return { ok: false, status: 403, type: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.' };
  }
  return { ok: true, accessKeyId, account: /^\d{12}$/.test(accessKeyId) ? accessKeyId : '000000000000', region, service };
}

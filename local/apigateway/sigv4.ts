// AWS Signature Version 4 verification for the local API Gateway's AWS_IAM routes: the
// canonical request is rebuilt from exactly what the client signed, with node:crypto only.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A request as it reached the server. Nothing is decoded or normalized here:
 * the verifier needs the bytes the client signed.
 */
export interface VerifyInput {
  method: string;
  /** Path as received, percent-encoded as the client sent it. */
  rawPath: string;
  /** Query string as received, without the leading '?'. */
  rawQuery: string;
  /** Lower-case names; a header sent several times has one entry per value, in order. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface VerifyOptions {
  /** The service the credential must be scoped to (`execute-api`). */
  service?: string;
  /** The region the credential must be scoped to. */
  region?: string;
  /** Largest distance between the signing time and now; API Gateway allows 5 minutes. */
  maxSkewMs?: number;
}

export type RefusalType = 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'InvalidSignatureException' | 'UnrecognizedClientException';

export interface Refusal {
  ok: false;
  status: 403;
  type: RefusalType;
  message: string;
}

export type VerifyResult = { ok: true; accessKeyId: string; account: string; region: string; service: string; sessionToken?: string } | Refusal;

/** What the client claims it signed, from the Authorization header or the X-Amz-* query parameters. */
export interface SignatureClaim {
  via: 'header' | 'query';
  algorithm: string;
  credential: string;
  signedHeaders: string[];
  signature: string;
  /** Presigned URLs only: seconds the signature stays valid. */
  expires?: number;
}

export interface SigningStrings {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/** API Gateway answers "Signature expired: … (… - 5 min.)" (not the 15 minutes of most services). */
export const API_GATEWAY_MAX_SKEW_MS = 5 * 60 * 1000;
const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

const refuse = (type: RefusalType, message: string): Refusal => ({ ok: false, status: 403, type, message });

function headerValues(headers: VerifyInput['headers'], name: string): string[] {
  const v = headers[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const firstHeader = (headers: VerifyInput['headers'], name: string): string | undefined => headerValues(headers, name)[0];

/** RFC 3986 percent-encoding of every byte but the unreserved characters A-Z a-z 0-9 - . _ ~ */
function uriEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const unreserved = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;
    out += unreserved ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Query component to bytes: %XX sequences decoded, '+' read as a space (as AWS and curl do), anything else as UTF-8. */
function queryDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+') {
      bytes.push(0x20);
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/**
 * The canonical URI for every service but S3: dot segments and empty segments
 * removed, then each segment URI-encoded once more as it was sent. A path
 * sent as `/a%2Fb` (an ARN, say) is one segment and becomes `/a%252Fb`.
 */
export function canonicalUri(rawPath: string): string {
  const kept: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') kept.pop();
    else kept.push(segment);
  }
  const encoded = kept.map((s) => uriEncode(Buffer.from(s, 'utf8')));
  return `/${encoded.join('/')}${kept.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
}

/** The parameters of a query string, each decoded and re-encoded per RFC 3986, sorted by key then value. */
export function canonicalQuery(rawQuery: string, omit?: string): string {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = uriEncode(queryDecode(eq === -1 ? part : part.slice(0, eq)));
    if (key === omit) continue;
    pairs.push([key, uriEncode(queryDecode(eq === -1 ? '' : part.slice(eq + 1)))]);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  pairs.sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** `name:value` lines for the signed headers only: values trimmed, inner whitespace runs collapsed, repeats joined with ','. */
export function canonicalHeaders(headers: VerifyInput['headers'], signedHeaders: string[]): string {
  return signedHeaders
    .map(
      (name) =>
        `${name}:${headerValues(headers, name.toLowerCase())
          .map((v) => v.trim().replace(/\s+/g, ' '))
          .join(',')}\n`,
    )
    .join('');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The three steps of SigV4 for a claim, from the request as received. */
export function signingStrings(req: VerifyInput, claim: SignatureClaim, amzDate: string, secret: string): SigningStrings {
  const [, scopeDate, region, service] = claim.credential.split('/');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(req.rawPath),
    canonicalQuery(req.rawQuery, claim.via === 'query' ? 'X-Amz-Signature' : undefined),
    canonicalHeaders(req.headers, claim.signedHeaders),
    claim.signedHeaders.join(';'),
    // Every service but S3 hashes the body it received: a claimed x-amz-content-sha256 (or UNSIGNED-PAYLOAD) changes nothing.
    sha256(req.body),
  ].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, scopeDate), region), service), 'aws4_request');
  return { canonicalRequest, stringToSign, signature: createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex') };
}

function queryParams(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    const key = queryDecode(eq === -1 ? part : part.slice(0, eq)).toString('utf8');
    if (!params.has(key)) params.set(key, queryDecode(eq === -1 ? '' : part.slice(eq + 1)).toString('utf8'));
  }
  return params;
}

/** Reads the claim, or the refusal AWS gives for a missing or incomplete one. */
export function parseClaim(req: VerifyInput): SignatureClaim | Refusal {
  const auth = firstHeader(req.headers, 'authorization');
  const query = queryParams(req.rawQuery);
  const hasDate = firstHeader(req.headers, 'x-amz-date') !== undefined || firstHeader(req.headers, 'date') !== undefined;
  if (auth !== undefined && query.has('X-Amz-Algorithm')) return refuse('InvalidSignatureException', "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  if (auth === undefined && !query.has('X-Amz-Algorithm')) return refuse('MissingAuthenticationTokenException', 'Missing Authentication Token');
  if (auth !== undefined) {
    if (!auth.trim().startsWith('AWS4-')) return refuse('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const [algorithm, ...rest] = auth.trim().split(/\s+/);
    const params = new Map<string, string>();
    for (const part of rest.join(' ').split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    let msg = '';
    for (const p of ['Credential', 'Signature', 'SignedHeaders']) if (!params.get(p)) msg += `Authorization header requires '${p}' parameter. `;
    if (!hasDate) msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    if (msg) return refuse('IncompleteSignatureException', `${msg}Authorization=${auth}`);
    return { via: 'header', algorithm, credential: params.get('Credential')!, signedHeaders: params.get('SignedHeaders')!.split(';'), signature: params.get('Signature')! };
  }
  let msg = '';
  for (const p of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date']) if (!query.get(p)) msg += `AWS query-string parameters must include '${p}'. `;
  if (msg) return refuse('IncompleteSignatureException', `${msg}Re-examine the query-string parameters.`);
  const expires = query.get('X-Amz-Expires');
  return {
    via: 'query',
    algorithm: query.get('X-Amz-Algorithm')!,
    credential: query.get('X-Amz-Credential')!,
    signedHeaders: query.get('X-Amz-SignedHeaders')!.split(';'),
    signature: query.get('X-Amz-Signature')!,
    expires: expires === undefined ? undefined : Number(expires),
  };
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAmzDate(v: string): number | undefined {
  const m = v.match(AMZ_DATE);
  if (!m) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return new Date(t).toISOString().replace(/[-:]|\.\d{3}/g, '') === v ? t : undefined;
}

const formatAmzDate = (t: number) => new Date(t).toISOString().replace(/[-:]|\.\d{3}/g, '');

/** The signing time: X-Amz-Date (query or header) in ISO 8601 basic format, else an HTTP Date header. */
function signingTime(req: VerifyInput, claim: SignatureClaim): { amzDate: string; time: number } | Refusal {
  const raw = claim.via === 'query' ? queryParams(req.rawQuery).get('X-Amz-Date')! : (firstHeader(req.headers, 'x-amz-date') ?? firstHeader(req.headers, 'date')!);
  let time = parseAmzDate(raw.trim());
  if (time === undefined && claim.via === 'header' && firstHeader(req.headers, 'x-amz-date') === undefined) {
    const http = Date.parse(raw);
    if (!Number.isNaN(http)) time = http;
  }
  if (time === undefined) return refuse('IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${raw}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  return { amzDate: formatAmzDate(time), time };
}

function constantTimeEqual(expected: string, given: string): boolean {
  const x = Buffer.from(expected, 'utf8');
  // Always compare as many bytes as expected, so the time taken says nothing about where they differ.
  const y = Buffer.alloc(x.length);
  Buffer.from(given, 'utf8').copy(y);
  return timingSafeEqual(x, y) && Buffer.byteLength(given, 'utf8') === x.length;
}

/**
 * Verifies a SigV4 signature the way API Gateway's AWS_IAM authorization
 * does, checks in AWS's order: claim present and complete, date, clock skew,
 * host signed, algorithm, credential scope, access key, then the signature
 * itself (compared in constant time). Locally every 12-digit access key id
 * *is* its account (LocalStack convention) and `secretFor` gives its secret.
 */
export function verifySigV4(req: VerifyInput, secretFor: (accessKeyId: string) => string | undefined, now = Date.now(), opts: VerifyOptions = {}): VerifyResult {
  const claim = parseClaim(req);
  if ('ok' in claim) return claim;
  const when = signingTime(req, claim);
  if ('ok' in when) return when;

  const maxSkew = opts.maxSkewMs ?? API_GATEWAY_MAX_SKEW_MS;
  const minutes = `${Math.round(maxSkew / 60_000)} min.`;
  if (claim.via === 'query' && claim.expires !== undefined) {
    if (!Number.isInteger(claim.expires) || claim.expires < 1 || claim.expires > MAX_PRESIGN_SECONDS) {
      return refuse('IncompleteSignatureException', `X-Amz-Expires must be an integer between 1 and ${MAX_PRESIGN_SECONDS} seconds. Got '${claim.expires}'.`);
    }
    if (now > when.time + claim.expires * 1000)
      return refuse('InvalidSignatureException', `Signature expired: ${when.amzDate} is now earlier than ${formatAmzDate(now - claim.expires * 1000)} (${formatAmzDate(now)} - ${claim.expires} sec.)`);
  } else if (now - when.time > maxSkew) {
    return refuse('InvalidSignatureException', `Signature expired: ${when.amzDate} is now earlier than ${formatAmzDate(now - maxSkew)} (${formatAmzDate(now)} - ${minutes})`);
  }
  if (when.time - now > maxSkew)
    return refuse('InvalidSignatureException', `Signature not yet current: ${when.amzDate} is still later than ${formatAmzDate(now + maxSkew)} (${formatAmzDate(now)} + ${minutes})`);

  if (!claim.signedHeaders.some((h) => h.toLowerCase() === 'host')) return refuse('InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  if (claim.algorithm !== ALGORITHM) return refuse('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${claim.algorithm}' (only ${ALGORITHM} for now). `);

  const scope = claim.credential.replace(/\/+$/, '').split('/');
  if (scope.length !== 5) return refuse('IncompleteSignatureException', `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${claim.credential}'`);
  const [accessKeyId, scopeDate, region, service, terminator] = scope;
  let scopeErrors = '';
  if (opts.region !== undefined && region !== opts.region) scopeErrors += `Credential should be scoped to a valid region, not '${region}'. `;
  if (opts.service !== undefined && service !== opts.service) scopeErrors += `Credential should be scoped to correct service: '${opts.service}'. `;
  if (terminator !== 'aws4_request') scopeErrors += `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `;
  if (scopeDate !== when.amzDate.slice(0, 8))
    scopeErrors += `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${when.amzDate.slice(0, 8)}', from '${when.amzDate}'.`;
  if (scopeErrors) return refuse('InvalidSignatureException', scopeErrors);

  const secret = secretFor(accessKeyId);
  if (secret === undefined) return refuse('UnrecognizedClientException', 'The security token included in the request is invalid.');

  const expected = signingStrings(req, { ...claim, credential: scope.join('/') }, when.amzDate, secret);
  if (!constantTimeEqual(expected.signature, claim.signature)) {
    return refuse(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n' +
        `The Canonical String for this request should have been\n'${expected.canonicalRequest}'\n\nThe String-to-Sign should have been\n'${expected.stringToSign}'\n`,
    );
  }
  const sessionToken = claim.via === 'query' ? queryParams(req.rawQuery).get('X-Amz-Security-Token') : firstHeader(req.headers, 'x-amz-security-token');
  return { ok: true, accessKeyId, account: /^\d{12}$/.test(accessKeyId) ? accessKeyId : '000000000000', region, service, ...(sessionToken ? { sessionToken } : {}) };
}

// What a PutObject body really is, checked the way S3 checks it before storing anything:
// the aws-chunked framing undone (`<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n`),
// then x-amz-content-sha256, Content-MD5 and the one additional checksum (header or trailer) verified.
import type { AwsRequest } from '../edge/types.js';
import { CHECKSUM_ALGORITHMS, DIGEST_BYTES, checksumOf, md5, sha256Hex, type ChecksumAlgorithm } from './checksums.js';
import { invalidRequest, S3Error } from './errors.js';

export interface Payload {
  body: Buffer;
  /** The additional checksum the client sent and S3 verified. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

const incompleteBody = () => new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', 400);
const CRLF = Buffer.from('\r\n');

/** Undoes aws-chunked framing: the data, and the trailing headers (lower-cased names). */
export function decodeAwsChunked(raw: Buffer): { data: Buffer; trailers: Record<string, string> } {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf(CRLF, pos);
    if (eol === -1) throw incompleteBody();
    const sizeText = raw.subarray(pos, eol).toString('latin1').split(';')[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new S3Error('InvalidChunkSizeError', 'Only the last chunk is allowed to have a size less than 8192 bytes', 400);
    const size = parseInt(sizeText, 16);
    pos = eol + 2;
    if (size === 0) break;
    if (pos + size + 2 > raw.length || !raw.subarray(pos + size, pos + size + 2).equals(CRLF)) throw incompleteBody();
    chunks.push(raw.subarray(pos, pos + size));
    pos += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.subarray(pos).toString('latin1').split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon === -1) throw incompleteBody();
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(chunks), trailers };
}

const isChunked = (req: AwsRequest) =>
  (req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-') ||
  (req.headers['content-encoding'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes('aws-chunked');

/** x-amz-content-sha256, when it is a hash (not UNSIGNED-PAYLOAD or STREAMING-…), must be the body's: checked on every request. */
export function verifyContentSha256(req: AwsRequest): void {
  const claimed = req.headers['x-amz-content-sha256'];
  if (!claimed || !/^[0-9a-fA-F]{64}$/.test(claimed)) return;
  const actual = sha256Hex(req.body);
  if (actual !== claimed.toLowerCase()) {
    throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", 400, {
      ClientComputedContentSHA256: claimed,
      S3ComputedContentSHA256: actual,
    });
  }
}

/** Content-MD5: a base64 MD5 of the body, else InvalidDigest; another body's, BadDigest. */
export function verifyContentMd5(header: string | undefined, body: Buffer): void {
  if (header === undefined) return;
  const claimed = Buffer.from(header, 'base64');
  if (claimed.length !== 16 || claimed.toString('base64') !== header.trim()) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400, { 'Content-MD5': header });
  const actual = md5(body);
  if (!actual.equals(claimed)) {
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400, { ExpectedDigest: claimed.toString('hex'), CalculatedDigest: actual.toString('base64') });
  }
}

/** The one additional checksum a request carries, from its headers or its trailers. */
function claimedChecksum(headers: Record<string, string>, trailers: Record<string, string>): Payload['checksum'] {
  const given = CHECKSUM_ALGORITHMS.flatMap((algorithm) => {
    const value = headers[`x-amz-checksum-${algorithm}`] ?? trailers[`x-amz-checksum-${algorithm}`];
    return value === undefined ? [] : [{ algorithm, value }];
  });
  if (given.length > 1) throw invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const declared = headers['x-amz-trailer'];
  if (declared && given.length === 0) throw new S3Error('MalformedTrailerError', 'The request contained trailing data that was not well-formed or did not conform to our published schema.', 400);
  const [checksum] = given;
  if (!checksum) return undefined;
  const bytes = Buffer.from(checksum.value, 'base64');
  if (bytes.length !== DIGEST_BYTES[checksum.algorithm] || bytes.toString('base64') !== checksum.value) throw invalidRequest(`Value for x-amz-checksum-${checksum.algorithm} header is invalid.`);
  const sdk = headers['x-amz-sdk-checksum-algorithm']?.toLowerCase();
  if (sdk && sdk !== checksum.algorithm) throw invalidRequest(`Value for x-amz-sdk-checksum-algorithm header is invalid.`);
  return checksum;
}

/** The body S3 would store for a PutObject, or the error S3 answers instead. */
export function payloadOf(req: AwsRequest): Payload {
  let body = req.body;
  let trailers: Record<string, string> = {};
  if (isChunked(req)) {
    ({ data: body, trailers } = decodeAwsChunked(req.body));
    const declared = req.headers['x-amz-decoded-content-length'];
    if (declared === undefined) throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
    if (Number(declared) !== body.length) throw incompleteBody();
  } else {
    verifyContentSha256(req);
  }
  verifyContentMd5(req.headers['content-md5'], body);
  const checksum = claimedChecksum(req.headers, trailers);
  if (checksum && checksumOf(checksum.algorithm, body) !== checksum.value) {
    throw new S3Error('BadDigest', `The ${checksum.algorithm.toUpperCase()} you specified did not match the calculated checksum.`, 400);
  }
  return { body, checksum };
}

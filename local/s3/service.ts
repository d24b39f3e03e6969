// Amazon S3, just enough for manifests in a stack's bucket: buckets, objects, listings and multipart
// uploads over REST-XML, path-style or virtual-hosted. Each operation is one function over the model;
// errors are S3Errors, serialized once (errors.ts). A bucket belongs to the account that created it.
import type { AwsRequest, AwsResponse, ServiceProvider } from '../edge/types.js';
import { attributesOf } from './attributes.js';
import { checksumOf, CHECKSUM_ALGORITHMS } from './checksums.js';
import { checkWriteConditions, notModified } from './conditions.js';
import { accessDeniedError, errorResponse, invalidArgument, invalidRequest, malformedXml, S3Error, xmlEscape } from './errors.js';
import { continuationToken, listPage, markerOfToken, maxKeysOf, urlEncodeName, type Marker } from './listing.js';
import { entityTooLarge, MAX_OBJECT_BYTES, S3Model, type S3Bucket, type S3Object } from './model.js';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart } from './multipart.js';
import { payloadOf, verifyContentSha256 } from './payload.js';
import { el, ok, owner, xml } from './responses.js';
import { deleteObjectsRequest, routeOf, type S3Operation } from './routes.js';

export { S3Model } from './model.js';
export { canonicalIdOf } from './responses.js';

/** What the local S3 asks of the rest of the local cloud. */
export interface S3ProviderOptions {
  /**
   * Whether the caller may s3:ListBucket `bucket`: S3 answers a GetObject or HeadObject of a missing
   * key with NoSuchKey (404) only then, and with AccessDenied (403) otherwise (default: always may).
   */
  mayList?(req: AwsRequest, bucket: string): Promise<boolean>;
}

/**
 * A bucket used from another region: the edge stands for every regional endpoint, so a request signed for
 * another region is at that region's endpoint, where S3 answers 301 naming the bucket's region (SDKs follow it).
 */
function checkRegion(req: AwsRequest, bucket: S3Bucket): void {
  if (req.region === bucket.region || (!req.headers['authorization'] && !req.query.has('X-Amz-Credential'))) return;
  throw new S3Error(
    'PermanentRedirect',
    'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
    301,
    { Bucket: bucket.name, Endpoint: `s3.${bucket.region}.amazonaws.com` },
    { 'x-amz-bucket-region': bucket.region },
  );
}

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else S3 ignores (whole object). */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () =>
    new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, { RangeRequested: header!, ActualObjectSize: String(size) }, { 'content-range': `bytes */${size}` });
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}

function objectHeaders(o: S3Object): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': o.contentType,
    etag: o.etag,
    'last-modified': o.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    'x-amz-server-side-encryption': 'AES256',
    ...o.headers,
  };
  for (const [k, v] of Object.entries(o.metadata)) headers[`x-amz-meta-${k}`] = v;
  return headers;
}

function getObject(model: S3Model, req: AwsRequest, bucket: S3Bucket, key: string, head: boolean): AwsResponse {
  const o = model.getObject(bucket, key);
  if (notModified(req, o)) return ok(304, { etag: o.etag, 'last-modified': o.lastModified.toUTCString() });
  const headers = objectHeaders(o);
  for (const [param, header] of Object.entries({ 'response-content-type': 'content-type', 'response-content-disposition': 'content-disposition', 'response-cache-control': 'cache-control' })) {
    const v = req.query.get(param);
    if (v !== null) headers[header] = v;
  }
  const range = rangeOf(req.headers['range'], o.contentLength);
  if (range) {
    const part = o.body.subarray(range.start, range.end + 1);
    return ok(206, { ...headers, 'content-length': String(part.length), 'content-range': `bytes ${range.start}-${range.end}/${o.contentLength}` }, head ? undefined : part);
  }
  // The full object's checksum, when the client asks for it (SDKs then verify the body against it).
  if (req.headers['x-amz-checksum-mode']?.toUpperCase() === 'ENABLED') {
    headers[`x-amz-checksum-${o.checksum.algorithm}`] = o.checksum.value;
    headers['x-amz-checksum-type'] = o.checksum.type;
  }
  return ok(200, { ...headers, 'content-length': String(o.contentLength) }, head ? undefined : o.body);
}

function putObject(model: S3Model, req: AwsRequest, bucket: S3Bucket, key: string): AwsResponse {
  const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? 0);
  if (declared > MAX_OBJECT_BYTES) throw entityTooLarge(declared);
  const { body, checksum } = payloadOf(req);
  checkWriteConditions(req, key, bucket.objects.get(key));
  // S3 gives every object a checksum: the client's, else CRC64NVME (since December 2024).
  const stored = { ...(checksum ?? { algorithm: 'crc64nvme' as const, value: checksumOf('crc64nvme', body) }), type: 'FULL_OBJECT' as const };
  const o = model.putObject(bucket, key, { body, ...attributesOf(req), checksum: stored });
  return ok(200, {
    etag: o.etag,
    'x-amz-server-side-encryption': 'AES256',
    ...(checksum ? { [`x-amz-checksum-${checksum.algorithm}`]: checksum.value, 'x-amz-checksum-type': 'FULL_OBJECT' } : {}),
  });
}

function listObjects(model: S3Model, req: AwsRequest, bucket: S3Bucket, v2: boolean): AwsResponse {
  const q = req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') || undefined;
  const maxKeys = maxKeysOf(q.get('max-keys'));
  const encodingType = q.get('encoding-type') ?? undefined;
  if (encodingType !== undefined && encodingType !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  const name = (s: string | undefined) => (s === undefined ? undefined : encodingType ? urlEncodeName(s) : s);
  const token = v2 ? (q.get('continuation-token') ?? undefined) : undefined;
  const startAfter = v2 ? (q.get('start-after') ?? undefined) : undefined;
  const marker = v2 ? undefined : (q.get('marker') ?? undefined);
  const after: Marker | undefined = token !== undefined ? markerOfToken(token) : (startAfter ?? marker) !== undefined ? { value: (startAfter ?? marker)!, prefix: false } : undefined;
  const page = listPage(model.sortedKeys(bucket), { prefix, delimiter, after, maxKeys });
  const withOwner = !v2 || q.get('fetch-owner') === 'true';
  const contents = page.keys
    .map((k) => bucket.objects.get(k)!)
    .map(
      (o) =>
        `<Contents>${el('Key', name(o.key))}${el('LastModified', o.lastModified.toISOString())}${el('ETag', o.etag)}${el('ChecksumAlgorithm', o.checksum.algorithm.toUpperCase())}${el('ChecksumType', o.checksum.type)}${el('Size', o.contentLength)}${withOwner ? owner(bucket.owner) : ''}${el('StorageClass', 'STANDARD')}</Contents>`,
    )
    .join('');
  const prefixes = page.commonPrefixes.map((p) => `<CommonPrefixes>${el('Prefix', name(p))}</CommonPrefixes>`).join('');
  const common = `${el('Name', bucket.name)}${el('Prefix', name(prefix))}`;
  const tail = `${el('MaxKeys', maxKeys)}${el('Delimiter', name(delimiter))}${el('IsTruncated', page.truncated)}${el('EncodingType', encodingType)}${contents}${prefixes}`;
  if (v2) {
    const next = page.truncated && page.last ? continuationToken(page.last) : undefined;
    return xml(
      'ListBucketResult',
      `${common}${el('StartAfter', name(startAfter))}${el('ContinuationToken', token)}${el('NextContinuationToken', next)}${el('KeyCount', page.keys.length + page.commonPrefixes.length)}${tail}`,
    );
  }
  // V1 names a NextMarker only when a delimiter is given; without one the client resumes after the last key.
  const nextMarker = page.truncated && delimiter && page.last ? page.last.value : undefined;
  return xml('ListBucketResult', `${common}${el('Marker', name(marker ?? ''))}${el('NextMarker', name(nextMarker))}${tail}`);
}

function listBuckets(model: S3Model, req: AwsRequest): AwsResponse {
  const q = req.query;
  const prefix = q.get('prefix') ?? '';
  const region = q.get('bucket-region');
  const maxBuckets = q.get('max-buckets');
  if (maxBuckets !== null && (!/^\d+$/.test(maxBuckets) || Number(maxBuckets) < 1 || Number(maxBuckets) > 10_000))
    throw invalidArgument('Argument max-buckets must be an integer between 1 and 10000.', 'max-buckets', maxBuckets);
  const token = q.get('continuation-token');
  const after = token === null ? undefined : markerOfToken(token).value;
  const all = model.listBuckets(req.account).filter((b) => b.name.startsWith(prefix) && (region === null || b.region === region) && (after === undefined || b.name > after));
  const page = maxBuckets === null ? all : all.slice(0, Number(maxBuckets));
  const next = page.length < all.length ? continuationToken({ value: page.at(-1)!.name, prefix: false }) : undefined;
  const buckets = page.map((b) => `<Bucket>${el('Name', b.name)}${el('CreationDate', b.creationDate.toISOString())}${el('BucketRegion', b.region)}</Bucket>`).join('');
  return xml('ListAllMyBucketsResult', `${owner(req.account)}<Buckets>${buckets}</Buckets>${el('ContinuationToken', next)}${prefix ? el('Prefix', prefix) : ''}`);
}

/**
 * CreateBucket: the LocationConstraint must name the endpoint's region (and be absent in us-east-1).
 * Re-creating a bucket one owns is BucketAlreadyOwnedByYou (409), except in us-east-1, where S3
 * answers 200 for legacy compatibility.
 */
function createBucket(model: S3Model, req: AwsRequest, name: string): AwsResponse {
  const constraint = /<LocationConstraint>\s*([^<]*?)\s*<\/LocationConstraint>/.exec(req.body.toString('utf8'))?.[1];
  if (constraint === 'us-east-1') throw new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, { LocationConstraint: constraint });
  if ((constraint || 'us-east-1') !== req.region) {
    throw new S3Error('IllegalLocationConstraintException', `The ${constraint || 'unspecified'} location constraint is incompatible for the region specific endpoint this request was sent to.`, 400);
  }
  const existing = model.bucket(name);
  if (existing?.owner === req.account && req.region === 'us-east-1' && existing.region === 'us-east-1') return ok(200, { location: `/${name}` });
  model.createBucket(req.account, req.region, name);
  return ok(200, { location: `/${name}` });
}

function deleteObjects(model: S3Model, req: AwsRequest, bucket: S3Bucket): AwsResponse {
  if (req.headers['content-md5'] === undefined && !CHECKSUM_ALGORITHMS.some((a) => req.headers[`x-amz-checksum-${a}`] !== undefined)) {
    throw invalidRequest('Missing required header for this request: Content-MD5');
  }
  const { body } = payloadOf(req);
  const { keys, quiet } = deleteObjectsRequest(body);
  if (keys.length === 0 || keys.length > 1000) throw malformedXml();
  for (const key of keys) bucket.objects.delete(key);
  return xml('DeleteResult', quiet ? '' : keys.map((k) => `<Deleted>${el('Key', k)}</Deleted>`).join(''));
}

type Handler = (model: S3Model, req: AwsRequest, bucket: S3Bucket, key: string) => AwsResponse;

/** Operations on an existing bucket of the caller's (every operation but ListBuckets and CreateBucket). */
const ON_BUCKET: Record<Exclude<S3Operation, 'ListBuckets' | 'CreateBucket'>, Handler> = {
  HeadBucket: (_m, _r, bucket) => ok(200, { 'x-amz-bucket-region': bucket.region }),
  DeleteBucket: (model, _r, bucket) => {
    model.deleteBucket(bucket);
    return ok(204);
  },
  GetBucketLocation: (_m, _r, bucket) => xml('LocationConstraint', bucket.region === 'us-east-1' ? '' : xmlEscape(bucket.region)),
  ListObjects: (model, req, bucket) => listObjects(model, req, bucket, false),
  ListObjectsV2: (model, req, bucket) => listObjects(model, req, bucket, true),
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  GetObject: (model, req, bucket, key) => getObject(model, req, bucket, key, false),
  HeadObject: (model, req, bucket, key) => getObject(model, req, bucket, key, true),
  DeleteObject: (_m, _r, bucket, key) => {
    bucket.objects.delete(key);
    return ok(204);
  },
  ListMultipartUploads: listMultipartUploads,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};

/** Operations whose body payloadOf reads (and checks against x-amz-content-sha256 itself, after undoing aws-chunked). */
const PAYLOAD_OPERATIONS: readonly S3Operation[] = ['PutObject', 'UploadPart', 'DeleteObjects'];

/** A presigned URL works until X-Amz-Date + X-Amz-Expires (at most 7 days); then S3 refuses it. */
function checkPresignedExpiry(q: URLSearchParams): void {
  const date = q.get('X-Amz-Date');
  const expires = q.get('X-Amz-Expires');
  if (date === null || expires === null) return;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m || !/^\d+$/.test(expires)) throw new S3Error('AuthorizationQueryParametersError', "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", 400);
  if (Number(expires) > 604_800) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800', 400);
  const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const expiry = new Date(signedAt + Number(expires) * 1000);
  if (Date.now() > expiry.getTime()) {
    throw new S3Error('AccessDenied', 'Request has expired', 403, { 'X-Amz-Expires': expires, Expires: expiry.toISOString(), ServerTime: new Date().toISOString() });
  }
}

export async function handleS3(model: S3Model, req: AwsRequest, opts: S3ProviderOptions = {}): Promise<AwsResponse> {
  try {
    const route = routeOf(req);
    checkPresignedExpiry(req.query);
    if (req.headers['authorization'] && req.headers['x-amz-content-sha256'] === undefined) throw invalidRequest('Missing required header for this request: x-amz-content-sha256');
    if (!PAYLOAD_OPERATIONS.includes(route.operation)) verifyContentSha256(req);
    if (route.operation === 'ListBuckets') return listBuckets(model, req);
    if (route.operation === 'CreateBucket') return createBucket(model, req, route.bucket!);
    const bucket = model.ownedBucket(req.account, route.bucket!);
    checkRegion(req, bucket);
    const key = route.key ?? '';
    // A missing key is only named missing to a caller who could list the bucket and find out anyway.
    if ((route.operation === 'GetObject' || route.operation === 'HeadObject') && !bucket.objects.has(key) && opts.mayList && !(await opts.mayList(req, bucket.name))) {
      throw accessDeniedError();
    }
    return ON_BUCKET[route.operation](model, req, bucket, key);
  } catch (err) {
    if (err instanceof S3Error) return errorResponse(err, req.method);
    throw err;
  }
}

export function createS3Provider(model: S3Model, opts: S3ProviderOptions = {}): ServiceProvider {
  return { name: 's3', signingNames: ['s3'], handle: (req) => handleS3(model, req, opts) };
}

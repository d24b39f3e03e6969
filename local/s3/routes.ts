// Which S3 operation a REST request is, and on which bucket and key: path-style (`/bucket/key`)
// or virtual-hosted (`bucket.s3.<region>.amazonaws.com`, `bucket.localhost`). The service and
// the IAM gate both read requests through here, so they cannot disagree on what was asked.
import type { AwsRequest } from '../edge/types.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from './checksums.js';
import { malformedXml, notImplemented, S3Error } from './errors.js';

export type S3Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'DeleteObjects'
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'ListMultipartUploads'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts';

export interface S3Route {
  operation: S3Operation;
  bucket?: string;
  key?: string;
}

/** Query parameters that only select or shape an operation; any other one names a sub-resource (`?acl`, `?uploads` …). */
const PARAMETERS = new Set([
  'x-id',
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
  'marker',
  'max-buckets',
  'bucket-region',
  'response-content-type',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-cache-control',
  'response-expires',
  // Multipart uploads: which upload and part, and ListParts' and ListMultipartUploads' paging.
  'uploadId',
  'partNumber',
  'max-parts',
  'part-number-marker',
  'max-uploads',
  'key-marker',
  'upload-id-marker',
  // A presigned URL's signature (query-string authentication).
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
  'x-amz-checksum-mode',
]);

/** Virtual-hosted style: the bucket is the Host's first labels before `.s3.`, or before `.localhost`. */
function bucketOfHost(host: string | undefined): string | undefined {
  const name = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  return /^(.+?)\.s3[.-]/.exec(name)?.[1] ?? /^(.+)\.localhost$/.exec(name)?.[1];
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400);
  }
}

/** Bucket and key of a request; the key is percent-decoded once (S3 does not double-encode). */
export function addressOf(req: Pick<AwsRequest, 'rawPath' | 'headers'>): { bucket?: string; key?: string } {
  const hosted = bucketOfHost(req.headers['host']);
  const path = req.rawPath.startsWith('/') ? req.rawPath.slice(1) : req.rawPath;
  if (hosted) return { bucket: hosted, key: path === '' ? undefined : decode(path) };
  if (path === '') return {};
  const slash = path.indexOf('/');
  if (slash === -1) return { bucket: decode(path) };
  const key = path.slice(slash + 1);
  return { bucket: decode(path.slice(0, slash)), key: key === '' ? undefined : decode(key) };
}

const methodNotAllowed = (method: string, resourceType: string) =>
  new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, { Method: method, ResourceType: resourceType });

/** The operation a request is; a sub-resource or method the local S3 does not serve answers NotImplemented (501), never a silent 200. */
export function routeOf(req: Pick<AwsRequest, 'method' | 'rawPath' | 'headers' | 'query'>): S3Route {
  const { bucket, key } = addressOf(req);
  const sub = [...req.query.keys()].filter((k) => !PARAMETERS.has(k));
  const has = (name: string) => sub.length === 1 && sub[0] === name;
  const plain = sub.length === 0;
  const m = req.method;
  if (bucket === undefined) {
    if (m === 'GET' && plain) return { operation: 'ListBuckets' };
    throw plain ? methodNotAllowed(m, 'SERVICE') : notImplemented(`?${sub.join('&')}`);
  }
  if (key === undefined) {
    if (m === 'PUT' && plain) return { operation: 'CreateBucket', bucket };
    if (m === 'HEAD' && plain) return { operation: 'HeadBucket', bucket };
    if (m === 'DELETE' && plain) return { operation: 'DeleteBucket', bucket };
    if (m === 'GET' && plain) return { operation: req.query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', bucket };
    if (m === 'GET' && has('location')) return { operation: 'GetBucketLocation', bucket };
    if (m === 'POST' && has('delete')) return { operation: 'DeleteObjects', bucket };
    if (m === 'GET' && has('uploads')) return { operation: 'ListMultipartUploads', bucket };
    throw plain ? methodNotAllowed(m, 'BUCKET') : notImplemented(`${m} /${bucket}?${sub.join('&')}`);
  }
  const copy = req.headers['x-amz-copy-source'] !== undefined;
  if (m === 'POST' && has('uploads') && !copy) return { operation: 'CreateMultipartUpload', bucket, key };
  const uploadId = req.query.has('uploadId');
  const partNumber = req.query.has('partNumber');
  if (plain && uploadId && !copy) {
    if (m === 'PUT' && partNumber) return { operation: 'UploadPart', bucket, key };
    if (m === 'POST' && !partNumber) return { operation: 'CompleteMultipartUpload', bucket, key };
    if (m === 'DELETE' && !partNumber) return { operation: 'AbortMultipartUpload', bucket, key };
    if (m === 'GET' && !partNumber) return { operation: 'ListParts', bucket, key };
  }
  // GetObject/HeadObject of one part (`?partNumber=` alone) is not served: answering with the whole object would be a silent lie.
  if (plain && !uploadId && !partNumber && !copy) {
    if (m === 'PUT') return { operation: 'PutObject', bucket, key };
    if (m === 'GET') return { operation: 'GetObject', bucket, key };
    if (m === 'HEAD') return { operation: 'HeadObject', bucket, key };
    if (m === 'DELETE') return { operation: 'DeleteObject', bucket, key };
    throw methodNotAllowed(m, 'OBJECT');
  }
  const query = [...req.query.keys()].filter((k) => !k.startsWith('X-Amz-')).join('&');
  throw notImplemented(copy ? (uploadId ? 'UploadPartCopy' : 'CopyObject') : `${m} /${bucket}/${key}?${query}`);
}

const unescapeXml = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_m, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name];
  });

/** The keys and Quiet flag of a DeleteObjects body (`<Delete><Object><Key>…</Key></Object>…<Quiet>true</Quiet></Delete>`). */
export function deleteObjectsRequest(body: Buffer): { keys: string[]; quiet: boolean } {
  const xml = body.toString('utf8');
  if (!/<Delete[\s>]/.test(xml)) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  const keys = [...xml.matchAll(/<Object>[\s\S]*?<Key>([\s\S]*?)<\/Key>[\s\S]*?<\/Object>/g)].map((m) => unescapeXml(m[1]));
  return { keys, quiet: /<Quiet>\s*true\s*<\/Quiet>/i.test(xml) };
}

/** The parts a CompleteMultipartUpload body lists (`<CompleteMultipartUpload><Part><PartNumber/><ETag/>[<ChecksumCRC32/>…]</Part>…`), in the order given. */
export function completeMultipartUploadRequest(body: Buffer): { partNumber: number; etag: string; checksums: Partial<Record<ChecksumAlgorithm, string>> }[] {
  const xml = body.toString('utf8');
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) throw malformedXml();
  return [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => {
    const field = (name: string) => {
      const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(part);
      return m ? unescapeXml(m[1].trim()) : undefined;
    };
    const partNumber = field('PartNumber');
    const etag = field('ETag');
    if (partNumber === undefined || !/^\d+$/.test(partNumber) || etag === undefined) throw malformedXml();
    const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
    for (const a of CHECKSUM_ALGORITHMS) {
      const v = field(`Checksum${a.toUpperCase()}`);
      if (v !== undefined) checksums[a] = v;
    }
    return { partNumber: Number(partNumber), etag, checksums };
  });
}

// The multipart-upload operations on the wire (REST-XML): CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload, ListParts and ListMultipartUploads. The rules
// they apply are uploads.ts's; this file reads the requests and writes S3's answers.
import type { AwsRequest, AwsResponse } from '../edge/types.js';
import { attributesOf } from './attributes.js';
import { CHECKSUM_ALGORITHMS } from './checksums.js';
import { checkWriteConditions } from './conditions.js';
import { invalidArgument } from './errors.js';
import { byteOrder, urlEncodeName } from './listing.js';
import { entityTooLarge, MAX_OBJECT_BYTES, type S3Bucket, type S3Model, type S3Upload } from './model.js';
import { payloadOf } from './payload.js';
import { canonicalIdOf, el, ok, owner, xml } from './responses.js';
import { completeMultipartUploadRequest } from './routes.js';
import { assemble, heldBytes, partNumberOf, putPart, startUpload, uploadChecksumOf, uploadOf } from './uploads.js';

const MAX_LISTED = 1000;
const uploadIdOf = (req: AwsRequest) => req.query.get('uploadId') ?? '';

/** How an upload's (or object's) checksum is named in headers and XML. */
const checksumElements = (c: { algorithm: string; value: string; type: string }) => `${el(`Checksum${c.algorithm.toUpperCase()}`, c.value)}${el('ChecksumType', c.type)}`;

function countOf(value: string | null, name: string): number {
  if (value === null) return MAX_LISTED;
  if (!/^\d+$/.test(value)) throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, value);
  return Math.min(Number(value), MAX_LISTED);
}

export function createMultipartUpload(_model: S3Model, req: AwsRequest, bucket: S3Bucket, key: string): AwsResponse {
  const checksum = uploadChecksumOf(req.headers['x-amz-checksum-algorithm'], req.headers['x-amz-checksum-type']);
  const upload = startUpload(bucket, key, { ...attributesOf(req), checksum });
  const headers: Record<string, string> = { 'x-amz-server-side-encryption': 'AES256' };
  if (checksum) Object.assign(headers, { 'x-amz-checksum-algorithm': checksum.algorithm.toUpperCase(), 'x-amz-checksum-type': checksum.type });
  return xml('InitiateMultipartUploadResult', `${el('Bucket', bucket.name)}${el('Key', key)}${el('UploadId', upload.id)}`, headers);
}

/** UploadPart: the body is read exactly as PutObject's is (aws-chunked, Content-MD5, additional checksums). */
export function uploadPart(_model: S3Model, req: AwsRequest, bucket: S3Bucket, key: string): AwsResponse {
  const upload = uploadOf(bucket, key, uploadIdOf(req));
  const partNumber = partNumberOf(req.query.get('partNumber'));
  const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? 0);
  if (heldBytes(upload, partNumber) + declared > MAX_OBJECT_BYTES) throw entityTooLarge(heldBytes(upload, partNumber) + declared);
  const part = putPart(upload, partNumber, payloadOf(req));
  return ok(200, {
    etag: part.etag,
    'x-amz-server-side-encryption': 'AES256',
    ...(part.checksum ? { [`x-amz-checksum-${part.checksum.algorithm}`]: part.checksum.value } : {}),
  });
}

/** CompleteMultipartUpload: the listed parts become the object (a PutObject'd one in every respect but its ETag), and the upload is gone. */
export function completeMultipartUpload(model: S3Model, req: AwsRequest, bucket: S3Bucket, key: string): AwsResponse {
  const upload = uploadOf(bucket, key, uploadIdOf(req));
  const listed = completeMultipartUploadRequest(req.body);
  const claimedAlgorithm = CHECKSUM_ALGORITHMS.find((a) => req.headers[`x-amz-checksum-${a}`] !== undefined);
  const claimed = claimedAlgorithm && { algorithm: claimedAlgorithm, value: req.headers[`x-amz-checksum-${claimedAlgorithm}`] };
  const assembled = assemble(upload, listed, claimed);
  checkWriteConditions(req, key, bucket.objects.get(key));
  const o = model.putObject(bucket, key, { contentType: upload.contentType, metadata: upload.metadata, headers: upload.headers, ...assembled });
  bucket.uploads.delete(upload.id);
  const location = `http://${req.headers['host'] ?? 's3.amazonaws.com'}/${encodeURIComponent(bucket.name)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return xml('CompleteMultipartUploadResult', `${el('Location', location)}${el('Bucket', bucket.name)}${el('Key', key)}${el('ETag', o.etag)}${checksumElements(o.checksum)}`, {
    'x-amz-server-side-encryption': 'AES256',
  });
}

export function abortMultipartUpload(_model: S3Model, req: AwsRequest, bucket: S3Bucket, key: string): AwsResponse {
  const upload = uploadOf(bucket, key, uploadIdOf(req));
  bucket.uploads.delete(upload.id);
  return ok(204);
}

export function listParts(_model: S3Model, req: AwsRequest, bucket: S3Bucket, key: string): AwsResponse {
  const upload = uploadOf(bucket, key, uploadIdOf(req));
  const max = countOf(req.query.get('max-parts'), 'max-parts');
  const markerText = req.query.get('part-number-marker');
  if (markerText !== null && !/^\d+$/.test(markerText)) throw invalidArgument('Provided part-number-marker not an integer or within integer range', 'part-number-marker', markerText);
  const marker = Number(markerText ?? 0);
  const after = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = after.slice(0, max);
  const truncated = after.length > page.length;
  const parts = page
    .map(
      (p) =>
        `<Part>${el('PartNumber', p.partNumber)}${el('LastModified', p.lastModified.toISOString())}${el('ETag', p.etag)}${el('Size', p.body.length)}${
          p.checksum && upload.checksum ? el(`Checksum${p.checksum.algorithm.toUpperCase()}`, p.checksum.value) : ''
        }</Part>`,
    )
    .join('');
  return xml(
    'ListPartsResult',
    `${el('Bucket', bucket.name)}${el('Key', key)}${el('UploadId', upload.id)}${initiator(bucket)}${el('StorageClass', 'STANDARD')}${el('PartNumberMarker', marker)}${el(
      'NextPartNumberMarker',
      page.at(-1)?.partNumber ?? marker,
    )}${el('MaxParts', max)}${el('IsTruncated', truncated)}${parts}${upload.checksum ? `${el('ChecksumAlgorithm', upload.checksum.algorithm.toUpperCase())}${el('ChecksumType', upload.checksum.type)}` : ''}`,
  );
}

/** Who started an upload and who owns it: the bucket's account (only the owner may use a bucket locally). */
const initiator = (bucket: S3Bucket) => `<Initiator><ID>${canonicalIdOf(bucket.owner)}</ID></Initiator>${owner(bucket.owner)}`;

/** ListMultipartUploads: pending uploads by key (UTF-8 byte order), then by initiation, paged by key-marker/upload-id-marker. */
export function listMultipartUploads(_model: S3Model, req: AwsRequest, bucket: S3Bucket): AwsResponse {
  const q = req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') || undefined;
  const keyMarker = q.get('key-marker') ?? undefined;
  const uploadIdMarker = keyMarker === undefined ? undefined : (q.get('upload-id-marker') ?? undefined);
  const max = countOf(q.get('max-uploads'), 'max-uploads');
  const encodingType = q.get('encoding-type') ?? undefined;
  if (encodingType !== undefined && encodingType !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  const name = (s: string | undefined) => (s === undefined ? undefined : encodingType ? urlEncodeName(s) : s);

  const sorted = [...bucket.uploads.values()].sort((a, b) => byteOrder(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime() || byteOrder(a.id, b.id));
  const markerAt = uploadIdMarker === undefined ? -1 : sorted.findIndex((u) => u.key === keyMarker && u.id === uploadIdMarker);
  const uploads: S3Upload[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  /** Where the next page resumes: after this key (and this upload of it). */
  let next: { key: string; id?: string } | undefined;
  sorted.forEach((u, i) => {
    if (truncated || !u.key.startsWith(prefix)) return;
    if (keyMarker !== undefined) {
      const order = byteOrder(u.key, keyMarker);
      if (order < 0 || (order === 0 && (markerAt === -1 || i <= markerAt))) return;
    }
    const cut = delimiter ? u.key.indexOf(delimiter, prefix.length) : -1;
    const common = cut === -1 ? undefined : u.key.slice(0, cut + delimiter!.length);
    if (common !== undefined && prefixes.at(-1) === common) return;
    if (uploads.length + prefixes.length >= max) {
      truncated = true;
      return;
    }
    if (common === undefined) {
      uploads.push(u);
      next = { key: u.key, id: u.id };
    } else {
      prefixes.push(common);
      next = { key: sorted.filter((v) => v.key.startsWith(common)).at(-1)!.key };
    }
  });
  const entries = uploads
    .map(
      (u) =>
        `<Upload>${el('Key', name(u.key))}${el('UploadId', u.id)}${initiator(bucket)}${el('StorageClass', 'STANDARD')}${el('Initiated', u.initiated.toISOString())}${
          u.checksum ? `${el('ChecksumAlgorithm', u.checksum.algorithm.toUpperCase())}${el('ChecksumType', u.checksum.type)}` : ''
        }</Upload>`,
    )
    .join('');
  return xml(
    'ListMultipartUploadsResult',
    `${el('Bucket', bucket.name)}${el('KeyMarker', name(keyMarker ?? ''))}${el('UploadIdMarker', uploadIdMarker ?? '')}${truncated && next ? `${el('NextKeyMarker', name(next.key))}${el('NextUploadIdMarker', next.id ?? '')}` : ''}${el(
      'Prefix',
      name(prefix),
    )}${el('Delimiter', name(delimiter))}${el('MaxUploads', max)}${el('IsTruncated', truncated)}${el('EncodingType', encodingType)}${entries}${prefixes
      .map((p) => `<CommonPrefixes>${el('Prefix', name(p))}</CommonPrefixes>`)
      .join('')}`,
  );
}

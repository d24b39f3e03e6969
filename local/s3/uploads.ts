// Multipart uploads as S3 runs them: parts numbered 1–10000 kept until Complete or Abort, then
// assembled under S3's rules — parts listed in ascending order, each with its ETag (and checksum),
// every part but the last at least 5 MiB — into an object whose ETag is `"<md5 of part MD5s>-<count>"`.
import { randomBytes } from 'node:crypto';
import { CHECKSUM_ALGORITHMS, checksumOf, md5, type ChecksumAlgorithm } from './checksums.js';
import { invalidArgument, invalidRequest, malformedXml, noSuchUpload, S3Error } from './errors.js';
import { checkKey, entityTooLarge, MAX_OBJECT_BYTES, type ChecksumType, type S3Bucket, type S3Object, type S3Part, type S3Upload } from './model.js';
import type { Payload } from './payload.js';

/** S3's least size of a part that is not the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;

/** A part as CompleteMultipartUpload lists it. */
export interface ListedPart {
  partNumber: number;
  etag: string;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/** The checksum an upload is created with, from `x-amz-checksum-algorithm` and `x-amz-checksum-type`. */
export function uploadChecksumOf(algorithmHeader: string | undefined, typeHeader: string | undefined): S3Upload['checksum'] {
  if (algorithmHeader === undefined) {
    if (typeHeader !== undefined) throw invalidRequest('The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return undefined;
  }
  const algorithm = algorithmHeader.toLowerCase() as ChecksumAlgorithm;
  if (!CHECKSUM_ALGORITHMS.includes(algorithm)) {
    throw invalidRequest(`Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${CHECKSUM_ALGORITHMS.map((a) => a.toUpperCase()).join(', ')}]`);
  }
  // CRC64NVME has no composite form; SHA digests have no full-object form (they do not combine).
  const type = (typeHeader?.toUpperCase() ?? (algorithm === 'crc64nvme' ? 'FULL_OBJECT' : 'COMPOSITE')) as ChecksumType;
  if (type !== 'FULL_OBJECT' && type !== 'COMPOSITE') throw invalidRequest('Value for x-amz-checksum-type header is invalid.');
  if ((type === 'COMPOSITE' && algorithm === 'crc64nvme') || (type === 'FULL_OBJECT' && (algorithm === 'sha1' || algorithm === 'sha256'))) {
    throw invalidRequest(`The ${type} checksum type cannot be used with the ${algorithm} checksum algorithm.`);
  }
  return { algorithm, type };
}

/** CreateMultipartUpload: a new upload of `key` with the object's attributes, under a fresh opaque id. */
export function startUpload(bucket: S3Bucket, key: string, attributes: Pick<S3Upload, 'contentType' | 'metadata' | 'headers' | 'checksum'>): S3Upload {
  checkKey(key);
  const upload: S3Upload = { id: randomBytes(48).toString('base64url'), key, initiated: new Date(), ...attributes, parts: new Map() };
  bucket.uploads.set(upload.id, upload);
  return upload;
}

/** The pending upload `id` of `key`; NoSuchUpload for an unknown, completed or aborted one, or one of another key. */
export function uploadOf(bucket: S3Bucket, key: string, id: string): S3Upload {
  const upload = bucket.uploads.get(id);
  if (!upload || upload.key !== key) throw noSuchUpload(id);
  return upload;
}

/** A `partNumber` parameter: an integer from 1 to 10000. */
export function partNumberOf(value: string | null): number {
  if (value === null || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_PART_NUMBER) {
    throw invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, 'partNumber', value ?? '');
  }
  return Number(value);
}

/** Bytes an upload holds in its parts other than `except`: what the object cap (MAX_OBJECT_BYTES) counts. */
export function heldBytes(upload: S3Upload, except?: number): number {
  let n = 0;
  for (const p of upload.parts.values()) if (p.partNumber !== except) n += p.body.length;
  return n;
}

/** UploadPart: stores (or replaces) part `partNumber` from a verified payload. */
export function putPart(upload: S3Upload, partNumber: number, { body, checksum }: Payload): S3Part {
  const chosen = upload.checksum?.algorithm;
  if (chosen && checksum && checksum.algorithm !== chosen) throw invalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${chosen}, actual checksum Type: ${checksum.algorithm}`);
  const total = heldBytes(upload, partNumber) + body.length;
  if (total > MAX_OBJECT_BYTES) throw entityTooLarge(total);
  const part: S3Part = {
    partNumber,
    body,
    etag: `"${md5(body).toString('hex')}"`,
    lastModified: new Date(),
    checksum: checksum ?? (chosen ? { algorithm: chosen, value: checksumOf(chosen, body) } : undefined),
  };
  upload.parts.set(partNumber, part);
  return part;
}

const unquoted = (etag: string) => etag.trim().replace(/^"|"$/g, '');

/**
 * CompleteMultipartUpload's checks, in S3's order, and what the object is made of: the listed parts'
 * bytes, the multipart ETag, and the checksum (composite over the parts', the whole body's, or, for an
 * upload created without an algorithm, S3's default CRC64NVME of the whole body). `claimed` is a full-object
 * checksum the client sent with the request, verified when given.
 */
export function assemble(upload: S3Upload, listed: ListedPart[], claimed?: { algorithm: ChecksumAlgorithm; value: string }): Pick<S3Object, 'body' | 'etag' | 'checksum'> {
  if (listed.length === 0) throw malformedXml();
  listed.forEach((p, i) => {
    if (i > 0 && p.partNumber <= listed[i - 1].partNumber) {
      throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', 400, { UploadId: upload.id });
    }
  });
  const chosen = upload.checksum;
  const parts = listed.map((p) => {
    const part = upload.parts.get(p.partNumber);
    const invalid = () =>
      new S3Error('InvalidPart', "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", 400, {
        UploadId: upload.id,
        PartNumber: String(p.partNumber),
        ETag: p.etag,
      });
    if (!part || unquoted(p.etag) !== unquoted(part.etag)) throw invalid();
    if (chosen?.type === 'COMPOSITE' && p.checksums[chosen.algorithm] === undefined) {
      throw invalidRequest(
        `The upload was created using a ${chosen.algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${p.partNumber} in the request.`,
      );
    }
    for (const [algorithm, value] of Object.entries(p.checksums)) if (part.checksum?.algorithm !== algorithm || part.checksum.value !== value) throw invalid();
    return part;
  });
  parts.slice(0, -1).forEach((part) => {
    if (part.body.length < MIN_PART_BYTES) {
      throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, {
        ProposedSize: String(part.body.length),
        MinSizeAllowed: String(MIN_PART_BYTES),
        PartNumber: String(part.partNumber),
        ETag: unquoted(part.etag),
      });
    }
  });
  const body = Buffer.concat(parts.map((p) => p.body));
  const etag = `"${md5(Buffer.concat(parts.map((p) => Buffer.from(unquoted(p.etag), 'hex')))).toString('hex')}-${parts.length}"`;
  if (claimed && checksumOf(claimed.algorithm, body) !== claimed.value) {
    throw new S3Error('BadDigest', `The ${claimed.algorithm.toUpperCase()} you specified did not match the calculated checksum.`, 400);
  }
  if (chosen?.type === 'COMPOSITE') {
    const digests = Buffer.concat(parts.map((p) => Buffer.from(p.checksum!.value, 'base64')));
    return { body, etag, checksum: { algorithm: chosen.algorithm, value: `${checksumOf(chosen.algorithm, digests)}-${parts.length}`, type: 'COMPOSITE' } };
  }
  const algorithm = chosen?.algorithm ?? 'crc64nvme';
  return { body, etag, checksum: { algorithm, value: checksumOf(algorithm, body), type: 'FULL_OBJECT' } };
}

// The local S3's state: buckets (owner account, region, creation date), their objects and their
// pending multipart uploads, in memory, with a JSON snapshot (bodies base64) the local cloud writes
// on save and reads on start. Pending uploads are not in the snapshot: a restart drops them, as an
// interrupted `aws s3 cp` would have to start over anyway.
import { md5 } from './checksums.js';
import { accessDeniedError, noSuchBucket, noSuchKey, S3Error } from './errors.js';
import { bucketNameProblem } from './bucket-names.js';
import { byteOrder } from './listing.js';
import type { ChecksumAlgorithm } from './checksums.js';

/** What the model keeps of one object at most: S3 takes 5 GiB in one PutObject, a test cloud should not. */
export const MAX_OBJECT_BYTES = 100 * 1024 * 1024;
/** S3's limit on a key: 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** How an object's checksum was made: over the whole body, or (multipart) over its parts' checksums. */
export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

export interface S3Object {
  key: string;
  body: Buffer;
  /** The quoted MD5 hex of the body, as S3 sends it. */
  etag: string;
  /** Whole seconds: Last-Modified has no finer precision on the wire. */
  lastModified: Date;
  contentType: string;
  contentLength: number;
  /** `x-amz-meta-*` (names without the prefix) and the stored system headers (cache-control …). */
  metadata: Record<string, string>;
  headers: Record<string, string>;
  /** A COMPOSITE value ends in `-<parts>`, as S3 sends it. */
  checksum: { algorithm: ChecksumAlgorithm; value: string; type: ChecksumType };
}

/** A part of a pending multipart upload. */
export interface S3Part {
  partNumber: number;
  body: Buffer;
  /** The quoted MD5 hex of the part. */
  etag: string;
  lastModified: Date;
  /** The additional checksum the client sent with the part (or S3 computed, for an upload created with an algorithm). */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/** A multipart upload between CreateMultipartUpload and its Complete or Abort: what the object will be, and the parts so far. */
export interface S3Upload {
  id: string;
  key: string;
  initiated: Date;
  contentType: string;
  metadata: Record<string, string>;
  headers: Record<string, string>;
  /** The checksum chosen at creation (`x-amz-checksum-algorithm`, `x-amz-checksum-type`). */
  checksum?: { algorithm: ChecksumAlgorithm; type: ChecksumType };
  parts: Map<number, S3Part>;
}

export interface S3Bucket {
  name: string;
  owner: string;
  region: string;
  creationDate: Date;
  objects: Map<string, S3Object>;
  /** Pending multipart uploads by upload id: not objects, so never listed or read. */
  uploads: Map<string, S3Upload>;
}

export interface S3Snapshot {
  buckets: {
    name: string;
    owner: string;
    region: string;
    creationDate: string;
    objects: (Omit<S3Object, 'body' | 'lastModified' | 'contentLength'> & { body: string; lastModified: string })[];
  }[];
}

const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

export class S3Model {
  private readonly buckets = new Map<string, S3Bucket>();

  /** Creates `name` for `owner`; S3's answers to a taken or invalid name as errors (see CreateBucket for us-east-1's). */
  createBucket(owner: string, region: string, name: string): S3Bucket {
    const problem = bucketNameProblem(name);
    if (problem) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: name });
    const existing = this.buckets.get(name);
    if (existing?.owner === owner) throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: name });
    if (existing)
      throw new S3Error(
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        409,
        { BucketName: name },
      );
    const bucket: S3Bucket = { name, owner, region, creationDate: wholeSeconds(new Date()), objects: new Map(), uploads: new Map() };
    this.buckets.set(name, bucket);
    return bucket;
  }

  /** A stack's bucket: created, or kept with its objects when a restored snapshot has it for the same owner. */
  ensureBucket(owner: string, region: string, name: string): S3Bucket {
    const existing = this.buckets.get(name);
    if (existing?.owner === owner) return existing;
    return this.createBucket(owner, region, name);
  }

  bucket(name: string): S3Bucket | undefined {
    return this.buckets.get(name);
  }

  /** The bucket as `account` may use it: NoSuchBucket when there is none, AccessDenied when another account owns it (no bucket policies). */
  ownedBucket(account: string, name: string): S3Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    if (bucket.owner !== account) throw accessDeniedError();
    return bucket;
  }

  listBuckets(owner: string): S3Bucket[] {
    return [...this.buckets.values()].filter((b) => b.owner === owner).sort((a, b) => byteOrder(a.name, b.name));
  }

  deleteBucket(bucket: S3Bucket): void {
    if (bucket.objects.size > 0) throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket.name });
    this.buckets.delete(bucket.name);
  }

  /** Stores an object; its ETag is the body's MD5 unless given (a multipart object's is made of its parts'). */
  putObject(
    bucket: S3Bucket,
    key: string,
    { etag, ...o }: { body: Buffer; contentType: string; metadata: Record<string, string>; headers: Record<string, string>; checksum: S3Object['checksum']; etag?: string },
  ): S3Object {
    checkKey(key);
    if (o.body.length > MAX_OBJECT_BYTES) throw entityTooLarge(o.body.length);
    const object: S3Object = { key, ...o, etag: etag ?? `"${md5(o.body).toString('hex')}"`, lastModified: wholeSeconds(new Date()), contentLength: o.body.length };
    bucket.objects.set(key, object);
    return object;
  }

  getObject(bucket: S3Bucket, key: string): S3Object {
    const object = bucket.objects.get(key);
    if (!object) throw noSuchKey(key);
    return object;
  }

  /** Keys in UTF-8 byte order, as S3 lists them. */
  sortedKeys(bucket: S3Bucket): string[] {
    return [...bucket.objects.keys()].sort(byteOrder);
  }

  snapshot(): S3Snapshot {
    return {
      buckets: [...this.buckets.values()].map((b) => ({
        name: b.name,
        owner: b.owner,
        region: b.region,
        creationDate: b.creationDate.toISOString(),
        objects: [...b.objects.values()].map(({ body, lastModified, contentLength: _length, ...rest }) => ({ ...rest, body: body.toString('base64'), lastModified: lastModified.toISOString() })),
      })),
    };
  }

  restore(snap: S3Snapshot): void {
    this.buckets.clear();
    for (const b of snap.buckets) {
      const objects = new Map<string, S3Object>();
      for (const o of b.objects) {
        const body = Buffer.from(o.body, 'base64');
        // Snapshots from before multipart uploads name no checksum type: every checksum then was the whole body's.
        const checksum = { ...o.checksum, type: o.checksum.type ?? 'FULL_OBJECT' };
        objects.set(o.key, { ...o, body, checksum, contentLength: body.length, lastModified: new Date(o.lastModified) });
      }
      this.buckets.set(b.name, { name: b.name, owner: b.owner, region: b.region, creationDate: new Date(b.creationDate), objects, uploads: new Map() });
    }
  }
}

export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
    throw new S3Error('KeyTooLongError', 'Your key is too long', 400, { Size: String(Buffer.byteLength(key, 'utf8')), MaxSizeAllowed: String(MAX_KEY_BYTES) });
}

export const entityTooLarge = (size: number) =>
  new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, { ProposedSize: String(size), MaxSizeAllowed: String(MAX_OBJECT_BYTES) });

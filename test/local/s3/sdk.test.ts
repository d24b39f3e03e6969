// The local S3 driven by @aws-sdk/client-s3 exactly as the product's Lambda drives it (path-style,
// endpoint = the edge): bytes round-trip exactly, checksums are verified as S3 verifies them, and
// errors arrive as the SDK's named exceptions with S3's HTTP statuses.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  paginateListObjectsV2,
  type ChecksumAlgorithm,
} from '@aws-sdk/client-s3';
import { OWNER, rejection, startS3, STRANGER, type LocalS3 } from './harness.js';

let s3: LocalS3;
const BUCKET = 'manifests-sdk';
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

beforeAll(async () => {
  s3 = await startS3();
  await s3.client().send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(() => s3.close());

describe('objects', () => {
  it('a 5 MiB body under a key with spaces, unicode and slashes comes back byte for byte, its ETag the MD5', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const key = 'manifests/2026 Q1/zähler ✓/ids+more.txt';
    const put = await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'text/plain', Metadata: { operator: 'ops-1' } }));
    expect(put.ETag).toBe(`"${md5(body)}"`);

    const got = await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.equals(body)).toBe(true);
    expect(got.ETag).toBe(put.ETag);
    expect(got.ContentType).toBe('text/plain');
    expect(got.Metadata).toEqual({ operator: 'ops-1' });

    const head = await s3.client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.ETag).toBe(put.ETag);
    // Stored under the decoded key, once: S3 does not double-decode.
    expect(s3.model.bucket(BUCKET)!.objects.has(key)).toBe(true);
  });

  it('a streamed body (aws-chunked, CRC32 in the trailer) is stored decoded', async () => {
    const body = randomBytes(200_000);
    const put = await s3
      .client()
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'streamed.bin', Body: Readable.from([body.subarray(0, 70_000), body.subarray(70_000)]), ContentLength: body.length }));
    expect(put.ETag).toBe(`"${md5(body)}"`);
    expect(put.ChecksumCRC32).toBe(createCrc32(body));
    const stored = s3.model.bucket(BUCKET)!.objects.get('streamed.bin')!;
    expect(stored.body.equals(body)).toBe(true);
  });

  it.each<[ChecksumAlgorithm, 'ChecksumCRC32C' | 'ChecksumCRC64NVME' | 'ChecksumSHA1' | 'ChecksumSHA256']>([
    ['CRC32C', 'ChecksumCRC32C'],
    ['CRC64NVME', 'ChecksumCRC64NVME'],
    ['SHA1', 'ChecksumSHA1'],
    ['SHA256', 'ChecksumSHA256'],
  ])('the SDK’s %s is verified and kept: GetObject returns it and the SDK checks the body against it', async (algorithm, field) => {
    const key = `checksum-${algorithm}`;
    const put = await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'certificate ids\n', ChecksumAlgorithm: algorithm }));
    expect(put[field]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const got = await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    expect(got[field]).toBe(put[field]);
    expect(await got.Body!.transformToString()).toBe('certificate ids\n');
  });

  it('a checksum or Content-MD5 that does not match the body is refused with BadDigest (400), and nothing is stored', async () => {
    const wrongCrc = await rejection(s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bad-crc', Body: 'abc', ChecksumCRC32: createCrc32(Buffer.from('abd')) })));
    expect(wrongCrc.name).toBe('BadDigest');
    expect(wrongCrc.$metadata?.httpStatusCode).toBe(400);
    const wrongMd5 = await rejection(s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bad-md5', Body: 'abc', ContentMD5: createHash('md5').update('abd').digest('base64') })));
    expect(wrongMd5.name).toBe('BadDigest');
    for (const key of ['bad-crc', 'bad-md5']) expect((await rejection(s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key })))).name).toBe('NoSuchKey');
  });

  it('NoSuchKey and NoSuchBucket (404) as the SDK names them; HEAD has no body, so the SDK says NotFound', async () => {
    const key = await rejection(s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'missing/manifest.txt' })));
    expect([key.name, key.$metadata?.httpStatusCode, key.message]).toEqual(['NoSuchKey', 404, 'The specified key does not exist.']);
    const bucket = await rejection(s3.client().send(new GetObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k' })));
    expect([bucket.name, bucket.$metadata?.httpStatusCode]).toEqual(['NoSuchBucket', 404]);
    const list = await rejection(s3.client().send(new ListObjectsV2Command({ Bucket: 'no-such-bucket-here' })));
    expect(list.name).toBe('NoSuchBucket');
    const head = await rejection(s3.client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'missing' })));
    expect([head.name, head.$metadata?.httpStatusCode]).toEqual(['NotFound', 404]);
    const headBucket = await rejection(s3.client().send(new HeadBucketCommand({ Bucket: 'no-such-bucket-here' })));
    expect([headBucket.name, headBucket.$metadata?.httpStatusCode]).toEqual(['NotFound', 404]);
  });

  it('Range reads are 206 with Content-Range; an unsatisfiable one is InvalidRange (416)', async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Body: '0123456789' }));
    const part = await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Range: 'bytes=2-5' }));
    expect(part.$metadata.httpStatusCode).toBe(206);
    expect(part.ContentRange).toBe('bytes 2-5/10');
    expect(await part.Body!.transformToString()).toBe('2345');
    const tail = await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Range: 'bytes=-3' }));
    expect(await tail.Body!.transformToString()).toBe('789');
    const beyond = await rejection(s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Range: 'bytes=10-' })));
    expect([beyond.name, beyond.$metadata?.httpStatusCode]).toEqual(['InvalidRange', 416]);
  });

  it('If-Match and If-None-Match: 412 PreconditionFailed, 304 not modified; If-None-Match: * refuses to overwrite', async () => {
    const put = await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond.txt', Body: 'v1' }));
    const pre = await rejection(s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond.txt', IfMatch: '"0000"' })));
    expect([pre.name, pre.$metadata?.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    const same = await rejection(s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond.txt', IfNoneMatch: put.ETag })));
    expect(same.$metadata?.httpStatusCode).toBe(304);
    const ok = await s3.client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond.txt', IfMatch: put.ETag }));
    expect(await ok.Body!.transformToString()).toBe('v1');
    const overwrite = await rejection(s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond.txt', Body: 'v2', IfNoneMatch: '*' })));
    expect([overwrite.name, overwrite.$metadata?.httpStatusCode]).toEqual(['PreconditionFailed', 412]);
    expect(s3.model.bucket(BUCKET)!.objects.get('cond.txt')!.body.toString()).toBe('v1');
  });

  it('DeleteObject is 204 whether or not the key exists; DeleteObjects removes every key it names', async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'gone-1', Body: 'x' }));
    await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'gone-2', Body: 'x' }));
    const del = await s3.client().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone-1' }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    expect((await s3.client().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'never-was' }))).$metadata.httpStatusCode).toBe(204);
    const many = await s3.client().send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'gone-2' }, { Key: 'never-was' }] } }));
    expect(many.Deleted?.map((d) => d.Key)).toEqual(['gone-2', 'never-was']);
    expect(s3.model.bucket(BUCKET)!.objects.has('gone-2')).toBe(false);
  });
});

describe('ListObjectsV2', () => {
  const bucket = 'listing-sdk';
  const keys = Array.from({ length: 25 }, (_, i) => `batch/${String(i).padStart(2, '0')}.txt`);

  beforeAll(async () => {
    await s3.client().send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of [...keys, 'other/a.txt', 'other/b/c.txt', 'top.txt']) await s3.client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  });

  it('pages by max-keys with KeyCount, IsTruncated and an opaque NextContinuationToken, in key order', async () => {
    const sizes: number[] = [];
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'batch/', MaxKeys: 10, ContinuationToken: token }));
      sizes.push(page.KeyCount!);
      seen.push(...page.Contents!.map((c) => c.Key!));
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token);
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(keys);
  });

  it('the SDK paginator walks it; StartAfter, Delimiter and Size are as S3 gives them', async () => {
    const all: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3.client(), pageSize: 7 }, { Bucket: bucket })) all.push(...(page.Contents ?? []).map((c) => c.Key!));
    expect(all).toHaveLength(28);
    const after = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'batch/22.txt' }));
    expect(after.Contents!.map((c) => c.Key)).toEqual(['batch/23.txt', 'batch/24.txt', 'other/a.txt', 'other/b/c.txt', 'top.txt']);
    const rolled = await s3.client().send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    expect(rolled.CommonPrefixes!.map((p) => p.Prefix)).toEqual(['batch/', 'other/']);
    expect(rolled.Contents!.map((c) => [c.Key, c.Size])).toEqual([['top.txt', 7]]);
    expect(rolled.KeyCount).toBe(3);
  });

  it('a continuation token it did not issue is InvalidArgument (400)', async () => {
    const err = await rejection(s3.client().send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: 'bm90LWEtdG9rZW4=' })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['InvalidArgument', 400]);
  });
});

describe('buckets and accounts', () => {
  it('a bucket belongs to the account that created it: another account is AccessDenied (403), cannot take the name, and does not list it', async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'private.txt', Body: 'ids' }));
    const stranger = s3.client(STRANGER);
    for (const call of [
      () => stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'private.txt' })),
      () => stranger.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'private.txt', Body: 'overwritten' })),
      () => stranger.send(new ListObjectsV2Command({ Bucket: BUCKET })),
    ]) {
      const err = await rejection(call());
      expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    }
    expect((await rejection(stranger.send(new HeadBucketCommand({ Bucket: BUCKET })))).$metadata?.httpStatusCode).toBe(403);
    const taken = await rejection(stranger.send(new CreateBucketCommand({ Bucket: BUCKET })));
    expect([taken.name, taken.$metadata?.httpStatusCode]).toEqual(['BucketAlreadyExists', 409]);
    expect((await stranger.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    expect((await s3.client().send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toContain(BUCKET);
    expect(s3.model.bucket(BUCKET)!.objects.get('private.txt')!.body.toString()).toBe('ids');
  });

  it('names S3 refuses are InvalidBucketName (400)', async () => {
    for (const name of ['ab', 'Upper-Case', 'under_score', '-leading', 'two..dots', '192.168.1.1', 'x'.repeat(64)]) {
      const err = await rejection(s3.client().send(new CreateBucketCommand({ Bucket: name })));
      expect([name, err.name, err.$metadata?.httpStatusCode]).toEqual([name, 'InvalidBucketName', 400]);
    }
  });

  it('re-creating one’s own bucket: 200 in us-east-1 (S3’s legacy answer), BucketAlreadyOwnedByYou (409) elsewhere', async () => {
    await s3.client().send(new CreateBucketCommand({ Bucket: 'recreate-east' }));
    expect((await s3.client().send(new CreateBucketCommand({ Bucket: 'recreate-east' }))).$metadata.httpStatusCode).toBe(200);
    const west = s3.client(OWNER, { region: 'eu-west-1' });
    await west.send(new CreateBucketCommand({ Bucket: 'recreate-west', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const again = await rejection(west.send(new CreateBucketCommand({ Bucket: 'recreate-west', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })));
    expect([again.name, again.$metadata?.httpStatusCode]).toEqual(['BucketAlreadyOwnedByYou', 409]);
    const wrongConstraint = await rejection(west.send(new CreateBucketCommand({ Bucket: 'west-mismatch', CreateBucketConfiguration: { LocationConstraint: 'eu-central-1' } })));
    expect([wrongConstraint.name, wrongConstraint.$metadata?.httpStatusCode]).toEqual(['IllegalLocationConstraintException', 400]);
  });

  it('a bucket used from another region is PermanentRedirect (301) naming its region; the SDK follows it when asked to', async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'region.txt', Body: 'east' }));
    const err = await rejection(s3.client(OWNER, { region: 'eu-west-1' }).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'region.txt' })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['PermanentRedirect', 301]);
    const redirected = await s3.client(OWNER, { region: 'eu-west-1', followRegionRedirects: true }).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'region.txt' }));
    expect(await redirected.Body!.transformToString()).toBe('east');
  });

  it('DeleteBucket refuses a bucket with objects (BucketNotEmpty, 409), then deletes it once empty', async () => {
    await s3.client().send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    await s3.client().send(new PutObjectCommand({ Bucket: 'short-lived', Key: 'k', Body: 'x' }));
    const full = await rejection(s3.client().send(new DeleteBucketCommand({ Bucket: 'short-lived' })));
    expect([full.name, full.$metadata?.httpStatusCode]).toEqual(['BucketNotEmpty', 409]);
    await s3.client().send(new DeleteObjectCommand({ Bucket: 'short-lived', Key: 'k' }));
    expect((await s3.client().send(new DeleteBucketCommand({ Bucket: 'short-lived' }))).$metadata.httpStatusCode).toBe(204);
    expect((await rejection(s3.client().send(new HeadBucketCommand({ Bucket: 'short-lived' })))).$metadata?.httpStatusCode).toBe(404);
  });
});

describe('multipart uploads', () => {
  const MiB = 1024 * 1024;
  const bucket = 'multipart-sdk';
  /** S3's multipart ETag, computed here: the MD5 of the parts' binary MD5s, then the part count. */
  const multipartEtag = (parts: Buffer[]) =>
    `"${createHash('md5')
      .update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())))
      .digest('hex')}-${parts.length}"`;
  const start = async (key: string, extra: Partial<ConstructorParameters<typeof CreateMultipartUploadCommand>[0]> = {}) =>
    (await s3.client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }))).UploadId!;
  const part = async (key: string, uploadId: string, partNumber: number, body: Buffer) =>
    (await s3.client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }))).ETag!;
  const complete = (key: string, uploadId: string, parts: { PartNumber: number; ETag: string }[]) =>
    s3.client().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  /** Whether `key` can be seen at all: listed, or read. */
  const visible = async (key: string) => {
    const listed = ((await s3.client().send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).some((c) => c.Key === key);
    const read = await s3
      .client()
      .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      .then(
        async (got) => {
          await got.Body!.transformToByteArray();
          return 'read';
        },
        (e: Error) => e.name,
      );
    return { listed, read };
  };

  beforeAll(() => s3.client().send(new CreateBucketCommand({ Bucket: bucket })));

  it('Create, UploadPart ×2, Complete: the object is the parts’ bytes with the multipart ETag; before Complete it is neither listed nor readable', async () => {
    const key = 'batches/fleet ✓ 2026.txt';
    const parts = [randomBytes(5 * MiB), randomBytes(2 * MiB + 17)];
    const created = await s3.client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'text/plain', Metadata: { operator: 'ops-2' } }));
    expect([created.Bucket, created.Key, created.UploadId]).toEqual([bucket, key, expect.stringMatching(/^[A-Za-z0-9_-]{32,}$/)]);
    const uploadId = created.UploadId!;
    const etags = [await part(key, uploadId, 1, parts[0]), await part(key, uploadId, 2, parts[1])];
    expect(etags).toEqual(parts.map((p) => `"${md5(p)}"`));

    expect(await visible(key)).toEqual({ listed: false, read: 'NoSuchKey' });
    const listedParts = await s3.client().send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    expect(listedParts.Parts!.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      [1, etags[0], parts[0].length],
      [2, etags[1], parts[1].length],
    ]);
    const pending = await s3.client().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(pending.Uploads!.map((u) => [u.Key, u.UploadId])).toContainEqual([key, uploadId]);

    const done = await complete(key, uploadId, [
      { PartNumber: 1, ETag: etags[0] },
      { PartNumber: 2, ETag: etags[1] },
    ]);
    expect([done.Bucket, done.Key, done.ETag]).toEqual([bucket, key, multipartEtag(parts)]);
    const got = await s3.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
    expect([got.ETag, got.ContentLength, got.ContentType, got.Metadata]).toEqual([done.ETag, 7 * MiB + 17, 'text/plain', { operator: 'ops-2' }]);
    expect(await visible(key)).toEqual({ listed: true, read: 'read' });
    // Completed, the upload is gone.
    expect((await s3.client().send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).not.toContainEqual(expect.objectContaining({ UploadId: uploadId }));
    expect((await rejection(complete(key, uploadId, [{ PartNumber: 1, ETag: etags[0] }]))).name).toBe('NoSuchUpload');
  });

  it('every part but the last must be 5 MiB: two 1 MiB parts are EntityTooSmall (400), and the upload waits for a valid Complete', async () => {
    const key = 'small-parts.bin';
    const uploadId = await start(key);
    const etags = [await part(key, uploadId, 1, randomBytes(MiB)), await part(key, uploadId, 2, randomBytes(MiB))];
    const err = await rejection(
      complete(key, uploadId, [
        { PartNumber: 1, ETag: etags[0] },
        { PartNumber: 2, ETag: etags[1] },
      ]),
    );
    expect([err.name, err.$metadata?.httpStatusCode, err.message]).toEqual(['EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size']);
    expect(await visible(key)).toEqual({ listed: false, read: 'NoSuchKey' });
    // A single small part is the last part: that completes.
    expect((await complete(key, uploadId, [{ PartNumber: 1, ETag: etags[0] }])).ETag).toMatch(/^"[0-9a-f]{32}-1"$/);
  });

  it('a listed part with another ETag, or never uploaded, is InvalidPart (400); parts out of order are InvalidPartOrder (400)', async () => {
    const key = 'invalid-parts.bin';
    const uploadId = await start(key);
    const etag1 = await part(key, uploadId, 1, randomBytes(5 * MiB));
    const etag2 = await part(key, uploadId, 2, randomBytes(1024));
    const wrong = await rejection(
      complete(key, uploadId, [
        { PartNumber: 1, ETag: `"${md5('something else')}"` },
        { PartNumber: 2, ETag: etag2 },
      ]),
    );
    expect([wrong.name, wrong.$metadata?.httpStatusCode]).toEqual(['InvalidPart', 400]);
    const missing = await rejection(
      complete(key, uploadId, [
        { PartNumber: 1, ETag: etag1 },
        { PartNumber: 3, ETag: etag2 },
      ]),
    );
    expect(missing.name).toBe('InvalidPart');
    const order = await rejection(
      complete(key, uploadId, [
        { PartNumber: 2, ETag: etag2 },
        { PartNumber: 1, ETag: etag1 },
      ]),
    );
    expect([order.name, order.$metadata?.httpStatusCode]).toEqual(['InvalidPartOrder', 400]);
    expect(await visible(key)).toEqual({ listed: false, read: 'NoSuchKey' });
  });

  it('AbortMultipartUpload is 204; then the upload is NoSuchUpload (404) to UploadPart, Complete, ListParts and Abort, and nothing was stored', async () => {
    const key = 'aborted.bin';
    const uploadId = await start(key);
    const etag = await part(key, uploadId, 1, randomBytes(1024));
    expect((await s3.client().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))).$metadata.httpStatusCode).toBe(204);
    for (const call of [
      () => part(key, uploadId, 2, randomBytes(10)),
      () => complete(key, uploadId, [{ PartNumber: 1, ETag: etag }]),
      () => s3.client().send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
      () => s3.client().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
    ]) {
      const err = await rejection(call());
      expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['NoSuchUpload', 404]);
    }
    expect(await visible(key)).toEqual({ listed: false, read: 'NoSuchKey' });
    // An id that never was, or one used under another key, is NoSuchUpload too.
    const other = await start('other-key.bin');
    expect((await rejection(part(key, other, 1, randomBytes(10)))).name).toBe('NoSuchUpload');
    expect((await rejection(part(key, 'never-issued', 1, randomBytes(10)))).name).toBe('NoSuchUpload');
  });

  it('an upload belongs to the bucket owner: another account is AccessDenied (403) to create, upload a part or abort', async () => {
    const key = 'owned.bin';
    const uploadId = await start(key);
    const stranger = s3.client(STRANGER);
    for (const call of [
      () => stranger.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })),
      () => stranger.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: 'planted' })),
      () => stranger.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })),
    ]) {
      const err = await rejection(call());
      expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    }
    expect(s3.model.bucket(bucket)!.uploads.get(uploadId)!.parts.size).toBe(0);
  });

  it('an upload created with SHA256 takes SHA256 parts only, wants each part’s checksum in Complete, and ends with the composite checksum', async () => {
    const key = 'composite.bin';
    const parts = [randomBytes(5 * MiB), randomBytes(300)];
    const uploadId = await start(key, { ChecksumAlgorithm: 'SHA256' });
    // The SDK's default part checksum is CRC32: not the upload's algorithm.
    const mismatch = await rejection(part(key, uploadId, 1, parts[0]));
    expect([mismatch.name, mismatch.$metadata?.httpStatusCode]).toEqual(['InvalidRequest', 400]);
    const uploaded = [];
    for (const [i, body] of parts.entries()) {
      uploaded.push(await s3.client().send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'SHA256' })));
    }
    expect(uploaded.map((u) => u.ChecksumSHA256)).toEqual(parts.map((p) => createHash('sha256').update(p).digest('base64')));
    const withoutChecksums = await rejection(
      complete(
        key,
        uploadId,
        uploaded.map((u, i) => ({ PartNumber: i + 1, ETag: u.ETag! })),
      ),
    );
    expect([withoutChecksums.name, withoutChecksums.message]).toEqual([
      'InvalidRequest',
      'The upload was created using a sha256 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.',
    ]);
    const done = await s3.client().send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: uploaded.map((u, i) => ({ PartNumber: i + 1, ETag: u.ETag!, ChecksumSHA256: u.ChecksumSHA256 })) },
      }),
    );
    const composite = `${createHash('sha256')
      .update(Buffer.concat(parts.map((p) => createHash('sha256').update(p).digest())))
      .digest('base64')}-2`;
    expect([done.ChecksumSHA256, done.ChecksumType]).toEqual([composite, 'COMPOSITE']);
    // The SDK does not try to check a body against a composite checksum; it reads the object.
    const got = await s3.client().send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    expect([got.ChecksumSHA256, got.ChecksumType]).toEqual([composite, 'COMPOSITE']);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
  });
});

/** CRC32 as S3 transmits it, computed by node:zlib (not by the code under test). */
function createCrc32(data: Buffer): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(zlibCrc32(data));
  return b.toString('base64');
}

// The local S3 on the wire, below any SDK: the aws-chunked framing and its trailers, the digests S3
// checks before storing, errors exactly as S3 serializes them, virtual-hosted addressing, presigned URLs.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { checksumOf } from '../../../local/s3/checksums.js';
import { bucketNameProblem, generatedBucketName } from '../../../local/s3/bucket-names.js';
import { S3Model } from '../../../local/s3/service.js';
import { OWNER, REGION, startS3, type LocalS3 } from './harness.js';

let s3: LocalS3;
const BUCKET = 'wire-bucket';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** A request as a SigV4 client sends it (the edge reads the account from the credential scope). */
function send(method: string, path: string, opts: { headers?: Record<string, string>; body?: Buffer | string; account?: string } = {}) {
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  return fetch(`${s3.url}${path}`, {
    method,
    body,
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${opts.account ?? OWNER}/20260101/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
      'x-amz-content-sha256': body ? createHash('sha256').update(body).digest('hex') : EMPTY_SHA256,
      ...opts.headers,
    },
  });
}

/** aws-chunked as the JS SDK frames a streamed body: unsigned chunks, the checksum in a trailer. */
function chunked(data: Buffer, trailer: string, chunkSize = 8192, signature?: string): Buffer {
  const parts: Buffer[] = [];
  const ext = signature ? `;chunk-signature=${signature}` : '';
  for (let i = 0; i < data.length; i += chunkSize) {
    const chunk = data.subarray(i, i + chunkSize);
    parts.push(Buffer.from(`${chunk.length.toString(16)}${ext}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`0${ext}\r\n${trailer}\r\n`));
  return Buffer.concat(parts);
}

const chunkedHeaders = (data: Buffer, algorithm = 'crc32') => ({
  'content-encoding': 'aws-chunked',
  'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'x-amz-decoded-content-length': String(data.length),
  'x-amz-trailer': `x-amz-checksum-${algorithm}`,
  'x-amz-sdk-checksum-algorithm': algorithm.toUpperCase(),
});

beforeAll(async () => {
  s3 = await startS3();
  expect((await send('PUT', `/${BUCKET}`)).status).toBe(200);
});
afterAll(() => s3.close());

describe('request bodies', () => {
  const data = Buffer.from('a'.repeat(20_000) + 'certificate ids');

  it('aws-chunked with a CRC32 trailer is stored decoded, and a wrong trailer is BadDigest with nothing stored', async () => {
    const good = await send('PUT', `/${BUCKET}/chunked.txt`, { headers: chunkedHeaders(data), body: chunked(data, `x-amz-checksum-crc32:${checksumOf('crc32', data)}\r\n`) });
    expect(good.status).toBe(200);
    expect(good.headers.get('etag')).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
    expect(s3.model.bucket(BUCKET)!.objects.get('chunked.txt')!.body.equals(data)).toBe(true);

    const bad = await send('PUT', `/${BUCKET}/chunked-bad.txt`, { headers: chunkedHeaders(data), body: chunked(data, `x-amz-checksum-crc32:${checksumOf('crc32', Buffer.from('other'))}\r\n`) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>BadDigest</Code><Message>The CRC32 you specified did not match the calculated checksum.</Message>');
    expect(s3.model.bucket(BUCKET)!.objects.has('chunked-bad.txt')).toBe(false);
  });

  it('signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) are decoded; a body shorter than x-amz-decoded-content-length is IncompleteBody', async () => {
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-decoded-content-length': String(data.length) };
    const signed = await send('PUT', `/${BUCKET}/signed.txt`, { headers, body: chunked(data, '', 8192, 'f'.repeat(64)) });
    expect(signed.status).toBe(200);
    expect(s3.model.bucket(BUCKET)!.objects.get('signed.txt')!.body.equals(data)).toBe(true);
    const short = await send('PUT', `/${BUCKET}/short.txt`, { headers: { ...headers, 'x-amz-decoded-content-length': String(data.length + 1) }, body: chunked(data, '', 8192, 'f'.repeat(64)) });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('<Code>IncompleteBody</Code>');
  });

  it('x-amz-content-sha256 of another body is XAmzContentSHA256Mismatch; a malformed Content-MD5 InvalidDigest; neither stores anything', async () => {
    const sha = await send('PUT', `/${BUCKET}/sha.txt`, { body: 'abc', headers: { 'x-amz-content-sha256': createHash('sha256').update('abd').digest('hex') } });
    expect(sha.status).toBe(400);
    expect(await sha.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    const md5 = await send('PUT', `/${BUCKET}/md5.txt`, { body: 'abc', headers: { 'content-md5': 'not-a-digest' } });
    expect(md5.status).toBe(400);
    expect(await md5.text()).toContain('<Code>InvalidDigest</Code>');
    expect([...s3.model.bucket(BUCKET)!.objects.keys()].filter((k) => k === 'sha.txt' || k === 'md5.txt')).toEqual([]);
  });

  it('a body over the local cap (100 MiB) is EntityTooLarge, refused from its declared length', async () => {
    const res = await send('PUT', `/${BUCKET}/huge.bin`, {
      headers: { ...chunkedHeaders(data), 'x-amz-decoded-content-length': String(200 * 1024 * 1024) },
      body: chunked(data, 'x-amz-checksum-crc32:AAAAAA==\r\n'),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/<Code>EntityTooLarge<\/Code>.*<MaxSizeAllowed>104857600<\/MaxSizeAllowed>/);
  });
});

describe('multipart uploads on the wire', () => {
  const MiB = 1024 * 1024;
  const create = async (key: string) => {
    const res = await send('POST', `/${BUCKET}/${key}?uploads`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(new RegExp(`<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${BUCKET}</Bucket><Key>${key}</Key><UploadId>[^<]+</UploadId>`));
    return /<UploadId>([^<]+)<\/UploadId>/.exec(text)![1];
  };
  const uploads = () => s3.model.bucket(BUCKET)!.uploads;

  it('UploadPart reads an aws-chunked body with a CRC32 trailer as PutObject does, and returns the part’s ETag and checksum; a wrong trailer is BadDigest and no part', async () => {
    const id = await create('chunked-parts.bin');
    const data = Buffer.alloc(20_000, 'p');
    const good = await send('PUT', `/${BUCKET}/chunked-parts.bin?partNumber=1&uploadId=${id}`, {
      headers: chunkedHeaders(data),
      body: chunked(data, `x-amz-checksum-crc32:${checksumOf('crc32', data)}\r\n`),
    });
    expect([good.status, good.headers.get('etag'), good.headers.get('x-amz-checksum-crc32')]).toEqual([200, `"${createHash('md5').update(data).digest('hex')}"`, checksumOf('crc32', data)]);
    expect(uploads().get(id)!.parts.get(1)!.body.equals(data)).toBe(true);
    const bad = await send('PUT', `/${BUCKET}/chunked-parts.bin?partNumber=2&uploadId=${id}`, {
      headers: chunkedHeaders(data),
      body: chunked(data, `x-amz-checksum-crc32:${checksumOf('crc32', Buffer.from('x'))}\r\n`),
    });
    expect([bad.status, await bad.text()]).toEqual([400, expect.stringContaining('<Code>BadDigest</Code>')]);
    const md5 = await send('PUT', `/${BUCKET}/chunked-parts.bin?partNumber=3&uploadId=${id}`, { body: 'abc', headers: { 'content-md5': createHash('md5').update('abd').digest('base64') } });
    expect([md5.status, await md5.text()]).toEqual([400, expect.stringContaining('<Code>BadDigest</Code>')]);
    expect([...uploads().get(id)!.parts.keys()]).toEqual([1]);
  });

  it('a part number outside 1–10000 is InvalidArgument; an unknown upload is NoSuchUpload naming the UploadId', async () => {
    const id = await create('numbers.bin');
    for (const n of ['0', '10001', 'one']) {
      const res = await send('PUT', `/${BUCKET}/numbers.bin?partNumber=${n}&uploadId=${id}`, { body: 'x' });
      expect([n, res.status, await res.text()]).toEqual([
        n,
        400,
        expect.stringContaining('<Code>InvalidArgument</Code><Message>Part number must be an integer between 1 and 10000, inclusive</Message>'),
      ]);
    }
    expect((await send('PUT', `/${BUCKET}/numbers.bin?partNumber=10000&uploadId=${id}`, { body: 'x' })).status).toBe(200);
    const unknown = await send('PUT', `/${BUCKET}/numbers.bin?partNumber=1&uploadId=nope`, { body: 'x' });
    expect([unknown.status, await unknown.text()]).toEqual([404, expect.stringContaining('<Code>NoSuchUpload</Code>')]);
    expect(await (await send('POST', `/${BUCKET}/numbers.bin?uploadId=nope`, { body: '<CompleteMultipartUpload/>' })).text()).toContain('<UploadId>nope</UploadId>');
  });

  it('the parts an upload holds are capped like an object (100 MiB): a part that would pass the cap is EntityTooLarge, refused from its declared length', async () => {
    const id = await create('capped.bin');
    expect((await send('PUT', `/${BUCKET}/capped.bin?partNumber=1&uploadId=${id}`, { body: Buffer.alloc(5 * MiB) })).status).toBe(200);
    const data = Buffer.from('small');
    const over = await send('PUT', `/${BUCKET}/capped.bin?partNumber=2&uploadId=${id}`, {
      headers: { ...chunkedHeaders(data), 'x-amz-decoded-content-length': String(96 * MiB) },
      body: chunked(data, `x-amz-checksum-crc32:${checksumOf('crc32', data)}\r\n`),
    });
    expect([over.status, await over.text()]).toEqual([400, expect.stringMatching(/<Code>EntityTooLarge<\/Code>.*<MaxSizeAllowed>104857600<\/MaxSizeAllowed>/)]);
    expect([...uploads().get(id)!.parts.keys()]).toEqual([1]);
  });

  it('Complete takes ETags with or without quotes; InvalidPart names the part; the answer is CompleteMultipartUploadResult', async () => {
    const id = await create('complete.bin');
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.from('tail')];
    for (const [i, p] of parts.entries()) expect((await send('PUT', `/${BUCKET}/complete.bin?partNumber=${i + 1}&uploadId=${id}`, { body: p })).status).toBe(200);
    const hex = parts.map((p) => createHash('md5').update(p).digest('hex'));
    const body = (etags: string[]) => `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><ETag>${e}</ETag><PartNumber>${i + 1}</PartNumber></Part>`).join('')}</CompleteMultipartUpload>`;
    const invalid = await send('POST', `/${BUCKET}/complete.bin?uploadId=${id}`, { body: body([hex[0], '0'.repeat(32)]) });
    expect([invalid.status, await invalid.text()]).toEqual([400, expect.stringContaining(`<Code>InvalidPart</Code>`)]);
    const done = await send('POST', `/${BUCKET}/complete.bin?uploadId=${id}`, { body: body([hex[0], `&quot;${hex[1]}&quot;`]) });
    const etag = `"${createHash('md5')
      .update(Buffer.concat(hex.map((h) => Buffer.from(h, 'hex'))))
      .digest('hex')}-2"`;
    expect([done.status, await done.text()]).toEqual([
      200,
      expect.stringMatching(new RegExp(`<CompleteMultipartUploadResult[^>]*><Location>[^<]+</Location><Bucket>${BUCKET}</Bucket><Key>complete.bin</Key><ETag>${etag.replace(/"/g, '&quot;')}</ETag>`)),
    ]);
    expect(s3.model.bucket(BUCKET)!.objects.get('complete.bin')!.body.equals(Buffer.concat(parts))).toBe(true);
    expect(uploads().has(id)).toBe(false);
  });
});

describe('errors and addressing', () => {
  it('an error is S3’s XML with the status, its RequestId the x-amz-request-id header; a HEAD gets the status and no body', async () => {
    const res = await send('GET', `/${BUCKET}/no%20such/key`);
    expect(res.status).toBe(404);
    const id = res.headers.get('x-amz-request-id');
    expect(id).toMatch(/^[0-9A-F]{16}$/);
    const text = await res.text();
    expect(text).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist\.<\/Message><Key>no such\/key<\/Key><RequestId>([0-9A-F]{16})<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/,
    );
    expect(text).toContain(`<RequestId>${id}</RequestId>`);
    const head = await send('HEAD', `/${BUCKET}/no-such-key`);
    expect(head.status).toBe(404);
    expect(await head.text()).toBe('');
    const bucket = await send('GET', '/no-such-bucket-x/key');
    expect(await bucket.text()).toContain('<Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>no-such-bucket-x</BucketName>');
  });

  it('a percent-encoded key is decoded once: %2520 stays "%20" in the key', async () => {
    expect((await send('PUT', `/${BUCKET}/literal%2520percent`, { body: 'x' })).status).toBe(200);
    expect(s3.model.bucket(BUCKET)!.objects.has('literal%20percent')).toBe(true);
  });

  it('virtual-hosted style: the bucket from a Host of <bucket>.s3.<region>.amazonaws.com or <bucket>.localhost', async () => {
    expect((await send('PUT', `/${BUCKET}/hosted.txt`, { body: 'hosted' })).status).toBe(200);
    for (const host of [`${BUCKET}.s3.${REGION}.amazonaws.com`, `${BUCKET}.localhost:4566`]) {
      // fetch refuses to set Host, so this one goes through node:http.
      const { status, body } = await rawGet(`/hosted.txt`, host);
      expect([host, status, body]).toEqual([host, 200, 'hosted']);
    }
  });

  it('what the local S3 does not serve is NotImplemented (501), never a silent 200', async () => {
    for (const [method, path, headers] of [
      ['GET', `/${BUCKET}?acl`],
      ['PUT', `/${BUCKET}?policy`],
      // One part of an object (GetObject partNumber), and a part copied from another object.
      ['GET', `/${BUCKET}/hosted.txt?partNumber=1`],
      ['PUT', `/${BUCKET}/big.bin?partNumber=1&uploadId=u`, { 'x-amz-copy-source': `/${BUCKET}/hosted.txt` }],
    ] as [string, string, Record<string, string>?][]) {
      const res = await send(method, path, { ...(method === 'PUT' ? { body: '{}' } : {}), headers });
      expect([path, res.status]).toEqual([path, 501]);
      expect(await res.text()).toContain('<Code>NotImplemented</Code>');
    }
  });
});

describe('presigned URLs (query-string SigV4, signed by @smithy/signature-v4)', () => {
  const signer = new SignatureV4({ service: 's3', region: REGION, credentials: { accessKeyId: OWNER, secretAccessKey: 'x' }, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const presign = async (key: string, signingDate: Date, expiresIn: number) => {
    const url = new URL(s3.url);
    const req = new HttpRequest({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: `/${BUCKET}/${key}`, headers: { host: url.host } });
    const signed = await signer.presign(req, { signingDate, expiresIn });
    return `${s3.url}${signed.path}?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
  };

  it('a presigned GET reads the object as its signer; once expired it is AccessDenied "Request has expired"', async () => {
    expect((await send('PUT', `/${BUCKET}/presigned.txt`, { body: 'manifest' })).status).toBe(200);
    const fresh = await fetch(await presign('presigned.txt', new Date(), 300));
    expect([fresh.status, await fresh.text()]).toEqual([200, 'manifest']);
    const stale = await fetch(await presign('presigned.txt', new Date(Date.now() - 3600_000), 60));
    expect(stale.status).toBe(403);
    expect(await stale.text()).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>');
  });
});

describe('checksums, names and snapshots', () => {
  it('CRC32C and CRC64NVME give the catalogue check values for "123456789"', () => {
    const check = Buffer.from('123456789');
    expect(Buffer.from(checksumOf('crc32c', check), 'base64').toString('hex')).toBe('e3069283');
    expect(Buffer.from(checksumOf('crc64nvme', check), 'base64').toString('hex')).toBe('ae8b14860a799888');
    expect(Buffer.from(checksumOf('crc32', check), 'base64').toString('hex')).toBe('cbf43926');
  });

  it('a generated bucket name is valid, at most 63 characters, stable per account+region+stack, and keeps both ends when trimmed', () => {
    const name = generatedBucketName('certificate-transfer-local', 'ManifestBucket', OWNER, REGION);
    expect(name).toMatch(/^certificate-transfer-local-manifestbucket-[a-z0-9]{12}$/);
    expect(generatedBucketName('certificate-transfer-local', 'ManifestBucket', OWNER, REGION)).toBe(name);
    expect(generatedBucketName('certificate-transfer-local', 'ManifestBucket', '222222222222', REGION)).not.toBe(name);
    const long = generatedBucketName('a-very-long-service-name-for-certificates-local', 'TheManifestUploadsBucketOfOperators', OWNER, REGION);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^a-very-long-service-name-.*bucketofoperators-[a-z0-9]{12}$/);
    expect(bucketNameProblem(long)).toBeUndefined();
  });

  it('a snapshot restores buckets and bodies byte for byte', () => {
    const snap = JSON.parse(JSON.stringify(s3.model.snapshot()));
    const restored = new S3Model();
    restored.restore(snap);
    const original = s3.model.bucket(BUCKET)!;
    const copy = restored.bucket(BUCKET)!;
    expect(copy.owner).toBe(OWNER);
    expect([...copy.objects.keys()]).toEqual([...original.objects.keys()]);
    for (const [key, o] of original.objects) expect([key, copy.objects.get(key)!.body.equals(o.body), copy.objects.get(key)!.etag]).toEqual([key, true, o.etag]);
  });
});

async function rawGet(path: string, host: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  const url = new URL(s3.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'GET',
        headers: { host, authorization: `AWS4-HMAC-SHA256 Credential=${OWNER}/20260101/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=0`, 'x-amz-content-sha256': EMPTY_SHA256 },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// The local S3 driven by boto3 (botocore's own REST-XML parser, its flexible checksums and its
// url-encoded listings): what a Python operator tool would see.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boto3, startS3, STRANGER, type LocalS3 } from './harness.js';

let s3: LocalS3;
const BUCKET = 'manifests-boto';

beforeAll(async () => {
  s3 = await startS3();
  await boto3(s3.url, `s3.create_bucket(Bucket='${BUCKET}')`);
});
afterAll(() => s3.close());

describe('boto3', () => {
  it('put/get round trip of 5 MiB under a key with spaces, unicode and slashes: same bytes, ETag the MD5, HeadObject ContentLength', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const key = 'ops uploads/ünïcode ✓/manifest+1.txt';
    const out = await boto3<{ put: string; same: boolean; etag: string; length: number; md5: string }>(
      s3.url,
      `
import base64, hashlib
body = base64.b64decode(open(argv[1]).read())
put = s3.put_object(Bucket='${BUCKET}', Key=argv[0], Body=body)
got = s3.get_object(Bucket='${BUCKET}', Key=argv[0])['Body'].read()
head = s3.head_object(Bucket='${BUCKET}', Key=argv[0])
out = {'put': put['ETag'], 'same': got == body, 'etag': head['ETag'], 'length': head['ContentLength'], 'md5': hashlib.md5(body).hexdigest()}
`,
      [key, await tempBase64(body)],
    );
    expect(out.same).toBe(true);
    expect(out.put).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(out.etag).toBe(out.put);
    expect(out.length).toBe(body.length);
    expect(s3.model.bucket(BUCKET)!.objects.get(key)!.body.equals(body)).toBe(true);
  });

  it('upload_file of 11 MiB in 5 MiB parts (s3transfer, CRC32 parts): download_file gives the same bytes; ETag and composite CRC32 are S3’s', async () => {
    const body = randomBytes(11 * 1024 * 1024);
    const key = 'ops uploads/batch 11 MiB ✓.bin';
    const out = await boto3<{ same: boolean; etag: string; expectedEtag: string; crc32: string; expectedCrc32: string; type: string; pending: number }>(
      s3.url,
      `
import base64, hashlib, os, tempfile, zlib
from boto3.s3.transfer import TransferConfig
MiB = 1024 * 1024
body = base64.b64decode(open(argv[1]).read())
config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
work = tempfile.mkdtemp()
src, dst = os.path.join(work, 'up.bin'), os.path.join(work, 'down.bin')
open(src, 'wb').write(body)
s3.upload_file(src, '${BUCKET}', argv[0], Config=config)
s3.download_file('${BUCKET}', argv[0], dst, Config=config)
parts = [body[i:i + 5 * MiB] for i in range(0, len(body), 5 * MiB)]
head = s3.head_object(Bucket='${BUCKET}', Key=argv[0], ChecksumMode='ENABLED')
crc = lambda b: zlib.crc32(b).to_bytes(4, 'big')
out = {
  'same': open(dst, 'rb').read() == body,
  'etag': head['ETag'],
  'expectedEtag': '"%s-%d"' % (hashlib.md5(b''.join(hashlib.md5(p).digest() for p in parts)).hexdigest(), len(parts)),
  'crc32': head.get('ChecksumCRC32'),
  'expectedCrc32': '%s-%d' % (base64.b64encode(crc(b''.join(crc(p) for p in parts))).decode(), len(parts)),
  'type': head.get('ChecksumType'),
  'pending': len(s3.list_multipart_uploads(Bucket='${BUCKET}').get('Uploads', [])),
}
`,
      [key, await tempBase64(body)],
    );
    expect(out.same).toBe(true);
    expect(out.etag).toMatch(/-3"$/);
    expect(out.etag).toBe(out.expectedEtag);
    expect([out.crc32, out.type]).toEqual([out.expectedCrc32, 'COMPOSITE']);
    expect(out.pending).toBe(0);
    expect(s3.model.bucket(BUCKET)!.objects.get(key)!.body.equals(body)).toBe(true);
  });

  it('error codes and statuses as botocore surfaces them: NoSuchKey 404, NoSuchBucket 404, HEAD 404, AccessDenied 403', async () => {
    await boto3(s3.url, `s3.put_object(Bucket='${BUCKET}', Key='private.txt', Body=b'ids')`);
    const snippet = `
def code(call):
    try:
        call()
        return 'ok'
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
out = {
  'key': code(lambda: s3.get_object(Bucket='${BUCKET}', Key='missing.txt')),
  'bucket': code(lambda: s3.get_object(Bucket='no-such-bucket-boto', Key='k')),
  'head': code(lambda: s3.head_object(Bucket='${BUCKET}', Key='missing.txt')),
  'list': code(lambda: s3.list_objects_v2(Bucket='no-such-bucket-boto')),
}`;
    expect(await boto3(s3.url, snippet)).toEqual({ key: ['NoSuchKey', 404], bucket: ['NoSuchBucket', 404], head: ['404', 404], list: ['NoSuchBucket', 404] });
    const stranger = await boto3(s3.url, snippet.replace("'missing.txt'", "'private.txt'"), [], STRANGER);
    expect(stranger).toMatchObject({ key: ['AccessDenied', 403], head: ['403', 403] });
  });

  it('a CRC32 that does not match is BadDigest and nothing is stored; boto3’s own CRC32 and SHA256 are accepted', async () => {
    const out = await boto3<Record<string, unknown>>(
      s3.url,
      `
import base64, zlib
out = {}
try:
    s3.put_object(Bucket='${BUCKET}', Key='bad.txt', Body=b'abc', ChecksumCRC32=base64.b64encode(zlib.crc32(b'abd').to_bytes(4, 'big')).decode())
    out['bad'] = 'stored'
except ClientError as e:
    out['bad'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
out['crc32'] = s3.put_object(Bucket='${BUCKET}', Key='crc32.txt', Body=b'abc', ChecksumAlgorithm='CRC32').get('ChecksumCRC32')
out['sha256'] = s3.put_object(Bucket='${BUCKET}', Key='sha256.txt', Body=b'abc', ChecksumAlgorithm='SHA256').get('ChecksumSHA256')
out['expected'] = base64.b64encode(zlib.crc32(b'abc').to_bytes(4, 'big')).decode()
`,
    );
    expect(out.bad).toEqual(['BadDigest', 400]);
    expect(out.crc32).toBe(out.expected);
    expect(out.sha256).toBe(createHash('sha256').update('abc').digest('base64'));
    expect(s3.model.bucket(BUCKET)!.objects.has('bad.txt')).toBe(false);
  });

  it('ListObjectsV2 pages with the paginator; url-encoded keys (boto3 asks encoding-type=url) decode back exactly', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `page/${i < 10 ? `0${i}` : i} a+b%c ✓.txt`);
    const out = await boto3<{ pages: number[]; keys: string[]; truncated: boolean; count: number }>(
      s3.url,
      `
for k in argv:
    s3.put_object(Bucket='${BUCKET}', Key=k, Body=b'x')
pages = [p['KeyCount'] for p in s3.get_paginator('list_objects_v2').paginate(Bucket='${BUCKET}', Prefix='page/', PaginationConfig={'PageSize': 5})]
first = s3.list_objects_v2(Bucket='${BUCKET}', Prefix='page/', MaxKeys=5)
keys = [c['Key'] for p in s3.get_paginator('list_objects_v2').paginate(Bucket='${BUCKET}', Prefix='page/') for c in p.get('Contents', [])]
out = {'pages': pages, 'keys': keys, 'truncated': first['IsTruncated'], 'count': first['KeyCount']}
`,
      keys,
    );
    expect(out.pages).toEqual([5, 5, 2]);
    expect(out.truncated).toBe(true);
    expect(out.count).toBe(5);
    expect(out.keys).toEqual(keys);
  });

  it('CreateBucket outside us-east-1 without a LocationConstraint is IllegalLocationConstraintException (400)', async () => {
    const out = await boto3(
      s3.url,
      `
west = boto3.client('s3', endpoint_url=sys.argv[1], region_name='eu-west-1', aws_access_key_id=sys.argv[2], aws_secret_access_key='x', config=Config(s3={'addressing_style': 'path'}))
try:
    west.create_bucket(Bucket='west-no-constraint')
    out = 'created'
except ClientError as e:
    out = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
`,
    );
    expect(out).toEqual(['IllegalLocationConstraintException', 400]);
    expect(s3.model.bucket('west-no-constraint')).toBeUndefined();
  });
});

async function tempBase64(body: Buffer): Promise<string> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 's3-boto-')), 'body.b64');
  writeFileSync(file, body.toString('base64'));
  return file;
}

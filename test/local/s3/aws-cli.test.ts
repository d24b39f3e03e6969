// The local S3 driven by the Debian AWS CLI (2.9, its own botocore and s3transfer): the operator's
// upload (`aws s3 cp`), `s3 ls`, and `s3api get-object`, with S3's error codes in its messages.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CLI_MISSING, awsCli, hasAwsCli, stderrOfFailure } from '../../support/aws-cli.js';
import { OWNER, startS3, STRANGER, type LocalS3 } from './harness.js';

if (!hasAwsCli) console.warn(`Skipping the local S3's AWS CLI tests: ${AWS_CLI_MISSING}`);

let s3: LocalS3;
const BUCKET = 'manifests-cli';
const dir = mkdtempSync(join(tmpdir(), 's3-cli-'));
const aws = (args: string[], account = OWNER) => awsCli(s3.url, account, args);

/** The CLI's stderr for a command that must fail. */
const fails = (args: string[], account = OWNER) => stderrOfFailure(() => aws(args, account), `aws ${args.join(' ')}`);

describe.skipIf(!hasAwsCli)('the AWS CLI against the local S3', () => {
  beforeAll(async () => {
    s3 = await startS3();
    await aws(['s3', 'mb', `s3://${BUCKET}`]);
  });
  afterAll(() => s3?.close());

  it('s3 cp uploads a 5 MiB manifest under a key with spaces and unicode; s3api get-object returns the same bytes and the MD5 ETag', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const file = join(dir, 'manifest.bin');
    writeFileSync(file, body);
    const key = 'uploads/2026 Q1/zähler ✓.bin';
    await aws(['s3', 'cp', file, `s3://${BUCKET}/${key}`]);
    expect(s3.model.bucket(BUCKET)!.objects.get(key)!.body.equals(body)).toBe(true);

    const out = join(dir, 'downloaded.bin');
    const { stdout } = await aws(['s3api', 'get-object', '--bucket', BUCKET, '--key', key, out, '--output', 'json']);
    const meta = JSON.parse(stdout) as { ETag: string; ContentLength: number };
    expect(readFileSync(out).equals(body)).toBe(true);
    expect(meta.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(meta.ContentLength).toBe(body.length);
  });

  it('s3 cp of a 12 MiB manifest goes multipart (the CLI’s 8 MiB parts): the object has the -2 ETag, s3 cp back gives the same bytes, nothing is left pending', async () => {
    const MiB = 1024 * 1024;
    const body = randomBytes(12 * MiB);
    const file = join(dir, 'batch-12mib.bin');
    writeFileSync(file, body);
    const key = 'uploads/batch 12 MiB ✓.bin';
    await aws(['s3', 'cp', file, `s3://${BUCKET}/${key}`]);

    const md5 = (b: Buffer) => createHash('md5').update(b).digest();
    const expected = `"${createHash('md5')
      .update(Buffer.concat([md5(body.subarray(0, 8 * MiB)), md5(body.subarray(8 * MiB))]))
      .digest('hex')}-2"`;
    const head = JSON.parse((await aws(['s3api', 'head-object', '--bucket', BUCKET, '--key', key, '--output', 'json'])).stdout) as { ETag: string; ContentLength: number };
    expect([head.ETag, head.ContentLength]).toEqual([expected, body.length]);

    const back = join(dir, 'batch-12mib.back');
    await aws(['s3', 'cp', `s3://${BUCKET}/${key}`, back]);
    expect(readFileSync(back).equals(body)).toBe(true);
    const pending = (await aws(['s3api', 'list-multipart-uploads', '--bucket', BUCKET, '--output', 'json'])).stdout;
    expect(pending.trim() === '' ? [] : ((JSON.parse(pending) as { Uploads?: unknown[] }).Uploads ?? [])).toEqual([]);
  });

  it('s3 ls lists buckets, then keys and prefixes of a bucket', async () => {
    await aws(['s3api', 'put-object', '--bucket', BUCKET, '--key', 'top.txt', '--body', writeTemp('top.txt', 'ids')]);
    expect((await aws(['s3', 'ls'])).stdout).toMatch(new RegExp(`\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} ${BUCKET}\\n`));
    const listing = (await aws(['s3', 'ls', `s3://${BUCKET}/`])).stdout;
    expect(listing).toContain('PRE uploads/');
    expect(listing).toMatch(/ 3 top\.txt\n/);
    expect((await aws(['s3', 'ls'], STRANGER)).stdout).not.toContain(BUCKET);
  });

  it('errors carry S3’s codes: NoSuchKey, NoSuchBucket, 404 for HEAD, AccessDenied for another account, BadDigest for a wrong Content-MD5', async () => {
    const out = join(dir, 'x');
    expect(await fails(['s3api', 'get-object', '--bucket', BUCKET, '--key', 'missing.txt', out])).toContain(
      'An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.',
    );
    expect(await fails(['s3api', 'get-object', '--bucket', 'no-such-bucket-cli', '--key', 'k', out])).toContain('(NoSuchBucket)');
    expect(await fails(['s3api', 'head-object', '--bucket', BUCKET, '--key', 'missing.txt'])).toContain('An error occurred (404) when calling the HeadObject operation');
    expect(await fails(['s3api', 'get-object', '--bucket', BUCKET, '--key', 'top.txt', out], STRANGER)).toContain(
      'An error occurred (AccessDenied) when calling the GetObject operation: Access Denied',
    );
    const wrong = createHash('md5').update('something else').digest('base64');
    expect(await fails(['s3api', 'put-object', '--bucket', BUCKET, '--key', 'bad.txt', '--body', writeTemp('bad.txt', 'ids'), '--content-md5', wrong])).toContain('(BadDigest)');
    expect(s3.model.bucket(BUCKET)!.objects.has('bad.txt')).toBe(false);
  });
});

function writeTemp(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

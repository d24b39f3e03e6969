// AWS::S3::Bucket in a stack on the whole local cloud: the bucket exists in the stack's account under
// CloudFormation's name, its Arn resolves in a role, a function reads an operator's upload through
// its role (and may not write; a missing key is NoSuchKey only if it may list), and objects survive a restart.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startLocalCloud, type LocalCloud } from '../../../local/cloud.js';
import { generatedBucketName } from '../../../local/s3/bucket-names.js';

const ACCOUNT = '111111111111';
const FIXTURES = join(import.meta.dirname, 'fixtures');
const dataDir = mkdtempSync(join(tmpdir(), 's3-stack-data-'));
const buildDir = mkdtempSync(join(tmpdir(), 's3-stack-build-'));
const start = () =>
  startLocalCloud({
    awsPort: 0,
    apiPort: 0,
    root: FIXTURES,
    sourceStackFile: join(FIXTURES, 'manifest-stack.yml'),
    sourceAccount: ACCOUNT,
    dataDir,
    buildDir,
    logLevel: 'SILENT',
    onDenied: () => undefined,
  });

let cloud: LocalCloud;
const bucket = generatedBucketName('manifest-probe-local', 'ManifestBucket', ACCOUNT, 'us-east-1');
const operator = () => new S3Client({ endpoint: cloud.awsUrl, region: cloud.region, forcePathStyle: true, credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' } });

beforeAll(async () => {
  cloud = await start();
  await cloud.warmed;
}, 120_000);
afterAll(() => cloud?.stop());

describe('AWS::S3::Bucket on the local cloud', () => {
  it('creates the stack’s buckets in its account: a generated name for ManifestBucket, BucketName (with pseudo parameters) for NamedBucket', () => {
    expect(bucket).toMatch(/^manifest-probe-local-manifestbucket-[a-z0-9]{12}$/);
    expect(cloud.s3.bucket(bucket)?.owner).toBe(ACCOUNT);
    expect(cloud.s3.bucket(`named-${ACCOUNT}-us-east-1`)?.owner).toBe(ACCOUNT);
    const values = cloud.stacks[0].resources.ManifestBucket;
    expect(values).toEqual({
      ref: bucket,
      attributes: expect.objectContaining({ Arn: `arn:aws:s3:::${bucket}`, DomainName: `${bucket}.s3.amazonaws.com`, RegionalDomainName: `${bucket}.s3.us-east-1.amazonaws.com` }),
    });
  });

  it('the function’s role, from Fn::Sub ${ManifestBucket.Arn}/*, lets it read an operator’s upload and refuses its write', async () => {
    const role = cloud.iam.role(`arn:aws:iam::${ACCOUNT}:role/manifest-probe-local-readManifest-us-east-1-lambdaRole`);
    expect(JSON.stringify(role?.policy)).toContain(`"arn:aws:s3:::${bucket}/*"`);
    await operator().send(new PutObjectCommand({ Bucket: bucket, Key: 'manifests/batch-1.txt', Body: 'cert-a\ncert-b\n' }));
    const fn = cloud.stacks[0].functions.readManifest;
    expect(await cloud.runtime.invoke(fn, { key: 'manifests/batch-1.txt' })).toEqual({ ids: ['cert-a', 'cert-b'] });
    expect(await cloud.runtime.invoke(fn, { key: 'manifests/missing.txt' })).toEqual({ error: 'NoSuchKey' });
    expect(await cloud.runtime.invoke(fn, { key: 'manifests/batch-1.txt', write: true })).toEqual({ error: 'AccessDenied' });
    expect(cloud.iam.recentDenials().at(-1)).toMatchObject({ action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/manifests/batch-1.txt` });
  });

  it('a function whose role lacks s3:ListBucket reads what exists, but a missing key is AccessDenied to it, not NoSuchKey', async () => {
    await operator().send(new PutObjectCommand({ Bucket: bucket, Key: 'manifests/batch-2.txt', Body: 'cert-c\n' }));
    const fn = cloud.stacks[0].functions.readManifestUnlisted;
    expect(await cloud.runtime.invoke(fn, { key: 'manifests/batch-2.txt' })).toEqual({ ids: ['cert-c'] });
    expect(await cloud.runtime.invoke(fn, { key: 'manifests/missing.txt' })).toEqual({ error: 'AccessDenied' });
    expect(cloud.iam.recentDenials().at(-1)).toMatchObject({ action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` });
  });

  it('keeps buckets and objects across a restart from the same data directory', async () => {
    await operator().send(new PutObjectCommand({ Bucket: bucket, Key: 'kept.txt', Body: 'still here' }));
    await cloud.stop();
    cloud = await start();
    const got = await operator().send(new GetObjectCommand({ Bucket: bucket, Key: 'kept.txt' }));
    expect(await got.Body!.transformToString()).toBe('still here');
  }, 120_000);
});

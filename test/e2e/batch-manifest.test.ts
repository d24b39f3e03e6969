// A batch whose ids come from a manifest in the stack's bucket, driven by clients we did not write:
// boto3 uploads the manifest as the operator, curl --aws-sigv4 starts the batch.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { ListExecutionsCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchEnded, makeDeviceCertificate, startTestCloud, type TestCloud } from '../support/cloud.js';
import { responseErrors } from '../support/openapi.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'batch-manifest-'));

let t: TestCloud;
let bucket: string;
let bodies = 0;
beforeAll(async () => {
  t = await startTestCloud();
  bucket = t.cloud.stacks[0].resources.ManifestBucket.ref;
}, 180_000);
afterAll(async () => {
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** boto3's put_object / get_object as `account`: its own signer, checksums and error parsing. */
async function boto3(op: 'put' | 'get', account: string, key: string, body = ''): Promise<{ ok: boolean; code?: string; status?: number; body?: string }> {
  const script = `
import json, sys, boto3, botocore
from botocore.config import Config
url, account, op, bucket, key, path = sys.argv[1:7]
s3 = boto3.client('s3', endpoint_url=url, region_name='us-east-1', aws_access_key_id=account, aws_secret_access_key='x',
                  config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
try:
    if op == 'put':
        with open(path, 'rb') as f:
            s3.put_object(Bucket=bucket, Key=key, Body=f.read(), ContentType='text/plain')
        print(json.dumps({'ok': True}))
    else:
        print(json.dumps({'ok': True, 'body': s3.get_object(Bucket=bucket, Key=key)['Body'].read().decode()}))
except botocore.exceptions.ClientError as e:
    print(json.dumps({'ok': False, 'code': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}))
`;
  // The body goes by file: a manifest is far larger than one command-line argument may be.
  const path = join(work, `object-${++bodies}.txt`);
  writeFileSync(path, body);
  const out = await run('python3', ['-c', script, t.cloud.awsUrl, account, op, bucket, key, path], { encoding: 'utf8' });
  return JSON.parse(out.stdout) as { ok: boolean; code?: string; status?: number; body?: string };
}

/** POST /transfer-batches signed by curl --aws-sigv4, the body from a file. */
async function curlPost(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const file = join(work, `body-${++bodies}.json`);
  writeFileSync(file, JSON.stringify(body));
  const { stdout } = await run('curl', [
    '-sS',
    '-X',
    'POST',
    '--aws-sigv4',
    'aws:amz:us-east-1:execute-api',
    '--user',
    `${SOURCE}:x`,
    '-H',
    'content-type: application/json',
    '--data-binary',
    `@${file}`,
    '-w',
    '\n%{http_code}',
    `${t.cloud.apiUrl}/transfer-batches`,
  ]);
  const lines = stdout.split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
}

const batchExecutions = async () => (await t.sfn().send(new ListExecutionsCommand({ stateMachineArn: t.cloud.batchStateMachineArn, maxResults: 1000 }))).executions?.length ?? 0;

describe('a batch from a manifest, end to end', () => {
  it('ids uploaded with boto3 to the stack bucket, the batch started with curl: every certificate lands in 222…', async () => {
    const iot = t.iot(SOURCE);
    const certs = await Promise.all(Array.from({ length: 8 }, () => makeDeviceCertificate(iot, { policies: 1, things: 1 })));
    const ids = certs.map((c) => c.certificateId);
    const text = `# fleet ACME, December\n${ids.slice(0, 5).join('\n')}\n\n${ids.slice(5).join(', ')}  # the last three\n`;
    expect(await boto3('put', SOURCE, 'fleets/acme 2026-12.txt', text)).toEqual({ ok: true });

    const started = await curlPost({ manifest: { key: 'fleets/acme 2026-12.txt' }, targetAccount: AUTO, maxConcurrency: 4 });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(responseErrors('POST', '/transfer-batches', 202, started.body)).toEqual([]);
    expect(started.body).toMatchObject({ total: 8, status: 'RUNNING' });

    const batch = await batchEnded(t, String(started.body.batchId), 90_000, 200);
    expect(responseErrors('GET', '/transfer-batches/{batchId}', 200, batch)).toEqual([]);
    // The batch names the very object it read: S3's ETag of a single PUT is the body's MD5.
    const md5 = `"${createHash('md5').update(text).digest('hex')}"`;
    expect(batch).toMatchObject({ status: 'COMPLETED', total: 8, accepted: 8, manifest: { bucket, key: 'fleets/acme 2026-12.txt', etag: md5 } });
    for (const id of ids) {
      const d = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: id }));
      expect(d.certificateDescription, id).toMatchObject({ status: 'ACTIVE', ownedBy: AUTO });
    }
  });

  it('refuses, with a 400 naming the field and nothing started: a missing object, a bad line, another bucket', async () => {
    const before = await batchExecutions();
    const missing = await curlPost({ manifest: { key: 'fleets/never-uploaded.txt' }, targetAccount: AUTO });
    expect(missing).toMatchObject({ status: 400, body: { error: 'ValidationError', field: 'manifest.key' } });
    expect(String(missing.body.message)).toContain(`s3://${bucket}/fleets/never-uploaded.txt does not exist`);

    expect(await boto3('put', SOURCE, 'fleets/typo.txt', `${'ab'.repeat(32)}\nab12\n`)).toEqual({ ok: true });
    const typo = await curlPost({ manifest: { key: 'fleets/typo.txt' }, targetAccount: AUTO });
    expect(typo).toMatchObject({ status: 400, body: { field: 'manifest' } });
    expect(String(typo.body.message)).toContain(':2: "ab12" is not a certificate id');

    const elsewhere = await curlPost({ manifest: { bucket: 'someone-elses-bucket', key: 'fleets/typo.txt' }, targetAccount: AUTO });
    expect(elsewhere).toMatchObject({ status: 400, body: { field: 'manifest.bucket' } });
    expect(await batchExecutions()).toBe(before);
  });

  it('takes a manifest of 100,000 ids in one request: 202, the whole batch counted as PENDING, its ids in 1,000 slices', async () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => createHash('sha256').update(`fleet-${i}`).digest('hex'));
    expect(await boto3('put', SOURCE, 'fleets/100k.txt', ids.join('\n'))).toEqual({ ok: true });

    const started = await curlPost({ manifest: { key: 'fleets/100k.txt' }, targetAccount: AUTO, maxConcurrency: 1 });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ total: 100_000, status: 'RUNNING' });
    const batchId = String(started.body.batchId);
    const view = await t.api().getBatch(batchId);
    expect(view).toMatchObject({ total: 100_000, manifest: { bucket, key: 'fleets/100k.txt' } });
    expect((view.counts as Record<string, number>).PENDING).toBeGreaterThan(99_000);
    const table = t.cloud.stacks[0].resources.TransferTable.ref;
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: t.cloud.awsUrl, region: 'us-east-1', credentials: { accessKeyId: SOURCE, secretAccessKey: 'x' } }));
    let sliceCount = 0;
    const query = { TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)', ExpressionAttributeValues: { ':pk': `BATCH#${batchId}`, ':s': 'SLICE#' } };
    for await (const page of paginateQuery({ client: ddb }, query)) sliceCount += page.Count ?? 0;
    expect(sliceCount).toBe(1_000);
    await t.sfn().send(new StopExecutionCommand({ executionArn: String(started.body.executionArn), cause: 'test: the ids name no certificate' }));
  }, 120_000);

  it("the bucket is the source account's: the target account can neither read nor write it", async () => {
    expect(await boto3('get', AUTO, 'fleets/typo.txt')).toMatchObject({ ok: false, code: 'AccessDenied', status: 403 });
    expect(await boto3('put', AUTO, 'fleets/planted.txt', 'ab'.repeat(32))).toMatchObject({ ok: false, code: 'AccessDenied', status: 403 });
    expect(await boto3('get', SOURCE, 'fleets/planted.txt')).toMatchObject({ ok: false, code: 'NoSuchKey', status: 404 });
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { IoTClient, ListCertificatesCommand } from '@aws-sdk/client-iot';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { setSourceEnv, SOURCE, STRANGER, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certArn, certId } from '../../support/certs.js';
import { apiEvent } from '../../fixtures/apigw.js';
import { lambdaContext } from '../../fixtures/context.js';
import { startsExecutions } from '../../support/sfn.js';
import { draft } from '../../support/transfers.js';

const BATCH_MACHINE = `arn:aws:states:us-east-1:${SOURCE}:stateMachine:certificate-transfer-batch-test`;
const MANIFESTS = 'certificate-transfer-test-manifestbucket-a1b2c3d4e5f6';
setSourceEnv({ BATCH_STATE_MACHINE_ARN: BATCH_MACHINE, MANIFEST_BUCKET: MANIFESTS });
const iot = mockClient(IoTClient);
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const { handler: create } = await import('../../../functions/api/create-batch.js');
const { handler: get } = await import('../../../functions/api/get-batch.js');
const store = await import('../../../src/store.js');
const batches = await import('../../../src/batch/store.js');

useTransferTable();
beforeEach(() => {
  iot.reset();
  sfn.reset();
  s3.reset();
  startsExecutions(sfn);
});

async function post(body: unknown) {
  const res = await create(apiEvent('POST', '/transfer-batches', { body }), lambdaContext());
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) as Record<string, unknown> };
}

async function getBatch(batchId: string) {
  const res = await get(apiEvent('GET', '/transfer-batches/{batchId}', { pathParameters: { batchId } }), lambdaContext());
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
}

const startedInput = () => JSON.parse(sfn.commandCalls(StartExecutionCommand).at(-1)!.args[0].input.input!) as Record<string, unknown>;
/** The certificates of the batch last started, as stored slice by slice for its workflow. */
const startedIds = async () => (await batches.listSlices(String(startedInput().batchId))).flat();

describe('POST /transfer-batches', () => {
  it('records the batch and starts the batch workflow named after it (202)', async () => {
    const ids = [certId(), certId(), certId()];
    const res = await post({ certificateIds: ids, targetAccount: TARGET, transferMessage: 'fleet B', timeoutSeconds: 3600, maxConcurrency: 2, requestId: 'chg-1' });

    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      batchId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'RUNNING',
      total: 3,
      executionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:certificate-transfer-batch-test:${String(res.body.batchId)}`,
      consoleUrl: expect.stringContaining('/v2/executions/details/arn:aws:states:'),
    });
    expect(res.headers).toMatchObject({ location: `/transfer-batches/${String(res.body.batchId)}` });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: BATCH_MACHINE, name: res.body.batchId as string });
    expect(startedInput()).toEqual({
      batchId: res.body.batchId,
      maxConcurrency: 2,
      request: { targetAccount: TARGET, transferMessage: 'fleet B', timeoutSeconds: 3600, restoreOnFailure: true, requestId: 'chg-1' },
      // One slice of three in one group (src/batch/plan.ts), two certificates at a time in it.
      plan: { sliceSize: 3, slices: 1, groups: 1, groupConcurrency: 1, sliceConcurrency: 1, itemConcurrency: 2 },
      groups: [[0]],
    });
    // The ids are stored, slice by slice, not in the workflow's input.
    expect(await batches.listSlices(res.body.batchId as string)).toEqual([ids]);
    expect(await batches.getBatch(res.body.batchId as string)).toMatchObject({ status: 'RUNNING', total: 3, targetAccount: TARGET, maxConcurrency: 2 });
  });

  it('defaults: 45 at a time (derived from the AWS default IoT quotas), 7 days, restore on failure; ids are lower-cased', async () => {
    const id = certId();
    await post({ certificateIds: [id.toUpperCase()], targetAccount: TARGET });
    expect(startedInput()).toMatchObject({ maxConcurrency: 45, request: { timeoutSeconds: 604_800, restoreOnFailure: true } });
    expect(await startedIds()).toEqual([id]);
  });

  it('the default concurrency follows the quotas the stack is configured with (iotRateLimits), up to 100', async () => {
    const saved = process.env.IOT_RATE_LIMITS;
    try {
      // The busiest quota sets the pace: DescribeCertificate (2 calls per transfer) at 10 TPS is 5 transfers/s, whatever DetachPolicy's.
      process.env.IOT_RATE_LIMITS = 'DetachPolicy=30';
      await post({ certificateIds: [certId()], targetAccount: TARGET });
      expect(startedInput()).toMatchObject({ maxConcurrency: 45 });
      // DescribeCertificate at 20 TPS: 10 transfers/s (the 10-TPS APIs next), × 6 s in flight × 1.5 = 90.
      process.env.IOT_RATE_LIMITS = 'DescribeCertificate=20';
      await post({ certificateIds: [certId()], targetAccount: TARGET });
      expect(startedInput()).toMatchObject({ maxConcurrency: 90 });
      process.env.IOT_RATE_LIMITS = ['DetachPolicy', 'DescribeCertificate', 'TransferCertificate', 'UpdateCertificate', 'ListPrincipalThingsV2', 'ListAttachedPolicies']
        .map((op) => `${op}=500`)
        .join(',');
      await post({ certificateIds: [certId()], targetAccount: TARGET });
      expect(startedInput()).toMatchObject({ maxConcurrency: 100 });
    } finally {
      if (saved === undefined) delete process.env.IOT_RATE_LIMITS;
      else process.env.IOT_RATE_LIMITS = saved;
    }
  });

  const id = certId('fixed');
  it.each([
    ['no certificates, no filter and no manifest', { targetAccount: TARGET }, 'certificateIds', 'certificateIds (or filter, or manifest) is required'],
    ['an empty list', { certificateIds: [], targetAccount: TARGET }, 'certificateIds', '1 to 85000'],
    [
      "85,001 certificates (more than the API's 6 MB Lambda event holds)",
      { certificateIds: Array.from({ length: 85_001 }, (_, i) => i.toString(16).padStart(64, '0')), targetAccount: TARGET },
      'certificateIds',
      '1 to 85000',
    ],
    ['a bad id in the list', { certificateIds: [id, 'xyz'], targetAccount: TARGET }, 'certificateIds', 'certificateIds[1] must be 64 hexadecimal'],
    ['the same certificate twice', { certificateIds: [id, id.toUpperCase()], targetAccount: TARGET }, 'certificateIds', 'certificateIds[1] repeats'],
    ['both a list and a filter', { certificateIds: [id], filter: {}, targetAccount: TARGET }, 'filter', 'not certificateIds and filter'],
    ['both a list and a manifest', { certificateIds: [id], manifest: { key: 'a.txt' }, targetAccount: TARGET }, 'manifest', 'not certificateIds and manifest'],
    ['a manifest without a key', { manifest: { bucket: MANIFESTS }, targetAccount: TARGET }, 'manifest.key', 'manifest.key is required'],
    ['a manifest with an empty key', { manifest: { key: '' }, targetAccount: TARGET }, 'manifest.key', '1 to 1024'],
    ['a manifest in a bucket that is no bucket name', { manifest: { bucket: 'Not_A_Bucket', key: 'a.txt' }, targetAccount: TARGET }, 'manifest.bucket', 'bucket name'],
    ['a bad filter status', { filter: { status: 'REVOKED' }, targetAccount: TARGET }, 'filter.status', 'ACTIVE or INACTIVE'],
    ['an unknown filter field', { filter: { thingGroup: 'x' }, targetAccount: TARGET }, 'filter.thingGroup', 'not a known field'],
    ['a filter date that is no date', { filter: { createdAfter: 'yesterday' }, targetAccount: TARGET }, 'filter.createdAfter', 'date-time'],
    [
      'a filter window ending before it starts',
      { filter: { createdAfter: '2026-02-01T00:00:00Z', createdBefore: '2026-01-01T00:00:00Z' }, targetAccount: TARGET },
      'filter.createdBefore',
      'later than',
    ],
    ['no targetAccount', { certificateIds: [id] }, 'targetAccount', 'targetAccount is required'],
    ['the source account as target', { certificateIds: [id], targetAccount: SOURCE }, 'targetAccount', 'differ'],
    ['maxConcurrency 0', { certificateIds: [id], targetAccount: TARGET, maxConcurrency: 0 }, 'maxConcurrency', 'from 1 to 100'],
    ['maxConcurrency 101', { certificateIds: [id], targetAccount: TARGET, maxConcurrency: 101 }, 'maxConcurrency', 'from 1 to 100'],
    ['a timeout under 60 s', { certificateIds: [id], targetAccount: TARGET, timeoutSeconds: 59 }, 'timeoutSeconds', 'from 60'],
    ['an unknown field', { certificateIds: [id], targetAccount: TARGET, dryRun: true }, 'dryRun', 'not a known field'],
  ])('400 naming the field for %s, starting nothing', async (_name, body, field, text) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'ValidationError', field });
    expect(String(res.body.message)).toContain(text);
    expect(sfn.calls()).toHaveLength(0);
    expect(iot.calls()).toHaveLength(0);
  });

  it('403 for a target not on the allow-list', async () => {
    const res = await post({ certificateIds: [certId()], targetAccount: STRANGER });
    expect(res).toMatchObject({ status: 403, body: { error: 'TargetNotAllowed', field: 'targetAccount' } });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('503 when the workflow cannot start, and the batch is marked FAILED', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('boom'), { name: 'ServiceUnavailable' }));
    const res = await post({ certificateIds: [certId()], targetAccount: TARGET });
    expect(res).toMatchObject({ status: 503, body: { error: 'WorkflowStartFailed' } });
    const batchId = sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name!;
    expect(await batches.getBatch(batchId)).toMatchObject({ status: 'FAILED', error: expect.stringContaining('boom') });
  });
});

describe('POST /transfer-batches with a filter', () => {
  const cert = (n: number, status: string, day: number) => {
    const certificateId = certId(`filter-${n}`);
    return { certificateId, certificateArn: certArn(certificateId), status: status as never, creationDate: new Date(Date.UTC(2026, 0, day)) };
  };
  const fleet = [cert(1, 'ACTIVE', 1), cert(2, 'INACTIVE', 2), cert(3, 'REVOKED', 3), cert(4, 'PENDING_TRANSFER', 4), cert(5, 'ACTIVE', 5), cert(6, 'ACTIVE', 6)];

  beforeEach(() => {
    // Two pages, oldest first, as ListCertificates answers with ascendingOrder.
    iot.on(ListCertificatesCommand, { marker: undefined }).resolves({ certificates: fleet.slice(0, 3), nextMarker: 'page-2' });
    iot.on(ListCertificatesCommand, { marker: 'page-2' }).resolves({ certificates: fleet.slice(3) });
  });

  it('selects the transferable certificates across pages, oldest first', async () => {
    const res = await post({ filter: {}, targetAccount: TARGET });
    expect(res).toMatchObject({ status: 202, body: { total: 4 } });
    expect(res.body).not.toHaveProperty('truncated');
    expect(await startedIds()).toEqual([fleet[0], fleet[1], fleet[4], fleet[5]].map((c) => c.certificateId));
    expect(iot).toHaveReceivedCommandWith(ListCertificatesCommand, { ascendingOrder: true, pageSize: 250 });
  });

  it('honours status, the creation window and the limit, and says when more matched', async () => {
    const res = await post({ filter: { status: 'ACTIVE', createdAfter: '2026-01-01T12:00:00Z', limit: 1 }, targetAccount: TARGET });
    expect(res).toMatchObject({ status: 202, body: { total: 1, truncated: true } });
    expect(await startedIds()).toEqual([fleet[4].certificateId]);
  });

  it('stops reading at createdBefore', async () => {
    const res = await post({ filter: { createdBefore: '2026-01-03T00:00:00Z' }, targetAccount: TARGET });
    expect(await startedIds()).toEqual([fleet[0].certificateId, fleet[1].certificateId]);
    expect(res.body.total).toBe(2);
    expect(iot).toHaveReceivedCommandTimes(ListCertificatesCommand, 1);
  });

  it('400 naming filter when it selects nothing', async () => {
    const res = await post({ filter: { createdAfter: '2030-01-01T00:00:00Z' }, targetAccount: TARGET });
    expect(res).toMatchObject({ status: 400, body: { field: 'filter' } });
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('POST /transfer-batches with a manifest', () => {
  /** GetObject answers this text (as the SDK's stream would give it). */
  const manifestHolds = (text: string, contentLength = Buffer.byteLength(text)) => {
    let cancelled = false;
    s3.on(GetObjectCommand).resolves({
      ContentLength: contentLength,
      ETag: '"9b2cf535f27731c974343645a3985328"',
      Body: { transformToString: async () => text, transformToWebStream: () => new ReadableStream({ cancel: () => void (cancelled = true) }) } as never,
    });
    return { cancelled: () => cancelled };
  };
  const ids = Array.from({ length: 7 }, () => certId());

  it("reads the ids from the stack's manifest bucket (the CLI's file format), stores them slice by slice and records where they came from", async () => {
    manifestHolds(
      `# fleet A, December\n${ids.slice(0, 3).join('\n')}\n\n${ids
        .slice(3)
        .map((i) => i.toUpperCase())
        .join(', ')}  # the rest\n`,
    );
    const res = await post({ manifest: { key: 'fleets/a.txt' }, targetAccount: TARGET, maxConcurrency: 3 });

    expect(res).toMatchObject({ status: 202, body: { total: 7, status: 'RUNNING' } });
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: MANIFESTS, Key: 'fleets/a.txt' });
    expect(await startedIds()).toEqual(ids);
    expect(await batches.getBatch(String(res.body.batchId))).toMatchObject({ total: 7, manifest: { bucket: MANIFESTS, key: 'fleets/a.txt', etag: '"9b2cf535f27731c974343645a3985328"' } });
    expect((await getBatch(String(res.body.batchId))).body).toMatchObject({ manifest: { bucket: MANIFESTS, key: 'fleets/a.txt' }, total: 7 });
  });

  it("takes the bucket named explicitly when it is the stack's", async () => {
    manifestHolds(ids[0]);
    expect((await post({ manifest: { bucket: MANIFESTS, key: 'one.txt' }, targetAccount: TARGET })).status).toBe(202);
  });

  const NOT_FOUND = new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
  const DENIED = new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } });
  it.each([
    [
      'another bucket (its role reads no other)',
      { bucket: 'someone-elses-bucket', key: 'a.txt' },
      () => manifestHolds(ids[0]),
      'manifest.bucket',
      `must be this deployment's manifest bucket ${MANIFESTS}`,
    ],
    ['a key that does not exist', { key: 'missing.txt' }, () => s3.on(GetObjectCommand).rejects(NOT_FOUND), 'manifest.key', `s3://${MANIFESTS}/missing.txt does not exist`],
    ['an object the service may not read', { key: 'kms.txt' }, () => s3.on(GetObjectCommand).rejects(DENIED), 'manifest.key', 'may not read'],
    ['a line that is not an id', { key: 'bad.txt' }, () => manifestHolds(`${ids[0]}\n${ids[1]}\nnot-an-id\n`), 'manifest', `s3://${MANIFESTS}/bad.txt:3: "not-an-id" is not a certificate id`],
    ['a certificate twice', { key: 'twice.txt' }, () => manifestHolds(`${ids[0]}\n${ids[1]}\n${ids[0].toUpperCase()}\n`), 'manifest', ':3: certificate'],
    ['no id at all', { key: 'empty.txt' }, () => manifestHolds('# nothing yet\n'), 'manifest', 'lists no certificate id'],
    [
      'more than 100,000 ids',
      { key: 'huge.txt' },
      () => manifestHolds(Array.from({ length: 100_001 }, (_, i) => i.toString(16).padStart(64, '0')).join('\n')),
      'manifest',
      'lists 100001 certificates; a batch holds at most 100000',
    ],
  ])('400 naming the field for %s, starting nothing', async (_name, manifest, arrange, field, text) => {
    arrange();
    const res = await post({ manifest, targetAccount: TARGET });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'ValidationError', field });
    expect(String(res.body.message)).toContain(text);
    // The message names the field too, for readers of the message alone (logs, the CLI).
    expect(String(res.body.message)).toMatch(new RegExp(`^${field.replace('.', '\\.')} `));
    expect(sfn.calls()).toHaveLength(0);
    expect(iot.calls()).toHaveLength(0);
  });

  it('refuses an object over 16 MiB without reading it', async () => {
    const read = manifestHolds('never read', 16 * 1024 * 1024 + 1);
    const res = await post({ manifest: { key: 'big.bin' }, targetAccount: TARGET });
    expect(res).toMatchObject({ status: 400, body: { field: 'manifest' } });
    expect(String(res.body.message)).toContain('at most 16777216 bytes');
    expect(read.cancelled()).toBe(true);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('400 naming manifest when the deployment has no manifest bucket', async () => {
    const saved = process.env.MANIFEST_BUCKET;
    delete process.env.MANIFEST_BUCKET;
    try {
      const res = await post({ manifest: { key: 'a.txt' }, targetAccount: TARGET });
      expect(res).toMatchObject({ status: 400, body: { field: 'manifest' } });
      expect(String(res.body.message)).toContain('no manifest bucket');
      expect(s3.calls()).toHaveLength(0);
    } finally {
      process.env.MANIFEST_BUCKET = saved;
    }
  });
});

describe('GET /transfer-batches/{batchId}', () => {
  it('counts the batch per status, lists its failures with reasons, and the certificates not reached yet', async () => {
    const res = await post({ certificateIds: [certId(), certId(), certId(), certId(), certId()], targetAccount: TARGET });
    const batchId = res.body.batchId as string;
    const ids = await startedIds();
    const make = (certificateId: string) => store.createTransfer({ ...draft(certificateId), batchId });
    const accepted = await make(ids[0]);
    await store.settle(accepted, 'ACCEPTED', { message: 'accepted' });
    const rejected = await make(ids[1]);
    await store.settle(rejected, 'REJECTED', { message: 'rejected', reason: 'Not our devices' });
    await make(ids[2]);
    await batches.recordSkipped(batchId, { certificateId: ids[3], error: 'CertificateNotFound', reason: 'Certificate was not found' });

    const view = await getBatch(batchId);

    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      batchId,
      status: 'RUNNING',
      total: 5,
      done: 3,
      accepted: 1,
      counts: { PENDING: 1, NOT_STARTED: 1, REQUESTED: 1, ACCEPTED: 1, REJECTED: 1, FAILED: 0 },
      consoleUrl: expect.stringContaining(batchId),
    });
    expect(view.body.failures).toEqual(
      expect.arrayContaining([
        { certificateId: ids[1], transferId: rejected.transferId, status: 'REJECTED', reason: 'Not our devices' },
        { certificateId: ids[3], status: 'NOT_STARTED', error: 'CertificateNotFound', reason: 'Certificate was not found' },
      ]),
    );
    expect(view.body.failures).toHaveLength(2);
  });

  it('404 for an unknown batch, 400 for a malformed id', async () => {
    expect(await getBatch(crypto.randomUUID())).toMatchObject({ status: 404, body: { error: 'BatchNotFound', field: 'batchId' } });
    expect(await getBatch('../etc')).toMatchObject({ status: 400, body: { field: 'batchId' } });
  });
});

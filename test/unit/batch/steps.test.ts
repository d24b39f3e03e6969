import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { DescribeCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { setSourceEnv, SOURCE, STATE_MACHINE_ARN, STRANGER, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certArn, certId } from '../../support/certs.js';
import type { BatchItem, BatchRecord, SliceResult } from '../../../src/batch/types.js';
import { draft } from '../../support/transfers.js';

setSourceEnv({ BATCH_STATE_MACHINE_ARN: `${STATE_MACHINE_ARN}-batch` });
const iot = mockClient(IoTClient);
const sfn = mockClient(SFNClient);
const { prepareItem, recordItemFailure, summarizeBatch, describeTaskError, loadSlice } = await import('../../../src/batch/steps.js');
const batches = await import('../../../src/batch/store.js');
const store = await import('../../../src/store.js');
const { ddb } = await import('../../../src/clients/dynamodb.js');

useTransferTable();
beforeEach(() => {
  iot.reset();
  sfn.reset();
});

function certificate(status = 'ACTIVE') {
  const id = certId();
  iot.on(DescribeCertificateCommand, { certificateId: id }).resolves({ certificateDescription: { certificateId: id, certificateArn: certArn(id), status: status as never } });
  return id;
}

async function newBatch(total: number): Promise<BatchRecord> {
  const batchId = crypto.randomUUID();
  const at = new Date().toISOString();
  const batch: BatchRecord = {
    batchId,
    status: 'RUNNING',
    sourceAccount: SOURCE,
    targetAccount: TARGET,
    timeoutSeconds: 600,
    restoreOnFailure: true,
    maxConcurrency: 5,
    total,
    executionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:batch:${batchId}`,
    createdAt: at,
    updatedAt: at,
  };
  await batches.createBatch(batch);
  return batch;
}

const item = (batchId: string, certificateId: string, request: Partial<BatchItem['request']> = {}): BatchItem => ({
  batchId,
  certificateId,
  request: { targetAccount: TARGET, timeoutSeconds: 600, restoreOnFailure: true, requestId: 'chg-9', ...request },
  batchExecutionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:batch:${batchId}`,
});

const lambdaCause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage, trace: [] });

describe('Prepare Transfer', () => {
  it('records the transfer in the batch, locked, with the execution ARN its child will have, and returns the child input', async () => {
    const batch = await newBatch(1);
    const certificateId = certificate();

    const prepared = await prepareItem(item(batch.batchId, certificateId));

    expect(prepared).toEqual({
      transferId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      input: expect.objectContaining({ certificateId, certificateStatus: 'ACTIVE', targetAccount: TARGET, timeoutSeconds: 600, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: batch.executionArn }),
      waitSeconds: 600 + 3600,
    });
    expect(prepared.input.transferId).toBe(prepared.transferId);
    const record = await store.requireTransfer(prepared.transferId);
    expect(record).toMatchObject({
      status: 'REQUESTED',
      batchId: batch.batchId,
      requestId: 'chg-9',
      executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${prepared.transferId}`,
    });
    expect(sfn.calls()).toHaveLength(0);
    await expect(store.createTransfer({ ...record, transferId: crypto.randomUUID() })).rejects.toMatchObject({ name: 'TransferInProgress' });
  });

  it('a retry after a crash carries on with the transfer it already recorded', async () => {
    const batch = await newBatch(1);
    const certificateId = certificate();
    const first = await prepareItem(item(batch.batchId, certificateId));

    const again = await prepareItem(item(batch.batchId, certificateId));

    expect(again.transferId).toBe(first.transferId);
    expect(again.input).toEqual(first.input);
  });

  it.each([
    [
      'an unknown certificate',
      () => {
        iot.on(DescribeCertificateCommand).rejects(Object.assign(new Error('nope'), { name: 'ResourceNotFoundException' }));
        return certId();
      },
      {},
      'CertificateNotFound',
    ],
    ['a revoked certificate', () => certificate('REVOKED'), {}, 'CertificateNotTransferable'],
    ['a target off the allow-list', () => certificate(), { targetAccount: STRANGER }, 'TargetNotAllowed'],
  ])('refuses %s with the error name the Catch records', async (_name, make, request, error) => {
    const batch = await newBatch(1);
    await expect(prepareItem(item(batch.batchId, make(), request))).rejects.toMatchObject({ name: error });
  });

  it('refuses a certificate another transfer holds (409)', async () => {
    const batch = await newBatch(1);
    const certificateId = certificate();
    await store.createTransfer(draft(certificateId));
    await expect(prepareItem(item(batch.batchId, certificateId))).rejects.toMatchObject({ name: 'TransferInProgress', status: 409 });
  });
});

describe('Record Item Failure', () => {
  it('records a certificate that got no transfer as not started, with the error name and message', async () => {
    const batch = await newBatch(1);
    const certificateId = certId();

    const out = await recordItemFailure({ ...item(batch.batchId, certificateId), error: { Error: 'CertificateNotFound', Cause: lambdaCause('CertificateNotFound', 'Certificate x was not found') } });

    expect(out).toEqual({ recorded: 'NOT_STARTED' });
    expect(await batches.listSkipped(batch.batchId)).toEqual([{ certificateId, error: 'CertificateNotFound', reason: 'Certificate x was not found', at: expect.any(String) }]);
  });

  it('closes a recorded transfer whose workflow never started, and frees its certificate', async () => {
    const batch = await newBatch(1);
    const certificateId = certificate();
    const prepared = await prepareItem(item(batch.batchId, certificateId));

    const out = await recordItemFailure({ ...item(batch.batchId, certificateId), prepared, error: { Error: 'StepFunctions.ExecutionLimitExceededException', Cause: 'Too many executions' } });

    expect(out).toEqual({ recorded: 'TRANSFER_FAILED' });
    expect(await store.requireTransfer(prepared.transferId)).toMatchObject({ status: 'FAILED', reason: 'StepFunctions.ExecutionLimitExceededException: Too many executions' });
    expect(await batches.listSkipped(batch.batchId)).toEqual([]);
    await expect(store.createTransfer(draft(certificateId))).resolves.toBeDefined();
  });

  it('leaves a running transfer alone when its task timed out', async () => {
    const batch = await newBatch(1);
    const prepared = await prepareItem(item(batch.batchId, certificate()));
    await store.transition(prepared.transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered' });

    const out = await recordItemFailure({ ...item(batch.batchId, prepared.input.certificateId), prepared, error: { Error: 'States.Timeout' } });

    expect(out).toEqual({ recorded: 'TRANSFER_RUNNING' });
    expect((await store.requireTransfer(prepared.transferId)).status).toBe('AWAITING_DECISION');
  });

  it('reads service errors whose cause is plain text', () => {
    expect(describeTaskError({ Error: 'StepFunctions.InvalidNameException', Cause: 'Invalid Name' })).toEqual({ error: 'StepFunctions.InvalidNameException', reason: 'Invalid Name' });
    expect(describeTaskError({ Error: 'States.Timeout' })).toEqual({ error: 'States.Timeout', reason: 'States.Timeout' });
  });
});

/** Records the batch's slices as POST /transfer-batches does, and the state Summarize Batch gets after one group ran them. */
async function sliced(batchId: string, slices: string[][], sliceResults: SliceResult[] = slices.map((_, slice) => ({ slice }))) {
  await batches.saveSlices(batchId, slices);
  return { batchId, groupResults: [{ group: 0, sliceResults }] };
}

describe('Load Slice', () => {
  it('reads the certificate ids of one slice, as POST /transfer-batches stored them', async () => {
    const batchId = crypto.randomUUID();
    const slices = [[certId(), certId()], [certId()], [certId(), certId()]];
    await batches.saveSlices(batchId, slices);
    expect(await loadSlice({ batchId, slice: 1 })).toEqual({ certificateIds: slices[1] });
    expect(await batches.listSlices(batchId)).toEqual(slices);
  });

  it('lists more than a page of slices in order', async () => {
    const batchId = crypto.randomUUID();
    const slices = Array.from({ length: 120 }, (_, n) => Array.from({ length: 100 }, (_, i) => certId(`s${n}-${i}`)));
    await batches.saveSlices(batchId, slices);
    expect(await batches.listSlices(batchId)).toEqual(slices);
  });

  it('refuses a slice that was never recorded', async () => {
    await expect(loadSlice({ batchId: crypto.randomUUID(), slice: 0 })).rejects.toMatchObject({ name: 'BatchNotFound' });
  });
});

describe('Summarize Batch', () => {
  it('closes the batch FAILED, naming the group, when a group failed as a whole', async () => {
    const batch = await newBatch(2);
    const ok = await prepareItem(item(batch.batchId, certificate()));
    await store.settle(await store.requireTransfer(ok.transferId), 'ACCEPTED', { message: 'accepted' });
    const lost = certId();
    await batches.saveSlices(batch.batchId, [[ok.input.certificateId], [lost]]);
    const out = await summarizeBatch({ batchId: batch.batchId, groupResults: [{ group: 0, error: 'States.TaskFailed' }] });
    expect(out).toMatchObject({ status: 'FAILED', accepted: 1, failureCount: 1 });
    expect(await batches.requireBatch(batch.batchId)).toMatchObject({ status: 'FAILED', error: 'group 0: States.TaskFailed' });
  });

  it('writes the counts per outcome and the failures with reasons, and closes the batch COMPLETED', async () => {
    const batch = await newBatch(4);
    const ok = await prepareItem(item(batch.batchId, certificate()));
    await store.settle(await store.requireTransfer(ok.transferId), 'ACCEPTED', { message: 'accepted' });
    const expired = await prepareItem(item(batch.batchId, certificate()));
    await store.settle(await store.requireTransfer(expired.transferId), 'EXPIRED', { message: 'expired', reason: 'No decision in time' });
    const missing = certId();
    await batches.recordSkipped(batch.batchId, { certificateId: missing, error: 'CertificateNotFound', reason: 'not found' });
    const unrecorded = certId(); // its Record Item Failure failed: neither a transfer nor a reason

    const out = await summarizeBatch(
      await sliced(
        batch.batchId,
        [
          [ok.input.certificateId, expired.input.certificateId],
          [missing, unrecorded],
        ],
        [{ slice: 0 }, { slice: 1 }],
      ),
    );

    expect(out).toEqual({ status: 'COMPLETED', total: 4, accepted: 1, failureCount: 3 });
    const closed = await batches.requireBatch(batch.batchId);
    expect(closed).toMatchObject({ status: 'COMPLETED', completedAt: expect.any(String) });
    expect(closed.summary).toMatchObject({ total: 4, accepted: 1, failureCount: 3, counts: { ACCEPTED: 1, EXPIRED: 1, NOT_STARTED: 2, PENDING: 0 } });
    expect(closed.summary!.failures).toEqual(
      expect.arrayContaining([
        { certificateId: expired.input.certificateId, transferId: expired.transferId, status: 'EXPIRED', reason: 'No decision in time' },
        { certificateId: missing, status: 'NOT_STARTED', error: 'CertificateNotFound', reason: 'not found' },
        { certificateId: unrecorded, status: 'NOT_STARTED', error: 'ItemFailureNotRecorded', reason: expect.stringContaining(`${batch.batchId}-slice-1`) },
      ]),
    );
    // Recorded, so the batch's live view (GET /transfer-batches/{batchId}) reports it too.
    expect((await batches.listSkipped(batch.batchId)).map((x) => x.certificateId).sort()).toEqual([missing, unrecorded].sort());
  });

  it('is exact right after the last transfer settled, when the index still lags: every transfer is read by key, consistently', async () => {
    const batch = await newBatch(3);
    const ids = [certificate(), certificate(), certificate()];
    for (const id of ids) {
      const p = await prepareItem(item(batch.batchId, id));
      await store.settle(await store.requireTransfer(p.transferId), 'ACCEPTED', { message: 'accepted' });
    }
    // An index lags its table (and cannot be read consistently): here it has not seen the batch's transfers yet.
    const sent: { command: string; input: Record<string, unknown> }[] = [];
    ddb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        sent.push({ command: String(context.commandName), input });
        if (input.IndexName) return { output: { Items: [], Count: 0, $metadata: {} } as never, response: {} };
        return next(args);
      },
      { step: 'initialize', name: 'laggingIndex' },
    );
    try {
      const out = await summarizeBatch(await sliced(batch.batchId, [ids]));
      expect(out).toEqual({ status: 'COMPLETED', total: 3, accepted: 3, failureCount: 0 });
    } finally {
      ddb.middlewareStack.remove('laggingIndex');
    }
    expect(sent.filter((c) => c.input.IndexName)).toEqual([]);
    const gets = sent.filter((c) => c.command === 'BatchGetItemCommand');
    expect(gets.length).toBeGreaterThan(0);
    for (const g of gets) expect(Object.values(g.input.RequestItems as Record<string, { ConsistentRead?: boolean }>)[0].ConsistentRead).toBe(true);
    expect((await batches.requireBatch(batch.batchId)).summary).toMatchObject({ counts: { ACCEPTED: 3, PENDING: 0 } });
  });

  it('closes the batch FAILED, naming the slices, when slices failed as a whole; their unhandled certificates are reported', async () => {
    const batch = await newBatch(3);
    const ok = await prepareItem(item(batch.batchId, certificate()));
    await store.settle(await store.requireTransfer(ok.transferId), 'ACCEPTED', { message: 'accepted' });
    const [lost1, lost2] = [certId(), certId()];

    const out = await summarizeBatch(await sliced(batch.batchId, [[ok.input.certificateId], [lost1, lost2]], [{ slice: 0 }, { slice: 1, error: 'States.TaskFailed' }]));

    expect(out).toMatchObject({ status: 'FAILED', accepted: 1, failureCount: 2 });
    const closed = await batches.requireBatch(batch.batchId);
    expect(closed).toMatchObject({ status: 'FAILED', error: 'slice 1: States.TaskFailed', summary: { counts: { ACCEPTED: 1, NOT_STARTED: 2 } } });
    expect(closed.summary!.failures).toEqual(
      expect.arrayContaining([{ certificateId: lost1, status: 'NOT_STARTED', error: 'SliceFailed', reason: 'Slice 1 of the batch ended (States.TaskFailed) before this certificate was handled' }]),
    );
  });

  it('closes the batch FAILED with the error when the Map of slices itself failed', async () => {
    const batch = await newBatch(1);
    const out = await summarizeBatch({ ...(await sliced(batch.batchId, [[certId()]])), groupResults: undefined, error: { Error: 'Boom', Cause: lambdaCause('Boom', 'the store is gone') } });
    expect(out.status).toBe('FAILED');
    expect(await batches.requireBatch(batch.batchId)).toMatchObject({ status: 'FAILED', error: 'Boom: the store is gone', summary: { counts: { NOT_STARTED: 1 } } });
  });

  it('keeps at most 100 failures in the summary and says so', async () => {
    const batch = await newBatch(120);
    const ids = Array.from({ length: 120 }, (_, i) => certId(`skip-${i}`));
    await Promise.all(ids.map((certificateId) => batches.recordSkipped(batch.batchId, { certificateId, error: 'CertificateNotFound', reason: 'x'.repeat(1000) })));
    await summarizeBatch(await sliced(batch.batchId, [ids.slice(0, 100), ids.slice(100)]));
    const { summary } = await batches.requireBatch(batch.batchId);
    expect(summary).toMatchObject({ failureCount: 120, failuresTruncated: true, counts: { NOT_STARTED: 120 } });
    expect(summary!.failures).toHaveLength(100);
    expect(summary!.failures[0].reason!.length).toBeLessThanOrEqual(300);
  });
});

// GET /transfer-batches/{id} at any size: live counts on the batch record, moved by each transfer's own writes,
// and the first page of failures, so that a look reads a few items, never every transfer of the batch.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient } from '@aws-sdk/client-sfn';
import { setSourceEnv, SOURCE, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certId } from '../../support/certs.js';
import { draft } from '../../support/transfers.js';
import { apiEvent } from '../../fixtures/apigw.js';
import { lambdaContext } from '../../fixtures/context.js';
import { startsExecutions } from '../../support/sfn.js';

setSourceEnv({ BATCH_STATE_MACHINE_ARN: `arn:aws:states:us-east-1:${SOURCE}:stateMachine:certificate-transfer-batch-test` });
const sfn = mockClient(SFNClient);
const { handler: create } = await import('../../../functions/api/create-batch.js');
const { handler: get } = await import('../../../functions/api/get-batch.js');
const store = await import('../../../src/store.js');
const batches = await import('../../../src/batch/store.js');
const { ddb } = await import('../../../src/clients/dynamodb.js');
const { TransferStateConflict } = await import('../../../src/errors.js');

useTransferTable();
beforeEach(() => {
  sfn.reset();
  startsExecutions(sfn);
});

async function newBatch(n: number): Promise<{ batchId: string; ids: string[] }> {
  const ids = Array.from({ length: n }, () => certId());
  const res = await create(apiEvent('POST', '/transfer-batches', { body: { certificateIds: ids, targetAccount: TARGET } }), lambdaContext());
  return { batchId: (JSON.parse(res.body) as { batchId: string }).batchId, ids };
}

const open = (batchId: string, certificateId: string) => store.createTransfer({ ...draft(certificateId), transferId: batches.batchTransferId(batchId, certificateId), batchId });

async function view(batchId: string) {
  const res = await get(apiEvent('GET', '/transfer-batches/{batchId}', { pathParameters: { batchId } }), lambdaContext());
  return JSON.parse(res.body) as Record<string, unknown> & { counts: Record<string, number>; failures: { certificateId: string; status: string }[] };
}

/** The DynamoDB commands one look at the batch sends. */
async function commandsOfOneLook(batchId: string): Promise<string[]> {
  const send = vi.spyOn(ddb, 'send');
  try {
    await view(batchId);
    return send.mock.calls.map(([command]) => command.constructor.name);
  } finally {
    send.mockRestore();
  }
}

describe('live progress of a batch', () => {
  it('counts every move as it happens, and one look reads the record and a page of failures, not the transfers', async () => {
    const { batchId, ids } = await newBatch(400);
    const records = [];
    for (const id of ids.slice(0, 300)) records.push(await open(batchId, id));
    for (const r of records.slice(0, 200)) await store.settle(r, 'ACCEPTED', { message: 'accepted' });
    for (const r of records.slice(200, 210)) await store.settle(r, 'REJECTED', { message: 'rejected', reason: 'Not our devices' });
    for (const r of records.slice(210, 250)) await store.transition(r.transferId, { to: 'PREPARING', from: ['REQUESTED'], message: 'preparing' });
    for (const id of ids.slice(300, 305)) await batches.recordSkipped(batchId, { certificateId: id, error: 'CertificateNotFound', reason: 'Certificate was not found' });

    const v = await view(batchId);
    expect(v).toMatchObject({
      status: 'RUNNING',
      total: 400,
      done: 215,
      accepted: 200,
      failureCount: 15,
      counts: { PENDING: 95, NOT_STARTED: 5, REQUESTED: 50, PREPARING: 40, AWAITING_DECISION: 0, ACCEPTED: 200, REJECTED: 10, FAILED: 0 },
    });
    expect(v.failures).toHaveLength(15);
    expect(
      v.failures
        .filter((f) => f.status === 'REJECTED')
        .map((f) => f.certificateId)
        .sort(),
    ).toEqual(ids.slice(200, 210).sort());
    expect(v).not.toHaveProperty('liveCounts');

    // The record, then the not-started certificates and the failed transfers: whatever the batch's size.
    expect(await commandsOfOneLook(batchId)).toEqual(['GetCommand', 'QueryCommand', 'QueryCommand']);
  });

  it('a retried step counts nothing twice: a refused transition and a skip written again leave the counts as they are', async () => {
    const { batchId, ids } = await newBatch(3);
    const r = await open(batchId, ids[0]);
    await store.transition(r.transferId, { to: 'PREPARING', from: ['REQUESTED'], message: 'preparing' });
    await expect(store.transition(r.transferId, { to: 'PREPARING', from: ['REQUESTED'], message: 'preparing again' })).rejects.toBeInstanceOf(TransferStateConflict);
    await store.settle(r, 'CANCELLED', { message: 'cancelled' });
    await store.settle(r, 'CANCELLED', { message: 'cancelled again' }); // the final step re-run after a crash
    await batches.recordSkipped(batchId, { certificateId: ids[1], error: 'TransferInProgress', reason: 'first' });
    await batches.recordSkipped(batchId, { certificateId: ids[1], error: 'TransferInProgress', reason: 'second' });

    const v = await view(batchId);
    expect(v.counts).toMatchObject({ PENDING: 1, NOT_STARTED: 1, REQUESTED: 0, PREPARING: 0, CANCELLED: 1 });
    expect(v.failures).toEqual(
      expect.arrayContaining([
        { certificateId: ids[1], status: 'NOT_STARTED', error: 'TransferInProgress', reason: 'second' },
        { certificateId: ids[0], transferId: r.transferId, status: 'CANCELLED' },
      ]),
    );
  });

  it('a repair moves a RESTORE_FAILED transfer to its outcome in the counts and in the failures', async () => {
    const { batchId, ids } = await newBatch(1);
    const r = await open(batchId, ids[0]);
    const restore = { status: 'FAILED', restored: [], notRestored: [], failed: [{ kind: 'policy', name: 'p', error: 'AccessDenied' }] } as never;
    await store.settle(r, 'REJECTED', { message: 'rejected', restore });
    expect((await view(batchId)).counts).toMatchObject({ RESTORE_FAILED: 1, REJECTED: 0 });

    await store.settleRepair(r, 'REJECTED', { status: 'RESTORED', restored: [], notRestored: [], failed: [] } as never);
    const v = await view(batchId);
    expect(v.counts).toMatchObject({ RESTORE_FAILED: 0, REJECTED: 1 });
    expect(v.failures).toEqual([{ certificateId: ids[0], transferId: r.transferId, status: 'REJECTED' }]);
  });

  it('lists at most 100 failures and says how many there are', async () => {
    const { batchId, ids } = await newBatch(130);
    for (const id of ids.slice(0, 120)) await batches.recordSkipped(batchId, { certificateId: id, error: 'CertificateNotFound', reason: 'gone' });
    const v = await view(batchId);
    expect(v).toMatchObject({ failureCount: 120, failuresTruncated: true, counts: { NOT_STARTED: 120, PENDING: 10 } });
    expect(v.failures).toHaveLength(100);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud, batchEnded } from '../support/cloud.js';
import { responseErrors } from '../support/openapi.js';

/*
 * A batch on the local cloud, driven through the API: good certificates land
 * in the target account, bad ones are reported with their reasons, and the
 * batch itself completes.
 */
const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

describe('transfer batches, end to end', () => {
  it('a mix of good and bad certificates: the good ones land in 222…, the bad ones are reported, the batch completes', async () => {
    const iot = t.iot(SOURCE);
    const good = await Promise.all(Array.from({ length: 6 }, () => makeDeviceCertificate(iot, { policies: 1, things: 1 })));
    const revoked = await makeDeviceCertificate(iot, { policies: 0, things: 0 });
    await iot.send(new UpdateCertificateCommand({ certificateId: revoked.certificateId, newStatus: 'REVOKED' }));
    const busy = await makeDeviceCertificate(iot, { policies: 0, things: 0 });
    // Already offered to another account: PENDING_TRANSFER in IoT.
    const open = await t.api().startTransfer({ certificateId: busy.certificateId, targetAccount: HUMAN });
    await until('the other transfer to await its decision', async () => (await t.api().getTransfer(String(open.transferId))).status === 'AWAITING_DECISION');
    const unknown = 'fe'.repeat(32);
    const ids = [...good.map((c) => c.certificateId), revoked.certificateId, unknown, busy.certificateId];

    const started = await t.api().request('POST', '/transfer-batches', { certificateIds: ids, targetAccount: AUTO, transferMessage: 'batch e2e', maxConcurrency: 3, requestId: 'batch-e2e' });
    expect(started.status).toBe(202);
    expect(responseErrors('POST', '/transfer-batches', 202, started.body)).toEqual([]);
    const batchId = String(started.body.batchId);

    const batch = await batchEnded(t, batchId, 60_000, 200);

    expect(responseErrors('GET', '/transfer-batches/{batchId}', 200, batch)).toEqual([]);
    expect(batch).toMatchObject({ status: 'COMPLETED', total: 9, done: 9, accepted: 6, counts: { ACCEPTED: 6, NOT_STARTED: 3, PENDING: 0, FAILED: 0 } });
    const failures = batch.failures as { certificateId: string; status: string; error: string; reason: string }[];
    expect(failures.map((f) => [f.certificateId, f.status, f.error]).sort()).toEqual(
      [
        [revoked.certificateId, 'NOT_STARTED', 'CertificateNotTransferable'],
        [unknown, 'NOT_STARTED', 'CertificateNotFound'],
        [busy.certificateId, 'NOT_STARTED', 'CertificateNotTransferable'],
      ].sort(),
    );
    expect(failures.find((f) => f.certificateId === busy.certificateId)!.reason).toContain('PENDING_TRANSFER');
    expect(failures.find((f) => f.certificateId === unknown)!.reason).toContain('was not found');

    for (const c of good) {
      const d = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: c.certificateId }));
      expect(d.certificateDescription, c.certificateId).toMatchObject({ status: 'ACTIVE', ownedBy: AUTO });
    }

    // Each transfer of the batch carries its id, and its record names the child execution that really ran.
    const listed = await t.api().listTransfers({ batchId, limit: '100' });
    const items = listed.items as { transferId: string; executionArn: string; status: string; batchId: string; requestId: string }[];
    expect(items).toHaveLength(6);
    for (const item of items) {
      expect(item).toMatchObject({ status: 'ACCEPTED', batchId, requestId: 'batch-e2e' });
      const child = await t.sfn().send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
      expect(child).toMatchObject({ status: 'SUCCEEDED', name: item.transferId });
    }

    const parent = await t.sfn().send(new DescribeExecutionCommand({ executionArn: String(started.body.executionArn) }));
    expect(parent.status).toBe('SUCCEEDED');
    // Nine certificates make one slice: a child execution of the batch machine, named after the batch.
    const sliceArn = `${String(started.body.executionArn)}-slice-0`;
    expect(await t.sfn().send(new DescribeExecutionCommand({ executionArn: sliceArn }))).toMatchObject({ status: 'SUCCEEDED', name: `${batchId}-slice-0` });
    const history = await t.sfn().send(new GetExecutionHistoryCommand({ executionArn: sliceArn, maxResults: 1000 }));
    const iterations = history.events!.filter((e) => e.type === 'MapIterationStarted');
    expect(iterations).toHaveLength(9);
    const skipped = history.events!.filter((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'Record Item Failure');
    expect(skipped).toHaveLength(3);
  }, 90_000);
});

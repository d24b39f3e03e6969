// A batch whose items fail mid-way, end to end: a certificate revoked during its transfer, one deleted before
// its turn, one whose failure cannot even be recorded. None stops the others; the summary reports each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { makeDeviceCertificate, startTestCloud, type TestCloud, batchEnded } from '../support/cloud.js';
import { responseErrors } from '../support/openapi.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
/** Small slices, so that eleven certificates make four child executions. */
const SLICE_SIZE = 3;

let t: TestCloud;
const fns: Record<string, string> = {};
/** Certificate id → what happens to it mid-batch. */
const faults = new Map<string, 'revoke-at-preflight' | 'delete-before-prepare' | 'store-down-when-recording'>();
const ctx = { account: SOURCE, region: 'us-east-1' };

class StoreDown extends Error {
  override name = 'ProvisionedThroughputExceededException';
}

beforeAll(async () => {
  t = await startTestCloud({
    sourceParams: { batchSliceSize: String(SLICE_SIZE) },
    intercept: async (fn, event, run) => {
      const e = event as { certificateId?: string; state?: { certificateId?: string } };
      const fault = faults.get(e.certificateId ?? e.state?.certificateId ?? '');
      if (fault === 'revoke-at-preflight' && fn.arn === fns.preflight) t.cloud.iot.updateCertificate(ctx, { certificateId: e.certificateId!, newStatus: 'REVOKED' });
      if (fault === 'delete-before-prepare' && fn.arn === fns.batchPrepare && t.cloud.iot.findCertificate(e.certificateId!)) t.cloud.iot.deleteCertificate(ctx, { certificateId: e.certificateId! });
      if (fault === 'store-down-when-recording' && fn.arn === fns.batchRecordFailure) throw new StoreDown('The store is unavailable (injected)');
      return run();
    },
  });
  Object.assign(fns, t.cloud.stacks[0].functions);
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

describe('a batch whose items fail mid-way', () => {
  it('goes on with every other certificate, completes, and reports each failure with its reason', async () => {
    const iot = t.iot(SOURCE);
    const good = await Promise.all(Array.from({ length: 8 }, () => makeDeviceCertificate(iot, { policies: 1, things: 1 })));
    const revoked = await makeDeviceCertificate(iot, { policies: 1, things: 1 });
    const deleted = await makeDeviceCertificate(iot, { policies: 0, things: 0, active: false });
    const unrecorded = 'fd'.repeat(32); // unknown: Prepare fails, and then so does Record Item Failure
    faults.set(revoked.certificateId, 'revoke-at-preflight').set(deleted.certificateId, 'delete-before-prepare').set(unrecorded, 'store-down-when-recording');
    // The failing ones first, one at a time per slice: before, the unrecorded failure ended the Map and every later certificate was left.
    const ids = [unrecorded, revoked.certificateId, deleted.certificateId, ...good.map((c) => c.certificateId)];

    const started = await t.api().request('POST', '/transfer-batches', { certificateIds: ids, targetAccount: AUTO, maxConcurrency: 2 });
    expect(started.status).toBe(202);
    const batchId = String(started.body.batchId);
    const batch = await batchEnded(t, batchId, 200_000, 250);

    expect(responseErrors('GET', '/transfer-batches/{batchId}', 200, batch)).toEqual([]);
    expect(batch).toMatchObject({ status: 'COMPLETED', total: 11, done: 11, accepted: 8, counts: { ACCEPTED: 8, NOT_STARTED: 2, PENDING: 0 } });
    const failures = batch.failures as { certificateId: string; status: string; error?: string; reason?: string }[];
    expect(failures).toHaveLength(3);
    expect(failures.find((f) => f.certificateId === unrecorded)).toMatchObject({ status: 'NOT_STARTED', error: 'ItemFailureNotRecorded', reason: expect.stringContaining(`${batchId}-slice-0`) });
    expect(failures.find((f) => f.certificateId === deleted.certificateId)).toMatchObject({ status: 'NOT_STARTED', error: 'CertificateNotFound' });
    expect(failures.find((f) => f.certificateId === revoked.certificateId)).toMatchObject({ status: expect.stringMatching(/^(FAILED|RESTORE_FAILED)$/), reason: expect.stringMatching(/revoked/i) });

    for (const c of good) {
      const d = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: c.certificateId }));
      expect(d.certificateDescription, c.certificateId).toMatchObject({ status: 'ACTIVE', ownedBy: AUTO });
    }
    // Four slices of at most three, each a child execution of the batch machine, all ended well.
    const arn = String(started.body.executionArn);
    for (let n = 0; n < 4; n++) {
      expect(await t.sfn().send(new DescribeExecutionCommand({ executionArn: `${arn}-slice-${n}` })), `slice ${n}`).toMatchObject({ status: 'SUCCEEDED' });
    }
    await expect(t.sfn().send(new DescribeExecutionCommand({ executionArn: `${arn}-slice-4` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    expect(await t.sfn().send(new DescribeExecutionCommand({ executionArn: arn }))).toMatchObject({ status: 'SUCCEEDED' });
    // The console lists the batch once: its slices, executions of the same machine, are not batches.
    const overview = (await (await fetch(`${t.cloud.apiUrl}/console/api/transfers`)).json()) as { batches: { batchId: string }[] };
    expect(overview.batches.map((b) => b.batchId)).toEqual([batchId]);
  }, 240_000);
});

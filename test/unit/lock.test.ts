// The certificate lock (src/lock.ts), through the store that takes it: one open transfer per
// certificate, released when the transfer settles, taken over when its holder is over.
import { describe, expect, it } from 'vitest';
import { setSourceEnv } from '../support/env.js';
import { useTransferTable } from '../support/dynamo.js';
import { certId } from '../support/certs.js';
import { draft } from '../support/transfers.js';

setSourceEnv();
const store = await import('../../src/store.js');

useTransferTable();

describe('certificate lock', () => {
  it('allows at most one open transfer per certificate', async () => {
    const first = await store.createTransfer(draft());
    const err = await store.createTransfer(draft(first.certificateId)).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TransferInProgress', status: 409, openTransferId: first.transferId });
  });

  it('of 20 simultaneous starts for one certificate, exactly one wins', async () => {
    const certificateId = certId();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => store.createTransfer(draft(certificateId))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toMatchObject({ name: 'TransferInProgress' });
  });

  it('frees the certificate when its transfer settles', async () => {
    const first = await store.createTransfer(draft());
    await store.settle(first, 'FAILED', { message: 'test' });
    await expect(store.createTransfer(draft(first.certificateId))).resolves.toHaveProperty('status', 'REQUESTED');
  });

  it('takes over a lock whose transfer is already final (e.g. a release that crashed)', async () => {
    const first = await store.createTransfer(draft());
    await store.transition(first.transferId, { to: 'FAILED', from: store.OPEN, message: 'ended without releasing' });
    await expect(store.createTransfer(draft(first.certificateId))).resolves.toHaveProperty('status', 'REQUESTED');
  });
});

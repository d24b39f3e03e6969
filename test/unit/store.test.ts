import { describe, expect, it } from 'vitest';
import { setSourceEnv, TARGET, HUMAN_TARGET } from '../support/env.js';
import { useTransferTable } from '../support/dynamo.js';
import { certId } from '../support/certs.js';
import { draft } from '../support/transfers.js';
import { publicView } from '../../src/record.js';

setSourceEnv();
const store = { ...(await import('../../src/store.js')), ...(await import('../../src/listing.js')) };

useTransferTable();

describe('transfer store', () => {
  it('creates a transfer in REQUESTED with a first history entry', async () => {
    const record = await store.createTransfer(draft());
    expect(record.status).toBe('REQUESTED');
    expect(record.history).toHaveLength(1);
    expect(await store.getTransfer(record.transferId)).toMatchObject({ status: 'REQUESTED', transferId: record.transferId });
  });

  it('moves only from the allowed statuses and says what the status is', async () => {
    const record = await store.createTransfer(draft());
    await store.transition(record.transferId, { to: 'PREPARING', from: ['REQUESTED'], message: 'go' });
    const err = await store.transition(record.transferId, { to: 'PREPARING', from: ['REQUESTED'], message: 'again' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TransferStateConflict', currentStatus: 'PREPARING' });
    const now = await store.requireTransfer(record.transferId);
    expect(now.history.map((h) => h.status)).toEqual(['REQUESTED', 'PREPARING']);
  });

  it('settling twice with the same status is harmless; with another it is refused', async () => {
    const record = await store.createTransfer(draft());
    await store.settle(record, 'EXPIRED', { message: 'timeout' });
    await expect(store.settle(record, 'EXPIRED', { message: 'timeout again' })).resolves.toHaveProperty('status', 'EXPIRED');
    await expect(store.settle(record, 'ACCEPTED', { message: 'late accept' })).rejects.toMatchObject({ currentStatus: 'EXPIRED' });
  });

  it('unknown transfers are a TransferNotFound', async () => {
    await expect(store.requireTransfer(crypto.randomUUID())).rejects.toMatchObject({ name: 'TransferNotFound', status: 404 });
    await expect(store.transition(crypto.randomUUID(), { to: 'PREPARING', from: ['REQUESTED'], message: 'x' })).rejects.toMatchObject({ name: 'TransferNotFound' });
  });

  it('keeps the first snapshot', async () => {
    const record = await store.createTransfer(draft());
    const snap = { certificateArn: record.certificateArn, status: 'ACTIVE' as const, policies: ['A'], things: [], takenAt: 'then' };
    await store.saveSnapshot(record.transferId, snap);
    const second = await store.saveSnapshot(record.transferId, { ...snap, policies: [], takenAt: 'now' });
    expect(second.snapshot).toMatchObject({ policies: ['A'], takenAt: 'then' });
  });

  it('accepts one cancel request; a second one learns it is already being cancelled', async () => {
    const record = await store.createTransfer(draft());
    await store.transition(record.transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered' });
    const [a, b] = await Promise.allSettled([store.requestCancel(record.transferId, 'op1'), store.requestCancel(record.transferId, 'op2')]);
    const outcomes = [a.status, b.status].sort();
    expect(outcomes).toEqual(['fulfilled', 'rejected']);
    const loser = [a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toMatchObject({ name: 'TransferStateConflict', currentStatus: 'CANCELLING' });
  });

  it('lists by status, certificate and target, newest first, page by page', async () => {
    const certificateId = certId();
    const made = [];
    for (let i = 0; i < 5; i++) {
      const r = await store.createTransfer(draft(certificateId, i % 2 ? HUMAN_TARGET : TARGET));
      await store.settle(r, 'CANCELLED', { message: 'test' });
      made.push(r.transferId);
    }
    const page1 = await store.listTransfers({ certificateId, limit: 2 });
    expect(page1.items.map((i) => i.transferId)).toEqual([made[4], made[3]]);
    expect(page1.nextToken).toBeTruthy();
    const page2 = await store.listTransfers({ certificateId, limit: 2, nextToken: page1.nextToken });
    expect(page2.items.map((i) => i.transferId)).toEqual([made[2], made[1]]);

    const toHuman = await store.listTransfers({ certificateId, targetAccount: HUMAN_TARGET, limit: 10 });
    expect(toHuman.items.map((i) => i.transferId).sort()).toEqual([made[1], made[3]].sort());

    const cancelled = await store.listTransfers({ status: 'CANCELLED', limit: 100 });
    expect(cancelled.items.map((i) => i.transferId)).toEqual(expect.arrayContaining(made));
    expect(cancelled.items.every((i) => i.status === 'CANCELLED')).toBe(true);

    const all = await store.listTransfers({ limit: 3 });
    expect(all.items).toHaveLength(3);
    expect(all.items[0].createdAt >= all.items[2].createdAt).toBe(true);
  });

  it('a garbled page token yields an empty page, not an error', async () => {
    await expect(store.listTransfers({ nextToken: 'not-a-token' })).resolves.toEqual({ items: [] });
  });

  it('publicView never shows the task token', async () => {
    const record = await store.createTransfer(draft());
    const updated = await store.transition(record.transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered', set: { taskToken: 'secret' } });
    expect(updated.taskToken).toBe('secret');
    expect(JSON.stringify(publicView(updated))).not.toContain('secret');
  });
});

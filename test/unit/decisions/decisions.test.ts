import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DescribeCertificateCommand, IoTClient, ListOutgoingCertificatesCommand } from '@aws-sdk/client-iot';
import { HUMAN_TARGET, setSourceEnv, SOURCE, STRANGER, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certArn, certId } from '../../support/certs.js';
import { iotError } from '../../support/iot-errors.js';
import { apiEvent } from '../../fixtures/apigw.js';
import { lambdaContext } from '../../fixtures/context.js';
import type { TransferRecord } from '../../../src/types.js';

setSourceEnv({ RECONCILER_DESCRIBE_TPS: '1000', RECONCILER_GRACE_SECONDS: '0' });
const sfn = mockClient(SFNClient);
const iot = mockClient(IoTClient);
const store = { ...(await import('../../../src/store.js')), ...(await import('../../../src/listing.js')) };
const { handleDecisionEvent } = await import('../../../src/decisions/decision-event.js');
const { reconcile } = await import('../../../src/decisions/reconcile.js');
const { handler: cancelApi } = await import('../../../functions/api/cancel-transfer.js');

useTransferTable();
beforeEach(() => {
  sfn.reset();
  iot.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
});

/** A transfer offered to `target` and waiting, with its token. */
async function awaiting(target = TARGET): Promise<TransferRecord> {
  const certificateId = certId();
  const transferId = crypto.randomUUID();
  await store.createTransfer({
    transferId,
    certificateId,
    certificateArn: certArn(certificateId),
    sourceAccount: SOURCE,
    targetAccount: target,
    timeoutSeconds: 600,
    restoreOnFailure: true,
    executionArn: `x:${transferId}`,
  });
  return store.transition(transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered', set: { taskToken: `token-${transferId}` } });
}

function decisionEvent(record: TransferRecord, account: string, type = 'Certificate Transfer Accepted', detail: Record<string, unknown> = {}) {
  return {
    id: crypto.randomUUID(),
    account,
    source: 'iot.certificate-transfer',
    'detail-type': type,
    detail: { transferId: record.transferId, certificateId: record.certificateId, sourceAccount: SOURCE, targetAccount: record.targetAccount, decidedAt: new Date().toISOString(), ...detail },
  };
}

describe('decision events', () => {
  it('an accept from the target settles the waiting task with ACCEPTED', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException')); // gone from the source: accepted
    await expect(handleDecisionEvent(decisionEvent(record, TARGET))).resolves.toEqual({ settled: true, transferId: record.transferId, decision: 'ACCEPTED' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: record.taskToken });
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output!) as Record<string, unknown>;
    expect(output).toMatchObject({ decision: 'ACCEPTED', via: 'event' });
  });

  it('a reject carries its reason', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { certificateArn: record.certificateArn, status: 'INACTIVE' } });
    iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [] });
    await handleDecisionEvent(decisionEvent(record, TARGET, 'Certificate Transfer Rejected', { reason: 'not ours' }));
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output!) as Record<string, unknown>;
    expect(output).toMatchObject({ decision: 'REJECTED', reason: 'not ours' });
  });

  it.each([
    ['a stranger account', STRANGER, /sent by account 444444444444/],
    ['another allowed target', HUMAN_TARGET, /target is 222222222222/],
    ['the source account itself', SOURCE, /sent by account 111111111111/],
  ])('from %s settles nothing and says why', async (_n, account, reason) => {
    const record = await awaiting();
    const out = await handleDecisionEvent(decisionEvent(record, account));
    expect(out).toMatchObject({ settled: false, reason: expect.stringMatching(reason) });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('naming another certificate settles nothing', async () => {
    const record = await awaiting();
    const out = await handleDecisionEvent(decisionEvent(record, TARGET, undefined, { certificateId: certId() }));
    expect(out).toMatchObject({ settled: false, reason: 'certificateId does not match the transfer' });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('after the transfer ended (expired), a late decision settles nothing', async () => {
    const record = await awaiting();
    await store.settle(record, 'EXPIRED', { message: 'timeout' });
    const out = await handleDecisionEvent(decisionEvent(record, TARGET));
    expect(out).toMatchObject({ settled: false, reason: expect.stringContaining('EXPIRED') });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('a duplicate after the token was used is harmless', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
    sfn
      .on(SendTaskSuccessCommand)
      .resolvesOnce({})
      .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    await handleDecisionEvent(decisionEvent(record, TARGET));
    await expect(handleDecisionEvent(decisionEvent(record, TARGET))).resolves.toMatchObject({ settled: false, reason: expect.stringContaining('no longer waiting') });
  });

  it.each([
    ['no detail', { detail: undefined }],
    ['a malformed transferId', { detail: { transferId: "'; DROP TABLE" } }],
    ['an unknown detail-type', { 'detail-type': 'Certificate Transfer Maybe' }],
  ])('%s is dropped with a reason', async (_n, patch) => {
    const record = await awaiting();
    const ev = { ...decisionEvent(record, TARGET), ...patch } as never;
    await expect(handleDecisionEvent(ev)).resolves.toMatchObject({ settled: false, reason: expect.any(String) });
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('reconciler', () => {
  it('makes no IoT call when nothing awaits a decision', async () => {
    // Settle every open awaiting transfer from other tests first.
    for await (const r of store.awaitingDecision()) await store.settle(r, 'CANCELLED', { message: 'cleanup' });
    await expect(reconcile()).resolves.toMatchObject({ awaiting: 0, iotCalls: 0 });
    expect(iot.calls()).toHaveLength(0);
  });

  it('settles hand-made decisions: gone from the source = accepted, back INACTIVE = rejected; pending ones wait', async () => {
    for await (const r of store.awaitingDecision()) await store.settle(r, 'CANCELLED', { message: 'cleanup' });
    const [pending, accepted, rejected] = [await awaiting(HUMAN_TARGET), await awaiting(HUMAN_TARGET), await awaiting(HUMAN_TARGET)];
    iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [{ certificateId: pending.certificateId, transferredTo: HUMAN_TARGET }] });
    iot.on(DescribeCertificateCommand, { certificateId: accepted.certificateId }).rejects(iotError('ResourceNotFoundException'));
    iot
      .on(DescribeCertificateCommand, { certificateId: rejected.certificateId })
      .resolves({ certificateDescription: { certificateArn: rejected.certificateArn, status: 'INACTIVE', transferData: { rejectReason: 'wrong batch', rejectDate: new Date() } } });

    const report = await reconcile();

    expect(report).toMatchObject({ awaiting: 3, stillPending: 1, accepted: 1, rejected: 1 });
    expect(iot).toHaveReceivedCommandTimes(DescribeCertificateCommand, 2); // the pending one is not described
    const outputs = sfn.commandCalls(SendTaskSuccessCommand).map((c) => [c.args[0].input.taskToken, JSON.parse(c.args[0].input.output!)]);
    expect(outputs).toEqual(
      expect.arrayContaining([
        [accepted.taskToken, expect.objectContaining({ decision: 'ACCEPTED', via: 'reconciler' })],
        [rejected.taskToken, expect.objectContaining({ decision: 'REJECTED', via: 'reconciler', reason: 'wrong batch' })],
      ]),
    );
  });

  it('bounds the describes per run and defers the rest', async () => {
    for await (const r of store.awaitingDecision()) await store.settle(r, 'CANCELLED', { message: 'cleanup' });
    process.env.RECONCILER_MAX_PER_RUN = '2';
    try {
      for (let i = 0; i < 5; i++) await awaiting(HUMAN_TARGET);
      iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [] });
      iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
      const report = await reconcile();
      expect(report).toMatchObject({ awaiting: 5, accepted: 2, deferred: 3 });
      expect(iot).toHaveReceivedCommandTimes(DescribeCertificateCommand, 2);
    } finally {
      delete process.env.RECONCILER_MAX_PER_RUN;
    }
  });
});

describe('DELETE /transfers/{transferId}', () => {
  const del = (transferId: string, body?: unknown) => cancelApi(apiEvent('DELETE', '/transfers/{transferId}', { pathParameters: { transferId }, body }), lambdaContext());

  it('cancels a transfer awaiting a decision: SendTaskFailure TransferCancelled, 202', async () => {
    const record = await awaiting();
    const res = await del(record.transferId, { reason: 'wrong target' });
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'CANCELLING' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: record.taskToken, error: 'TransferCancelled', cause: 'wrong target' });
  });

  it('409 with the current status for a transfer not awaiting a decision', async () => {
    const record = await awaiting();
    await store.settle(record, 'ACCEPTED', { message: 'done' });
    const res = await del(record.transferId);
    expect(res.statusCode).toBe(409);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'TransferStateConflict', currentStatus: 'ACCEPTED' });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('two operators at once: one cancel, one 409 already cancelling', async () => {
    const record = await awaiting();
    const results = await Promise.all([del(record.transferId), del(record.transferId)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([202, 409]);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    expect(JSON.parse(results.find((r) => r.statusCode === 409)!.body)).toMatchObject({ currentStatus: 'CANCELLING' });
  });

  it('404 for an unknown transfer, 400 for a bad body', async () => {
    expect((await del(crypto.randomUUID())).statusCode).toBe(404);
    const record = await awaiting();
    const bad = await del(record.transferId, { reason: 5 });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ field: 'reason' });
    const extra = await del(record.transferId, { force: true });
    expect(JSON.parse(extra.body)).toMatchObject({ field: 'force' });
  });
});

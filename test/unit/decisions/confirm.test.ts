// Decision events are hints: a transfer is settled only as IoT in the source account shows it decided,
// after a bounded wait for IoT's read paths to agree; the reconciler reads IoT the same way.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { DescribeCertificateCommand, IoTClient, ListOutgoingCertificatesCommand } from '@aws-sdk/client-iot';
import { setSourceEnv, SOURCE, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certArn, certId } from '../../support/certs.js';
import { iotError } from '../../support/iot-errors.js';
import type { TransferRecord } from '../../../src/types.js';
import { draft } from '../../support/transfers.js';

setSourceEnv();
const sfn = mockClient(SFNClient);
const iot = mockClient(IoTClient);
const store = await import('../../../src/store.js');
const { handleDecisionEvent } = await import('../../../src/decisions/decision-event.js');
const { viewOf, confirmWithIot, CONFIRM_PAUSES_MS } = await import('../../../src/decisions/observe.js');

useTransferTable();
const pauses: number[] = [];
const noWait = { sleep: async (ms: number) => void pauses.push(ms) };
beforeEach(() => {
  sfn.reset();
  iot.reset();
  pauses.length = 0;
  sfn.on(SendTaskSuccessCommand).resolves({});
});

async function awaiting(): Promise<TransferRecord> {
  const { transferId } = await store.createTransfer(draft());
  return store.transition(transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered', set: { taskToken: `token-${transferId}` } });
}

const event = (record: TransferRecord, type: 'Accepted' | 'Rejected', detail: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  account: TARGET,
  source: 'iot.certificate-transfer',
  'detail-type': `Certificate Transfer ${type}`,
  detail: { transferId: record.transferId, certificateId: record.certificateId, sourceAccount: SOURCE, targetAccount: TARGET, decidedAt: new Date().toISOString(), ...detail },
});

const pending = (record: TransferRecord) => ({ certificateDescription: { certificateArn: record.certificateArn, status: 'PENDING_TRANSFER' as const, ownedBy: SOURCE } });
const back = (record: TransferRecord, transferData = {}) => ({ certificateDescription: { certificateArn: record.certificateArn, status: 'INACTIVE' as const, ownedBy: SOURCE, transferData } });
const delivered = () => sfn.commandCalls(SendTaskSuccessCommand).map((c) => JSON.parse(c.args[0].input.output!) as Record<string, unknown>);

describe('an Accepted event is a hint', () => {
  it('while IoT still shows the offer pending, nothing is settled: the transfer stays awaiting after a bounded wait', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).resolves(pending(record));

    const out = await handleDecisionEvent(event(record, 'Accepted'), noWait);

    expect(out).toMatchObject({ settled: false, reason: expect.stringContaining('still shows the transfer pending after 5 looks') });
    expect(pauses).toEqual([...CONFIRM_PAUSES_MS]);
    expect(iot).toHaveReceivedCommandTimes(DescribeCertificateCommand, 5);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(await store.requireTransfer(record.transferId)).toMatchObject({ status: 'AWAITING_DECISION', taskToken: record.taskToken });
  });

  it('IoT catching up within the wait settles it ACCEPTED', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).resolvesOnce(pending(record)).resolvesOnce(pending(record)).rejects(iotError('ResourceNotFoundException'));

    const out = await handleDecisionEvent(event(record, 'Accepted'), noWait);

    expect(out).toEqual({ settled: true, transferId: record.transferId, decision: 'ACCEPTED' });
    expect(pauses).toEqual(CONFIRM_PAUSES_MS.slice(0, 2));
    expect(delivered()).toEqual([expect.objectContaining({ decision: 'ACCEPTED', via: 'event' })]);
  });

  it('stops looking when the function has too little time left to answer', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).resolves(pending(record));
    let left = 8_000;
    const out = await handleDecisionEvent(event(record, 'Accepted'), { remainingMs: () => left, sleep: async (ms) => void ((left -= ms), pauses.push(ms)) });
    expect(out).toMatchObject({ settled: false });
    expect(pauses).toEqual([500, 1_000]); // 8 s − 1.5 s leaves less than 5 s for the 2 s pause
  });

  it("IoT showing the certificate back in the source (rejected by hand) settles it REJECTED with IoT's reason", async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).resolves(back(record, { rejectReason: 'wrong fleet', rejectDate: new Date('2026-11-02T10:00:00Z') }));
    iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [] });

    const out = await handleDecisionEvent(event(record, 'Accepted'), noWait);

    expect(out).toEqual({ settled: true, transferId: record.transferId, decision: 'REJECTED', contradicted: 'ACCEPTED' });
    expect(delivered()).toEqual([expect.objectContaining({ decision: 'REJECTED', via: 'event', reason: 'wrong fleet', decidedAt: '2026-11-02T10:00:00.000Z' })]);
  });
});

describe('a Rejected event is a hint', () => {
  it('settles REJECTED only when the certificate is back INACTIVE and no longer listed as outgoing', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).resolves(back(record));
    iot
      .on(ListOutgoingCertificatesCommand)
      .resolvesOnce({ outgoingCertificates: [{ certificateId: record.certificateId, transferredTo: TARGET }] })
      .resolves({ outgoingCertificates: [] });

    const out = await handleDecisionEvent(event(record, 'Rejected', { reason: 'not ours' }), noWait);

    expect(out).toMatchObject({ settled: true, decision: 'REJECTED' });
    expect(pauses).toEqual([500]); // the first look: described INACTIVE but still listed
    expect(delivered()).toEqual([expect.objectContaining({ decision: 'REJECTED', reason: 'not ours' })]);
  });

  it('while IoT shows it pending, nothing is settled', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).resolves(pending(record));
    const out = await handleDecisionEvent(event(record, 'Rejected'), noWait);
    expect(out).toMatchObject({ settled: false });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(iot).not.toHaveReceivedCommand(ListOutgoingCertificatesCommand);
  });

  it('IoT showing the certificate gone (accepted after all) settles it ACCEPTED', async () => {
    const record = await awaiting();
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
    const out = await handleDecisionEvent(event(record, 'Rejected'), noWait);
    expect(out).toMatchObject({ settled: true, decision: 'ACCEPTED', contradicted: 'REJECTED' });
  });
});

describe('the view of IoT', () => {
  const id = certId();
  const base = { certificateId: id, certificateArn: certArn(id) };
  it.each([
    ['not visible (ResourceNotFoundException)', undefined, false, 'GONE'],
    ['owned by the target now', { ...base, status: 'INACTIVE' as const, ownedBy: TARGET }, false, 'GONE'],
    ['PENDING_TRANSFER', { ...base, status: 'PENDING_TRANSFER' as const, ownedBy: SOURCE }, true, 'PENDING'],
    ['INACTIVE but still listed outgoing', { ...base, status: 'INACTIVE' as const, ownedBy: SOURCE }, true, 'PENDING'],
    ['INACTIVE and not listed', { ...base, status: 'INACTIVE' as const, ownedBy: SOURCE }, false, 'BACK'],
  ])('%s → %s', (_n, cert, listed, state) => {
    expect(viewOf(cert, listed, SOURCE).state).toBe(state);
  });

  it('a look that finds it gone costs one DescribeCertificate and no ListOutgoingCertificates', async () => {
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
    await expect(confirmWithIot({ certificateId: id, sourceAccount: SOURCE }, noWait)).resolves.toEqual({ view: { state: 'GONE' }, looks: 1 });
    expect(iot.calls()).toHaveLength(1);
  });
});

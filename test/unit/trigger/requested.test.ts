import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { DescribeCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { setSourceEnv, SOURCE, SOURCE_BUS, STATE_MACHINE_ARN, STRANGER, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certArn, certId } from '../../support/certs.js';
import { entryErrors } from '../../support/events.js';
import { iotError } from '../../support/iot-errors.js';
import { lambdaContext } from '../../fixtures/context.js';
import { apiEvent } from '../../fixtures/apigw.js';
import { startsExecutions } from '../../support/sfn.js';

setSourceEnv();
const iot = mockClient(IoTClient);
const sfn = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);
const { handler } = await import('../../../functions/trigger/requested.js');
const { handler: post } = await import('../../../functions/api/create-transfer.js');
const store = await import('../../../src/store.js');

useTransferTable();
beforeEach(() => {
  iot.reset();
  sfn.reset();
  events.reset();
  startsExecutions(sfn);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

function certificate(status = 'ACTIVE') {
  const id = certId();
  iot.on(DescribeCertificateCommand, { certificateId: id }).resolves({ certificateDescription: { certificateId: id, certificateArn: certArn(id), status: status as never } });
  return id;
}

/** The event as EventBridge delivers it to the rule's target. */
function requested(detail: unknown, account = SOURCE) {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Certificate Transfer Requested',
    source: 'iot.certificate-transfer',
    account,
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

const run = (event: ReturnType<typeof requested>) => handler(event, lambdaContext());

/** The Completed events published, as PutEvents entries. */
const published = () => events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);

describe('Certificate Transfer Requested trigger', () => {
  it('starts a transfer exactly like POST /transfers, keeping the requestId for the Completed event', async () => {
    const certificateId = certificate();

    const out = await run(requested({ certificateId, targetAccount: TARGET, transferMessage: 'from the ERP', timeoutSeconds: 3600, requestId: 'erp-42' }));

    expect(out).toEqual({ outcome: 'STARTED', transferId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const transferId = (out as { transferId: string }).transferId;
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN, name: transferId });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!) as Record<string, unknown>;
    expect(input).toMatchObject({ certificateId, targetAccount: TARGET, transferMessage: 'from the ERP', timeoutSeconds: 3600, certificateStatus: 'ACTIVE' });
    expect(await store.requireTransfer(transferId)).toMatchObject({ status: 'REQUESTED', requestId: 'erp-42' });
    expect(published()).toHaveLength(0);
  });

  it('the same event delivered twice opens one transfer', async () => {
    const certificateId = certificate();
    const event = requested({ certificateId, targetAccount: TARGET });

    const first = await run(event);
    const again = await run(event);

    expect(first.outcome).toBe('STARTED');
    expect(again).toEqual({ outcome: 'DUPLICATE', transferId: (first as { transferId: string }).transferId });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(published()).toHaveLength(0);
  });

  it('a request sent again with the same requestId, by event or by POST /transfers, finds its transfer', async () => {
    const certificateId = certificate();
    const res = await post(apiEvent('POST', '/transfers', { body: { certificateId, targetAccount: TARGET, requestId: 'chg-77' } }), lambdaContext());
    const { transferId } = JSON.parse(res.body) as { transferId: string };

    const byEvent = await run(requested({ certificateId, targetAccount: TARGET, requestId: 'chg-77' }));

    expect(res.statusCode).toBe(202);
    expect(byEvent).toEqual({ outcome: 'DUPLICATE', transferId });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(published()).toHaveLength(0);
  });

  it('refuses a requestId already used for another certificate, naming requestId', async () => {
    await run(requested({ certificateId: certificate(), targetAccount: TARGET, requestId: 'chg-88' }));
    const out = await run(requested({ certificateId: certificate(), targetAccount: TARGET, requestId: 'chg-88' }));
    expect(out).toMatchObject({ outcome: 'REFUSED', error: 'ValidationError' });
    const [entry] = published();
    expect(entryErrors(entry)).toEqual([]);
    expect(JSON.parse(entry.Detail!)).toMatchObject({ outcome: 'FAILED', requestId: 'chg-88', reason: expect.stringContaining('requestId was already used') });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it.each([
    ['a bad certificateId', { certificateId: 'xyz', targetAccount: TARGET, requestId: 'r-1' }, 'ValidationError: certificateId must be 64 hexadecimal characters', {}],
    ['no targetAccount', { certificateId: certId('t'), requestId: 'r-2' }, 'ValidationError: targetAccount is required', { certificateId: certId('t') }],
    [
      'an unknown field',
      { certificateId: certId('t'), targetAccount: TARGET, priority: 'high' },
      'ValidationError: priority is not a known field',
      { certificateId: certId('t'), targetAccount: TARGET },
    ],
    ['a detail that is no object', 'transfer please', 'ValidationError: The body must be a JSON object', {}],
    ['a target off the allow-list', { certificateId: certId('t'), targetAccount: STRANGER, requestId: 'r-3' }, 'TargetNotAllowed: targetAccount 444444444444 is not on', { targetAccount: STRANGER }],
  ])('refuses %s with a Completed event, outcome FAILED, the reason and the requestId', async (_name, detail, reason, echoed) => {
    const out = await run(requested(detail));

    expect(out).toMatchObject({ outcome: 'REFUSED' });
    const [entry] = published();
    expect(entry).toMatchObject({ EventBusName: SOURCE_BUS, Source: 'iot.certificate-transfer', DetailType: 'Certificate Transfer Completed' });
    expect(entryErrors(entry)).toEqual([]);
    const sent = JSON.parse(entry.Detail!) as Record<string, unknown>;
    expect(sent).toMatchObject({ outcome: 'FAILED', sourceAccount: SOURCE, reason: expect.stringContaining(reason), ...echoed });
    expect(sent.requestId).toBe((detail as { requestId?: string }).requestId);
    expect(sent).not.toHaveProperty('transferId');
    expect(sfn.calls()).toHaveLength(0);
    expect(iot.calls()).toHaveLength(0);
  });

  it.each([
    [
      'an unknown certificate',
      () => {
        iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
        return certId();
      },
      'CertificateNotFound',
    ],
    ['a revoked certificate', () => certificate('REVOKED'), 'CertificateNotTransferable'],
  ])('refuses %s (as POST /transfers would with 4xx) with a Completed FAILED event', async (_name, make, error) => {
    const certificateId = make();
    const out = await run(requested({ certificateId, targetAccount: TARGET, requestId: 'r-9' }));
    expect(out).toMatchObject({ outcome: 'REFUSED', error });
    const [entry] = published();
    expect(entryErrors(entry)).toEqual([]);
    expect(JSON.parse(entry.Detail!)).toMatchObject({ outcome: 'FAILED', certificateId, targetAccount: TARGET, requestId: 'r-9', reason: expect.stringContaining(error) });
  });

  it('refuses a certificate with an open transfer, naming it', async () => {
    const certificateId = certificate();
    const first = await run(requested({ certificateId, targetAccount: TARGET }));
    const second = await run(requested({ certificateId, targetAccount: TARGET, requestId: 'again' }));
    expect(second).toMatchObject({ outcome: 'REFUSED', error: 'TransferInProgress' });
    expect(JSON.parse(published()[0].Detail!)).toMatchObject({ reason: expect.stringContaining((first as { transferId: string }).transferId), requestId: 'again' });
  });

  it('an internal fault still answers with a Completed FAILED event, without internals', async () => {
    iot.on(DescribeCertificateCommand).rejects(new Error('socket hang up at 10.1.2.3'));
    const out = await run(requested({ certificateId: certId(), targetAccount: TARGET, requestId: 'r-500' }));
    expect(out).toMatchObject({ outcome: 'REFUSED', error: 'InternalError' });
    const [entry] = published();
    expect(entryErrors(entry)).toEqual([]);
    expect(entry.Detail).not.toContain('10.1.2.3');
    expect(JSON.parse(entry.Detail!)).toMatchObject({ outcome: 'FAILED', requestId: 'r-500' });
  });

  it('ignores a request from another account (the rule admits only this one), publishing nothing', async () => {
    const out = await run(requested({ certificateId: certificate(), targetAccount: TARGET }, TARGET));
    expect(out).toMatchObject({ outcome: 'IGNORED' });
    expect(published()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('fails the invocation (EventBridge retries) when the refusal itself cannot be published', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try later' }] });
    await expect(run(requested({ certificateId: 'bad', targetAccount: TARGET }))).rejects.toThrow(/refused 1 event/);
  });
});

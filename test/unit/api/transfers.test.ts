import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { DescribeCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { setSourceEnv, SOURCE, STATE_MACHINE_ARN, STRANGER, TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certArn, certId } from '../../support/certs.js';
import { iotError } from '../../support/iot-errors.js';
import { apiEvent } from '../../fixtures/apigw.js';
import { lambdaContext } from '../../fixtures/context.js';
import { startsExecutions } from '../../support/sfn.js';
import { draft } from '../../support/transfers.js';

setSourceEnv();
const iot = mockClient(IoTClient);
const sfn = mockClient(SFNClient);
const { handler: create } = await import('../../../functions/api/create-transfer.js');
const { handler: get } = await import('../../../functions/api/get-transfer.js');
const store = await import('../../../src/store.js');
const { ddb } = await import('../../../src/clients/dynamodb.js');

useTransferTable();
beforeEach(() => {
  iot.reset();
  sfn.reset();
  startsExecutions(sfn);
});

function certificate(status = 'ACTIVE') {
  const id = certId();
  iot.on(DescribeCertificateCommand, { certificateId: id }).resolves({ certificateDescription: { certificateId: id, certificateArn: certArn(id), status: status as never } });
  return id;
}

async function post(body: unknown) {
  const res = await create(apiEvent('POST', '/transfers', { body }), lambdaContext());
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
}

describe('POST /transfers', () => {
  it('starts the workflow and answers 202 with the ids and console link', async () => {
    const certificateId = certificate();
    const res = await post({ certificateId, targetAccount: TARGET, transferMessage: 'fleet A', timeoutSeconds: 3600 });

    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      transferId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'REQUESTED',
      executionArn: expect.stringContaining(`:execution:certificate-transfer-test:`),
      consoleUrl: expect.stringMatching(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\/home\?region=us-east-1#\/v2\/executions\/details\/arn:aws:states:/),
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!) as Record<string, unknown>;
    expect(input).toMatchObject({ certificateId, targetAccount: TARGET, sourceAccount: SOURCE, certificateStatus: 'ACTIVE', timeoutSeconds: 3600, restoreOnFailure: true });
    expect(iot).toHaveReceivedCommandTimes(DescribeCertificateCommand, 1);
  });

  it('defaults the timeout to 7 days', async () => {
    const res = await post({ certificateId: certificate(), targetAccount: TARGET });
    const record = await store.requireTransfer(res.body.transferId as string);
    expect(record.timeoutSeconds).toBe(604_800);
  });

  const id = certId('fixed');
  it.each([
    ['no body', undefined, 'body'],
    ['a body that is not JSON', '{"certificateId":', 'body'],
    ['a JSON array', [], 'body'],
    ['no certificateId', { targetAccount: TARGET }, 'certificateId'],
    ['a short certificateId', { certificateId: 'abc', targetAccount: TARGET }, 'certificateId'],
    ['a non-hex certificateId', { certificateId: 'g'.repeat(64), targetAccount: TARGET }, 'certificateId'],
    ['a numeric certificateId', { certificateId: 12345, targetAccount: TARGET }, 'certificateId'],
    ['no targetAccount', { certificateId: id }, 'targetAccount'],
    ['an 11-digit targetAccount', { certificateId: id, targetAccount: '22222222222' }, 'targetAccount'],
    ['the source account as target', { certificateId: id, targetAccount: SOURCE }, 'targetAccount'],
    ['a 129-character message', { certificateId: id, targetAccount: TARGET, transferMessage: 'x'.repeat(129) }, 'transferMessage'],
    ['a timeout under 60 s', { certificateId: id, targetAccount: TARGET, timeoutSeconds: 59 }, 'timeoutSeconds'],
    ['a timeout over a year', { certificateId: id, targetAccount: TARGET, timeoutSeconds: 31_536_001 }, 'timeoutSeconds'],
    ['a fractional timeout', { certificateId: id, targetAccount: TARGET, timeoutSeconds: 60.5 }, 'timeoutSeconds'],
    ['a string restoreOnFailure', { certificateId: id, targetAccount: TARGET, restoreOnFailure: 'yes' }, 'restoreOnFailure'],
    ['an unknown field', { certificateId: id, targetAccount: TARGET, force: true }, 'force'],
  ])('400 naming the field for %s, touching nothing', async (_name, body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'ValidationError', field });
    expect(String(res.body.message)).toContain(field === 'body' ? 'body' : field);
    expect(iot.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('403 for a target not on the allow-list', async () => {
    const res = await post({ certificateId: certificate(), targetAccount: STRANGER });
    expect(res).toMatchObject({ status: 403, body: { error: 'TargetNotAllowed', field: 'targetAccount' } });
    expect(iot.calls()).toHaveLength(0);
  });

  it('404 for a certificate this account does not have', async () => {
    iot.on(DescribeCertificateCommand).rejects(iotError('ResourceNotFoundException'));
    const res = await post({ certificateId: certId(), targetAccount: TARGET });
    expect(res).toMatchObject({ status: 404, body: { error: 'CertificateNotFound', field: 'certificateId' } });
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each(['ServiceUnavailableException', 'InternalFailureException'])("503 with Retry-After when IoT keeps answering %s through the SDK's retries; nothing started", async (name) => {
    iot.on(DescribeCertificateCommand).rejects(iotError(name));
    const res = await create(apiEvent('POST', '/transfers', { body: { certificateId: certId(), targetAccount: TARGET } }), lambdaContext());
    expect(res.statusCode).toBe(503);
    expect(res.headers).toMatchObject({ 'retry-after': '2' });
    expect(JSON.parse(res.body)).toMatchObject({ error: 'ServiceUnavailable', message: expect.stringContaining(name) });
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each(['REVOKED', 'PENDING_TRANSFER'])('409 for a %s certificate', async (status) => {
    const res = await post({ certificateId: certificate(status), targetAccount: TARGET });
    expect(res).toMatchObject({ status: 409, body: { error: 'CertificateNotTransferable' } });
    expect(String(res.body.message)).toContain(status);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('409 naming the open transfer when the certificate is already being transferred', async () => {
    const certificateId = certificate();
    const first = await post({ certificateId, targetAccount: TARGET });
    const second = await post({ certificateId, targetAccount: TARGET });
    expect(second).toMatchObject({ status: 409, body: { error: 'TransferInProgress', openTransferId: first.body.transferId } });
  });

  it('20 simultaneous starts of one certificate: exactly one 202, nineteen 409', async () => {
    const certificateId = certificate();
    const results = await Promise.all(Array.from({ length: 20 }, () => post({ certificateId, targetAccount: TARGET })));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('503 when the workflow cannot start, and the certificate is free again', async () => {
    const certificateId = certificate();
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('boom'), { name: 'ServiceUnavailable' }));
    const res = await post({ certificateId, targetAccount: TARGET });
    expect(res).toMatchObject({ status: 503, body: { error: 'WorkflowStartFailed' } });
    const retry = await post({ certificateId, targetAccount: TARGET });
    expect(retry.status).toBe(202);
  });

  it("a POST retried after its first attempt recorded the transfer but never started it: started once, with the certificate's real status", async () => {
    const certificateId = certificate();
    const { prepareTransfer, idFrom } = await import('../../../src/transfer/start.js');
    const first = await prepareTransfer(
      { certificateId, targetAccount: TARGET, timeoutSeconds: 3600, restoreOnFailure: true },
      { transferId: idFrom(SOURCE, 'request', 'retry-1'), requestId: 'retry-1' },
    );

    const res = await post({ certificateId, targetAccount: TARGET, requestId: 'retry-1' });

    expect(res).toMatchObject({ status: 202, body: { transferId: first.record.transferId } });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!) as Record<string, unknown>;
    expect(input).toMatchObject({ transferId: first.record.transferId, certificateStatus: 'ACTIVE' });
  });

  it('500 without internals for an unexpected fault', async () => {
    iot.on(DescribeCertificateCommand).rejects(new Error('socket hang up at 10.0.0.1'));
    const res = await post({ certificateId: certId(), targetAccount: TARGET });
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('10.0.0.1');
  });
});

describe('a transfer whose request died before its workflow started', () => {
  /** Records a REQUESTED transfer for the certificate, as a request cut off after the record would leave it. */
  async function orphan(certificateId: string, ageSeconds: number) {
    const { transferId, ...rest } = draft(certificateId);
    await store.createTransfer({ ...rest, transferId, executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${transferId}` });
    const createdAt = new Date(Date.now() - ageSeconds * 1000).toISOString();
    await ddb.send(
      new UpdateCommand({ TableName: 'transfers-test', Key: { pk: `TRANSFER#${transferId}`, sk: 'TRANSFER' }, UpdateExpression: 'SET createdAt = :c', ExpressionAttributeValues: { ':c': createdAt } }),
    );
    return transferId;
  }

  it('is closed FAILED after two minutes without an execution, and the new request starts', async () => {
    const certificateId = certificate();
    const stale = await orphan(certificateId, 300);
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    const res = await post({ certificateId, targetAccount: TARGET });

    expect(res.status).toBe(202);
    expect(await store.requireTransfer(stale)).toMatchObject({ status: 'FAILED', reason: expect.stringContaining('never started') });
  });

  it('is left alone while young: 409', async () => {
    const certificateId = certificate();
    const young = await orphan(certificateId, 10);
    const res = await post({ certificateId, targetAccount: TARGET });
    expect(res).toMatchObject({ status: 409, body: { openTransferId: young } });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('is left alone when its execution exists after all: 409', async () => {
    const certificateId = certificate();
    const running = await orphan(certificateId, 300);
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    const res = await post({ certificateId, targetAccount: TARGET });
    expect(res).toMatchObject({ status: 409, body: { openTransferId: running } });
    expect((await store.requireTransfer(running)).status).toBe('REQUESTED');
  });
});

describe('GET /transfers/{transferId}', () => {
  it('returns the record with history and console link, never the task token', async () => {
    const created = await post({ certificateId: certificate(), targetAccount: TARGET });
    const transferId = created.body.transferId as string;
    await store.transition(transferId, { to: 'AWAITING_DECISION', from: ['REQUESTED'], message: 'offered', set: { taskToken: 'very-secret-token' } });

    const res = await get(apiEvent('GET', '/transfers/{transferId}', { path: `/transfers/${transferId}`, pathParameters: { transferId } }), lambdaContext());

    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('very-secret-token');
    expect(JSON.parse(res.body)).toMatchObject({
      transferId,
      status: 'AWAITING_DECISION',
      consoleUrl: expect.stringContaining(transferId),
      history: [{ status: 'REQUESTED' }, { status: 'AWAITING_DECISION' }],
    });
  });

  it('404 for an unknown transfer, 400 for a malformed id', async () => {
    const unknown = crypto.randomUUID();
    const missing = await get(apiEvent('GET', '/transfers/{transferId}', { pathParameters: { transferId: unknown } }), lambdaContext());
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: 'TransferNotFound', field: 'transferId' });
    const bad = await get(apiEvent('GET', '/transfers/{transferId}', { pathParameters: { transferId: "1' OR '1'='1" } }), lambdaContext());
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ field: 'transferId' });
  });
});

// Deliver 7, a lost cancel: DELETE /transfers/{id} can be sent again when its hand-off to the
// workflow failed or its request died, and the reconciler sends such a cancel again by itself.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { IoTClient, ListOutgoingCertificatesCommand } from '@aws-sdk/client-iot';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { setSourceEnv, SOURCE, HUMAN_TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { certArn, certId } from '../../support/certs.js';
import { apiEvent } from '../../fixtures/apigw.js';
import { lambdaContext } from '../../fixtures/context.js';
import type { TransferRecord } from '../../../src/types.js';

setSourceEnv({ RECONCILER_DESCRIBE_TPS: '1000', RECONCILER_GRACE_SECONDS: '0' });
const sfn = mockClient(SFNClient);
const iot = mockClient(IoTClient);
const store = { ...(await import('../../../src/store.js')), ...(await import('../../../src/listing.js')) };
const { reconcile } = await import('../../../src/decisions/reconcile.js');
const { CANCEL_IN_FLIGHT_MS } = await import('../../../src/transfer/cancel.js');
const { handler: cancelApi } = await import('../../../functions/api/cancel-transfer.js');

useTransferTable();
beforeEach(async () => {
  sfn.reset();
  iot.reset();
  sfn.on(SendTaskFailureCommand).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
  iot.on(ListOutgoingCertificatesCommand).resolves({ outgoingCertificates: [] });
  // Each case starts with no other transfer waiting, so the reconciler's report is this case's.
  for await (const r of store.awaitingDecision()) await store.settle(r, 'CANCELLED', { message: 'cleanup' });
});

const del = async (transferId: string, body?: unknown) => {
  const res = await cancelApi(apiEvent('DELETE', '/transfers/{transferId}', { pathParameters: { transferId }, body }), lambdaContext());
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
};

async function awaiting(): Promise<TransferRecord> {
  const certificateId = certId();
  const transferId = crypto.randomUUID();
  await store.createTransfer({
    transferId,
    certificateId,
    certificateArn: certArn(certificateId),
    sourceAccount: SOURCE,
    targetAccount: HUMAN_TARGET,
    timeoutSeconds: 600,
    restoreOnFailure: true,
    executionArn: `x:${transferId}`,
  });
  // Offered long ago: past the reconciler's grace, and it is in IoT's outgoing list (still pending).
  return store.transition(transferId, {
    to: 'AWAITING_DECISION',
    from: ['REQUESTED'],
    message: 'offered',
    set: { taskToken: `token-${transferId}`, offeredAt: new Date(Date.now() - 600_000).toISOString() },
  });
}

/** What DELETE leaves behind when its invocation dies after recording the cancel and before delivering it. */
async function cancelRecordedAgo(transferId: string, ms: number, reason = 'decommissioned'): Promise<void> {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  await ddb.send(
    new UpdateCommand({
      TableName: process.env.TABLE_NAME,
      Key: { pk: `TRANSFER#${transferId}`, sk: 'TRANSFER' },
      UpdateExpression: 'SET cancelRequestedAt = :at, cancelReason = :reason',
      ExpressionAttributeValues: { ':at': new Date(Date.now() - ms).toISOString(), ':reason': reason },
    }),
  );
  ddb.destroy();
}

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('DELETE /transfers/{transferId}: a cancel that could not be delivered can be sent again', () => {
  it('Step Functions refusing SendTaskFailure: 503 CancelNotDelivered, the request is forgotten, and the next DELETE is a 202', async () => {
    const record = await awaiting();
    sfn.on(SendTaskFailureCommand).rejectsOnce(throttled()).resolves({});

    const lost = await del(record.transferId, { reason: 'wrong target' });
    expect(lost).toMatchObject({ status: 503, body: { error: 'CancelNotDelivered' } });
    const after = await store.requireTransfer(record.transferId);
    expect(after.cancelRequestedAt).toBeUndefined();

    const again = await del(record.transferId, { reason: 'wrong target' });
    expect(again).toMatchObject({ status: 202, body: { status: 'CANCELLING' } });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 2);
    expect((await store.requireTransfer(record.transferId)).cancelDeliveredAt).toEqual(expect.any(String));
  });

  it('a request that died before delivering (recorded long ago, never delivered): the next DELETE takes it over, 202', async () => {
    const record = await awaiting();
    await cancelRecordedAgo(record.transferId, CANCEL_IN_FLIGHT_MS + 5_000);

    const res = await del(record.transferId, { reason: 'second try' });

    expect(res).toMatchObject({ status: 202, body: { status: 'CANCELLING' } });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: record.taskToken, error: 'TransferCancelled', cause: 'second try' });
  });

  it('a cancel possibly still on its way, or delivered: 409 CANCELLING, nothing sent twice', async () => {
    const young = await awaiting();
    await cancelRecordedAgo(young.transferId, 1_000);
    const delivered = await awaiting();
    expect((await del(delivered.transferId)).status).toBe(202);
    sfn.resetHistory();

    expect(await del(young.transferId)).toMatchObject({ status: 409, body: { currentStatus: 'CANCELLING' } });
    expect(await del(delivered.transferId)).toMatchObject({ status: 409, body: { currentStatus: 'CANCELLING' } });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('sent again after the workflow moved on (token spent): 409 with the status', async () => {
    const record = await awaiting();
    await cancelRecordedAgo(record.transferId, CANCEL_IN_FLIGHT_MS + 5_000);
    sfn.on(SendTaskFailureCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    expect(await del(record.transferId)).toMatchObject({ status: 409, body: { error: 'TransferStateConflict', currentStatus: 'AWAITING_DECISION' } });
  });
});

describe('the reconciler watches transfers whose cancel is pending', () => {
  it('sends a lost cancel again, with its reason, once', async () => {
    const record = await awaiting();
    await cancelRecordedAgo(record.transferId, CANCEL_IN_FLIGHT_MS + 5_000, 'decommissioned');

    const first = await reconcile();
    const second = await reconcile();

    expect(first).toMatchObject({ cancelsResent: 1 });
    expect(second).toMatchObject({ cancelsResent: 0 });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: record.taskToken, error: 'TransferCancelled', cause: 'decommissioned' });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('leaves a cancel on its way alone, and keeps trying a lost one Step Functions refuses', async () => {
    const young = await awaiting();
    await cancelRecordedAgo(young.transferId, 1_000);
    const lost = await awaiting();
    await cancelRecordedAgo(lost.transferId, CANCEL_IN_FLIGHT_MS + 5_000);
    sfn.on(SendTaskFailureCommand).rejectsOnce(throttled()).resolves({});

    expect(await reconcile()).toMatchObject({ cancelsResent: 0 });
    // The failed send took the request over (now): it counts as lost again once that is old too.
    expect((await store.requireTransfer(lost.transferId)).cancelRequestedAt).toEqual(expect.any(String));
    await cancelRecordedAgo(lost.transferId, CANCEL_IN_FLIGHT_MS + 5_000);
    expect(await reconcile()).toMatchObject({ cancelsResent: 1 });
    expect(sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input.taskToken)).toEqual([lost.taskToken, lost.taskToken]);
  });
});

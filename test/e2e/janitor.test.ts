// Strand paths 3 and 9 on the local cloud: executions that end where the ASL cannot catch them
// (StopExecution of a transfer or a batch, an execution timeout), cancels that fail or get lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, DescribeStateMachineCommand, StopExecutionCommand, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { makeDeviceCertificate, startTestCloud, until, type DeviceCertificate, type TestCloud } from '../support/cloud.js';
import { expectCertificateAsMade } from '../support/expect-certificate.js';
import { rolesOfStack } from '../../local/iam/stack-roles.js';
import type { IotCallEvent } from '../../local/iot/model.js';
import type { Statement } from '../../local/iam/types.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';
const FINAL = ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED', 'RESTORE_FAILED'];

const iotCalls: IotCallEvent[] = [];
let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud({ iot: { keyAlgorithm: 'ec', onCall: (e) => iotCalls.push(e) } });
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

type Transfer = Record<string, unknown> & { transferId: string; status: string };

async function transferOf(transferId: string): Promise<Transfer> {
  return (await t.api().getTransfer(transferId)) as Transfer;
}

async function settled(transferId: string, timeoutMs = 60_000): Promise<Transfer> {
  return until(
    `transfer ${transferId} to be settled`,
    async () => {
      const r = await transferOf(transferId);
      return FINAL.includes(r.status) ? r : undefined;
    },
    timeoutMs,
    200,
  );
}

/** Offered to the notify-only account 333…: it waits there for a human. */
async function offeredTransfer(cert: DeviceCertificate): Promise<Transfer & { executionArn: string }> {
  const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
  const transferId = String(started.transferId);
  await until('the offer to wait in 333', async () => (await transferOf(transferId)).status === 'AWAITING_DECISION', 60_000, 100);
  return { ...(await transferOf(transferId)), executionArn: String(started.executionArn) };
}

async function expectRestored(cert: DeviceCertificate) {
  await expectCertificateAsMade(t.iot(SOURCE), cert);
  // The offer is gone from the target's inbox.
  await expect(t.iot(HUMAN).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
}

/** Runs `fn` while the given functions' roles also carry an explicit Deny of `actions`: a fault AWS can produce. */
async function withDenied<T>(functionKeys: string[], actions: string[], fn: () => Promise<T>): Promise<T> {
  const source = t.cloud.stacks[0];
  const roles = rolesOfStack(source.stack, { accountId: source.account, region: t.cloud.region, resources: source.resources });
  const originals = functionKeys.filter((key) => roles.functions[key]).map((key) => t.cloud.iam.role(roles.functions[key].arn)!);
  const deny: Statement = { Effect: 'Deny', Action: actions, Resource: '*' };
  for (const role of originals) t.cloud.iam.putRole({ ...role, policy: { ...role.policy, Statement: [...role.policy.Statement, deny] } });
  try {
    return await fn();
  } finally {
    for (const role of originals) t.cloud.iam.putRole(role);
  }
}

describe('the janitor: executions that end outside the ASL', () => {
  it("a transfer's execution stopped from outside while it awaits a decision: the offer is withdrawn, the certificate restored, the record settled, the lock released", async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 2 });
    const transfer = await offeredTransfer(cert);

    await t.sfn().send(new StopExecutionCommand({ executionArn: transfer.executionArn, cause: 'stopped in the console' }));

    const done = await settled(transfer.transferId);
    expect(done).toMatchObject({ status: 'CANCELLED', restore: { status: 'RESTORED', cancelledPendingTransfer: true, reactivated: true } });
    expect(String(done.reason)).toMatch(/^ExecutionAborted: The execution was stopped before the workflow could end the transfer/);
    await expectRestored(cert);
    // The lock is released: the same certificate can be transferred again, and this time it lands.
    const next = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: AUTO });
    expect((await settled(String(next.transferId))).status).toBe('ACCEPTED');
  }, 180_000);

  it("a stopped batch: each child execution is stopped with it, and every child's certificate is restored", async () => {
    const certs = await Promise.all(Array.from({ length: 3 }, () => makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 })));
    const batch = await t.api().startBatch({ certificateIds: certs.map((c) => c.certificateId), targetAccount: HUMAN, maxConcurrency: 3 });
    const batchId = String(batch.batchId);
    const transfers = await until(
      'every transfer of the batch to await its decision',
      async () => {
        const { items } = await t.api().listTransfers({ batchId });
        const list = items as Transfer[];
        return list.length === certs.length && list.every((i) => i.status === 'AWAITING_DECISION') ? list : undefined;
      },
      120_000,
      200,
    );

    await t.sfn().send(new StopExecutionCommand({ executionArn: String(batch.executionArn) }));

    // Step Functions stops the children started with .sync:2 (the slice, and each transfer under it) with their parent.
    for (const transfer of transfers) {
      await until(
        `${transfer.transferId}'s execution to be stopped`,
        async () => (await t.sfn().send(new DescribeExecutionCommand({ executionArn: String(transfer.executionArn) }))).status === 'ABORTED',
      );
    }
    for (const transfer of transfers) {
      const done = await settled(transfer.transferId);
      expect(done).toMatchObject({ status: 'CANCELLED', restore: { status: 'RESTORED' } });
    }
    for (const cert of certs) await expectRestored(cert);
    await until('the batch record to be closed', async () => (await t.api().getBatch(batchId)).status === 'FAILED');
  }, 240_000);
});

describe('cancel: failures that are not "no longer pending", and lost cancels', () => {
  it('a cancel failing with a non-transient error (AccessDenied) never restores a certificate still PENDING_TRANSFER', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const transfer = await offeredTransfer(cert);
    const from = iotCalls.length;

    const done = await withDenied(['cancelPendingTransfer', 'restore', 'janitor'], ['iot:CancelCertificateTransfer'], async () => {
      await t.api().cancelTransfer(transfer.transferId, 'wrong account');
      return settled(transfer.transferId, 90_000);
    });

    const mine = iotCalls.slice(from).filter((c) => c.account === SOURCE && JSON.stringify(c.input).includes(cert.certificateId.slice(0, 40)));
    expect(mine.filter((c) => c.operation === 'CancelCertificateTransfer' && c.outcome === 'ok')).toEqual([]);
    expect(mine.filter((c) => ['AttachPolicy', 'AttachThingPrincipal', 'UpdateCertificate'].includes(c.operation)).map((c) => c.operation)).toEqual([]);
    const d = await t.iot(SOURCE).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(d.certificateDescription?.status).toBe('PENDING_TRANSFER');
    // Reported, not papered over: the restore could not run, the lock is kept, repair can finish it.
    expect(done).toMatchObject({ status: 'RESTORE_FAILED', restore: { status: 'FAILED', notRestored: [expect.objectContaining({ kind: 'transfer', result: 'FAILED' })] } });
  }, 180_000);

  it('a cancel Step Functions could not take (SendTaskFailure refused) answers 503 and can be sent again: 202, and the transfer ends CANCELLED, restored', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const transfer = await offeredTransfer(cert);

    const lost = await withDenied(['apiCancelTransfer'], ['states:SendTaskFailure'], () => t.api().request('DELETE', `/transfers/${transfer.transferId}`, { reason: 'wrong account' }));
    expect(lost).toMatchObject({ status: 503, body: { error: 'CancelNotDelivered' } });
    expect((await transferOf(transfer.transferId)).status).toBe('AWAITING_DECISION');

    const again = await t.api().request('DELETE', `/transfers/${transfer.transferId}`, { reason: 'wrong account' });
    expect(again).toMatchObject({ status: 202, body: { status: 'CANCELLING' } });
    expect(await settled(transfer.transferId)).toMatchObject({ status: 'CANCELLED', restore: { status: 'RESTORED' } });
    await expectRestored(cert);
  }, 180_000);

  it('a cancel whose request died before handing it over: the reconciler sends it again', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const transfer = await offeredTransfer(cert);
    // What DELETE leaves when its invocation dies between recording the cancel and delivering it.
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: t.cloud.awsUrl, region: t.cloud.region, credentials: { accessKeyId: SOURCE, secretAccessKey: 'x' } }));
    await ddb.send(
      new UpdateCommand({
        TableName: t.cloud.stacks[0].resources.TransferTable.ref,
        Key: { pk: `TRANSFER#${transfer.transferId}`, sk: 'TRANSFER' },
        UpdateExpression: 'SET cancelRequestedAt = :at, cancelReason = :reason',
        ExpressionAttributeValues: { ':at': new Date(Date.now() - 120_000).toISOString(), ':reason': 'decommissioned' },
      }),
    );
    ddb.destroy();

    const done = await settled(transfer.transferId, 90_000);

    expect(done).toMatchObject({ status: 'CANCELLED', reason: expect.stringContaining('decommissioned'), restore: { status: 'RESTORED' } });
    await expectRestored(cert);
  }, 180_000);
});

describe('the janitor: an execution that times out', () => {
  it('TIMED_OUT while awaiting a decision: the certificate is restored and the record settled FAILED', async () => {
    // The product's machine has no execution timeout short enough to wait for: give it one for this test.
    const sfn = t.sfn();
    const arn = t.cloud.transferStateMachineArn;
    const original = (await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).definition!;
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify({ ...JSON.parse(original), TimeoutSeconds: 30 }) }));
    try {
      const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
      // Usually offered well before the timeout; on a slow machine it may end mid-step, and the
      // janitor then waits out the step before restoring: either way the certificate comes back.
      const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });

      const done = await settled(String(started.transferId), 200_000);

      expect(done).toMatchObject({ status: 'FAILED', restore: { status: 'RESTORED' } });
      expect(String(done.reason)).toMatch(/^ExecutionTimedOut: The execution timed out/);
      await expectRestored(cert);
    } finally {
      await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: original }));
    }
  }, 240_000);
});

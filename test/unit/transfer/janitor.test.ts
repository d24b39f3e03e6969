// The janitor (strand path 3): what it does for each way an execution can end outside the ASL,
// for one transfer and for a batch, and that it never undoes what the workflow settled itself.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { AttachPolicyCommand, AttachThingPrincipalCommand, CancelCertificateTransferCommand, DescribeCertificateCommand, IoTClient, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { setSourceEnv, SOURCE, SOURCE_BUS, STATE_MACHINE_ARN, HUMAN_TARGET } from '../../support/env.js';
import { useTransferTable } from '../../support/dynamo.js';
import { iotError } from '../../support/iot-errors.js';
import { certArn, certId } from '../../support/certs.js';
import type { Snapshot, TransferRecord } from '../../../src/types.js';
import type { ExecutionEnd } from '../../../src/transfer/janitor.js';

const BATCH_STATE_MACHINE_ARN = `${STATE_MACHINE_ARN}-batch`;
setSourceEnv({ BATCH_STATE_MACHINE_ARN });
const iot = mockClient(IoTClient);
const sfn = mockClient(SFNClient);
const eb = mockClient(EventBridgeClient);

const { onExecutionEnded, cleanUpTransfer, STEP_IN_FLIGHT_MS } = await import('../../../src/transfer/janitor.js');
const store = await import('../../../src/store.js');
const batches = await import('../../../src/batch/store.js');

useTransferTable();
beforeEach(() => {
  iot.reset();
  sfn.reset();
  eb.reset();
  eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: crypto.randomUUID() })) }));
  // By default the execution was waiting (no step in flight) when it ended.
  sfn.on(GetExecutionHistoryCommand).resolves({
    events: [
      { type: 'ExecutionAborted', id: 9, timestamp: new Date() },
      { type: 'TaskSubmitted', id: 8, timestamp: new Date() },
    ],
  });
  iot.on(AttachPolicyCommand).resolves({});
  iot.on(AttachThingPrincipalCommand).resolves({});
  iot.on(UpdateCertificateCommand).resolves({});
});

const executionArnOf = (transferId: string) => `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${transferId}`;
const noSleep = { remainingMs: () => 300_000 };

type Stage = 'REQUESTED' | 'PREPARING' | 'AWAITING_DECISION';

/** A transfer as the workflow leaves it at `stage`: snapshot stored, certificate offered when awaiting. */
async function transferAt(stage: Stage, extra: { batchId?: string; certificateId?: string } = {}): Promise<TransferRecord & { snapshot?: Snapshot }> {
  const certificateId = extra.certificateId ?? certId();
  // A batch's transfers are named after the batch and the certificate.
  const transferId = extra.batchId ? batches.batchTransferId(extra.batchId, certificateId) : crypto.randomUUID();
  const record = await store.createTransfer({
    transferId,
    certificateId,
    certificateArn: certArn(certificateId),
    sourceAccount: SOURCE,
    targetAccount: HUMAN_TARGET,
    timeoutSeconds: 3600,
    restoreOnFailure: true,
    executionArn: executionArnOf(transferId),
    ...extra,
  });
  if (stage === 'REQUESTED') return record;
  const snapshot: Snapshot = {
    certificateArn: record.certificateArn,
    status: 'ACTIVE',
    policies: ['P1', 'P2'],
    things: [{ thingName: 'thing-a', thingPrincipalType: 'EXCLUSIVE_THING' }],
    takenAt: new Date().toISOString(),
  };
  await store.saveSnapshot(transferId, snapshot);
  await store.transition(transferId, { to: 'PREPARING', from: ['REQUESTED'], message: 'test' });
  if (stage === 'AWAITING_DECISION') {
    await store.annotate(transferId, { transferredAt: new Date().toISOString() });
    await store.transition(transferId, { to: 'AWAITING_DECISION', from: ['PREPARING'], message: 'test', set: { taskToken: 'token', offeredAt: new Date().toISOString() } });
  }
  return { ...(await store.requireTransfer(transferId)), snapshot };
}

function ended(record: Pick<TransferRecord, 'transferId' | 'executionArn'>, status: ExecutionEnd['status'], more: Partial<ExecutionEnd> = {}): ExecutionEnd {
  return { executionArn: record.executionArn, stateMachineArn: STATE_MACHINE_ARN, name: record.transferId, status, stopDate: Date.now(), error: null, cause: null, ...more };
}

function certificateIs(record: TransferRecord, status: 'PENDING_TRANSFER' | 'INACTIVE' | 'ACTIVE', transferData?: object) {
  iot
    .on(DescribeCertificateCommand, { certificateId: record.certificateId })
    .resolves({ certificateDescription: { certificateId: record.certificateId, certificateArn: record.certificateArn, status, transferData } });
}

/** After a cancel IoT shows the certificate back in this account, INACTIVE. */
function pendingUntilCancelled(record: TransferRecord) {
  let cancelled = false;
  iot.on(CancelCertificateTransferCommand).callsFake(() => {
    cancelled = true;
    return {};
  });
  iot
    .on(DescribeCertificateCommand, { certificateId: record.certificateId })
    .callsFake(() => ({ certificateDescription: { certificateId: record.certificateId, certificateArn: record.certificateArn, status: cancelled ? 'INACTIVE' : 'PENDING_TRANSFER' } }));
}

async function lockHolder(certificateId: string): Promise<string | undefined> {
  // A new transfer of the certificate is refused exactly while the lock is held.
  try {
    const probe = await store.createTransfer({
      transferId: crypto.randomUUID(),
      certificateId,
      certificateArn: certArn(certificateId),
      sourceAccount: SOURCE,
      targetAccount: HUMAN_TARGET,
      timeoutSeconds: 60,
      restoreOnFailure: true,
      executionArn: 'arn:probe',
    });
    await store.settle(probe, 'CANCELLED', { message: 'probe' });
    return undefined;
  } catch (err) {
    return (err as { openTransferId?: string }).openTransferId;
  }
}

const completedEvents = () =>
  eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .filter((e) => e.DetailType === 'Certificate Transfer Completed' && e.EventBusName === SOURCE_BUS)
    .map((e) => JSON.parse(e.Detail!) as Record<string, unknown>);

describe('a transfer execution that ended outside the ASL', () => {
  it('ABORTED while awaiting a decision: withdraws the offer, restores policies, things and status, settles CANCELLED, releases the lock', async () => {
    const record = await transferAt('AWAITING_DECISION');
    pendingUntilCancelled(record);

    const report = await onExecutionEnded(ended(record, 'ABORTED'), { claimId: 'event-1', ...noSleep });

    expect(report).toMatchObject({ kind: 'transfer', cleanup: { result: 'SETTLED', status: 'CANCELLED', restore: 'RESTORED' } });
    expect(iot).toHaveReceivedCommandTimes(CancelCertificateTransferCommand, 1);
    expect(iot).toHaveReceivedCommandWith(AttachPolicyCommand, { policyName: 'P1', target: record.certificateArn });
    expect(iot).toHaveReceivedCommandWith(AttachPolicyCommand, { policyName: 'P2', target: record.certificateArn });
    expect(iot).toHaveReceivedCommandWith(AttachThingPrincipalCommand, { thingName: 'thing-a', principal: record.certificateArn, thingPrincipalType: 'EXCLUSIVE_THING' });
    expect(iot).toHaveReceivedCommandWith(UpdateCertificateCommand, { certificateId: record.certificateId, newStatus: 'ACTIVE' });
    const settled = await store.requireTransfer(record.transferId);
    expect(settled).toMatchObject({ status: 'CANCELLED', restore: { status: 'RESTORED', cancelledPendingTransfer: true } });
    expect(settled.reason).toMatch(/ExecutionAborted: The execution was stopped/);
    expect(settled.taskToken).toBeUndefined();
    expect(await lockHolder(record.certificateId)).toBeUndefined();
    expect(completedEvents()).toEqual([expect.objectContaining({ transferId: record.transferId, outcome: 'CANCELLED' })]);
  });

  it('TIMED_OUT: the same clean-up, settled FAILED with the timeout as the reason', async () => {
    const record = await transferAt('AWAITING_DECISION');
    pendingUntilCancelled(record);

    const report = await onExecutionEnded(ended(record, 'TIMED_OUT'), { claimId: 'event-2', ...noSleep });

    expect(report).toMatchObject({ cleanup: { result: 'SETTLED', status: 'FAILED', restore: 'RESTORED' } });
    expect((await store.requireTransfer(record.transferId)).reason).toMatch(/ExecutionTimedOut: The execution timed out/);
    expect(await lockHolder(record.certificateId)).toBeUndefined();
  });

  it('FAILED after the workflow ran its own Restore and Record Outcome: nothing to do, nothing touched', async () => {
    const record = await transferAt('AWAITING_DECISION');
    await store.settle(record, 'REJECTED', { message: 'Rejected', restore: { status: 'RESTORED' } });

    const report = await onExecutionEnded(ended(record, 'FAILED', { error: 'TransferRejected', cause: 'restored' }), { claimId: 'event-3', ...noSleep });

    expect(report).toMatchObject({ cleanup: { result: 'ALREADY_SETTLED', status: 'REJECTED' } });
    expect(iot.calls()).toHaveLength(0);
    expect(eb.calls()).toHaveLength(0);
  });

  it('FAILED with the record still open (States.DataLimitExceeded): restored and settled FAILED with the error', async () => {
    const record = await transferAt('AWAITING_DECISION');
    pendingUntilCancelled(record);

    await onExecutionEnded(ended(record, 'FAILED', { error: 'States.DataLimitExceeded', cause: 'The state/task returned a result with a size exceeding the maximum' }), {
      claimId: 'event-4',
      ...noSleep,
    });

    expect(await store.requireTransfer(record.transferId)).toMatchObject({ status: 'FAILED', reason: expect.stringMatching(/^States\.DataLimitExceeded: .*size exceeding/) });
  });

  it('TransferAlreadyCompletedException and the certificate gone: the target accepted, recorded ACCEPTED, nothing restored', async () => {
    const record = await transferAt('AWAITING_DECISION');
    iot
      .on(DescribeCertificateCommand, { certificateId: record.certificateId })
      .resolvesOnce({ certificateDescription: { certificateId: record.certificateId, certificateArn: record.certificateArn, status: 'PENDING_TRANSFER' } })
      .rejects(iotError('ResourceNotFoundException'));
    iot.on(CancelCertificateTransferCommand).rejects(iotError('TransferAlreadyCompletedException'));

    const report = await onExecutionEnded(ended(record, 'ABORTED'), { claimId: 'event-5', ...noSleep });

    expect(report).toMatchObject({ cleanup: { result: 'SETTLED', status: 'ACCEPTED', restore: 'ALREADY_ACCEPTED' } });
    expect(iot).not.toHaveReceivedCommand(AttachPolicyCommand);
    expect(iot).not.toHaveReceivedCommand(UpdateCertificateCommand);
  });

  it('rejected by hand before the stop (back, with a reject date): recorded REJECTED and restored', async () => {
    const record = await transferAt('AWAITING_DECISION');
    certificateIs(record, 'INACTIVE', { transferDate: new Date(Date.now() - 60_000), rejectDate: new Date(), rejectReason: 'not ours' });

    const report = await onExecutionEnded(ended(record, 'ABORTED'), { claimId: 'event-6', ...noSleep });

    expect(report).toMatchObject({ cleanup: { result: 'SETTLED', status: 'REJECTED', restore: 'RESTORED' } });
    expect(iot).not.toHaveReceivedCommand(CancelCertificateTransferCommand);
    expect((await store.requireTransfer(record.transferId)).reason).toBe('not ours');
  });

  it('stopped before Preflight (REQUESTED, no snapshot): nothing in IoT to undo, CANCELLED, lock released', async () => {
    const record = await transferAt('REQUESTED');
    certificateIs(record, 'ACTIVE');

    const report = await onExecutionEnded(ended(record, 'ABORTED'), { claimId: 'event-7', ...noSleep });

    expect(report).toMatchObject({ cleanup: { result: 'SETTLED', status: 'CANCELLED', restore: 'NOT_NEEDED' } });
    expect(iot).not.toHaveReceivedCommand(AttachPolicyCommand);
    expect(await lockHolder(record.certificateId)).toBeUndefined();
  });

  it('a restore IoT refuses: RESTORE_FAILED, and the certificate keeps its lock', async () => {
    const record = await transferAt('PREPARING');
    certificateIs(record, 'INACTIVE');
    iot.on(AttachPolicyCommand, { policyName: 'P2' }).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    const report = await onExecutionEnded(ended(record, 'ABORTED'), { claimId: 'event-8', ...noSleep });

    expect(report).toMatchObject({ cleanup: { result: 'SETTLED', status: 'RESTORE_FAILED', restore: 'FAILED' } });
    expect(await lockHolder(record.certificateId)).toBe(record.transferId);
  });

  it('a step still running when the execution was stopped: waits out its timeout before restoring', async () => {
    const record = await transferAt('PREPARING');
    certificateIs(record, 'INACTIVE');
    const stopDate = Date.now();
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { type: 'ExecutionAborted', id: 7, timestamp: new Date(stopDate) },
        { type: 'LambdaFunctionStarted', id: 6, timestamp: new Date(stopDate - 100) },
      ],
    });
    const order: string[] = [];
    iot.on(AttachPolicyCommand).callsFake(() => {
      order.push('attach');
      return {};
    });
    const sleep = async (ms: number) => {
      order.push(`sleep ${Math.round(ms / 1000)}`);
    };

    await cleanUpTransfer(record.transferId, ended(record, 'ABORTED', { stopDate }), { claimId: 'event-9', remainingMs: () => 300_000, sleep });

    expect(order[0]).toBe(`sleep ${STEP_IN_FLIGHT_MS / 1000}`);
    expect(order.slice(1)).toEqual(['attach', 'attach']);
  });

  it("the offer's callback task still running (Notify Target And Wait): no wait, it never touches the certificate", async () => {
    const record = await transferAt('AWAITING_DECISION');
    pendingUntilCancelled(record);
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { type: 'ExecutionAborted', id: 7, timestamp: new Date() },
        { type: 'TaskStarted', id: 6, timestamp: new Date(), taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } },
      ],
    });
    const waits: number[] = [];

    const result = await cleanUpTransfer(record.transferId, ended(record, 'ABORTED'), { claimId: 'event-10', remainingMs: () => 300_000, sleep: async (ms) => void waits.push(ms) });

    expect(result).toMatchObject({ result: 'SETTLED', status: 'CANCELLED' });
    expect(waits).toEqual([]);
  });

  it('two deliveries of the same end at once: one cleans up, the other finds it busy or done; the offer is withdrawn once', async () => {
    const record = await transferAt('AWAITING_DECISION');
    pendingUntilCancelled(record);

    const results = await Promise.all([
      cleanUpTransfer(record.transferId, ended(record, 'ABORTED'), { claimId: 'event-a', ...noSleep }),
      cleanUpTransfer(record.transferId, ended(record, 'ABORTED'), { claimId: 'event-b', ...noSleep }),
    ]);

    const [winner, other] = [...results].sort((a) => (a.result === 'SETTLED' ? -1 : 1));
    expect(winner.result).toBe('SETTLED');
    expect(other.result).toMatch(/^(BUSY|ALREADY_SETTLED)$/);
    expect(iot).toHaveReceivedCommandTimes(CancelCertificateTransferCommand, 1);
    expect(completedEvents()).toHaveLength(1);
  });

  it('an execution of another machine, or one the record does not name, is left alone', async () => {
    const record = await transferAt('AWAITING_DECISION');
    await expect(onExecutionEnded({ ...ended(record, 'ABORTED'), stateMachineArn: `${STATE_MACHINE_ARN}-other` }, { claimId: 'x', ...noSleep })).resolves.toMatchObject({ kind: 'ignored' });
    await expect(onExecutionEnded({ ...ended(record, 'ABORTED'), executionArn: `${record.executionArn}-old` }, { claimId: 'y', ...noSleep })).resolves.toMatchObject({
      cleanup: { result: 'OTHER_EXECUTION' },
    });
    expect(iot.calls()).toHaveLength(0);
  });
});

describe('a batch execution that ended outside the ASL', () => {
  it('sweeps its open transfers: ended ones and never-started ones are cleaned up, running ones left to their own end; the batch is closed FAILED', async () => {
    const batchId = crypto.randomUUID();
    const at = new Date().toISOString();
    const batchExecutionArn = `${BATCH_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${batchId}`;
    await batches.createBatch({
      batchId,
      status: 'RUNNING',
      sourceAccount: SOURCE,
      targetAccount: HUMAN_TARGET,
      timeoutSeconds: 3600,
      restoreOnFailure: true,
      maxConcurrency: 5,
      total: 4,
      executionArn: batchExecutionArn,
      createdAt: at,
      updatedAt: at,
    });
    const stopped = await transferAt('AWAITING_DECISION', { batchId });
    const neverStarted = await transferAt('REQUESTED', { batchId });
    const running = await transferAt('AWAITING_DECISION', { batchId });
    const done = await transferAt('AWAITING_DECISION', { batchId });
    await store.settle(done, 'ACCEPTED', { message: 'Accepted' });
    pendingUntilCancelled(stopped);
    certificateIs(neverStarted, 'ACTIVE');
    sfn
      .on(DescribeExecutionCommand, { executionArn: stopped.executionArn })
      .resolves({ executionArn: stopped.executionArn, stateMachineArn: STATE_MACHINE_ARN, name: stopped.transferId, status: 'ABORTED', startDate: new Date(), stopDate: new Date() });
    sfn
      .on(DescribeExecutionCommand, { executionArn: running.executionArn })
      .resolves({ executionArn: running.executionArn, stateMachineArn: STATE_MACHINE_ARN, name: running.transferId, status: 'RUNNING', startDate: new Date() });
    sfn.on(DescribeExecutionCommand, { executionArn: neverStarted.executionArn }).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));

    const report = await onExecutionEnded(
      { executionArn: batchExecutionArn, stateMachineArn: BATCH_STATE_MACHINE_ARN, name: batchId, status: 'ABORTED', stopDate: Date.now() },
      { claimId: 'batch-event', ...noSleep },
    );

    expect(report).toMatchObject({ kind: 'batch', batchId, batchClosed: true, deferred: 0 });
    const byId = Object.fromEntries((report as { cleanups: { transferId: string; result: string }[] }).cleanups.map((c) => [c.transferId, c.result]));
    expect(byId).toEqual({ [stopped.transferId]: 'SETTLED', [neverStarted.transferId]: 'SETTLED', [running.transferId]: 'RUNNING' });
    expect((await store.requireTransfer(stopped.transferId)).status).toBe('CANCELLED');
    expect((await store.requireTransfer(neverStarted.transferId)).status).toBe('CANCELLED');
    expect((await store.requireTransfer(running.transferId)).status).toBe('AWAITING_DECISION');
    expect(await batches.getBatch(batchId)).toMatchObject({
      status: 'FAILED',
      error: expect.stringMatching(/^ExecutionAborted: The execution was stopped before the workflow could finish the batch/),
    });
  });

  it("a slice (a child execution of the batch machine) that ended: only its own certificates' transfers are swept, the batch is left to close itself", async () => {
    const batchId = crypto.randomUUID();
    const inSlice = await transferAt('REQUESTED', { batchId });
    const otherSlice = await transferAt('REQUESTED', { batchId });
    certificateIs(inSlice, 'ACTIVE');
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    const sliceArn = `${BATCH_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${batchId}-slice-0`;

    const report = await onExecutionEnded(
      {
        executionArn: sliceArn,
        stateMachineArn: BATCH_STATE_MACHINE_ARN,
        name: `${batchId}-slice-0`,
        status: 'FAILED',
        error: 'States.Runtime',
        cause: 'boom',
        input: JSON.stringify({ batchId, slice: 0, certificateIds: [inSlice.certificateId], maxConcurrency: 5, request: {} }),
      },
      { claimId: 'slice-event', ...noSleep },
    );

    expect(report).toMatchObject({ kind: 'batch', batchId, slice: 0, batchClosed: false, cleanups: [{ transferId: inSlice.transferId, result: 'SETTLED', status: 'FAILED' }] });
    expect((await store.requireTransfer(otherSlice.transferId)).status).toBe('REQUESTED');
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AcceptCertificateTransferCommand, DescribeCertificateCommand, ListAttachedPoliciesCommand, ListPrincipalThingsV2Command } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { makeDeviceCertificate, SHORT_EXPIRY_PARAMS, SHORT_TIMEOUT_SECONDS, startTestCloud, until, type DeviceCertificate, type TestCloud } from '../support/cloud.js';
import type { IotCallEvent } from '../../local/iot/model.js';

/*
 * One named case per path of statemachines/certificate-transfer.asl.yml, run
 * by the real ASL on the local Step Functions (aws-local-stepfunctions), with
 * the real step functions against the IoT emulator. Each case asserts the
 * states the execution went through and the IoT calls it made.
 */
const SOURCE = '111111111111';
const AUTO_ACCEPT = '222222222222';
const AUTO_REJECT = '333333333333';
const HUMAN = '555555555555';

let t: TestCloud;
const calls: IotCallEvent[] = [];
/** Function (by step key) that fails right after doing its work, as a crash-free "it threw" would. */
let failAfter: string | undefined;

beforeAll(async () => {
  t = await startTestCloud({
    // The reconciler must not race the cancel-after-accept case: it fires only when asked.
    scheduleIntervalMs: 3_600_000,
    // The expire case waits SHORT_TIMEOUT_SECONDS, below the stack's floor of 60: lowered on purpose.
    sourceParams: SHORT_EXPIRY_PARAMS,
    targets: [
      { account: AUTO_ACCEPT, params: { acceptancePolicy: 'auto-accept', setAsActive: 'true', allowedSourceAccounts: SOURCE } },
      { account: AUTO_REJECT, params: { acceptancePolicy: 'auto-reject', rejectReason: 'not expected', allowedSourceAccounts: SOURCE } },
      { account: HUMAN, params: { acceptancePolicy: 'notify-only', allowedSourceAccounts: SOURCE } },
    ],
    iot: { keyAlgorithm: 'ec', onCall: (e) => calls.push(e) },
    intercept: async (fn, _event, run) => {
      const result = await run();
      if (failAfter && fn.name.endsWith(`-${failAfter}`)) {
        throw Object.assign(new Error(`injected failure after ${failAfter}`), { name: 'CertificateStateError' });
      }
      return result;
    },
  });
}, 180_000);
afterAll(async () => {
  await t?.stop();
});
beforeEach(() => {
  failAfter = undefined;
});

const startedAt = new Map<string, number>();

async function run(targetAccount: string, cert: DeviceCertificate, extra: { timeoutSeconds?: number } = {}) {
  if (!startedAt.has(cert.certificateId)) startedAt.set(cert.certificateId, calls.length);
  const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount, ...extra });
  return { transferId: String(started.transferId), executionArn: String(started.executionArn) };
}

async function finished(executionArn: string) {
  const sfn = t.sfn();
  const exec = await until(
    'the execution to end',
    async () => {
      const e = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return e.status === 'RUNNING' ? undefined : e;
    },
    40_000,
  );
  const history: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 200 }));
    history.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const states = history.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
  return { exec, states };
}

/** IoT calls on this certificate since its transfer started (set-up calls excluded). */
const callsFor = (cert: DeviceCertificate, account = SOURCE) =>
  calls
    .slice(startedAt.get(cert.certificateId) ?? 0)
    .filter((c) => c.account === account && c.outcome === 'ok' && JSON.stringify(c.input).includes(cert.certificateId))
    .map((c) => c.operation);

async function expectRestored(cert: DeviceCertificate) {
  const iot = t.iot(SOURCE);
  expect((await iot.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).certificateDescription?.status).toBe('ACTIVE');
  expect((await iot.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }))).policies?.map((p) => p.policyName).sort()).toEqual(cert.policies);
  const things = (await iot.send(new ListPrincipalThingsV2Command({ principal: cert.certificateArn }))).principalThingObjects ?? [];
  expect(things.map((p) => [p.thingName, p.thingPrincipalType])).toEqual(cert.things.map((n, i) => [n, i === 0 ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING']));
}

const PREPARE = ['Preflight Certificate', 'Deactivate Certificate', 'Detach Policies', 'More Policies?', 'Detach Things', 'More Things?', 'Transfer Certificate', 'Notify Target And Wait'];

describe('certificate-transfer state machine paths', () => {
  it('accept: offer, accept event, Record Acceptance, SUCCEEDED', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 1, exclusive: true });
    const { executionArn } = await run(AUTO_ACCEPT, cert);
    const { exec, states } = await finished(executionArn);

    expect(exec.status).toBe('SUCCEEDED');
    expect(states).toEqual([...PREPARE, 'Accepted?', 'Record Acceptance', 'Transfer Accepted']);
    // Exactly the calls the job needs in the source account, no more.
    expect(callsFor(cert).sort()).toEqual(
      ['DescribeCertificate', 'ListAttachedPolicies', 'ListPrincipalThingsV2', 'UpdateCertificate', 'DetachPolicy', 'DetachPolicy', 'DetachThingPrincipal', 'TransferCertificate'].sort(),
    );
    expect(callsFor(cert, AUTO_ACCEPT)).toContain('AcceptCertificateTransfer');
  });

  it('reject: the target rejects by event, the certificate is restored, FAILED TransferRejected', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 2, exclusive: false });
    const { executionArn, transferId } = await run(AUTO_REJECT, cert);
    const { exec, states } = await finished(executionArn);

    expect(exec).toMatchObject({ status: 'FAILED', error: 'TransferRejected' });
    expect(states).toEqual([...PREPARE, 'Accepted?', 'Mark Rejected', 'Restore Certificate', 'Record Outcome', 'Which Outcome?', 'Transfer Rejected']);
    expect(callsFor(cert)).toEqual(expect.arrayContaining(['AttachPolicy', 'AttachThingPrincipal', 'UpdateCertificate']));
    expect(await t.api().getTransfer(transferId)).toMatchObject({ status: 'REJECTED', reason: 'not expected', decision: { via: 'event' } });
    const iot = t.iot(SOURCE);
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).certificateDescription?.status).toBe('ACTIVE');
  });

  it('expire: the timeout fires, the offer is cancelled and the certificate restored, FAILED TransferExpired', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1, exclusive: true });
    const { executionArn } = await run(HUMAN, cert, { timeoutSeconds: SHORT_TIMEOUT_SECONDS });
    const { exec, states } = await finished(executionArn);

    expect(exec).toMatchObject({ status: 'FAILED', error: 'TransferExpired' });
    expect(states).toEqual([...PREPARE, 'Mark Expired', 'Cancel Pending Transfer', 'Accepted Meanwhile?', 'Restore Certificate', 'Record Outcome', 'Which Outcome?', 'Transfer Expired']);
    expect(callsFor(cert)).toContain('CancelCertificateTransfer');
    await expectRestored(cert);
  }, 60_000);

  it('cancel: an operator cancel withdraws the offer and restores, FAILED TransferCancelled', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1, exclusive: true });
    const { executionArn, transferId } = await run(HUMAN, cert);
    await until('awaiting a decision', async () => (await t.api().getTransfer(transferId)).status === 'AWAITING_DECISION');
    await t.api().cancelTransfer(transferId, 'changed our mind');
    const { exec, states } = await finished(executionArn);

    expect(exec).toMatchObject({ status: 'FAILED', error: 'TransferCancelled' });
    expect(states).toEqual([...PREPARE, 'Mark Cancelled', 'Cancel Pending Transfer', 'Accepted Meanwhile?', 'Restore Certificate', 'Record Outcome', 'Which Outcome?', 'Transfer Cancelled']);
    await expectRestored(cert);
    expect(await t.api().getTransfer(transferId)).toMatchObject({ status: 'CANCELLED', reason: expect.stringContaining('changed our mind') });
  });

  it('cancel after accept: the cancel meets TransferAlreadyCompletedException and the transfer is recorded ACCEPTED', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1, exclusive: true });
    const { executionArn, transferId } = await run(HUMAN, cert);
    await until('awaiting a decision', async () => (await t.api().getTransfer(transferId)).status === 'AWAITING_DECISION');
    await t.iot(HUMAN).send(new AcceptCertificateTransferCommand({ certificateId: cert.certificateId, setAsActive: true }));
    await t.api().cancelTransfer(transferId);
    const { exec, states } = await finished(executionArn);

    expect(exec.status).toBe('SUCCEEDED');
    expect(states).toEqual([...PREPARE, 'Mark Cancelled', 'Cancel Pending Transfer', 'Accepted Meanwhile?', 'Record Acceptance', 'Transfer Accepted']);
    expect(await t.api().getTransfer(transferId)).toMatchObject({ status: 'ACCEPTED' });
    expect((await t.iot(HUMAN).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).certificateDescription?.status).toBe('ACTIVE');
  });

  // A failure after the offer went out: the target must not have decided, so offer to a human.
  const steps: [string, string, string[], string?][] = [
    ['preflight', 'Preflight Certificate', []],
    ['deactivate', 'Deactivate Certificate', ['UpdateCertificate']],
    ['detachPolicies', 'Detach Policies', ['AttachPolicy']],
    ['detachThings', 'Detach Things', ['AttachPolicy', 'AttachThingPrincipal']],
    ['transfer', 'Transfer Certificate', ['CancelCertificateTransfer', 'AttachPolicy', 'AttachThingPrincipal']],
    ['notifyTarget', 'Notify Target And Wait', ['CancelCertificateTransfer', 'AttachPolicy', 'AttachThingPrincipal'], HUMAN],
  ];
  it.each(steps)('rollback after %s: restored as it was, FAILED TransferFailed', async (key, state, restoreCalls, target = AUTO_ACCEPT) => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1, exclusive: true });
    failAfter = key;
    const { executionArn, transferId } = await run(target, cert);
    const { exec, states } = await finished(executionArn);

    expect(exec).toMatchObject({ status: 'FAILED', error: 'TransferFailed' });
    const upTo = PREPARE.slice(0, PREPARE.indexOf(state) + 1);
    expect(states).toEqual([...upTo, 'Mark Failed', 'Restore Certificate', 'Record Outcome', 'Which Outcome?', 'Transfer Failed']);
    expect(callsFor(cert)).toEqual(expect.arrayContaining(restoreCalls));
    await expectRestored(cert);
    const record = await t.api().getTransfer(transferId);
    expect(record).toMatchObject({ status: 'FAILED', reason: expect.stringContaining(`injected failure after ${key}`) });
    // The certificate is free for a new transfer once rolled back.
    failAfter = undefined;
    const again = await run(AUTO_ACCEPT, cert);
    expect((await finished(again.executionArn)).exec.status).toBe('SUCCEEDED');
  });
});

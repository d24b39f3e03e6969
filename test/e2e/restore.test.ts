// Issue 12, strand paths 1 and 2 on the local cloud: a restore that meets a deleted policy brings
// back everything else; one IoT keeps refusing ends RESTORE_FAILED (lock kept, event, metric) and
// POST /transfers/{id}/restore (or cert-transfer repair) makes the certificate whole again.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteThingCommand, DeletePolicyCommand, DescribeCertificateCommand, ListAttachedPoliciesCommand, ListPrincipalThingsV2Command } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { makeDeviceCertificate, startTestCloud, until, type DeviceCertificate, type TestCloud } from '../support/cloud.js';
import { eventErrors } from '../support/events.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadOpenApi, responseErrors } from '../support/openapi.js';

const SOURCE = '111111111111';
/** Notify-only: the offer waits for a human, so a test can break things meanwhile. */
const HUMAN = '333333333333';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The Restore function's timeout here (60 s as deployed): each attempt rides out faults for about 2 s. */
const RESTORE_TIMEOUT_SECONDS = 4;

let t: TestCloud;
const logs: { fn: string; line: string }[] = [];

beforeAll(async () => {
  t = await startTestCloud({
    functionTimeouts: { restore: RESTORE_TIMEOUT_SECONDS, apiRepairTransfer: 8 },
    onLog: (arn, line) => logs.push({ fn: arn.split(':').pop()!, line }),
  });
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

type Json = Record<string, unknown>;

/** Errors of a restore result against docs/openapi.yaml's RestoreOutcome (the whole record is api.test.ts's to check). */
function restoreErrors(restore: unknown): string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: 'openapi', components: loadOpenApi().components } as object);
  const validate = ajv.getSchema('openapi#/components/schemas/RestoreOutcome')!;
  return validate(restore) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

async function offered(cert: DeviceCertificate) {
  const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
  const transferId = String(started.transferId);
  await until(`transfer ${transferId} to await a decision`, async () => (await t.api().getTransfer(transferId)).status === 'AWAITING_DECISION', 60_000);
  return { transferId, executionArn: String(started.executionArn) };
}

async function ended(transferId: string, timeoutMs = 60_000): Promise<Json> {
  return until(
    `transfer ${transferId} to end`,
    async () => {
      const r = await t.api().getTransfer(transferId);
      return ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED', 'RESTORE_FAILED'].includes(String(r.status)) ? r : undefined;
    },
    timeoutMs,
  );
}

async function execution(executionArn: string) {
  const exec = await until(
    'the execution to end',
    async () => {
      const e = await t.sfn().send(new DescribeExecutionCommand({ executionArn }));
      return e.status === 'RUNNING' ? undefined : e;
    },
    30_000,
  );
  const history = await t.sfn().send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return { exec, events: history.events!, states: history.events!.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!) };
}

async function iotView(cert: DeviceCertificate) {
  const iot = t.iot(SOURCE);
  const d = await iot.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
  const policies = await iot.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }));
  const things = await iot.send(new ListPrincipalThingsV2Command({ principal: cert.certificateArn }));
  return {
    status: d.certificateDescription?.status,
    policies: (policies.policies ?? []).map((p) => p.policyName).sort(),
    things: (things.principalThingObjects ?? []).map((p) => p.thingName).sort(),
  };
}

/** Completed events of a transfer on the source account's bus, as delivered. */
function completedEvents(transferId: string) {
  return t.cloud.events
    .recentEvents({ account: SOURCE, busName: 'certificate-transfer-local' })
    .map((r) => r.event as unknown as { 'detail-type': string; detail: Json })
    .filter((e) => e['detail-type'] === 'Certificate Transfer Completed' && e.detail.transferId === transferId);
}

/** EMF lines (Powertools Metrics) any function wrote that count `metric` for this transfer. */
const metricLines = (metric: string, transferId: string) =>
  logs.filter((l) => l.line.includes('"_aws"') && l.line.includes(metric) && l.line.includes(transferId)).map((l) => ({ fn: l.fn, emf: JSON.parse(l.line.slice(l.line.indexOf('{'))) as Json }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/cert-transfer.mjs', ...args, '--local'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOCAL_API_PORT: new URL(t.cloud.apiUrl).port },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('strand path 1: a policy deleted while the offer waits, then a cancel', () => {
  it('brings back every other policy and both things, re-activates the certificate and reports the deleted policy', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 3, things: 2 });
    const { transferId, executionArn } = await offered(cert);
    const [deleted, ...kept] = cert.policies;
    await t.iot(SOURCE).send(new DeletePolicyCommand({ policyName: deleted }));

    await t.api().cancelTransfer(transferId, 'path 1');
    const done = await ended(transferId);

    expect(done).toMatchObject({
      status: 'CANCELLED',
      restore: {
        status: 'PARTIAL',
        reattachedPolicies: kept,
        reattachedThings: cert.things,
        reactivated: true,
        notRestored: [{ kind: 'policy', name: deleted, result: 'GONE', error: expect.stringContaining('ResourceNotFoundException') }],
      },
    });
    expect(restoreErrors(done.restore)).toEqual([]);
    expect(await iotView(cert)).toEqual({ status: 'ACTIVE', policies: [...kept].sort(), things: [...cert.things].sort() });
    const { exec, states } = await execution(executionArn);
    expect(exec).toMatchObject({
      status: 'FAILED',
      error: 'TransferCancelled',
      cause: `An operator cancelled the transfer; the certificate was restored and re-activated except what no longer exists: policy ${deleted}`,
    });
    expect(states.slice(-3)).toEqual(['Record Outcome', 'Which Outcome?', 'Transfer Cancelled']);
    const [completed] = completedEvents(transferId);
    expect(eventErrors(completed as never)).toEqual([]);
    expect(completed.detail).toMatchObject({ outcome: 'CANCELLED', restore: { status: 'PARTIAL', notRestored: [{ name: deleted, result: 'GONE' }] } });
    // Deleted items are reported, not alarmed: nothing a repair could bring back.
    expect(metricLines('RestoreFailed', transferId)).toEqual([]);
  }, 120_000);
});

describe('strand path 2: a restore IoT keeps refusing', () => {
  let apiCert: DeviceCertificate;
  let cliCert: DeviceCertificate;
  const ids = { api: '', cli: '' };
  let failed: Json;
  let executionArn = '';

  beforeAll(async () => {
    [apiCert, cliCert] = await Promise.all([makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 2 }), makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 })]);
    const [a, b] = await Promise.all([offered(apiCert), offered(cliCert)]);
    ids.api = a.transferId;
    ids.cli = b.transferId;
    executionArn = a.executionArn;
    // While the offers wait: one thing is deleted, and IoT starts failing every re-activation.
    await t.iot(SOURCE).send(new DeleteThingCommand({ thingName: apiCert.things[1] }));
    t.cloud.iot.options.faults = { rate: 1, operations: ['UpdateCertificate'], kinds: ['ServiceUnavailableException'] };
    await Promise.all([t.api().cancelTransfer(ids.api, 'path 2'), t.api().cancelTransfer(ids.cli, 'path 2')]);
    failed = await ended(ids.api, 150_000);
    await ended(ids.cli, 150_000);
  }, 330_000);

  afterAll(() => {
    t.cloud.iot.options.faults = undefined;
  });

  it('ends RESTORE_FAILED with the per-item result: everything else attached, the deleted thing GONE, the re-activation FAILED', async () => {
    expect(failed).toMatchObject({
      status: 'RESTORE_FAILED',
      transferOutcome: 'CANCELLED',
      restore: {
        status: 'FAILED',
        reattachedPolicies: apiCert.policies,
        reattachedThings: [apiCert.things[0]],
        reactivated: false,
        notRestored: [
          { kind: 'thing', name: apiCert.things[1], result: 'GONE' },
          { kind: 'status', name: 'ACTIVE', result: 'FAILED', transient: true, error: expect.stringContaining('ServiceUnavailableException') },
        ],
      },
    });
    expect(restoreErrors(failed.restore)).toEqual([]);
    expect(await iotView(apiCert)).toEqual({ status: 'INACTIVE', policies: [...apiCert.policies].sort(), things: [apiCert.things[0]] });
    const listed = await t.api().listTransfers({ status: 'RESTORE_FAILED' });
    expect((listed.items as Json[]).map((i) => i.transferId)).toEqual(expect.arrayContaining([ids.api, ids.cli]));
  });

  it('retried the restore with patience, then failed the execution with TransferRestoreFailed and a truthful cause', async () => {
    const { exec, states, events } = await execution(executionArn);
    expect(exec).toMatchObject({ status: 'FAILED', error: 'TransferRestoreFailed' });
    expect(exec.cause).toContain('An operator cancelled the transfer; the certificate could NOT be fully restored');
    expect(exec.cause).toContain(`POST /transfers/${ids.api}/restore`);
    expect(states.slice(-4)).toEqual(['Restore Certificate', 'Record Outcome', 'Which Outcome?', 'Transfer Restore Failed']);
    // Each attempt is a Restore invocation that rode out faults until its time was nearly up; the retrier ran them all.
    const attempts = events.filter((e) => e.type === 'LambdaFunctionFailed' && e.lambdaFunctionFailedEventDetails?.error === 'RestoreIncomplete');
    expect(attempts.length).toBe(11);
  });

  it('keeps the lock: a new transfer of the certificate is a 409 naming the transfer to repair', async () => {
    const res = await t.api().request('POST', '/transfers', { certificateId: apiCert.certificateId, targetAccount: HUMAN });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'TransferInProgress', openTransferId: ids.api, message: expect.stringContaining('RESTORE_FAILED') });
  });

  it('publishes the Completed event with the restore result, and emits the RestoreFailed metric (EMF) once', async () => {
    const events = completedEvents(ids.api);
    expect(events).toHaveLength(1);
    expect(eventErrors(events[0] as never)).toEqual([]);
    expect(events[0].detail).toMatchObject({ outcome: 'CANCELLED', restore: { status: 'FAILED', notRestored: [{ result: 'GONE' }, { result: 'FAILED' }] } });
    const lines = metricLines('RestoreFailed', ids.api);
    expect(lines).toHaveLength(1);
    expect(lines[0].fn).toMatch(/-recordOutcome$/);
    expect(lines[0].emf).toMatchObject({
      RestoreFailed: 1,
      service: 'certificate-transfer',
      transferId: ids.api,
      _aws: { CloudWatchMetrics: [{ Namespace: 'CertificateTransfer', Dimensions: [['service']], Metrics: [{ Name: 'RestoreFailed', Unit: 'Count' }] }] },
    });
  });

  it('a repair while IoT still refuses answers 502 with the new result; the transfer stays RESTORE_FAILED', async () => {
    const res = await t.api().request('POST', `/transfers/${ids.api}/restore`);
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({
      error: 'RestoreIncomplete',
      currentStatus: 'RESTORE_FAILED',
      restore: { status: 'FAILED', notRestored: expect.arrayContaining([expect.objectContaining({ kind: 'status', result: 'FAILED' })]) },
    });
    expect(responseErrors('POST', '/transfers/{transferId}/restore', 502, res.body)).toEqual([]);
    expect((await t.api().getTransfer(ids.api)).status).toBe('RESTORE_FAILED');
  }, 60_000);

  it('once the cause is fixed, POST /transfers/{id}/restore makes it whole, ends CANCELLED (repaired) and releases the lock', async () => {
    t.cloud.iot.options.faults = undefined;

    const res = await t.api().request('POST', `/transfers/${ids.api}/restore`);

    expect(res.status).toBe(200);
    expect(restoreErrors(res.body.restore)).toEqual([]);
    expect(res.body).toMatchObject({
      status: 'CANCELLED',
      repairedAt: expect.any(String),
      restore: { status: 'PARTIAL', reactivated: true, notRestored: [{ kind: 'thing', name: apiCert.things[1], result: 'GONE' }] },
    });
    expect((res.body.history as Json[]).at(-1)).toMatchObject({ status: 'CANCELLED', message: expect.stringContaining('Repaired') });
    expect(await iotView(apiCert)).toEqual({ status: 'ACTIVE', policies: [...apiCert.policies].sort(), things: [apiCert.things[0]] });
    const repairedEvent = completedEvents(ids.api).find((e) => e.detail.repairedAt);
    expect(repairedEvent?.detail).toMatchObject({ outcome: 'CANCELLED', restore: { status: 'PARTIAL' } });
    expect(eventErrors(repairedEvent as never)).toEqual([]);
    // Released: the certificate can be transferred again.
    const again = await t.api().request('POST', '/transfers', { certificateId: apiCert.certificateId, targetAccount: HUMAN });
    expect(again.status).toBe(202);
  }, 60_000);

  it('answers 409 with the status for a transfer that is not RESTORE_FAILED, 404 for an unknown id, 400 for a malformed one', async () => {
    const conflict = await t.api().request('POST', `/transfers/${ids.api}/restore`);
    expect(conflict).toMatchObject({ status: 409, body: { error: 'TransferStateConflict', currentStatus: 'CANCELLED' } });
    const unknown = await t.api().request('POST', `/transfers/${crypto.randomUUID()}/restore`);
    expect(unknown).toMatchObject({ status: 404, body: { error: 'TransferNotFound' } });
    const malformed = await t.api().request('POST', '/transfers/not-a-transfer/restore');
    expect(malformed).toMatchObject({ status: 400, body: { error: 'ValidationError', field: 'transferId' } });
    for (const [status, body] of [
      [409, conflict.body],
      [404, unknown.body],
      [400, malformed.body],
    ] as const) {
      expect(responseErrors('POST', '/transfers/{transferId}/restore', status, body)).toEqual([]);
    }
  });

  it('cert-transfer repair <transferId> repairs the other one and prints the result', async () => {
    const run = await cli(['repair', ids.cli]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Transfer ${ids.cli} repaired: now CANCELLED, restore RESTORED`);
    expect(await iotView(cliCert)).toEqual({ status: 'ACTIVE', policies: cliCert.policies, things: cliCert.things });
    expect((await t.api().getTransfer(ids.cli)).status).toBe('CANCELLED');
  }, 60_000);
});

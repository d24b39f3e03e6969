// Strand path 5 of issue 12 at IoT's real pace, scaled: every IoT call takes 50 ms and every function
// half its deployed timeout, the same calls per timeout as 100 ms per call against the deployed ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand, ListAttachedPoliciesCommand, ListPrincipalThingsV2Command } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { InvocationRecord } from '../../local/lambda/runtime.js';
import { startTestCloud, until, type TestCloud } from '../support/cloud.js';

const SOURCE = '111111111111';
const AUTO_REJECT = '333333333333';
/**
 * 100 ms per call in AWS; half of it here, with half of every timeout. (A fifth would be quicker,
 * but the local cloud's own cost per call, on a busy two-core machine, does not scale down with it.)
 */
const LATENCY_MS = 50;
const SCALE = LATENCY_MS / 100;
/** Deployed timeouts (serverless.yml): 30 s for the steps, 60 s for Restore. */
const STEP_TIMEOUT = 30 * SCALE;
const RESTORE_TIMEOUT = 60 * SCALE;

let t: TestCloud;
const invocations: InvocationRecord[] = [];

beforeAll(async () => {
  t = await startTestCloud({
    scheduleIntervalMs: 3_600_000,
    functionTimeouts: {
      preflight: STEP_TIMEOUT,
      deactivate: STEP_TIMEOUT,
      detachPolicies: STEP_TIMEOUT,
      detachThings: STEP_TIMEOUT,
      transfer: STEP_TIMEOUT,
      notifyTarget: STEP_TIMEOUT,
      cancelPendingTransfer: STEP_TIMEOUT,
      recordOutcome: STEP_TIMEOUT,
      restore: RESTORE_TIMEOUT,
    },
    targets: [{ account: AUTO_REJECT, params: { acceptancePolicy: 'auto-reject', rejectReason: 'not expected', allowedSourceAccounts: SOURCE } }],
    iot: { keyAlgorithm: 'ec', latencyMs: LATENCY_MS },
    onInvocation: (r) => invocations.push(r),
  });
}, 300_000);
afterAll(async () => {
  await t?.stop();
});

describe("strand path 5 at IoT's pace: 1,000 things of 128-character names and 10 policies, every call 50 ms, timeouts halved", () => {
  it('reject → restore within the Lambda timeouts: no step times out, everything comes back', async () => {
    const model = t.cloud.iot;
    const ctx = { account: SOURCE, region: 'us-east-1' };
    const cert = await model.createKeysAndCertificate(ctx, { setAsActive: true });
    const id = cert.certificateId!;
    const policies: string[] = [];
    for (let i = 0; i < 10; i++) {
      const policyName = `timed-${id.slice(0, 10)}-${i}`;
      model.createPolicy(ctx, { policyName, policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }) });
      model.attachPolicy(ctx, { policyName, target: cert.certificateArn });
      policies.push(policyName);
    }
    const things: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      const prefix = `timed-${id.slice(0, 12)}-${String(i).padStart(5, '0')}-`;
      const thingName = prefix + 'y'.repeat(128 - prefix.length);
      model.createThing(ctx, { thingName });
      model.attachThingPrincipal(ctx, { thingName, principal: cert.certificateArn! });
      things.push(thingName);
    }
    const before = invocations.length;

    const started = await t.api().startTransfer({ certificateId: id, targetAccount: AUTO_REJECT });
    const exec = await until(
      'the execution to end',
      async () => {
        const e = await t.sfn().send(new DescribeExecutionCommand({ executionArn: String(started.executionArn) }));
        return e.status === 'RUNNING' ? undefined : e;
      },
      170_000,
      500,
    );

    expect(exec, `${exec.error}: ${exec.cause}`).toMatchObject({ status: 'FAILED', error: 'TransferRejected' });
    expect(
      invocations
        .slice(before)
        .filter((r) => r.errorType === 'Sandbox.Timedout')
        .map((r) => r.functionArn),
    ).toEqual([]);
    expect(await t.api().getTransfer(String(started.transferId))).toMatchObject({ status: 'REJECTED', restore: { status: 'RESTORED' } });
    const iot = t.iot(SOURCE);
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: id }))).certificateDescription?.status).toBe('ACTIVE');
    expect((await iot.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }))).policies?.map((p) => p.policyName).sort()).toEqual(policies.sort());
    const attached: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await iot.send(new ListPrincipalThingsV2Command({ principal: cert.certificateArn, nextToken, maxResults: 250 }));
      attached.push(...(page.principalThingObjects ?? []).map((p) => p.thingName!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(attached.sort()).toEqual(things.sort());
  }, 240_000);
});

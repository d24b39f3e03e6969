// A workflow step that runs past its Lambda timeout is killed mid-loop, as AWS kills the sandbox, and
// the workflow recovers from the half-done work: retried by its Sandbox.Timedout retrier, or rolled back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand, ListAttachedPoliciesCommand, ListPrincipalThingsV2Command, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { InvocationRecord } from '../../local/lambda/runtime.js';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const THINGS = 20;
/** The step's timeout here (the deployed one is 30 s). */
const TIMEOUT_SECONDS = 3;
/**
 * While IoT hangs, every DetachThingPrincipal after the first five takes the whole timeout: the
 * step's first wave of ten calls (Detach Things runs ten at a time) never ends, and it is killed
 * with five things detached (it stops on its own before a wave that would not fit, so the hang
 * must come inside one).
 */
const SLOW_DETACH_MS = TIMEOUT_SECONDS * 1000;
/** DetachThingPrincipal calls served at IoT's normal pace before it hangs. */
const FAST_CALLS = 5;
/** Step Functions' pause before a retry: long enough that a surviving handler would be seen detaching. */
const RETRY_PAUSE_MS = 1_000;

interface Attempt {
  startedAt: number;
  record?: InvocationRecord;
  /** DetachThingPrincipal calls IoT had completed when the attempt ended. */
  detachedWhenEnded?: number;
}

let t: TestCloud;
let detachThingsArn = '';
let detachLatencyMs = 0;
let detachCallNumber = 0;
/** Whether a DetachThingPrincipal that hung ends in ServiceUnavailableException instead of detaching. */
let hungDetachesFail = false;
const detachCalls: { thingName: string; startedAt: number; ok: boolean }[] = [];
let attempts: Attempt[] = [];
let onAttempt: (n: number) => void = () => undefined;

beforeAll(async () => {
  t = await startTestCloud({
    // Only Detach Things gets the short timeout; the deployed 30 s stays for every other step.
    functionTimeouts: { detachThings: TIMEOUT_SECONDS },
    retryIntervalMs: RETRY_PAUSE_MS,
    iot: {
      keyAlgorithm: 'ec',
      latencyMs: {
        get DetachThingPrincipal() {
          return ++detachCallNumber > FAST_CALLS ? detachLatencyMs : 0;
        },
      },
      // Read when a call is served, after its latency: only the calls that hung see it.
      get faults() {
        return hungDetachesFail && detachCallNumber > FAST_CALLS ? { rate: 1, kinds: ['ServiceUnavailableException' as const], operations: ['DetachThingPrincipal' as const] } : undefined;
      },
      onCall: (e) => {
        if (e.operation !== 'DetachThingPrincipal') return;
        detachCalls.push({ thingName: (e.input as { thingName: string }).thingName, startedAt: e.startedAt.getTime(), ok: e.outcome === 'ok' });
      },
    },
    intercept: async (fn, _event, run) => {
      if (fn.arn === detachThingsArn) {
        attempts.push({ startedAt: Date.now() });
        onAttempt(attempts.length);
      }
      return run();
    },
    onInvocation: (r) => {
      if (r.functionArn !== detachThingsArn) return;
      const attempt = attempts.findLast((a) => !a.record)!;
      attempt.record = r;
      attempt.detachedWhenEnded = detachCalls.filter((c) => c.ok).length;
    },
  });
  detachThingsArn = t.cloud.stacks[0].functions.detachThings;
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

async function finalExecution(executionArn: string) {
  return until(
    `execution ${executionArn} to end`,
    async () => {
      const e = await t.sfn().send(new DescribeExecutionCommand({ executionArn }));
      return e.status === 'RUNNING' ? undefined : e;
    },
    60_000,
  );
}

async function detachThingsFailures(executionArn: string): Promise<HistoryEvent[]> {
  const history = await t.sfn().send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return history.events!.filter((e) => e.type === 'LambdaFunctionFailed');
}

describe('a step past its Lambda timeout, end to end', () => {
  it('is killed mid-loop; its retry finishes the half-done detachments and the transfer is accepted', async () => {
    detachCalls.length = 0;
    detachCallNumber = 0;
    attempts = [];
    detachLatencyMs = SLOW_DETACH_MS;
    hungDetachesFail = false;
    onAttempt = (n) => {
      if (n === 2) detachLatencyMs = 0; // IoT is fast again by the time the retry runs
    };
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: THINGS });

    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: AUTO });
    const exec = await finalExecution(String(started.executionArn));

    expect(exec.status, `${exec.error}: ${exec.cause}; attempts ${JSON.stringify(attempts)}`).toBe('SUCCEEDED');
    expect(attempts.map((a) => a.record?.errorType ?? 'ok')).toEqual(['Sandbox.Timedout', 'ok']);
    const [killed, retry] = attempts;
    // Killed mid-loop: some things were detached, not all.
    expect(killed.detachedWhenEnded).toBeGreaterThan(0);
    expect(killed.detachedWhenEnded).toBeLessThan(THINGS);
    // And no further line of it ran: in the second Step Functions waits before the retry (three
    // more detachments at IoT's pace), no new DetachThingPrincipal reached IoT but the one in flight at the kill.
    const killedAt = killed.startedAt + killed.record!.durationMs;
    const afterKill = detachCalls.filter((c) => c.startedAt > killedAt && c.startedAt < retry.startedAt);
    expect(afterKill.length).toBeLessThanOrEqual(1);
    const [failure] = await detachThingsFailures(String(started.executionArn));
    expect(failure.lambdaFunctionFailedEventDetails).toMatchObject({ error: 'Sandbox.Timedout', cause: expect.stringContaining(`Task timed out after ${TIMEOUT_SECONDS.toFixed(2)} seconds`) });

    // The retry detached the rest (and found the first ones already done); the transfer went through.
    const done = await t.api().getTransfer(String(started.transferId));
    expect(done.status).toBe('ACCEPTED');
    const inTarget = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(inTarget.certificateDescription).toMatchObject({ status: 'ACTIVE', ownedBy: AUTO });
    for (const thingName of cert.things) {
      const principals = await t.iot(SOURCE).send(new ListThingPrincipalsCommand({ thingName }));
      expect(principals.principals, thingName).toEqual([]);
    }
  }, 90_000);

  it('timing out on every attempt, the step is caught and the rollback restores every policy and thing', async () => {
    detachCalls.length = 0;
    detachCallNumber = 0;
    attempts = [];
    detachLatencyMs = SLOW_DETACH_MS; // IoT stays slow: every attempt is killed
    // A call that hung still detaches when IoT serves it: the DetachThingPrincipal calls the last
    // killed attempt left in flight land after Restore re-attached their things, and Restore must
    // wait them out and put those things back.
    hungDetachesFail = false;
    onAttempt = () => undefined;
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: THINGS });

    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: AUTO });
    const exec = await finalExecution(String(started.executionArn));

    expect(exec).toMatchObject({ status: 'FAILED', error: 'TransferFailed' });
    // The first run plus the retrier's three retries, each killed at its timeout.
    expect(attempts.map((a) => a.record?.errorType)).toEqual(['Sandbox.Timedout', 'Sandbox.Timedout', 'Sandbox.Timedout', 'Sandbox.Timedout']);
    expect(attempts[0].detachedWhenEnded).toBeGreaterThan(0);
    expect(attempts[0].detachedWhenEnded).toBeLessThan(THINGS);
    expect((await detachThingsFailures(String(started.executionArn))).map((e) => e.lambdaFunctionFailedEventDetails?.error)).toEqual([
      'Sandbox.Timedout',
      'Sandbox.Timedout',
      'Sandbox.Timedout',
      'Sandbox.Timedout',
    ]);

    const done = await t.api().getTransfer(String(started.transferId));
    expect(done).toMatchObject({ status: 'FAILED', restore: { status: 'RESTORED' } });
    expect(String(done.reason)).toContain('Sandbox.Timedout');
    const iot = t.iot(SOURCE);
    const d = await iot.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(d.certificateDescription?.status).toBe('ACTIVE');
    const policies = await iot.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }));
    expect(policies.policies?.map((p) => p.policyName).sort()).toEqual([...cert.policies].sort());
    const things = await iot.send(new ListPrincipalThingsV2Command({ principal: cert.certificateArn, maxResults: 100 }));
    expect(things.principalThingObjects?.map((p) => p.thingName).sort()).toEqual([...cert.things].sort());
  }, 90_000);
});

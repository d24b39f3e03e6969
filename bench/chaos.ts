import '../local/polyfills.js';
import { parseArgs } from 'node:util';
import { AcceptCertificateTransferCommand, DeletePolicyCommand, DeleteThingCommand, IoTClient, RejectCertificateTransferCommand } from '@aws-sdk/client-iot';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { startLocalCloud, type LocalCloud } from '../local/cloud.js';
import { DEMO_ACCOUNTS } from '../src/demo-accounts.js';
import { iotRealism } from '../local/iot/flags.js';
import { rolesOfStack } from '../local/iam/stack-roles.js';
import type { RoleRecord } from '../local/iam/authorizer.js';
import { LambdaInvocationError } from '../local/lambda/runtime.js';
import { seededRandom as prng } from '../local/shared/prng.js';
import { TransferApiClient } from '../src/api-client.js';
import { makeModelCertificate, modelView, type ModelCertificate } from '../test/support/model-certificate.js';

/**
 * `npm run chaos`: many transfers under injected faults, on the local cloud as strict as AWS
 * (IAM per role, AWS default IoT quotas, asynchronous detach propagation, Lambda timeouts that
 * kill), then the invariants checked from the IoT state itself.
 *
 * Faults everywhere, seeded: IoT ThrottlingException, ServiceUnavailableException and
 * InternalFailureException; Lambda steps that crash after their IoT call succeeded; duplicate,
 * delayed and out-of-order EventBridge delivery. And, per transfer (its plan): an accept racing
 * the timeout; a policy or a thing deleted while the offer waits; the execution stopped from
 * outside, and a whole batch stopped; Detach Things killed at its timeout mid-loop, once or on
 * every attempt (its calls left in flight land after the rollback's re-attach); a certificate
 * with 10 policies and 1,000 things of 128-character names; 80 concurrent 10-policy transfers;
 * an Accepted event ahead of IoT followed by a hand rejection; a cancel failing with a
 * non-transient error (an IAM Deny). Every RESTORE_FAILED transfer must be reported (status,
 * Completed event, RestoreFailed metric) and is then repaired with POST /transfers/{id}/restore
 * once its cause is lifted. Exit 0 only with nothing stranded, stuck or contradictory.
 */
const { values: args } = parseArgs({
  options: {
    transfers: { type: 'string', default: '300' },
    seed: { type: 'string', default: '42' },
    'fault-rate': { type: 'string', default: '0.1' },
    'timeout-seconds': { type: 'string', default: '8' },
    /** Concurrent 10-policy transfers (default: 80, or 27 % of a smaller run). */
    burst: { type: 'string' },
    /** Things (128-character names) of the one large certificate; 0 for none. */
    'large-things': { type: 'string', default: '1000' },
  },
});
const N = Number(args.transfers);
const SEED = Number(args.seed);
const FAULT_RATE = Number(args['fault-rate']);
const TIMEOUT = Number(args['timeout-seconds']);
const BURST = args.burst === undefined ? Math.min(80, Math.floor(N * 0.27)) : Number(args.burst);
const LARGE_THINGS = Number(args['large-things']);
/** Offers a plan acts on while they wait are given this long, so they wait for the fault. */
const LONG_TIMEOUT = 300;
/** Detach Things' Lambda timeout here (30 s deployed); a hung DetachThingPrincipal outlasts it. */
const DETACH_TIMEOUT_SECONDS = 5;
const HANG_MS = (DETACH_TIMEOUT_SECONDS + 1) * 1000;
const BATCH_SIZE = 3;

const SOURCE = DEMO_ACCOUNTS.source;
const AUTO = DEMO_ACCOUNTS.autoAccept;
const HUMAN = DEMO_ACCOUNTS.human;
const REGION = 'us-east-1';
const FINAL = ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'];
const SETTLED = [...FINAL, 'RESTORE_FAILED'];

type Plan =
  | 'auto-accept'
  | 'manual-accept'
  | 'manual-reject'
  | 'expire'
  | 'accept-at-timeout'
  | 'cancel'
  | 'policy-deleted'
  | 'thing-deleted'
  | 'stopped'
  | 'accepted-ahead'
  | 'cancel-denied'
  | 'killed-once'
  | 'killed-every-attempt'
  | 'burst'
  | 'large'
  | 'stopped-batch';
/** Drawn per transfer; the burst, the large certificate and the stopped batch come on top. */
const PLANS: [Plan, number][] = [
  ['auto-accept', 0.2],
  ['manual-accept', 0.1],
  ['manual-reject', 0.1],
  ['expire', 0.07],
  ['accept-at-timeout', 0.07],
  ['cancel', 0.1],
  ['policy-deleted', 0.06],
  ['thing-deleted', 0.06],
  ['stopped', 0.06],
  ['accepted-ahead', 0.06],
  ['cancel-denied', 0.04],
  ['killed-once', 0.05],
  ['killed-every-attempt', 0.03],
];
const AUTO_PLANS: Plan[] = ['auto-accept', 'expire', 'burst', 'killed-once', 'killed-every-attempt'];
const LONG_PLANS: Plan[] = ['policy-deleted', 'thing-deleted', 'stopped', 'accepted-ahead', 'cancel-denied', 'large', 'stopped-batch'];

interface Case {
  n: number;
  plan: Plan;
  cert: ModelCertificate;
  target: string;
  transferId?: string;
  executionArn?: string;
  startError?: string;
  /** Deleted on purpose while the offer waited: not expected back. */
  deleted?: { kind: 'policy' | 'thing'; name: string };
  /** First DetachThingPrincipal seen for this certificate (killed-once hangs only the first attempt's). */
  firstDetachAt?: number;
  restoreFailed?: { reported: string[] };
  repaired?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const rand = prng(SEED);
  const crashRand = prng(SEED + 1);
  let crashes = 0;
  let kills = 0;
  let denials = 0;
  const t0 = Date.now();
  const random = Math.max(0, N - BURST - (LARGE_THINGS > 0 ? 1 : 0) - BATCH_SIZE);
  console.log(
    `chaos: ${N} transfers (${random} drawn, ${BURST} in a 10-policy burst, ${LARGE_THINGS > 0 ? 1 : 0} with ${LARGE_THINGS} things, ${BATCH_SIZE} in a batch stopped from outside), seed ${SEED}, fault rate ${FAULT_RATE}`,
  );

  const cases: Case[] = [];
  const byArn = new Map<string, Case>();
  const decisionAnswers = new Map<string, unknown>();
  const restoreFailedMetrics = new Set<string>();
  let decisionArn = '';
  const realism = iotRealism({});

  const cloud: LocalCloud = await startLocalCloud({
    awsPort: 0,
    apiPort: 0,
    scheduleIntervalMs: 1_000,
    retryIntervalMs: 100,
    logLevel: 'SILENT',
    onDenied: () => {
      denials++;
    },
    // Offers expire after TIMEOUT seconds (8 by default): below the stack's floor of 60, so lowered on purpose.
    sourceParams: { minTimeoutSeconds: String(TIMEOUT) },
    functionTimeouts: { detachThings: DETACH_TIMEOUT_SECONDS },
    iot: {
      keyAlgorithm: 'ec',
      // As `npm start`: AWS default quotas and asynchronous detach propagation.
      quotas: realism.quotas,
      detachPropagationMs: realism.detachPropagationMs,
      seed: SEED,
      faults: { rate: FAULT_RATE, seed: SEED },
      latencyMs: ({ operation, input }) => {
        if (operation !== 'DetachThingPrincipal') return 0;
        const c = byArn.get((input as { principal?: string }).principal ?? '');
        if (c?.plan === 'killed-every-attempt') return HANG_MS;
        if (c?.plan !== 'killed-once') return 0;
        c.firstDetachAt ??= Date.now();
        // The first attempt's calls hang past its timeout (the first of them is served at once, so it dies mid-loop).
        const since = Date.now() - c.firstDetachAt;
        return since > 0 && since < 1_000 ? HANG_MS : 0;
      },
    },
    eventBridge: { faults: { duplicateRate: FAULT_RATE / 2, delayRate: FAULT_RATE / 2, delayMs: { min: 50, max: 1500 }, reorder: true, seed: SEED } },
    onInvocation: (r) => {
      if (r.errorType === 'Sandbox.Timedout') kills++;
    },
    onLog: (_fn, line) => {
      if (!line.includes('RestoreFailed') || !line.includes('"_aws"')) return;
      const id = /"transferId":"([^"]+)"/.exec(line)?.[1];
      if (id) restoreFailedMetrics.add(id);
    },
    intercept: async (fn, event, run) => {
      const result = await run();
      if (fn.arn === decisionArn) {
        const transferId = (event as { detail?: { transferId?: string } }).detail?.transferId;
        if (transferId) decisionAnswers.set(transferId, result);
      }
      // A step that crashes after its work succeeded, before it could return: the retry sees the work half done.
      if (fn.account === SOURCE && fn.name.includes('-local-') && !fn.name.includes('-api') && crashRand() < FAULT_RATE / 2) {
        crashes++;
        throw new LambdaInvocationError({ errorType: 'Runtime.ExitError', errorMessage: `Error: Runtime exited with error: signal: killed (injected after ${fn.name} succeeded)` });
      }
      return result;
    },
  });
  await cloud.warmed;
  decisionArn = cloud.stacks[0].functions.decision;
  const creds = (account: string) => ({ accessKeyId: account, secretAccessKey: 'x' });
  const iot = (account: string) => new IoTClient({ endpoint: cloud.awsUrl, region: cloud.region, credentials: creds(account), maxAttempts: 12 });
  const source = iot(SOURCE);
  const human = iot(HUMAN);
  const humanEvents = new EventBridgeClient({ endpoint: cloud.awsUrl, region: cloud.region, credentials: creds(HUMAN), maxAttempts: 12 });
  const sfn = new SFNClient({ endpoint: cloud.awsUrl, region: cloud.region, credentials: creds(SOURCE), maxAttempts: 12 });
  const api = new TransferApiClient({ endpoint: cloud.apiUrl, region: cloud.region, credentials: creds(SOURCE) });

  // cancel-denied: an explicit Deny of iot:CancelCertificateTransfer on the certificate, in every
  // role that withdraws an offer (a fault AWS can produce: an SCP, a permissions boundary).
  const stack = cloud.stacks[0];
  const roles = rolesOfStack(stack.stack, { accountId: stack.account, region: cloud.region, resources: stack.resources });
  const withdrawingRoles: RoleRecord[] = ['cancelPendingTransfer', 'restore', 'janitor'].map((key) => cloud.iam.role(roles.functions[key].arn)!);
  const denied = new Set<string>();
  const applyDenies = () => {
    for (const role of withdrawingRoles) {
      const deny = { Effect: 'Deny' as const, Action: ['iot:CancelCertificateTransfer'], Resource: [...denied] };
      cloud.iam.putRole(denied.size ? { ...role, policy: { ...role.policy, Statement: [...role.policy.Statement, deny] } } : role);
    }
  };

  // Completed events on the source bus, to check against the records.
  const completed = new Map<string, { outcome: string; restoreStatus?: string; repaired: boolean }[]>();
  cloud.events.onEvent((change) => {
    if (change.type !== 'event') return;
    const ev = change.record.event as { 'detail-type'?: string; detail?: { transferId?: string; outcome?: string; restore?: { status?: string }; repairedAt?: string } };
    if (ev['detail-type'] === 'Certificate Transfer Completed' && change.record.account === SOURCE && ev.detail?.transferId) {
      const list = completed.get(ev.detail.transferId) ?? [];
      const item = { outcome: ev.detail.outcome!, restoreStatus: ev.detail.restore?.status, repaired: Boolean(ev.detail.repairedAt) };
      if (!list.some((e) => JSON.stringify(e) === JSON.stringify(item))) list.push(item);
      completed.set(ev.detail.transferId, list);
    }
  });

  // Fleet set-up, in the model directly (the quotas would make it the longest part of the run).
  const draw = (): Plan => {
    let r = rand();
    for (const [p, w] of PLANS) {
      if (r < w) return p;
      r -= w;
    }
    return 'auto-accept';
  };
  // Every drawn plan at least once (a small run still meets each fault), then by weight.
  const plans: Plan[] = [
    ...Array.from({ length: random }, (_, i) => (i < PLANS.length && random >= 2 * PLANS.length ? PLANS[i][0] : draw())),
    ...Array<Plan>(BURST).fill('burst'),
    ...(LARGE_THINGS > 0 ? ['large' as Plan] : []),
    ...Array<Plan>(BATCH_SIZE).fill('stopped-batch'),
  ];
  let nextPlan = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (nextPlan < plans.length) {
        const n = nextPlan++;
        const plan = plans[n];
        const shape =
          plan === 'burst'
            ? { policies: 10, things: 1 }
            : plan === 'large'
              ? { policies: 10, things: LARGE_THINGS, thingNameLength: 128 }
              : plan.startsWith('killed')
                ? { policies: 1, things: 12 }
                : // EXCLUSIVE_THING: the certificate's only thing (IoT refuses a second one).
                  plan === 'thing-deleted'
                  ? { policies: 1 + (n % 2), things: 2 }
                  : { policies: 1 + (n % 2), things: 1, exclusive: n % 3 === 0 };
        const cert = await makeModelCertificate(cloud.iot, SOURCE, REGION, shape);
        const c: Case = { n, plan, cert, target: AUTO_PLANS.includes(plan) ? AUTO : HUMAN };
        cases.push(c);
        byArn.set(cert.certificateArn, c);
      }
    }),
  );
  cases.sort((a, b) => a.n - b.n);
  console.log(`set-up: ${cases.length} certificates with policies and things in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const serverErrors: string[] = [];
  const retrying = async <T>(what: string, call: () => Promise<{ status: number; body: Record<string, unknown> }>, ok: (s: number) => boolean, done: (b: Record<string, unknown>) => T): Promise<T> => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const res = await call();
      if (ok(res.status)) return done(res.body);
      if (res.status < 500 && res.status !== 429) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      serverErrors.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      await sleep(200 * (attempt + 1));
    }
    throw new Error(`${what} kept failing`);
  };
  const record = async (id: string) => (await api.request('GET', `/transfers/${id}`)).body;
  const waitStatus = async (id: string, pred: (s: string) => boolean, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await api.request('GET', `/transfers/${id}`);
      if (r.status === 200 && pred(String(r.body.status))) return r.body;
      if (Date.now() > deadline) return r.body;
      await sleep(200);
    }
  };
  /** Until the offer waits in the target (false if the transfer ended first). */
  const offered = async (id: string) => (await waitStatus(id, (s) => s === 'AWAITING_DECISION' || SETTLED.includes(s))).status === 'AWAITING_DECISION';

  const act = async (c: Case) => {
    const id = c.transferId!;
    if (AUTO_PLANS.includes(c.plan) || !(await offered(id))) return;
    const certificateId = c.cert.certificateId;
    switch (c.plan) {
      case 'manual-accept':
        await human.send(new AcceptCertificateTransferCommand({ certificateId, setAsActive: true }));
        break;
      case 'manual-reject':
        await human.send(new RejectCertificateTransferCommand({ certificateId, rejectReason: 'chaos says no' }));
        break;
      case 'cancel':
      case 'large':
        await api.request('DELETE', `/transfers/${id}`, { reason: 'chaos cancel' });
        break;
      case 'accept-at-timeout': {
        const expiresAt = Date.parse(String((await record(id)).expiresAt ?? '')) || Date.now();
        await sleep(Math.max(0, expiresAt - Date.now()));
        await human.send(new AcceptCertificateTransferCommand({ certificateId, setAsActive: true }));
        break;
      }
      case 'policy-deleted': {
        const name = c.cert.policies[0];
        await source.send(new DeletePolicyCommand({ policyName: name }));
        c.deleted = { kind: 'policy', name };
        await api.request('DELETE', `/transfers/${id}`, { reason: 'chaos cancel after a policy was deleted' });
        break;
      }
      case 'thing-deleted': {
        const name = c.cert.things[c.cert.things.length - 1];
        await source.send(new DeleteThingCommand({ thingName: name }));
        c.deleted = { kind: 'thing', name };
        await human.send(new RejectCertificateTransferCommand({ certificateId, rejectReason: 'chaos says no after a thing was deleted' }));
        break;
      }
      case 'stopped':
        await sfn.send(new StopExecutionCommand({ executionArn: c.executionArn, cause: 'chaos: stopped in the console' }));
        break;
      case 'accepted-ahead': {
        // The target says Accepted before it accepted in IoT (it never will: it rejects by hand).
        await humanEvents.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: `arn:aws:events:${REGION}:${SOURCE}:event-bus/certificate-transfer-local`,
                Source: 'iot.certificate-transfer',
                DetailType: 'Certificate Transfer Accepted',
                Detail: JSON.stringify({ transferId: id, certificateId, sourceAccount: SOURCE, targetAccount: HUMAN, decidedAt: new Date().toISOString() }),
              },
            ],
          }),
        );
        const deadline = Date.now() + 30_000;
        while (!decisionAnswers.has(id) && Date.now() < deadline) await sleep(100);
        await human.send(new RejectCertificateTransferCommand({ certificateId, rejectReason: 'chaos: accepted too soon, rejected after all' }));
        break;
      }
      case 'cancel-denied':
        denied.add(c.cert.certificateArn);
        applyDenies();
        await api.request('DELETE', `/transfers/${id}`, { reason: 'chaos cancel that IAM refuses' });
        await waitStatus(id, (s) => SETTLED.includes(s), 300_000);
        break;
      default:
        break;
    }
  };

  const startedAt = Date.now();
  const singles = cases.filter((c) => c.plan !== 'stopped-batch');
  const batchCases = cases.filter((c) => c.plan === 'stopped-batch');
  const runBatch = async () => {
    if (!batchCases.length) return;
    const batch = await retrying(
      'POST /transfer-batches',
      () => api.request('POST', '/transfer-batches', { certificateIds: batchCases.map((c) => c.cert.certificateId), targetAccount: HUMAN, timeoutSeconds: LONG_TIMEOUT, maxConcurrency: BATCH_SIZE }),
      (s) => s === 202,
      (b) => b,
    );
    const batchId = String(batch.batchId);
    const deadline = Date.now() + 300_000;
    for (;;) {
      const items = ((await api.request('GET', '/transfers', undefined, { batchId })).body.items ?? []) as { transferId: string; certificateId: string; status: string; executionArn: string }[];
      for (const item of items) {
        const c = batchCases.find((b) => b.cert.certificateId === item.certificateId);
        if (c) [c.transferId, c.executionArn] = [item.transferId, item.executionArn];
      }
      if (items.length === batchCases.length && items.every((i) => i.status !== 'REQUESTED' && i.status !== 'PREPARING')) break;
      if (Date.now() > deadline) break;
      await sleep(250);
    }
    await sfn.send(new StopExecutionCommand({ executionArn: String(batch.executionArn), cause: 'chaos: the batch stopped in the console' }));
  };
  await Promise.all([
    runBatch().catch((err: Error) => {
      for (const c of batchCases) c.startError = `batch: ${err.message}`;
    }),
    ...singles.map(async (c) => {
      try {
        const timeoutSeconds = LONG_PLANS.includes(c.plan) ? LONG_TIMEOUT : TIMEOUT;
        // requestId makes the retry safe: a POST that timed out but went through is not started twice.
        const started = await retrying(
          'POST /transfers',
          () => api.request('POST', '/transfers', { certificateId: c.cert.certificateId, targetAccount: c.target, timeoutSeconds, requestId: `chaos-${SEED}-${c.n}` }),
          (s) => s === 202,
          (b) => b,
        );
        [c.transferId, c.executionArn] = [String(started.transferId), String(started.executionArn)];
      } catch (err) {
        c.startError = (err as Error).message;
        return;
      }
      try {
        await act(c);
      } catch {
        // The decision lost a race (e.g. the offer was already withdrawn): that is part of the test.
      }
    }),
  ]);

  // Wait until every execution has ended.
  const deadline = Date.now() + Math.max(300_000, N * 1_000);
  const running = () => cloud.sfn.allExecutions({ status: 'RUNNING' }).length;
  while (running() > 0 && Date.now() < deadline) await sleep(250);
  await cloud.events.waitForIdle(30_000).catch(() => undefined);
  const elapsed = (Date.now() - startedAt) / 1000;

  // Every restore that could not finish: reported three ways, then repaired once its cause is lifted.
  denied.clear();
  applyDenies();
  const problems: string[] = [];
  let restoreFailed = 0;
  let repaired = 0;
  for (const c of cases) {
    if (!c.transferId) continue;
    const rec = await record(c.transferId);
    if (rec.status !== 'RESTORE_FAILED') continue;
    restoreFailed++;
    const events = completed.get(c.transferId) ?? [];
    const missing = [!events.some((e) => e.restoreStatus === 'FAILED') && 'Completed event with the restore result', !restoreFailedMetrics.has(c.transferId) && 'RestoreFailed metric'].filter(Boolean);
    if (missing.length) problems.push(`#${c.n} ${c.plan}: RESTORE_FAILED without ${missing.join(' and ')}`);
    for (let attempt = 0; attempt < 6 && !c.repaired; attempt++) {
      const res = await api.request('POST', `/transfers/${c.transferId}/restore`);
      if (res.status === 200) c.repaired = true;
      else await sleep(1_000 * (attempt + 1));
    }
    if (c.repaired) repaired++;
    else problems.push(`#${c.n} ${c.plan}: the repair did not make it whole`);
  }

  // Invariants, from the IoT state itself (read from the model: no quotas or faults on the checks).
  const outcomes: Record<string, number> = {};
  let stranded = 0;
  let stuck = running();
  for (const c of cases) {
    if (c.startError || !c.transferId) {
      problems.push(`#${c.n} ${c.plan} could not start: ${c.startError}`);
      stuck++;
      continue;
    }
    const rec = await record(c.transferId);
    const status = String(rec.status);
    outcomes[status] = (outcomes[status] ?? 0) + 1;
    if (!FINAL.includes(status)) {
      stuck++;
      problems.push(`#${c.n} ${c.plan}: record still ${status}`);
    }
    const { certificateId, certificateArn } = c.cert;
    const inSource = modelView(cloud.iot, SOURCE, REGION, certificateId, certificateArn);
    const inTarget = modelView(cloud.iot, c.target, REGION, certificateId, certificateArn);
    const ownedByTarget = inSource === undefined && inTarget?.ownedBy === c.target;
    const expectPolicies = c.cert.policies.filter((p) => !(c.deleted?.kind === 'policy' && c.deleted.name === p)).sort();
    const expectThings = c.cert.things.filter((t) => !(c.deleted?.kind === 'thing' && c.deleted.name === t)).sort();
    const restored =
      inSource?.status === 'ACTIVE' &&
      JSON.stringify(inSource.policies) === JSON.stringify(expectPolicies) &&
      JSON.stringify(inSource.things.map((t) => t.thingName)) === JSON.stringify(expectThings) &&
      inSource.things.every((t) => t.thingPrincipalType === (c.cert.exclusiveThings.includes(t.thingName) ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING'));
    if (!ownedByTarget && !restored) {
      stranded++;
      problems.push(
        `#${c.n} ${c.plan} ${status}: STRANDED (source: ${inSource?.status ?? 'gone'}, ${inSource?.policies.length ?? 0}/${expectPolicies.length} policies, ${inSource?.things.length ?? 0}/${expectThings.length} things; target: ${inTarget?.status ?? 'none'})`,
      );
      continue;
    }
    if (status === 'ACCEPTED' && !ownedByTarget) problems.push(`#${c.n} ${c.plan}: record ACCEPTED but the certificate is back in the source`);
    if (FINAL.includes(status) && status !== 'ACCEPTED' && ownedByTarget) problems.push(`#${c.n} ${c.plan}: record ${status} but the target owns the certificate`);
    if (c.deleted && status !== 'ACCEPTED') {
      const gone = ((rec.restore as { notRestored?: { name: string; result: string }[] } | undefined)?.notRestored ?? []).some((i) => i.name === c.deleted!.name && i.result === 'GONE');
      if (!gone) problems.push(`#${c.n} ${c.plan}: the restore does not report the deleted ${c.deleted.kind} ${c.deleted.name} GONE`);
    }
    const outcomesSeen = [...new Set((completed.get(c.transferId) ?? []).map((e) => e.outcome))];
    if (FINAL.includes(status) && (outcomesSeen.length !== 1 || outcomesSeen[0] !== status))
      problems.push(`#${c.n} ${c.plan}: record ${status} but Completed events say ${JSON.stringify(completed.get(c.transferId) ?? [])}`);
  }
  const disagreements = problems.filter((p) => !p.includes('STRANDED') && !p.includes('still') && !p.includes('could not start')).length;

  const iotStats = cloud.iot.stats();
  const faultsInjected = iotStats.faultsInjected + cloud.events.faultsInjected + crashes;
  const planCounts: Record<string, number> = {};
  for (const c of cases) planCounts[c.plan] = (planCounts[c.plan] ?? 0) + 1;
  console.log(`\nchaos report (${elapsed.toFixed(1)} s after the first request)`);
  console.log(
    `  faults injected       ${faultsInjected} (IoT ${iotStats.faultsInjected}, EventBridge ${cloud.events.faultsInjected} ${JSON.stringify(cloud.events.faultsByKind)}, Lambda crashes ${crashes})`,
  );
  console.log(`  IoT calls             ${iotStats.calls} (${iotStats.throttled} throttled at the AWS default quotas)`);
  console.log(`  Lambda killed at timeout ${kills}`);
  console.log(`  IAM denials           ${denials} (the cancel-denied plans' Deny)`);
  console.log(`  plans                 ${JSON.stringify(planCounts)}`);
  console.log(`  outcomes              ${JSON.stringify(outcomes)}`);
  console.log(`  restore failed        ${restoreFailed} (repaired ${repaired})`);
  console.log(`  stranded              ${stranded}`);
  console.log(`  stuck                 ${stuck}`);
  console.log(`  disagreements         ${disagreements}`);
  for (const p of problems.slice(0, 30)) console.log(`  ! ${p}`);
  for (const e of serverErrors.slice(0, 10)) console.log(`  retried answer: ${e}`);
  for (const client of [source, human]) client.destroy();
  humanEvents.destroy();
  sfn.destroy();
  await cloud.stop();
  console.log(
    JSON.stringify({
      transfers: cases.length,
      faultsInjected,
      lambdaKilled: kills,
      stranded,
      stuck,
      disagreements,
      restoreFailed,
      repaired,
      outcomes,
      largestCertificate: { policies: 10, things: LARGE_THINGS, thingNameLength: 128 },
    }),
  );
  return stranded === 0 && stuck === 0 && disagreements === 0 && repaired === restoreFailed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

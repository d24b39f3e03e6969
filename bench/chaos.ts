import '../local/polyfills.js';
import { parseArgs } from 'node:util';
import {
  AcceptCertificateTransferCommand,
  DescribeCertificateCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsV2Command,
  RejectCertificateTransferCommand,
} from '@aws-sdk/client-iot';
import { startLocalCloud, type LocalCloud } from '../local/cloud.js';
import { LambdaInvocationError } from '../local/lambda/runtime.js';
import { seededRandom as prng } from '../local/shared/prng.js';
import { TransferApiClient } from '../src/client/api.js';
import { makeDeviceCertificate, type DeviceCertificate } from '../test/support/cloud.js';

/**
 * `npm run chaos`: many transfers under injected faults, then the invariants
 * checked from the IoT state itself. Faults: IoT ThrottlingException,
 * ServiceUnavailableException, InternalFailureException; Lambda steps that
 * crash after their IoT call succeeded; duplicate, delayed and out-of-order
 * EventBridge delivery; accepts racing the timeout. Seeded: the same seed
 * gives the same fault decisions (timing on a busy machine still varies).
 */
const { values: args } = parseArgs({
  options: {
    transfers: { type: 'string', default: '200' },
    seed: { type: 'string', default: '42' },
    'fault-rate': { type: 'string', default: '0.1' },
    'timeout-seconds': { type: 'string', default: '8' },
  },
});
const N = Number(args.transfers);
const SEED = Number(args.seed);
const FAULT_RATE = Number(args['fault-rate']);
const TIMEOUT = Number(args['timeout-seconds']);

const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';
const FINAL = ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'];

type Plan = 'auto-accept' | 'manual-accept' | 'manual-reject' | 'expire' | 'accept-at-timeout' | 'cancel';
const PLANS: [Plan, number][] = [['auto-accept', 0.3], ['manual-accept', 0.15], ['manual-reject', 0.15], ['expire', 0.1], ['accept-at-timeout', 0.1], ['cancel', 0.2]];

interface Case {
  n: number;
  plan: Plan;
  cert: DeviceCertificate;
  target: string;
  transferId?: string;
  startError?: string;
  record?: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const rand = prng(SEED);
  const crashRand = prng(SEED + 1);
  let crashes = 0;
  const t0 = Date.now();
  console.log(`chaos: ${N} transfers, seed ${SEED}, fault rate ${FAULT_RATE} per call and delivery`);

  const cloud: LocalCloud = await startLocalCloud({
    awsPort: 0,
    apiPort: 0,
    scheduleIntervalMs: 1_000,
    retryIntervalMs: 100,
    logLevel: 'SILENT',
    // Offers expire after TIMEOUT seconds (8 by default): below the stack's floor of 60, so lowered on purpose.
    sourceParams: { minTimeoutSeconds: String(TIMEOUT) },
    iot: { keyAlgorithm: 'ec', faults: { rate: FAULT_RATE, seed: SEED } },
    eventBridge: { faults: { duplicateRate: FAULT_RATE / 2, delayRate: FAULT_RATE / 2, delayMs: { min: 50, max: 1500 }, reorder: true, seed: SEED } },
    // A step that crashes after its work succeeded, before it could return: the retry sees the work half done.
    intercept: async (fn, _event, run) => {
      const result = await run();
      if (fn.account === SOURCE && fn.name.includes('-local-') && !fn.name.includes('-api') && crashRand() < FAULT_RATE / 2) {
        crashes++;
        throw new LambdaInvocationError({ errorType: 'Runtime.ExitError', errorMessage: `Error: Runtime exited with error: signal: killed (injected after ${fn.name} succeeded)` });
      }
      return result;
    },
  });
  await cloud.warmed;
  const iot = (account: string) => new IoTClient({ endpoint: cloud.awsUrl, region: cloud.region, credentials: { accessKeyId: account, secretAccessKey: 'x' }, maxAttempts: 12 });
  const source = iot(SOURCE);
  const human = iot(HUMAN);
  const auto = iot(AUTO);
  const api = new TransferApiClient({ endpoint: cloud.apiUrl, region: cloud.region, credentials: { accessKeyId: SOURCE, secretAccessKey: 'x' } });

  // Completed events on the source bus, to check against the records.
  const completed = new Map<string, string[]>();
  cloud.events.onEvent((change) => {
    if (change.type !== 'event') return;
    const ev = change.record.event as { 'detail-type'?: string; detail?: { transferId?: string; outcome?: string } };
    if (ev['detail-type'] === 'Certificate Transfer Completed' && change.record.account === SOURCE && ev.detail?.transferId) {
      const list = completed.get(ev.detail.transferId) ?? [];
      if (!list.includes(ev.detail.outcome!)) list.push(ev.detail.outcome!);
      completed.set(ev.detail.transferId, list);
    }
  });

  // Fleet set-up (faults apply here too; the SDK retries them).
  const cases: Case[] = [];
  for (let i = 0; i < N; i++) {
    let r = rand();
    let plan: Plan = 'auto-accept';
    for (const [p, w] of PLANS) {
      if (r < w) {
        plan = p;
        break;
      }
      r -= w;
    }
    cases.push({ n: i, plan, cert: undefined as unknown as DeviceCertificate, target: plan === 'auto-accept' ? AUTO : HUMAN });
  }
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < cases.length) {
      const c = cases[next++];
      c.cert = await makeDeviceCertificate(source, { policies: 1 + (c.n % 2), things: 1, exclusive: c.n % 3 === 0 });
    }
  }));
  console.log(`set-up: ${N} certificates with policies and things in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const serverErrors: string[] = [];
  const startRetry = async (c: Case) => {
    for (let attempt = 0; attempt < 8; attempt++) {
      // requestId makes the retry safe: a POST that timed out but went through is not started twice.
      const res = await api.request('POST', '/transfers', { certificateId: c.cert.certificateId, targetAccount: c.target, timeoutSeconds: TIMEOUT, requestId: `chaos-${SEED}-${c.n}` });
      if (res.status === 202) return String(res.body.transferId);
      if (res.status < 500 && res.status !== 429) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
      serverErrors.push(`${res.status} ${JSON.stringify(res.body)}`);
      await sleep(200 * (attempt + 1));
    }
    throw new Error('POST /transfers kept failing');
  };

  const waitStatus = async (id: string, pred: (s: string) => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await api.request('GET', `/transfers/${id}`);
      if (r.status === 200 && pred(String(r.body.status))) return r.body;
      if (Date.now() > deadline) return r.body;
      await sleep(150);
    }
  };

  const startedAt = Date.now();
  await Promise.all(cases.map(async (c) => {
    try {
      c.transferId = await startRetry(c);
    } catch (err) {
      c.startError = (err as Error).message;
      return;
    }
    const id = c.transferId;
    if (c.plan === 'auto-accept' || c.plan === 'expire') return;
    await waitStatus(id, (s) => s !== 'REQUESTED' && s !== 'PREPARING');
    try {
      if (c.plan === 'manual-accept') await human.send(new AcceptCertificateTransferCommand({ certificateId: c.cert.certificateId, setAsActive: true }));
      if (c.plan === 'manual-reject') await human.send(new RejectCertificateTransferCommand({ certificateId: c.cert.certificateId, rejectReason: 'chaos says no' }));
      if (c.plan === 'cancel') await api.request('DELETE', `/transfers/${id}`, { reason: 'chaos cancel' });
      if (c.plan === 'accept-at-timeout') {
        const rec = await api.request('GET', `/transfers/${id}`);
        const expiresAt = Date.parse(String(rec.body.expiresAt ?? '')) || Date.now();
        await sleep(Math.max(0, expiresAt - Date.now()));
        await human.send(new AcceptCertificateTransferCommand({ certificateId: c.cert.certificateId, setAsActive: true }));
      }
    } catch {
      // The decision lost a race (e.g. the offer was already withdrawn): that is part of the test.
    }
  }));

  // Wait until every execution of the transfer workflow has ended.
  const deadline = Date.now() + Math.max(180_000, N * 1_000);
  const running = () => cloud.sfn.allExecutions({ stateMachineArn: cloud.transferStateMachineArn, status: 'RUNNING' }).length;
  while (running() > 0 && Date.now() < deadline) await sleep(250);
  await cloud.events.waitForIdle(30_000).catch(() => undefined);
  const elapsed = (Date.now() - startedAt) / 1000;

  // Invariants, from the IoT state itself.
  const outcomes: Record<string, number> = {};
  const problems: string[] = [];
  let stranded = 0;
  let stuck = running();
  for (const c of cases) {
    if (c.startError) {
      problems.push(`#${c.n} could not start: ${c.startError}`);
      stuck++;
      continue;
    }
    const rec = (await api.request('GET', `/transfers/${c.transferId}`)).body;
    c.record = rec;
    const status = String(rec.status);
    outcomes[status] = (outcomes[status] ?? 0) + 1;
    if (!FINAL.includes(status)) {
      stuck++;
      problems.push(`#${c.n} ${c.plan}: record still ${status}`);
    }
    const inSource = await source.send(new DescribeCertificateCommand({ certificateId: c.cert.certificateId })).catch(() => undefined);
    const targetClient = c.target === AUTO ? auto : human;
    const inTarget = await targetClient.send(new DescribeCertificateCommand({ certificateId: c.cert.certificateId })).catch(() => undefined);
    const ownedByTarget = !inSource && inTarget?.certificateDescription?.ownedBy === c.target;

    let restored = false;
    if (inSource?.certificateDescription?.status === 'ACTIVE') {
      const policies = (await source.send(new ListAttachedPoliciesCommand({ target: c.cert.certificateArn }))).policies?.map((p) => p.policyName).sort() ?? [];
      const things = (await source.send(new ListPrincipalThingsV2Command({ principal: c.cert.certificateArn }))).principalThingObjects ?? [];
      restored = JSON.stringify(policies) === JSON.stringify([...c.cert.policies].sort()) && JSON.stringify(things.map((t) => t.thingName).sort()) === JSON.stringify([...c.cert.things].sort())
        && things.every((t) => t.thingPrincipalType === (c.cert.things.indexOf(t.thingName!) === 0 && c.n % 3 === 0 ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING'));
    }
    if (!ownedByTarget && !restored) {
      stranded++;
      problems.push(`#${c.n} ${c.plan} ${status}: STRANDED (source: ${inSource?.certificateDescription?.status ?? 'gone'}, target: ${inTarget?.certificateDescription?.status ?? 'none'})`);
      continue;
    }
    if (status === 'ACCEPTED' && !ownedByTarget) problems.push(`#${c.n} ${c.plan}: record ACCEPTED but the certificate is back in the source`);
    if (FINAL.includes(status) && status !== 'ACCEPTED' && ownedByTarget) problems.push(`#${c.n} ${c.plan}: record ${status} but the target owns the certificate`);
    const events = completed.get(String(c.transferId)) ?? [];
    if (FINAL.includes(status) && (events.length !== 1 || events[0] !== status)) problems.push(`#${c.n} ${c.plan}: record ${status} but Completed events say ${JSON.stringify(events)}`);
  }
  const disagreements = problems.filter((p) => !p.includes('STRANDED') && !p.includes('still') && !p.includes('could not start')).length;

  const iotStats = cloud.iot.stats();
  const faultsInjected = iotStats.faultsInjected + cloud.events.faultsInjected + crashes;
  console.log(`\nchaos report (${elapsed.toFixed(1)} s after the first request)`);
  console.log(`  faults injected       ${faultsInjected} (IoT ${iotStats.faultsInjected}, EventBridge ${cloud.events.faultsInjected} ${JSON.stringify(cloud.events.faultsByKind)}, Lambda crashes ${crashes})`);
  console.log(`  IoT calls             ${iotStats.calls}`);
  const plans: Record<string, number> = {};
  for (const c of cases) plans[c.plan] = (plans[c.plan] ?? 0) + 1;
  console.log(`  plans                 ${JSON.stringify(plans)}`);
  console.log(`  outcomes              ${JSON.stringify(outcomes)}`);
  console.log(`  stranded              ${stranded}`);
  console.log(`  stuck                 ${stuck}`);
  console.log(`  disagreements         ${disagreements}`);
  for (const p of problems.slice(0, 30)) console.log(`  ! ${p}`);
  for (const e of serverErrors.slice(0, 10)) console.log(`  retried answer from POST /transfers: ${e}`);
  for (const c of [source, human, auto]) c.destroy();
  await cloud.stop();
  console.log(JSON.stringify({ transfers: N, faultsInjected, stranded, stuck, outcomes }));
  return stranded === 0 && stuck === 0 && disagreements === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(1);
});

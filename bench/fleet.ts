import '../local/polyfills.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { AWS_DEFAULT_IOT_QUOTAS, type IotOperation } from '../local/iot/model.js';
import { startLocalCloud, type LocalCloud } from '../local/cloud.js';
import { TYPICAL_CALLS_PER_TRANSFER } from '../src/concurrency.js';
import { DEMO_ACCOUNTS } from '../src/demo-accounts.js';
import { TransferApiClient } from '../src/api-client.js';
import { bundleSummary, measureBundles, printBundles } from './bundles.js';

/**
 * `npm run bench`: a fleet of certificates moved to the auto-accept account
 * through POST /transfer-batches, on the local cloud with AWS default IoT
 * quotas and realistic latency, measured side by side with the documented
 * AWS CLI procedure on a sample. Prints a table, then one JSON line.
 */
const { values: args } = parseArgs({
  options: {
    transfers: { type: 'string', default: '1000' },
    'cli-sample': { type: 'string', default: '5' },
    /** Transfers in flight; by default the batch's own, derived from the quotas (src/concurrency.ts). */
    'max-concurrency': { type: 'string' },
    /** Instances the local Lambda keeps alive per function (a local resource cap, 4 by default; AWS scales to the account's concurrency). */
    'lambda-instances': { type: 'string', default: '4' },
    /** Leave out the bundle sizes and cold-init times (a quick run). */
    'skip-bundles': { type: 'boolean', default: false },
    /** Raise every IoT quota of the transfer's APIs to this many TPS, in the emulator and in iotRateLimits alike. */
    'quota-tps': { type: 'string' },
    'latency-min': { type: 'string', default: '20' },
    'latency-max': { type: 'string', default: '60' },
  },
});
const N = Number(args.transfers);
/** The IoT quotas of the run: AWS's defaults, or every one raised to --quota-tps (the emulator's and the service's rate budget alike). */
const QUOTAS = (() => {
  const tps = args['quota-tps'] === undefined ? undefined : Number(args['quota-tps']);
  if (tps === undefined) return { raised: false, quotas: AWS_DEFAULT_IOT_QUOTAS, rateLimits: '' };
  if (!Number.isFinite(tps) || tps <= 0) throw new Error('--quota-tps takes a positive number of calls per second');
  const quotas = Object.fromEntries(Object.entries(AWS_DEFAULT_IOT_QUOTAS).map(([op, q]) => [op, Math.max(Number(q), tps)])) as typeof AWS_DEFAULT_IOT_QUOTAS;
  return {
    raised: true,
    quotas,
    rateLimits: Object.entries(quotas)
      .map(([op, q]) => `${op}=${q}`)
      .join(','),
  };
})();
const CLI_SAMPLE = Number(args['cli-sample']);
const SOURCE = DEMO_ACCOUNTS.source;
const TARGET = DEMO_ACCOUNTS.autoAccept;
const region = 'us-east-1';
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The IoT calls one transfer of a certificate with one policy and one thing
 * needs, at the least, when every decision is checked with IoT: an Accepted
 * event is a hint (issue 12), so the decision handler reads the certificate
 * once (DescribeCertificate answers ResourceNotFoundException once it has
 * left: a call that counts against the quota all the same).
 */
const MINIMAL: Partial<Record<IotOperation, number>> = {
  // The source account's calls, as the product's concurrency counts them (the request's check, and the decision's check with IoT: 2 DescribeCertificate)…
  ...(TYPICAL_CALLS_PER_TRANSFER as Partial<Record<IotOperation, number>>),
  AcceptCertificateTransfer: 1, // …and the target account's
};
/** The documented procedure, as the seed's CLI steps run it: no validation, no check of the decision. */
const UNCHECKED: Partial<Record<IotOperation, number>> = { ...MINIMAL, DescribeCertificate: 0 };
const minimalCalls = Object.values(MINIMAL).reduce((a, b) => a + (b ?? 0), 0);

/** Public us-east-1 prices (late 2026) used for the cost estimate. */
const PRICES = {
  sfnPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1e6,
  lambdaPerGbSecondArm: 0.0000133334,
  lambdaMemoryGb: 0.25,
  eventBridgePerEvent: 1.0 / 1e6,
  dynamoPerWrite: 1.25 / 1e6,
  dynamoPerRead: 0.25 / 1e6,
};

interface Counters {
  lambdaInvocations: number;
  lambdaMs: number;
  dynamoWrites: number;
  dynamoReads: number;
}

async function setUpFleet(cloud: LocalCloud, n: number): Promise<{ id: string; arn: string }[]> {
  // Set-up goes straight to the model: it is not what is measured, and it skips the quotas.
  const ctx = { account: SOURCE, region };
  const policyName = 'fleet-device-policy';
  cloud.iot.createPolicy(ctx, { policyName, policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }) });
  const certs: { id: string; arn: string }[] = [];
  for (let i = 0; i < n; i++) {
    const c = await cloud.iot.createKeysAndCertificate(ctx, { setAsActive: true });
    cloud.iot.attachPolicy(ctx, { policyName, target: c.certificateArn! });
    const thingName = `fleet-device-${i}`;
    cloud.iot.createThing(ctx, { thingName });
    cloud.iot.attachThingPrincipal(ctx, { thingName, principal: c.certificateArn! });
    certs.push({ id: c.certificateId!, arn: c.certificateArn! });
  }
  return certs;
}

async function cliProcedure(cloud: LocalCloud, certs: { id: string; arn: string }[]): Promise<number | undefined> {
  const aws = '/usr/bin/aws';
  if (!existsSync(aws)) {
    console.warn('  (skipping the CLI comparison: /usr/bin/aws not found; apt-get install awscli)');
    return undefined;
  }
  const home = mkdtempSync(join(tmpdir(), 'bench-aws-'));
  const cli = async (account: string, ...a: string[]) => {
    const { stdout } = await run(aws, ['--endpoint-url', cloud.awsUrl, '--region', region, '--output', 'json', ...a], {
      env: { PATH: '/usr/bin:/bin', HOME: home, AWS_ACCESS_KEY_ID: account, AWS_SECRET_ACCESS_KEY: 'x', AWS_PAGER: '', AWS_CONFIG_FILE: join(home, 'none') },
    });
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  };
  const t0 = performance.now();
  for (const c of certs) {
    // The seed's documented procedure, one certificate at a time.
    await cli(SOURCE, 'iot', 'update-certificate', '--certificate-id', c.id, '--new-status', 'INACTIVE');
    const policies = (await cli(SOURCE, 'iot', 'list-attached-policies', '--target', c.arn)).policies as { policyName: string }[];
    for (const p of policies) await cli(SOURCE, 'iot', 'detach-policy', '--target', c.arn, '--policy-name', p.policyName);
    const things = (await cli(SOURCE, 'iot', 'list-principal-things', '--principal', c.arn)).things as string[];
    for (const t of things) await cli(SOURCE, 'iot', 'detach-thing-principal', '--principal', c.arn, '--thing-name', t);
    for (let attempt = 0; ; attempt++) {
      try {
        await cli(SOURCE, 'iot', 'transfer-certificate', '--certificate-id', c.id, '--target-aws-account', TARGET);
        break;
      } catch (err) {
        if (attempt > 5) throw err;
      }
    }
    await cli(TARGET, 'iot', 'accept-certificate-transfer', '--certificate-id', c.id, '--set-as-active');
  }
  return (performance.now() - t0) / 1000 / certs.length;
}

async function main(): Promise<number> {
  console.log(`bench: ${N} certificates (1 policy, 1 thing each) → ${TARGET} through POST /transfer-batches`);
  console.log(`local cloud with AWS default IoT quotas and ${args['latency-min']}–${args['latency-max']} ms IoT latency`);
  const counters: Counters = { lambdaInvocations: 0, lambdaMs: 0, dynamoWrites: 0, dynamoReads: 0 };
  const cloud = await startLocalCloud({
    awsPort: 0,
    apiPort: 0,
    logLevel: 'ERROR',
    scheduleIntervalMs: 5_000,
    sourceParams: { reconcilerGraceSeconds: '30', ...(QUOTAS.raised ? { iotRateLimits: QUOTAS.rateLimits } : {}) },
    lambda: { maxInstancesPerFunction: Number(args['lambda-instances']) },
    iot: { keyAlgorithm: 'ec', quotas: QUOTAS.quotas, latencyMs: { min: Number(args['latency-min']), max: Number(args['latency-max']) } },
    onInvocation: (r) => {
      counters.lambdaInvocations++;
      counters.lambdaMs += r.durationMs;
    },
    onDynamoRequest: (op) => {
      if (/^(Get|Query|Scan|BatchGet)/.test(op)) counters.dynamoReads++;
      else if (/^(Put|Update|Delete|BatchWrite)/.test(op)) counters.dynamoWrites++;
    },
  });
  await cloud.warmed;
  let eventsPublished = 0;
  let counting = false;
  cloud.events.onEvent((change) => {
    if (counting && change.type === 'event') eventsPublished++;
  });
  const api = new TransferApiClient({ endpoint: cloud.apiUrl, region, credentials: { accessKeyId: SOURCE, secretAccessKey: 'x' } });

  const setup0 = performance.now();
  const certs = await setUpFleet(cloud, N + CLI_SAMPLE);
  const fleet = certs.slice(0, N);
  const sample = certs.slice(N);
  console.log(`set-up: ${certs.length} certificates in ${((performance.now() - setup0) / 1000).toFixed(1)} s (not measured)`);

  // --- the product: one batch request for the whole fleet ---
  cloud.iot.resetStats();
  Object.assign(counters, { lambdaInvocations: 0, lambdaMs: 0, dynamoWrites: 0, dynamoReads: 0 });
  const t0 = Date.now();
  const elu0 = performance.eventLoopUtilization();
  // CPU of the whole process (every thread: the emulators, dynalite's thread, each Lambda instance, V8's own).
  const cpu0 = process.cpuUsage();
  counting = true;
  const batch = await api.startBatch({ certificateIds: fleet.map((c) => c.id), targetAccount: TARGET, ...(args['max-concurrency'] ? { maxConcurrency: Number(args['max-concurrency']) } : {}) });
  const { maxConcurrency } = (await api.getBatch(String(batch.batchId))) as { maxConcurrency: number };
  console.log(`  batch ${String(batch.batchId)}: ${maxConcurrency} transfers in flight${args['max-concurrency'] ? '' : ' (the default the quotas give)'}`);
  const batchId = String(batch.batchId);
  let last = '';
  for (;;) {
    const b = await api.getBatch(batchId);
    const counts = (b.counts ?? {}) as Record<string, number>;
    const line = JSON.stringify(counts);
    if (line !== last) {
      process.stdout.write(`\r  ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${line.padEnd(90)}`);
      last = line;
    }
    const done = ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'].reduce((a, s) => a + (counts[s] ?? 0), 0);
    if (done >= N && b.status !== 'RUNNING') break;
    if (Date.now() - t0 > Math.max(600_000, N * 2_000)) throw new Error('the batch did not finish in time');
    await sleep(500);
  }
  process.stdout.write('\n');
  // How busy the local cloud's own thread was (every emulator, the edge, dynalite): near 1, the machine, not the quotas, set the pace.
  const localCloudBusy = performance.eventLoopUtilization(elu0).utilization;
  const batchWallSeconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const cores = availableParallelism();
  // Near 1: every core of this machine was busy, and the machine (not the quotas) set the pace.
  const machineCpuBusy = cpuSeconds / (batchWallSeconds * cores);

  // First request to last ACCEPTED, from the records' own history.
  let lastAccepted = 0;
  let accepted = 0;
  const notAccepted: { status: string; reason?: string }[] = [];
  const records: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  do {
    const page = await api.listTransfers({ batchId, nextToken, limit: '100' });
    records.push(...((page.items ?? []) as Record<string, unknown>[]));
    nextToken = page.nextToken as string | undefined;
  } while (nextToken);
  for (const r of records) {
    if (r.status === 'ACCEPTED') {
      accepted++;
      const at = ((r.history ?? []) as { at: string; status: string }[]).find((h) => h.status === 'ACCEPTED')?.at;
      lastAccepted = Math.max(lastAccepted, Date.parse(at ?? String(r.updatedAt)));
    } else notAccepted.push({ status: String(r.status), reason: r.reason as string | undefined });
  }
  const fleetSeconds = (lastAccepted - t0) / 1000;
  // Each transfer's own time, request to ACCEPTED: with the quotas' throughput, it says how many must be in flight (Little's law).
  const durations = records
    .filter((r) => r.status === 'ACCEPTED')
    // The list's items carry no history: an ACCEPTED transfer's last update is its acceptance.
    .map((r) => (Date.parse(String(r.updatedAt)) - Date.parse(String(r.createdAt))) / 1000)
    .filter((s) => Number.isFinite(s))
    .sort((a, b) => a - b);
  const medianTransferSeconds = durations.length ? durations[Math.floor(durations.length / 2)] : undefined;
  const throttledFailures = notAccepted.filter((r) => /Throttl|rate budget/i.test(r.reason ?? '')).length;

  // IoT calls counted by the emulator, during the batch only.
  const stats = cloud.iot.stats();
  const byOp: Record<string, { ok: number; failed: number; throttled: number }> = {};
  for (const ops of Object.values(stats.byAccount)) {
    for (const [op, s] of Object.entries(ops)) {
      byOp[op] ??= { ok: 0, failed: 0, throttled: 0 };
      byOp[op].ok += s!.succeeded;
      byOp[op].failed += s!.failed;
      byOp[op].throttled += s!.throttled;
    }
  }
  // Every call answered counts against its quota, an error (ResourceNotFoundException) as well as a success.
  const answeredCalls = Object.values(byOp).reduce((a, s) => a + s.ok + s.failed, 0);
  const apiCallsPerTransfer = answeredCalls / N;
  // The fastest any client could go: the busiest API's calls over its quota (accounts run in parallel).
  const bound = (calls: Partial<Record<IotOperation, number>>) => {
    const perOp = Object.entries(calls).map(([op, per]) => ({ op, seconds: (N * (per ?? 0)) / Number(QUOTAS.quotas[op as IotOperation] ?? Infinity) }));
    return perOp.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  };
  const busiest = bound(MINIMAL);
  const quotaBoundSeconds = busiest.seconds;
  const quotaEfficiency = quotaBoundSeconds / fleetSeconds;
  // The local cloud's own bound: the CPU the whole fleet cost, spread over every core. The slower of the two bounds is the one that binds.
  const cpuSecondsPerTransfer = cpuSeconds / N;
  const machineBoundSeconds = cpuSeconds / cores;
  const boundSeconds = Math.max(quotaBoundSeconds, machineBoundSeconds);
  // The CLI procedure's own bound (no DescribeCertificate): the ceiling of speedupVsCli below is cliSecondsPerCert × N / this.
  const uncheckedBoundSeconds = bound(UNCHECKED).seconds;

  // State transitions, from the execution histories (children and the batch itself).
  const sfn = new SFNClient({ endpoint: cloud.awsUrl, region, credentials: { accessKeyId: SOURCE, secretAccessKey: 'x' } });
  const transitions = async (executionArn: string) => {
    let count = 0;
    let token: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: token, maxResults: 1000 }));
      count += (page.events ?? []).filter((e: HistoryEvent) => e.type?.endsWith('StateEntered') || e.type === 'MapIterationStarted').length;
      token = page.nextToken;
    } while (token);
    return count;
  };
  let totalTransitions = await transitions(String(batch.executionArn));
  // The batch runs its groups and slices as child executions of its own machine (<batchId>-group-<n>, <batchId>-slice-<n>).
  const slices = cloud.sfn.allExecutions({ stateMachineArn: cloud.batchStateMachineArn }).filter((e) => e.name.startsWith(`${batchId}-slice-`) || e.name.startsWith(`${batchId}-group-`));
  for (const s of slices) totalTransitions += await transitions(s.executionArn);
  for (const r of records) totalTransitions += await transitions(String(r.executionArn));
  sfn.destroy();
  const stateTransitionsPerTransfer = totalTransitions / N;

  counting = false;
  const cost = {
    stepFunctions: totalTransitions * PRICES.sfnPerTransition,
    lambda: counters.lambdaInvocations * PRICES.lambdaPerRequest + (counters.lambdaMs / 1000) * PRICES.lambdaMemoryGb * PRICES.lambdaPerGbSecondArm,
    eventBridge: eventsPublished * PRICES.eventBridgePerEvent,
    dynamodb: counters.dynamoWrites * PRICES.dynamoPerWrite + counters.dynamoReads * PRICES.dynamoPerRead,
  };
  const costPer1000TransfersUsd = ((cost.stepFunctions + cost.lambda + cost.eventBridge + cost.dynamodb) / N) * 1000;

  // --- the documented alternative, on the same cloud ---
  cloud.iot.resetStats();
  const cliSecondsPerCert = sample.length ? await cliProcedure(cloud, sample) : undefined;
  const speedupVsCli = cliSecondsPerCert ? (cliSecondsPerCert * N) / fleetSeconds : null;
  // No client of the same quotas can do better than its bound: the CLI procedure's time over the product's bound.
  const speedupCeiling = cliSecondsPerCert ? (cliSecondsPerCert * N) / quotaBoundSeconds : null;

  const bundles = args['skip-bundles'] ? [] : await measureBundles();
  await cloud.stop();

  const fmt = (n: number | null | undefined, d = 2) => (n === null || n === undefined ? 'n/a' : n.toFixed(d));
  console.log('\nresults');
  console.log(`  transfers accepted            ${accepted} / ${N}${notAccepted.length ? `  (others: ${JSON.stringify(notAccepted.slice(0, 5))})` : ''}`);
  console.log(`  fleetSeconds                  ${fmt(fleetSeconds, 1)}   first request to last ACCEPTED`);
  console.log(
    `  quotaBoundSeconds             ${fmt(quotaBoundSeconds, 1)}   busiest API's calls / its quota: ${busiest.op}, ${MINIMAL[busiest.op as IotOperation]} per transfer at ${QUOTAS.quotas[busiest.op as IotOperation]} TPS`,
  );
  console.log(`  uncheckedBoundSeconds         ${fmt(uncheckedBoundSeconds, 1)}   the same without DescribeCertificate (no validation, no check of the decision)`);
  console.log(`  quotaEfficiency               ${fmt(quotaEfficiency, 3)}`);
  console.log(`  cliSecondsPerCert             ${fmt(cliSecondsPerCert)}   documented procedure with the Debian AWS CLI, ${sample.length} certificates`);
  console.log(`  speedupVsCli                  ${fmt(speedupVsCli, 1)}   ceiling ${fmt(speedupCeiling, 1)} (cliSecondsPerCert × transfers / quotaBoundSeconds)`);
  console.log(`  apiCallsPerTransfer           ${fmt(apiCallsPerTransfer, 3)}   (minimal ${minimalCalls})`);
  for (const [op, s] of Object.entries(byOp).sort())
    console.log(`    ${op.padEnd(28)} ${String(s.ok).padStart(6)} ok ${String(s.failed).padStart(6)} errors ${String(s.throttled).padStart(5)} throttled`);
  console.log(`  stateTransitionsPerTransfer   ${fmt(stateTransitionsPerTransfer, 1)}`);
  console.log(
    `  costPer1000TransfersUsd       ${fmt(costPer1000TransfersUsd, 4)}   SFN ${fmt((cost.stepFunctions / N) * 1000, 4)}, Lambda ${fmt((cost.lambda / N) * 1000, 4)}, EventBridge ${fmt((cost.eventBridge / N) * 1000, 4)}, DynamoDB ${fmt((cost.dynamodb / N) * 1000, 4)}`,
  );
  console.log(`    assumptions: us-east-1 list prices; Step Functions Standard $0.025 per 1,000 transitions; Lambda arm64 256 MB, $0.20 per 1M requests + $0.0000133334 per GB-s,`);
  console.log(
    `    durations as measured locally (${counters.lambdaInvocations} invocations, ${(counters.lambdaMs / 1000).toFixed(0)} s); EventBridge $1.00 per 1M events (${eventsPublished} events);`,
  );
  console.log(`    the batch's groups and slices are Standard child executions, billed per transition as a Distributed Map's child workflows are;`);
  console.log(`    DynamoDB on demand $1.25 per 1M writes, $0.25 per 1M reads (${counters.dynamoWrites} writes, ${counters.dynamoReads} reads, 1 unit each); free tiers ignored.`);
  console.log(`  throttledFailures             ${throttledFailures}`);
  console.log(`  maxConcurrency                ${maxConcurrency}   medianTransferSeconds ${fmt(medianTransferSeconds, 1)} (request to ACCEPTED)`);
  console.log(`  localCloudBusy                ${fmt(localCloudBusy, 2)}   the local cloud's main thread (emulators, edge, DynamoDB) not idle this share of the batch (waiting for a core counts)`);
  console.log(`  machineCpuBusy                ${fmt(machineCpuBusy, 2)}   the process's CPU over the batch / (wall time × ${cores} cores): every thread, Lambda instances included`);
  console.log(`  cpuSecondsPerTransfer         ${fmt(cpuSecondsPerTransfer, 3)}   machineBoundSeconds ${fmt(machineBoundSeconds, 1)} (the batch's CPU / ${cores} cores)`);
  console.log(
    `  binding bound                 ${quotaBoundSeconds >= machineBoundSeconds ? 'the quota' : 'this machine'}: fleetSeconds is ${fmt(boundSeconds / fleetSeconds, 3)} of max(quotaBoundSeconds, machineBoundSeconds)`,
  );
  if (bundles.length) {
    console.log('  bundles (minified, as deployed) and cold init');
    printBundles(bundles);
  }

  const round = (n: number | null | undefined, d: number) => (n === null || n === undefined ? null : Number(n.toFixed(d)));
  console.log(
    JSON.stringify({
      fleetSeconds: round(fleetSeconds, 2),
      quotaBoundSeconds: round(quotaBoundSeconds, 2),
      quotaEfficiency: round(quotaEfficiency, 3),
      cliSecondsPerCert: round(cliSecondsPerCert, 3),
      speedupVsCli: round(speedupVsCli, 1),
      speedupVsCliCeiling: round(speedupCeiling, 1),
      uncheckedBoundSeconds: round(uncheckedBoundSeconds, 2),
      quotaTps: QUOTAS.raised ? Number(args['quota-tps']) : null,
      transfers: N,
      apiCallsPerTransfer: round(apiCallsPerTransfer, 3),
      minimalApiCallsPerTransfer: minimalCalls,
      stateTransitionsPerTransfer: round(stateTransitionsPerTransfer, 2),
      costPer1000TransfersUsd: round(costPer1000TransfersUsd, 4),
      throttledFailures,
      maxConcurrency,
      medianTransferSeconds: round(medianTransferSeconds, 2),
      localCloudBusy: round(localCloudBusy, 2),
      machineCpuBusy: round(machineCpuBusy, 2),
      cpuSecondsPerTransfer: round(cpuSecondsPerTransfer, 3),
      machineBoundSeconds: round(machineBoundSeconds, 1),
      cores,
      ...(bundles.length ? bundleSummary(bundles) : {}),
    }),
  );
  return accepted === N ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

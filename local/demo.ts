import './polyfills.js';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeCertificateCommand,
  IoTClient,
  RejectCertificateTransferCommand,
} from '@aws-sdk/client-iot';
import { DEMO_ACCOUNTS } from '../src/demo-accounts.js';
import { startLocalCloud, type LocalCloud } from './cloud.js';
import { TransferApiClient } from '../src/api-client.js';
import { MIN_TIMEOUT_SECONDS } from '../src/config.js';
import { localApiUrl, localAwsUrl } from '../src/cli/ids.js';

/**
 * `npm run demo`: three transfers through public interfaces only (the API,
 * the AWS SDK): accepted by 222…, rejected by hand in 333…, and expired. It
 * uses a running `npm start`, or starts its own local cloud.
 */
/** The expiry the demo would like to watch; its own local cloud is started with this floor. */
const DEMO_EXPIRY_SECONDS = 5;
// The ports `npm start` printed (export LOCAL_API_PORT=… LOCAL_AWS_PORT=…), as cert-transfer --local reads them.
const AWS_URL = process.env.LOCAL_AWS_URL ?? localAwsUrl(process.env);
const API_URL = process.env.LOCAL_API_URL ?? localApiUrl(process.env);
const PORTS_SET = Boolean(process.env.LOCAL_API_URL || process.env.LOCAL_API_PORT);
const region = 'us-east-1';
const FINAL: readonly string[] = ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'];

async function reachable(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

const iot = (account: string, endpoint: string) => new IoTClient({ endpoint, region, credentials: { accessKeyId: account, secretAccessKey: 'x' } });

async function deviceCertificate(client: IoTClient, label: string) {
  const cert = await client.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  const policyName = `demo-${label}-${cert.certificateId!.slice(0, 8)}`;
  await client.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }) }));
  await client.send(new AttachPolicyCommand({ policyName, target: cert.certificateArn }));
  const thingName = `demo-${label}-${cert.certificateId!.slice(0, 8)}`;
  await client.send(new CreateThingCommand({ thingName }));
  await client.send(new AttachThingPrincipalCommand({ thingName, principal: cert.certificateArn }));
  return { id: cert.certificateId!, policyName, thingName };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The shortest expiry a running local cloud accepts, at least `wanted`: asked
 * with a request for a certificate that does not exist, so nothing is recorded
 * (404 means the timeout passed validation; a 400 on timeoutSeconds names the range).
 */
async function acceptedExpiry(api: TransferApiClient, target: string, wanted: number): Promise<number> {
  const res = await api.request('POST', '/transfers', { certificateId: '0'.repeat(64), targetAccount: target, timeoutSeconds: wanted });
  if (res.status !== 400 || res.body.field !== 'timeoutSeconds') return wanted;
  const floor = /from (\d+) to/.exec(String(res.body.message));
  return floor ? Number(floor[1]) : MIN_TIMEOUT_SECONDS;
}

interface Scenario {
  name: string;
  target: string;
  expected: string;
  timeoutSeconds?: number;
  /** What the target does once the offer is there. */
  decide?: (certificateId: string) => Promise<void>;
}

async function main(): Promise<number> {
  let cloud: LocalCloud | undefined;
  let awsUrl = AWS_URL;
  let apiUrl = API_URL;
  if (await reachable(`${API_URL}/transfers`)) {
    if (!(await reachable(AWS_URL))) {
      console.error(`The transfer API answers at ${API_URL}, but no AWS endpoint at ${AWS_URL}: export LOCAL_AWS_PORT as npm start printed it`);
      return 1;
    }
    console.log(`Using the local cloud at ${API_URL} (AWS endpoint ${AWS_URL})${PORTS_SET ? '' : '; another one? export LOCAL_API_PORT=… LOCAL_AWS_PORT=… as its npm start printed'}`);
  } else if (PORTS_SET) {
    // Asked for a particular cloud: starting another one elsewhere would not be what was meant.
    console.error(`No local cloud answers at ${API_URL} (LOCAL_API_PORT): start it with npm start, or unset LOCAL_API_PORT / LOCAL_AWS_PORT to let the demo start its own`);
    return 1;
  } else {
    console.log('No local cloud running: starting one for the demo…');
    cloud = await startLocalCloud({
      awsPort: 0,
      apiPort: 0,
      scheduleIntervalMs: 2_000,
      logLevel: 'SILENT',
      iot: { keyAlgorithm: 'ec' },
      // A relaxation for the demo only: a deployment with default parameters refuses timeoutSeconds below 60.
      sourceParams: { minTimeoutSeconds: String(DEMO_EXPIRY_SECONDS) },
    });
    await cloud.warmed;
    awsUrl = cloud.awsUrl;
    apiUrl = cloud.apiUrl;
    console.log(`(relaxed for the demo: timeoutSeconds from ${DEMO_EXPIRY_SECONDS} s; deployed, the floor is ${MIN_TIMEOUT_SECONDS} s)`);
  }
  const api = new TransferApiClient({ endpoint: apiUrl, region, credentials: { accessKeyId: DEMO_ACCOUNTS.source, secretAccessKey: 'x' } });
  const expirySeconds = cloud ? DEMO_EXPIRY_SECONDS : await acceptedExpiry(api, DEMO_ACCOUNTS.human, DEMO_EXPIRY_SECONDS);
  if (expirySeconds > DEMO_EXPIRY_SECONDS) {
    console.log(
      `The running local cloud accepts timeoutSeconds from ${expirySeconds}: the expiry scenario waits ${expirySeconds} s (start it with \`npm start -- --min-timeout-seconds ${DEMO_EXPIRY_SECONDS}\` for a ${DEMO_EXPIRY_SECONDS} s one)`,
    );
  }
  const source = iot(DEMO_ACCOUNTS.source, awsUrl);
  const human = iot(DEMO_ACCOUNTS.human, awsUrl);

  const scenarios: Scenario[] = [
    { name: 'accept (auto-accept target)', target: DEMO_ACCOUNTS.autoAccept, expected: 'ACCEPTED' },
    {
      name: 'reject by hand (notify-only target)',
      target: DEMO_ACCOUNTS.human,
      expected: 'REJECTED',
      decide: async (id) => {
        await human.send(new RejectCertificateTransferCommand({ certificateId: id, rejectReason: 'demo: not our devices' }));
      },
    },
    { name: `expire (no decision, ${expirySeconds} s timeout)`, target: DEMO_ACCOUNTS.human, expected: 'EXPIRED', timeoutSeconds: expirySeconds },
  ];

  let failures = 0;
  const results = await Promise.all(
    scenarios.map(async (s, i) => {
      const cert = await deviceCertificate(source, String(i));
      const t0 = Date.now();
      const started = await api.startTransfer({ certificateId: cert.id, targetAccount: s.target, timeoutSeconds: s.timeoutSeconds, transferMessage: `demo: ${s.name}` });
      const { transferId } = started;
      if (s.decide) {
        await waitFor('the offer', async () => ((await api.getTransfer(transferId)).status === 'AWAITING_DECISION' ? true : undefined));
        await s.decide(cert.id);
      }
      const done = await waitFor(
        `${s.name} to end`,
        async () => {
          const r = await api.getTransfer(transferId);
          return FINAL.includes(r.status) ? r : undefined;
        },
        60_000 + (s.timeoutSeconds ?? 0) * 1000,
      );
      const seconds = (Date.now() - t0) / 1000;
      const owner = s.expected === 'ACCEPTED' ? s.target : DEMO_ACCOUNTS.source;
      const after = await iot(owner, awsUrl).send(new DescribeCertificateCommand({ certificateId: cert.id }));
      return { s, cert, done, seconds, after: after.certificateDescription?.status, owner };
    }),
  );

  for (const { s, cert, done, seconds, after, owner } of results) {
    const ok = done.status === s.expected && after === 'ACTIVE';
    if (!ok) failures++;
    console.log(`\n${ok ? '✔' : '✘'} ${s.name}: ${done.status} in ${seconds.toFixed(1)} s (expected ${s.expected})`);
    console.log(`  certificate ${cert.id}  now ${after} in ${owner}`);
    const history = (done.history as { at: string; status: string; message: string }[]) ?? [];
    const first = history.length ? Date.parse(history[0].at) : 0;
    for (const h of history) console.log(`  +${((Date.parse(h.at) - first) / 1000).toFixed(2).padStart(6)} s  ${h.status.padEnd(18)} ${h.message}`);
    if (done.restore) console.log(`  restore: ${JSON.stringify(done.restore)}`);
  }
  console.log(`\n${scenarios.length - failures}/${scenarios.length} scenarios ended as expected`);
  source.destroy();
  human.destroy();
  await cloud?.stop();
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

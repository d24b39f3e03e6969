import { AttachPolicyCommand, AttachThingPrincipalCommand, CreateKeysAndCertificateCommand, CreatePolicyCommand, CreateThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../local/cloud.js';
import { TransferApiClient } from '../../src/api-client.js';

/** The local cloud on free ports, with SDK clients per account, for end-to-end tests through public interfaces. */
export interface TestCloud {
  cloud: LocalCloud;
  iot(account: string): IoTClient;
  sfn(account?: string): SFNClient;
  events(account: string): EventBridgeClient;
  api(account?: string, secret?: string): TransferApiClient;
  stop(): Promise<void>;
}

/** A timeoutSeconds short enough to watch an offer expire; refused by a cloud started without SHORT_EXPIRY_PARAMS. */
export const SHORT_TIMEOUT_SECONDS = 5;
/** Source-stack params that lower the floor of timeoutSeconds (60 as deployed) to SHORT_TIMEOUT_SECONDS: pass as `sourceParams`. */
export const SHORT_EXPIRY_PARAMS: Record<string, string> = { minTimeoutSeconds: String(SHORT_TIMEOUT_SECONDS) };

export async function startTestCloud(opts: LocalCloudOptions = {}): Promise<TestCloud> {
  const cloud = await startLocalCloud({ awsPort: 0, apiPort: 0, scheduleIntervalMs: 1_000, retryIntervalMs: 50, logLevel: 'SILENT', iot: { keyAlgorithm: 'ec' }, ...opts });
  await cloud.warmed;
  const clients: { destroy(): void }[] = [];
  const creds = (account: string) => ({ accessKeyId: account, secretAccessKey: 'x' });
  const track = <T extends { destroy(): void }>(c: T) => {
    clients.push(c);
    return c;
  };
  return {
    cloud,
    iot: (account) => track(new IoTClient({ endpoint: cloud.awsUrl, region: cloud.region, credentials: creds(account) })),
    sfn: (account = cloud.sourceAccount) => track(new SFNClient({ endpoint: cloud.awsUrl, region: cloud.region, credentials: creds(account) })),
    events: (account) => track(new EventBridgeClient({ endpoint: cloud.awsUrl, region: cloud.region, credentials: creds(account) })),
    api: (account = cloud.sourceAccount, secret = 'x') => new TransferApiClient({ endpoint: cloud.apiUrl, region: cloud.region, credentials: { accessKeyId: account, secretAccessKey: secret } }),
    async stop() {
      for (const c of clients) c.destroy();
      await cloud.stop();
    },
  };
}

export interface DeviceCertificate {
  certificateId: string;
  certificateArn: string;
  policies: string[];
  things: string[];
}

/** A device certificate as a fleet has them: ACTIVE, with policies and things attached. */
export async function makeDeviceCertificate(iot: IoTClient, opts: { policies?: number; things?: number; active?: boolean; exclusive?: boolean } = {}): Promise<DeviceCertificate> {
  const cert = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: opts.active ?? true }));
  const suffix = cert.certificateId!.slice(0, 10);
  const policies: string[] = [];
  for (let i = 0; i < (opts.policies ?? 1); i++) {
    const policyName = `device-policy-${suffix}-${i}`;
    await iot.send(new CreatePolicyCommand({ policyName, policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] }) }));
    await iot.send(new AttachPolicyCommand({ policyName, target: cert.certificateArn }));
    policies.push(policyName);
  }
  const things: string[] = [];
  for (let i = 0; i < (opts.things ?? 1); i++) {
    const thingName = `device-${suffix}-${i}`;
    await iot.send(new CreateThingCommand({ thingName }));
    await iot.send(new AttachThingPrincipalCommand({ thingName, principal: cert.certificateArn, thingPrincipalType: opts.exclusive && i === 0 ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING' }));
    things.push(thingName);
  }
  return { certificateId: cert.certificateId!, certificateArn: cert.certificateArn!, policies, things };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs` with the last state. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Polls GET /transfer-batches/{id} until the batch is no longer RUNNING; resolves with that view. */
export function batchEnded(t: Pick<TestCloud, 'api'>, batchId: string, timeoutMs = 200_000, everyMs = 250): Promise<Record<string, unknown>> {
  return until(
    `batch ${batchId} to finish`,
    async () => {
      const b = await t.api().getBatch(batchId);
      return b.status === 'RUNNING' ? undefined : b;
    },
    timeoutMs,
    everyMs,
  );
}

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CLI as AWS, AWS_CLI_MISSING, awsCliEnv, hasAwsCli as hasCli, stderrOfFailure } from '../support/aws-cli.js';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';

/*
 * The real Debian AWS CLI (2.9, which signs IoT with `execute-api` and ignores
 * AWS_ENDPOINT_URL) against the local cloud: the seed's procedure verbatim,
 * and a human in the notify-only account deciding by hand.
 */
if (!hasCli) console.warn(`Skipping AWS CLI tests: ${AWS_CLI_MISSING}`);

const SOURCE = '111111111111';
const HUMAN = '333333333333';
const run = promisify(execFile);
let t: TestCloud;
const home = mkdtempSync(join(tmpdir(), 'aws-cli-home-'));

async function aws(account: string, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(AWS, ['--endpoint-url', t.cloud.awsUrl, '--region', 'us-east-1', '--output', 'json', ...args], {
    env: awsCliEnv(account, home),
  });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

const awsFails = (account: string, ...args: string[]) => stderrOfFailure(() => aws(account, ...args), `aws ${args.join(' ')}`);

describe.skipIf(!hasCli)('the Debian AWS CLI against the local cloud', () => {
  beforeAll(async () => {
    t = await startTestCloud();
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('runs the documented transfer procedure verbatim, and 333 accepts it', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const id = cert.certificateId;
    const arn = cert.certificateArn;

    await aws(SOURCE, 'iot', 'update-certificate', '--certificate-id', id, '--new-status', 'INACTIVE');
    const policies = (await aws(SOURCE, 'iot', 'list-attached-policies', '--target', arn)).policies as { policyName: string }[];
    expect(policies.map((p) => p.policyName)).toEqual(cert.policies);
    for (const p of policies) await aws(SOURCE, 'iot', 'detach-policy', '--target', arn, '--policy-name', p.policyName);
    const things = (await aws(SOURCE, 'iot', 'list-principal-things', '--principal', arn)).things as string[];
    expect(things).toEqual(cert.things);
    for (const thing of things) await aws(SOURCE, 'iot', 'detach-thing-principal', '--principal', arn, '--thing-name', thing);
    const transferred = await aws(SOURCE, 'iot', 'transfer-certificate', '--certificate-id', id, '--target-aws-account', HUMAN);
    expect(transferred.transferredCertificateArn).toBe(arn);

    const listed = (await aws(HUMAN, 'iot', 'list-certificates')).certificates as { certificateId: string; status: string }[];
    expect(listed.find((c) => c.certificateId === id)?.status).toBe('PENDING_TRANSFER');
    await aws(HUMAN, 'iot', 'accept-certificate-transfer', '--certificate-id', id, '--set-as-active');
    const described = (await aws(HUMAN, 'iot', 'describe-certificate', '--certificate-id', id)).certificateDescription as Record<string, unknown>;
    expect(described).toMatchObject({ status: 'ACTIVE', ownedBy: HUMAN, previousOwnedBy: SOURCE });
    expect(await awsFails(SOURCE, 'iot', 'cancel-certificate-transfer', '--certificate-id', id)).toContain('TransferAlreadyCompletedException');
  });

  it('refuses to transfer an ACTIVE certificate, as IoT does (CertificateStateException)', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 0, things: 0 });
    expect(await awsFails(SOURCE, 'iot', 'transfer-certificate', '--certificate-id', cert.certificateId, '--target-aws-account', HUMAN)).toContain('CertificateStateException');
  });

  it('a manual accept as 333 settles the workflow within a reconciler period: ACCEPTED', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
    const id = String(started.transferId);
    await until('awaiting a decision', async () => (await t.api().getTransfer(id)).status === 'AWAITING_DECISION');

    await aws(HUMAN, 'iot', 'accept-certificate-transfer', '--certificate-id', cert.certificateId, '--set-as-active');
    const done = await until('the reconciler to settle it', async () => {
      const r = await t.api().getTransfer(id);
      return r.status === 'ACCEPTED' ? r : undefined;
    });
    expect(done).toMatchObject({ decision: { decision: 'ACCEPTED', via: 'reconciler' } });
  });

  it('a manual reject as 333 settles the workflow: REJECTED, and the certificate is back in 111 ACTIVE with its policies and things', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 1 });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
    const id = String(started.transferId);
    await until('awaiting a decision', async () => (await t.api().getTransfer(id)).status === 'AWAITING_DECISION');

    await aws(HUMAN, 'iot', 'reject-certificate-transfer', '--certificate-id', cert.certificateId, '--reject-reason', 'unknown devices');
    const done = await until('the reconciler to settle it', async () => {
      const r = await t.api().getTransfer(id);
      return r.status === 'REJECTED' ? r : undefined;
    });
    expect(done).toMatchObject({ reason: 'unknown devices', restore: { status: 'RESTORED' } });
    const d = (await aws(SOURCE, 'iot', 'describe-certificate', '--certificate-id', cert.certificateId)).certificateDescription as Record<string, unknown>;
    expect(d.status).toBe('ACTIVE');
    const policies = (await aws(SOURCE, 'iot', 'list-attached-policies', '--target', cert.certificateArn)).policies as { policyName: string }[];
    expect(policies.map((p) => p.policyName).sort()).toEqual(cert.policies.sort());
    expect((await aws(SOURCE, 'iot', 'list-principal-things', '--principal', cert.certificateArn)).things).toEqual(cert.things);
  });

  it('puts a decision event as a stranger: EventBridge refuses it (bus policy)', async () => {
    const out = await aws(
      '444444444444',
      'events',
      'put-events',
      '--entries',
      JSON.stringify([
        { Source: 'iot.certificate-transfer', DetailType: 'Certificate Transfer Accepted', Detail: '{}', EventBusName: `arn:aws:events:us-east-1:${SOURCE}:event-bus/certificate-transfer-local` },
      ]),
    );
    expect(out.FailedEntryCount).toBe(1);
  });
});

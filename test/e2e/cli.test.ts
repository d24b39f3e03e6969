import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeCertificateCommand } from '@aws-sdk/client-iot';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';

/*
 * `cert-transfer` as an operator runs it: a subprocess (bin/cert-transfer.mjs)
 * against the local cloud with --local, no AWS credentials in its
 * environment (it signs as 111111111111), reading stdin, writing stdout and
 * stderr, ending with an exit code.
 */
const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion; `onStdout` sees output as it comes. */
function cli(args: string[], opts: { input?: string; command?: string[]; onStdout?: (text: string) => void } = {}): Promise<Run> {
  const port = new URL(t.cloud.apiUrl).port;
  const [cmd, ...pre] = opts.command ?? [process.execPath, 'bin/cert-transfer.mjs'];
  const child = spawn(cmd, [...pre, ...args, '--local', '--interval', '100ms'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOCAL_API_PORT: port, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    opts.onStdout?.(stdout);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cert-transfer CLI against the local cloud', () => {
  let accepted = '';

  it('start --wait follows the transfer and prints the outcome ACCEPTED (exit 0)', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });

    const run = await cli(['start', cert.certificateId, '--to', AUTO, '--message', 'from the CLI', '--timeout', '1d', '--wait']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Transfer [0-9a-f-]{36}: ${cert.certificateId} → ${AUTO}$`));
    expect(lines.some((l) => /AWAITING_DECISION/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe('Outcome: ACCEPTED');
    accepted = lines[0].split(' ')[1].replace(/:$/, '');
    const d = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(d.certificateDescription?.ownedBy).toBe(AUTO);
  });

  it('status shows the transfer with its history; --json is the API document', async () => {
    const human = await cli(['status', accepted]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/status\s+ACCEPTED/);
    expect(human.stdout).toContain('History');
    expect(human.stdout).toContain(`console`);

    const json = await cli(['status', accepted, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ transferId: accepted, status: 'ACCEPTED', transferMessage: 'from the CLI', timeoutSeconds: 86_400 });
  });

  it('list --json is parseable and filters; a bad --status is an API error naming the option (exit 3)', async () => {
    const json = await cli(['list', '--status', 'ACCEPTED', '--to', AUTO, '--json']);
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as { items: { transferId: string; status: string }[] };
    expect(page.items.map((i) => i.transferId)).toContain(accepted);
    expect(page.items.every((i) => i.status === 'ACCEPTED')).toBe(true);

    const table = await cli(['list', '--to', AUTO]);
    expect(table.stdout.split('\n')[0]).toMatch(/^TRANSFER\s+STATUS\s+CERTIFICATE\s+TARGET\s+CREATED$/);
    expect(table.stdout).toContain(accepted);

    const bad = await cli(['list', '--status', 'BOGUS']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('cert-transfer: --status: status must be one of REQUESTED');
    expect(bad.stderr).toContain('HTTP 400 ValidationError');
  });

  it('cancel withdraws an offer; watch then ends CANCELLED with exit 4', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const started = await cli(['start', cert.certificateId, '--to', HUMAN, '--json']);
    expect(started.code).toBe(0);
    const transferId = String((JSON.parse(started.stdout) as { transferId: string }).transferId);
    await until('the offer to await a decision', async () => (await t.api().getTransfer(transferId)).status === 'AWAITING_DECISION');

    const cancel = await cli(['cancel', transferId, '--reason', 'wrong account']);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`Transfer ${transferId} CANCELLING`);

    const watch = await cli(['watch', transferId]);
    expect(watch.code).toBe(4);
    expect(watch.stdout).toMatch(/CANCELLED/);
    expect(watch.stdout.trim().split('\n').at(-1)).toMatch(/^Outcome: CANCELLED \(.*restore RESTORED/);
  });

  it('distinct exit codes: 2 for a usage error, 3 for an API refusal, naming what is wrong', async () => {
    const usage = await cli(['start', 'not-an-id', '--to', AUTO]);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toContain('<certificateId> must be 64 hexadecimal characters');

    const missing = await cli(['start', 'ab'.repeat(32), '--to', AUTO]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('<certificateId>: Certificate abab');
    expect(missing.stderr).toContain('HTTP 404 CertificateNotFound');

    const stranger = await cli(['start', 'ab'.repeat(32), '--to', '444444444444']);
    expect(stranger.code).toBe(3);
    expect(stranger.stderr).toContain('--to: targetAccount 444444444444 is not on');
  });

  it('batch from stdin: 20 certificates land in 222…, with a progress bar and a summary (exit 0)', async () => {
    const certs = await Promise.all(Array.from({ length: 20 }, () => makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 })));
    const input = `# twenty devices\n${certs.map((c) => c.certificateId).join('\n')}\n`;

    const run = await cli(['batch', '--to', AUTO, '-', '--max-concurrency', '10', '--message', 'fleet'], { input });

    expect(run.code).toBe(0);
    const progress = run.stderr.split('\n').filter((l) => l.startsWith('['));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/^\[-*#*-*\] \d+\/20 /);
    expect(progress.at(-1)).toBe('[########################] 20/20  accepted 20');
    expect(run.stderr).toMatch(/^Batch [0-9a-f-]{36}: 20 certificates → 222222222222$/m);
    expect(run.stdout).toMatch(/^Batch [0-9a-f-]{36} COMPLETED: 20 of 20 accepted by 222222222222$/m);
    expect(run.stdout).toMatch(/^ {2}ACCEPTED\s+20$/m);
    for (const c of certs) {
      const d = await t.iot(AUTO).send(new DescribeCertificateCommand({ certificateId: c.certificateId }));
      expect(d.certificateDescription, c.certificateId).toMatchObject({ ownedBy: AUTO, status: 'ACTIVE' });
    }
  }, 120_000);

  it('batch --json: the summary is parseable; a list with an unknown certificate ends with exit 4', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 0, things: 0 });
    const unknown = 'cd'.repeat(32);

    const run = await cli(['batch', '--to', AUTO, '-', '--json'], { input: `${cert.certificateId}\n${unknown}\n` });

    expect(run.code).toBe(4);
    const batch = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(batch).toMatchObject({ status: 'COMPLETED', total: 2, accepted: 1, counts: { ACCEPTED: 1, NOT_STARTED: 1 } });
    expect(batch.failures).toEqual([expect.objectContaining({ certificateId: unknown, status: 'NOT_STARTED', error: 'CertificateNotFound' })]);
  });

  it('runs as `npx cert-transfer` through the package.json bin entry', async () => {
    const run = await cli(['list', '--limit', '1', '--json'], { command: ['npx', '--no-install', 'cert-transfer'] });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveProperty('items');
  });
});

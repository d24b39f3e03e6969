import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteRuleCommand, ListRulesCommand, ListTargetsByRuleCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { startTestCloud, type TestCloud } from '../support/cloud.js';

/*
 * `cert-transfer doctor --local` as an operator runs it, against the local cloud on
 * non-default ports given the way the banner says (LOCAL_API_PORT, LOCAL_AWS_PORT):
 * green on a fresh cloud, red with the fix once a target kit's rule is gone.
 */
const AUTO = '222222222222';
const HUMAN = '333333333333';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

async function doctor(): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOCAL_API_PORT: new URL(t.cloud.apiUrl).port,
    LOCAL_AWS_PORT: new URL(t.cloud.awsUrl).port,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/cert-transfer.mjs', 'doctor', '--local'], { cwd: ROOT, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('cert-transfer doctor against the local cloud', () => {
  it('passes every check on a fresh cloud: API, each target bus, rule and Pong, the reconciler (exit 0)', async () => {
    const result = await doctor();

    expect(result.stderr).toBe('');
    expect(result.stdout).not.toContain('✗');
    for (const target of [AUTO, HUMAN]) {
      expect(result.stdout).toContain(`✓ ${target}: its bus accepts events from 111111111111`);
      expect(result.stdout).toContain(`✓ ${target}: target kit's rule for offers and pings`);
      expect(result.stdout).toMatch(new RegExp(`✓ ${target}: decision path returns \\(Ping answered by a Pong\\): Pong in \\d+ ms`));
    }
    expect(result.stdout).toContain('✓ API answers and your credentials may call it');
    expect(result.stdout).toContain('✓ Reconciler ran recently');
    expect(result.stdout).toMatch(/All \d+ checks passed\./);
    expect(result.code).toBe(0);
  }, 60_000);

  it("fails when a target kit's rule is removed, naming the account and the fix (exit 5)", async () => {
    const events = t.events(AUTO);
    const { Rules = [] } = await events.send(new ListRulesCommand({ EventBusName: 'certificate-transfer-target-local' }));
    const rule = Rules.find((r) => r.EventPattern?.includes('Certificate Transfer Offered'));
    expect(rule?.Name).toBeDefined();
    const { Targets = [] } = await events.send(new ListTargetsByRuleCommand({ EventBusName: 'certificate-transfer-target-local', Rule: rule!.Name }));
    await events.send(new RemoveTargetsCommand({ EventBusName: 'certificate-transfer-target-local', Rule: rule!.Name, Ids: Targets.map((x) => x.Id!) }));
    await events.send(new DeleteRuleCommand({ EventBusName: 'certificate-transfer-target-local', Name: rule!.Name }));

    const result = await doctor();

    expect(result.stdout).toContain(`✗ ${AUTO}: target kit's rule for offers and pings: no rule on ${AUTO}'s certificate-transfer-target-local bus matches Certificate Transfer Offered`);
    expect(result.stdout).toContain(`    fix: deploy the target kit in ${AUTO}`);
    expect(result.stdout).toContain(`✗ ${AUTO}: decision path returns (Ping answered by a Pong): no Pong from ${AUTO}`);
    expect(result.stdout).toContain(`✓ ${HUMAN}: decision path returns`);
    expect(result.stdout).toMatch(/2 of \d+ checks failed\./);
    expect(result.code).toBe(5);
  }, 90_000);
});

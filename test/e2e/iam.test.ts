// IAM and resource policies enforced end to end: a stack missing one permission fails on the
// local cloud as it would in AWS, with the certificate untouched; a Lambda permission that does
// not match its rule keeps EventBridge from invoking the function.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { InvocationRecord } from '../../local/lambda/runtime.js';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';
import { expectCertificateAsMade } from '../support/expect-certificate.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const ROOT = process.cwd();
// Beside serverless.yml, so its handler paths and ${file(…)} references resolve as in the original.
const ALTERED = join(ROOT, `.serverless-iam-test-${process.pid}.yml`);

/** serverless.yml with Deactivate's iot:UpdateCertificate removed and the decision rule on the bus ARN (the invoke permission then names a rule that does not exist). */
function alteredStack(): string {
  const original = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const deactivate = /(\n {2}deactivate:\n[\s\S]*?Action: \[)iot:UpdateCertificate(\])/;
  expect(original).toMatch(deactivate);
  let text = original.replace(deactivate, '$1iot:DescribeCertificate$2');
  const decision = /(\n {2}decision:\n[\s\S]*?eventBus:\n\s+)Ref: EventBus/;
  expect(text).toMatch(decision);
  text = text.replace(decision, '$1Fn::GetAtt: [EventBus, Arn]');
  return text;
}

let t: TestCloud;
const invocations: InvocationRecord[] = [];
beforeAll(async () => {
  writeFileSync(ALTERED, alteredStack());
  t = await startTestCloud({ sourceStackFile: ALTERED, onDenied: () => undefined, onInvocation: (r) => invocations.push(r) });
}, 180_000);
afterAll(async () => {
  await t?.stop();
  rmSync(ALTERED, { force: true });
});

describe('IAM enforced by the local cloud', () => {
  it('a role missing one permission fails its step with AccessDeniedException and the certificate stays as it was', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 2 });
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: AUTO });

    const done = await until(
      'the transfer to end',
      async () => {
        const r = await t.api().getTransfer(String(started.transferId));
        return ['ACCEPTED', 'FAILED'].includes(String(r.status)) ? r : undefined;
      },
      60_000,
    );

    expect(done.status).toBe('FAILED');
    expect(JSON.stringify(done)).toContain('AccessDeniedException');
    const denial = t.cloud.iam.recentDenials().find((d) => d.action === 'iot:UpdateCertificate');
    expect(denial?.principal).toMatch(/assumed-role\/certificate-transfer-local-deactivate-us-east-1-lambdaRole\//);
    expect(denial?.resource).toBe(cert.certificateArn);
    await expectCertificateAsMade(t.iot(SOURCE), cert);
  });

  it('a rule whose Lambda permission does not match is not delivered: a failed invocation, the function never runs', async () => {
    const decisionArn = t.cloud.stacks[0].functions.decision;
    const rule = (await t.cloud.events.listRuleNamesByTarget({ account: SOURCE, region: t.cloud.region }, { TargetArn: decisionArn, EventBusName: 'certificate-transfer-local' })).RuleNames[0];
    const ruleArn = `arn:aws:events:${t.cloud.region}:${SOURCE}:rule/certificate-transfer-local/${rule}`;
    const before = invocations.filter((r) => r.functionArn === decisionArn).length;

    const out = await t.events(AUTO).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: `arn:aws:events:${t.cloud.region}:${SOURCE}:event-bus/certificate-transfer-local`,
            Source: 'iot.certificate-transfer',
            DetailType: 'Certificate Transfer Accepted',
            Detail: JSON.stringify({ transferId: 'tr-0000000000000000', certificateId: 'c'.repeat(64) }),
          },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);

    const metrics = await t.cloud.events.waitForMetric(ruleArn, 'FailedInvocations', 1);
    expect(metrics.FailedInvocations).toBeGreaterThanOrEqual(1);
    expect(invocations.filter((r) => r.functionArn === decisionArn).length).toBe(before);
  });

  it('a rule added by hand to a function without a permission for it is refused too', async () => {
    const c = t.events(SOURCE);
    const fn = t.cloud.stacks[0].functions.decision;
    await c.send(new PutRuleCommand({ Name: 'hand-made', EventBusName: 'certificate-transfer-local', EventPattern: JSON.stringify({ source: ['hand.made'] }) }));
    await c.send(new PutTargetsCommand({ Rule: 'hand-made', EventBusName: 'certificate-transfer-local', Targets: [{ Id: 't1', Arn: fn }] }));
    await c.send(new PutEventsCommand({ Entries: [{ EventBusName: 'certificate-transfer-local', Source: 'hand.made', DetailType: 'x', Detail: '{}' }] }));
    const ruleArn = `arn:aws:events:${t.cloud.region}:${SOURCE}:rule/certificate-transfer-local/hand-made`;
    const metrics = await t.cloud.events.waitForMetric(ruleArn, 'FailedInvocations', 1);
    expect(metrics.Invocations).toBe(metrics.FailedInvocations);
  });
});

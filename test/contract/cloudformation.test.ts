// Both packaged templates as CloudFormation and EventBridge take them: cfn-lint finds no error,
// and every rule that targets a function has the invoke permission for that rule's own ARN.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageStack, resourcesOfType, type PackagedStack } from '../support/packaged.js';
import { deployContext, resolved, ruleArn } from '../support/stack-values.js';
import type { IntrinsicContext } from '../../local/cloudformation/intrinsics.js';

const STACKS = [
  { config: 'serverless.yml', name: 'certificate-transfer-dev', rules: 3 },
  { config: 'serverless.target.yml', name: 'certificate-transfer-target-dev', rules: 1 },
];

/** Warnings judged harmless, with why; any other warning fails like an error. */
const ACCEPTED_WARNINGS: Record<string, string> = {
  W3005: 'serverless and its plugins add a DependsOn on the role that the Fn::GetAtt of its Arn already implies',
};

const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const haveCfnLint = cfnLint.status === 0;
if (!haveCfnLint) console.warn('cfn-lint is not installed: skipping the CloudFormation lint (install with `pip install cfn-lint`)');

interface LintMatch {
  Rule: { Id: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Location: { Path: (string | number)[] };
}

function lint(stack: PackagedStack): LintMatch[] {
  const run = spawnSync('cfn-lint', ['-f', 'json', join(stack.dir, 'cloudformation-template-update-stack.json')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // cfn-lint exits non-zero when it finds anything; its JSON on stdout is the answer.
  if (!run.stdout.trim().startsWith('[')) throw new Error(`cfn-lint did not answer in JSON (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout) as LintMatch[];
}

const describeMatch = (m: LintMatch) => `${m.Rule.Id} at ${m.Location.Path.join('/')}: ${m.Message}`;

/** The functions a rule targets, by logical id. */
function lambdaTargets(rule: Record<string, unknown>, functions: Set<string>): string[] {
  return ((rule.Targets ?? []) as { Arn: unknown }[])
    .map((t) => (t.Arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0])
    .filter((id): id is string => id !== undefined && functions.has(id));
}

for (const spec of STACKS) {
  describe(`packaged ${spec.config} as CloudFormation takes it`, () => {
    let stack: PackagedStack;
    let ctx: IntrinsicContext;
    beforeAll(() => {
      stack = packageStack(spec.config);
      ctx = deployContext(stack, spec.name);
    }, 240_000);

    it.skipIf(!haveCfnLint)('passes cfn-lint with no error and no warning not judged harmless', () => {
      const matches = lint(stack);
      const errors = matches.filter((m) => m.Level === 'Error').map(describeMatch);
      const warnings = matches.filter((m) => m.Level === 'Warning' && !ACCEPTED_WARNINGS[m.Rule.Id]).map(describeMatch);
      const accepted = matches.filter((m) => m.Level === 'Warning' && ACCEPTED_WARNINGS[m.Rule.Id]);
      if (accepted.length) console.info(`${spec.config}: ${accepted.length} cfn-lint warning(s) judged harmless (${[...new Set(accepted.map((m) => m.Rule.Id))].join(', ')})`);
      expect(errors).toEqual([]);
      expect(warnings).toEqual([]);
    });

    it('lets EventBridge invoke each function a rule targets, from that rule\'s own ARN only', () => {
      const functions = new Set(resourcesOfType(stack, 'AWS::Lambda::Function').map(([id]) => id));
      const permissions = resourcesOfType(stack, 'AWS::Lambda::Permission').map(([id, p]) => ({ id, ...resolved<{ FunctionName: string; Principal: string; SourceArn?: string; Action: string }>(p.Properties, ctx) }));
      const rules = resourcesOfType(stack, 'AWS::Events::Rule');
      expect(rules).toHaveLength(spec.rules);
      for (const [ruleId, rule] of rules) {
        const props = resolved<{ Name?: string; EventBusName?: string }>(rule.Properties, ctx);
        // A custom bus's rule is arn:aws:events:<region>:<account>:rule/<busName>/<ruleName>.
        const bus = props.EventBusName?.split('/').pop();
        const expected = ruleArn(ctx.region, ctx.accountId, props.Name ?? ctx.resources[ruleId].ref, bus);
        if (bus) expect(resourcesOfType(stack, 'AWS::Events::EventBus').map(([id]) => ctx.resources[id].ref), `${ruleId} bus`).toContain(bus);
        const targets = lambdaTargets(rule.Properties, functions);
        expect(targets.length, `${ruleId} targets a function`).toBeGreaterThan(0);
        for (const fn of targets) {
          const fnArn = ctx.resources[fn].attributes!.Arn;
          const mine = permissions.filter((p) => p.FunctionName === fnArn || p.FunctionName === ctx.resources[fn].ref);
          const forRule = mine.filter((p) => p.Principal === 'events.amazonaws.com' && p.SourceArn === expected && p.Action === 'lambda:InvokeFunction');
          expect(forRule.map((p) => p.id), `${ruleId} → ${fn}: a permission with SourceArn ${expected}; found ${JSON.stringify(mine.map((p) => p.SourceArn))}`).toHaveLength(1);
        }
      }
    });
  });
}

// Both packaged templates as CloudFormation and EventBridge take them: cfn-lint finds no error,
// and every rule that targets a function has the invoke permission for that rule's own ARN.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageStack, resourcesOfType, type PackagedStack } from '../support/packaged.js';
import { deployContext, resolved, ruleArn } from '../support/stack-values.js';
import type { IntrinsicContext } from '../../local/cloudformation/intrinsics.js';

interface QueueStatement {
  Effect: string;
  Principal?: { Service?: string };
  Action: string;
  Resource: string;
  Condition?: { ArnEquals?: { 'aws:SourceArn': string | string[] } };
}
const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const STACKS = [
  { config: 'serverless.yml', name: 'certificate-transfer-dev', rules: 4 },
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
  return ((rule.Targets ?? []) as { Arn: unknown }[]).map((t) => (t.Arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0]).filter((id): id is string => id !== undefined && functions.has(id));
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

    it("lets EventBridge invoke each function a rule targets, from that rule's own ARN only", () => {
      const functions = new Set(resourcesOfType(stack, 'AWS::Lambda::Function').map(([id]) => id));
      const permissions = resourcesOfType(stack, 'AWS::Lambda::Permission').map(([id, p]) => ({
        id,
        ...resolved<{ FunctionName: string; Principal: string; SourceArn?: string; Action: string }>(p.Properties, ctx),
      }));
      const rules = resourcesOfType(stack, 'AWS::Events::Rule');
      expect(rules).toHaveLength(spec.rules);
      for (const [ruleId, rule] of rules) {
        const props = resolved<{ Name?: string; EventBusName?: string }>(rule.Properties, ctx);
        // A custom bus's rule is arn:aws:events:<region>:<account>:rule/<busName>/<ruleName>.
        const bus = props.EventBusName?.split('/').pop();
        const expected = ruleArn(ctx.region, ctx.accountId, props.Name ?? ctx.resources[ruleId].ref, bus);
        if (bus)
          expect(
            resourcesOfType(stack, 'AWS::Events::EventBus').map(([id]) => ctx.resources[id].ref),
            `${ruleId} bus`,
          ).toContain(bus);
        const targets = lambdaTargets(rule.Properties, functions);
        expect(targets.length, `${ruleId} targets a function`).toBeGreaterThan(0);
        for (const fn of targets) {
          const fnArn = ctx.resources[fn].attributes!.Arn;
          const mine = permissions.filter((p) => p.FunctionName === fnArn || p.FunctionName === ctx.resources[fn].ref);
          const forRule = mine.filter((p) => p.Principal === 'events.amazonaws.com' && p.SourceArn === expected && p.Action === 'lambda:InvokeFunction');
          expect(
            forRule.map((p) => p.id),
            `${ruleId} → ${fn}: a permission with SourceArn ${expected}; found ${JSON.stringify(mine.map((p) => p.SourceArn))}`,
          ).toHaveLength(1);
        }
      }
    });

    it('gives every rule target a retry policy and a dead-letter queue whose policy admits that rule, and only as the EventBridge service', () => {
      const queues = new Map(resourcesOfType(stack, 'AWS::SQS::Queue').map(([id]) => [ctx.resources[id].attributes!.Arn, id]));
      const policies = resourcesOfType(stack, 'AWS::SQS::QueuePolicy').map(([, p]) => resolved<{ Queues: string[]; PolicyDocument: { Statement: QueueStatement[] } }>(p.Properties, ctx));
      for (const [ruleId, rule] of resourcesOfType(stack, 'AWS::Events::Rule')) {
        const props = resolved<{
          Name: string;
          EventBusName?: string;
          Targets: { RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number }; DeadLetterConfig?: { Arn: string } }[];
        }>(rule.Properties, ctx);
        const arn = ruleArn(ctx.region, ctx.accountId, props.Name, props.EventBusName?.split('/').pop());
        for (const target of props.Targets) {
          expect(target.RetryPolicy?.MaximumRetryAttempts, `${ruleId} retry attempts`).toBeGreaterThanOrEqual(0);
          expect(target.RetryPolicy?.MaximumEventAgeInSeconds, `${ruleId} event age`).toBeGreaterThanOrEqual(60);
          const queueArn = target.DeadLetterConfig?.Arn;
          expect(queues.has(queueArn ?? ''), `${ruleId} dead-letter queue ${queueArn} is a queue of the stack`).toBe(true);
          const queueUrl = ctx.resources[queues.get(queueArn!)!].ref;
          const statements = policies.filter((p) => p.Queues.includes(queueUrl)).flatMap((p) => p.PolicyDocument.Statement);
          const admits = statements.filter((s) => s.Effect === 'Allow' && s.Principal?.Service === 'events.amazonaws.com' && s.Action === 'sqs:SendMessage' && s.Resource === queueArn);
          expect(
            admits.flatMap((s) => asList(s.Condition?.ArnEquals?.['aws:SourceArn'])),
            `${ruleId}: ${arn} may send to ${queueArn}`,
          ).toContain(arn);
          for (const s of statements) expect(s.Condition?.ArnEquals?.['aws:SourceArn'], 'every grant names its rules').toBeDefined();
        }
      }
    });

    it("sends each function's failed event invocations, after 2 retries, to a dead-letter queue of the stack", () => {
      const queues = new Set(resourcesOfType(stack, 'AWS::SQS::Queue').map(([id]) => ctx.resources[id].attributes!.Arn));
      const configs = new Map(
        resourcesOfType(stack, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => [
          (c.Properties.FunctionName as { Ref: string }).Ref,
          resolved<{ MaximumRetryAttempts?: number; DestinationConfig?: { OnFailure?: { Destination: string } } }>(c.Properties, ctx),
        ]),
      );
      const invokedByRules = new Set(
        resourcesOfType(stack, 'AWS::Events::Rule').flatMap(([, r]) => lambdaTargets(r.Properties, new Set(resourcesOfType(stack, 'AWS::Lambda::Function').map(([id]) => id)))),
      );
      expect(invokedByRules.size).toBeGreaterThan(0);
      for (const fn of invokedByRules) {
        expect(configs.get(fn)?.MaximumRetryAttempts, `${fn} MaximumRetryAttempts`).toBe(2);
        expect(queues.has(configs.get(fn)?.DestinationConfig?.OnFailure?.Destination ?? ''), `${fn} on-failure destination is a queue of the stack`).toBe(true);
      }
    });

    it('keeps dead letters 14 days, encrypted, and alarms on the first one in each queue', () => {
      const queues = resourcesOfType(stack, 'AWS::SQS::Queue');
      expect(queues.length).toBeGreaterThan(0);
      const alarms = resourcesOfType(stack, 'AWS::CloudWatch::Alarm').map(([, a]) =>
        resolved<{ Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[]; Threshold: number; ComparisonOperator: string; Statistic: string }>(a.Properties, ctx),
      );
      for (const [id, q] of queues) {
        expect(q.Properties, id).toMatchObject({ MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
        const name = ctx.resources[id].attributes!.QueueName;
        const depth = alarms.filter((a) => a.Namespace === 'AWS/SQS' && a.MetricName === 'ApproximateNumberOfMessagesVisible' && a.Dimensions.some((d) => d.Name === 'QueueName' && d.Value === name));
        expect(
          depth.map((a) => [a.Statistic, a.ComparisonOperator, a.Threshold]),
          `${id} depth alarm`,
        ).toEqual([['Maximum', 'GreaterThanOrEqualToThreshold', 1]]);
      }
    });
  });
}

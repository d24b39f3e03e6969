// Every role of both packaged stacks against the Service Authorization Reference and against
// what its function's code (or its state machine's definition) calls: nothing denied, nothing spare.
import { beforeAll, describe, expect, it } from 'vitest';
import { grantProblem, isAllowed, matchesAction, matchesPattern } from '../support/iam-reference.js';
import { packageStack, resourcesOfType, type PackagedStack } from '../support/packaged.js';
import { functionPrincipals, resolvedStatements, stateMachinePrincipals, type Principal } from '../support/role-audit.js';
import { DEPLOY_ACCOUNT, DEPLOY_REGION, deployContext, resolved } from '../support/stack-values.js';

const STACKS = [
  { config: 'serverless.yml', name: 'certificate-transfer-dev', functions: 25, machines: 2 },
  { config: 'serverless.target.yml', name: 'certificate-transfer-target-dev', functions: 1, machines: 0 },
];

/** Requests the role allows none of, one line each: role, action, resource, and the code that calls. */
function denials(p: Principal): string[] {
  return p.requests.filter((r) => !isAllowed(p.statements, r.action, r.resource)).map((r) => `${p.roleId}: ${r.action} on ${r.resource} is denied (${r.why})`);
}

/**
 * Grants no request uses. `extra` admits grants a generator adds on purpose (the
 * step-functions plugin also grants each invoked function's versions and aliases, `<arn>:*`).
 */
function spareGrants(p: Principal, extra: (action: string, resource: string) => boolean = () => false): string[] {
  const spare: string[] = [];
  for (const s of p.statements) {
    for (const action of s.Action) {
      for (const resource of s.Resource) {
        const used = p.requests.some((r) => matchesAction(action, r.action) && matchesPattern(resource, r.resource));
        if (!used && !extra(action, resource)) spare.push(`${p.roleId}: ${action} on ${resource} is granted, and ${p.id} makes no such call`);
      }
    }
  }
  return spare;
}

for (const spec of STACKS) {
  describe(`roles of ${spec.config}`, () => {
    let stack: PackagedStack;
    let functions: Principal[];
    let machines: Principal[];

    beforeAll(async () => {
      stack = packageStack(spec.config);
      const ctx = deployContext(stack, spec.name);
      functions = await functionPrincipals(stack, ctx);
      machines = stateMachinePrincipals(stack, ctx);
    }, 240_000);

    it('finds every function and state machine, each with its own role and calls', () => {
      expect(functions).toHaveLength(spec.functions);
      expect(machines).toHaveLength(spec.machines);
      const all = [...functions, ...machines];
      expect(new Set(all.map((p) => p.roleId)).size).toBe(all.length);
      for (const p of all) expect(p.requests.filter((r) => !r.why.startsWith('Lambda service')).length, `${p.id} makes AWS calls`).toBeGreaterThan(0);
    });

    it('grants only actions that exist, on resources their resource types can match, and "*" only where the action has no resource type', async () => {
      const problems: string[] = [];
      for (const p of [...functions, ...machines]) {
        for (const s of p.statements) {
          for (const action of s.Action) {
            if (action.includes('*')) problems.push(`${p.roleId}: wildcard action ${action}`);
            for (const resource of s.Resource) {
              const problem = await grantProblem(action, resource);
              if (problem) problems.push(`${p.roleId}: ${problem}`);
            }
          }
        }
      }
      expect(problems).toEqual([]);
    });

    it("names the region and the account in every granted ARN: this stack's, or a configured peer's bus; S3 ARNs (which name neither) only this stack's buckets", () => {
      const ctx = deployContext(stack, spec.name);
      const buckets = new Set(resourcesOfType(stack, 'AWS::S3::Bucket').map(([id]) => ctx.resources[id].ref));
      const loose: string[] = [];
      for (const p of [...functions, ...machines]) {
        for (const s of p.statements) {
          for (const resource of s.Resource.filter((r) => r !== '*')) {
            const [arn, partition, service, region, account, rest] = resource.split(':');
            if (arn === 'arn' && partition === 'aws' && service === 's3' && !region && !account && buckets.has(rest.split('/')[0])) continue;
            const peerBus = service === 'events' && /^\d{12}$/.test(account) && resource.includes(':event-bus/');
            if (arn !== 'arn' || partition !== 'aws' || /[*?]/.test(service) || region !== DEPLOY_REGION || (account !== DEPLOY_ACCOUNT && !peerBus))
              loose.push(`${p.roleId}: ${s.Action.join(', ')} on ${resource}`);
          }
        }
      }
      expect(loose).toEqual([]);
    });

    it('allows every call each function makes (its code, and Lambda writing its logs)', () => {
      expect(functions.flatMap(denials)).toEqual([]);
    });

    it('grants each function nothing its code does not call', () => {
      expect(functions.flatMap((p) => spareGrants(p))).toEqual([]);
    });

    it('allows each state machine exactly what its definition, logging and tracing use', () => {
      const invoked = (p: Principal) => new Set(p.requests.filter((r) => r.action === 'lambda:InvokeFunction').map((r) => r.resource));
      const versionsOfInvoked = (p: Principal) => (action: string, resource: string) => action === 'lambda:InvokeFunction' && resource.endsWith(':*') && invoked(p).has(resource.slice(0, -2));
      expect(machines.flatMap(denials)).toEqual([]);
      expect(machines.flatMap((p) => spareGrants(p, versionsOfInvoked(p)))).toEqual([]);
    });

    it("leaves no other role but serverless's unused default one, which only Lambda may assume and no function uses", () => {
      const used = new Set([...functions, ...machines].map((p) => p.roleId));
      const others = resourcesOfType(stack, 'AWS::IAM::Role').filter(([id]) => !used.has(id));
      expect(others.map(([id]) => id)).toEqual(['IamRoleLambdaExecution']);
      const [, role] = others[0];
      expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('"lambda.amazonaws.com"');
      const ctx = deployContext(stack, spec.name);
      // serverless also grants each on-failure destination here (each function's own role has it too).
      const destinations = new Set(
        resourcesOfType(stack, 'AWS::Lambda::EventInvokeConfig').map(([, c]) =>
          resolved<string>((c.Properties.DestinationConfig as { OnFailure?: { Destination: unknown } }).OnFailure?.Destination ?? '', ctx),
        ),
      );
      for (const s of resolvedStatements(stack, 'IamRoleLambdaExecution', ctx)) {
        if (s.Action.every((a) => a === 'sqs:SendMessage')) {
          for (const r of s.Resource) expect(destinations).toContain(r);
          continue;
        }
        for (const a of s.Action) expect(a).toMatch(/^logs:/);
        for (const r of s.Resource) expect(r).toMatch(new RegExp(`^arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/${spec.name}`));
      }
    });
  });
}

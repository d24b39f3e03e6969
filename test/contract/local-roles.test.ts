// The roles and Lambda permissions the local cloud enforces are the ones `serverless package`
// writes into the templates: same statements per function and state machine, same invoke permissions.
import { beforeAll, describe, expect, it } from 'vitest';
import type { IntrinsicContext } from '../../local/cloudformation/intrinsics.js';
import { permissionsOfStack } from '../../local/iam/lambda-permissions.js';
import { rolesOfStack, type StackRoles } from '../../local/iam/stack-roles.js';
import type { Statement } from '../../local/iam/types.js';
import { loadServerlessStack, type ServerlessStack } from '../../local/serverless/stack.js';
import { packageStack, resourcesOfType, type PackagedStack } from '../support/packaged.js';
import { deployContext, resolved } from '../support/stack-values.js';
import { deployParams } from '../support/deploy-params.js';

const STACKS = [
  { config: 'serverless.yml', name: 'certificate-transfer-dev' },
  { config: 'serverless.target.yml', name: 'certificate-transfer-target-dev' },
];

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
/** A statement as a comparable string: effect, sorted actions, sorted resources. */
const canonical = (s: Statement) => JSON.stringify([s.Effect, list(s.Action).sort(), list(s.Resource).sort()]);
const canonicalAll = (ss: Statement[]) => ss.map(canonical).sort();
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

for (const spec of STACKS) {
  describe(`local roles of ${spec.config}`, () => {
    let packaged: PackagedStack;
    let ctx: IntrinsicContext;
    let local: ServerlessStack;
    let roles: StackRoles;

    beforeAll(() => {
      packaged = packageStack(spec.config);
      ctx = deployContext(packaged, spec.name);
      local = loadServerlessStack(spec.config, { stage: 'dev', region: ctx.region, params: deployParams(spec.config) });
      roles = rolesOfStack(local, ctx);
    }, 240_000);

    it('each function runs as the role serverless-iam-roles-per-function writes, statement for statement', () => {
      expect(Object.keys(roles.functions).sort()).toEqual(local.functions.map((f) => f.key).sort());
      for (const fn of local.functions) {
        const role = packaged.template.Resources[`${upperFirst(fn.key)}IamRoleLambdaExecution`];
        expect(role, `${fn.key} has its own role in the template`).toBeDefined();
        const templateStatements = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => resolved<Statement[]>(p.PolicyDocument.Statement, ctx));
        expect(canonicalAll(roles.functions[fn.key].policy.Statement), fn.key).toEqual(canonicalAll(templateStatements));
        expect(roles.functions[fn.key].name).toBe(resolved(role.Properties.RoleName, ctx));
      }
    });

    it('each state machine runs as the role serverless-step-functions writes', () => {
      for (const sm of local.stateMachines) {
        const role = packaged.template.Resources[`${sm.logicalId}Role`];
        expect(role, `${sm.key} has a role in the template`).toBeDefined();
        const templateStatements = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => resolved<Statement[]>(p.PolicyDocument.Statement, ctx));
        expect(canonicalAll(roles.stateMachines[sm.key].policy.Statement), sm.key).toEqual(canonicalAll(templateStatements));
      }
    });

    it('functions accept the invocations the template permits, from the same principals and sources', () => {
      const restApi = resourcesOfType(packaged, 'AWS::ApiGateway::RestApi')[0];
      const restApiId = restApi ? ctx.resources[restApi[0]].ref : 'none';
      const arnOf = (name: string) => `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}`;
      const mine = permissionsOfStack(local, ctx, (fn) => arnOf(`${spec.name.replace(/-dev$/, '')}-dev-${fn.key}`), restApiId);
      const theirs = resourcesOfType(packaged, 'AWS::Lambda::Permission').map(([, r]) => {
        const fn = String(resolved(r.Properties.FunctionName, ctx));
        return { functionArn: fn.startsWith('arn:') ? fn : arnOf(fn), principal: String(r.Properties.Principal), sourceArn: resolved<string>(r.Properties.SourceArn, ctx) };
      });
      // A schedule event's rule is named by CloudFormation: compare those by function and principal only
      // (an eventBridge event's schedule rule has serverless's name, and is compared by its ARN).
      const scheduleRules = new Set(
        resourcesOfType(packaged, 'AWS::Events::Rule')
          .filter(([, r]) => r.Properties.ScheduleExpression && !r.Properties.Name)
          .map(([id]) => ctx.resources[id].attributes!.Arn),
      );
      const key = (p: { functionArn: string; principal: string; sourceArn?: string }, schedule: boolean) => `${p.functionArn} ${p.principal} ${schedule ? '(schedule)' : p.sourceArn}`;
      const localSchedule = (p: { sourceArn?: string }) => /:rule\/[^/]+-schedule-\d+$/.test(p.sourceArn ?? '');
      expect(mine.map((p) => key(p, localSchedule(p))).sort()).toEqual(theirs.map((p) => key(p, scheduleRules.has(p.sourceArn))).sort());
    });
  });
}

// The IAM roles a serverless stack deploys, derived as `serverless package` derives them:
// one role per function (serverless-iam-roles-per-function) and one per state machine (serverless-step-functions).
import { createRequire } from 'node:module';
import type { ServerlessStack } from '../serverless/stack.js';
import { resolveIntrinsics, type IntrinsicContext } from '../cloudformation/intrinsics.js';
import type { PolicyDocument, Statement } from './types.js';

export interface RoleDef {
  /** `arn:aws:iam::<account>:role/<name>` */
  arn: string;
  name: string;
  account: string;
  /** The inline policy, intrinsics resolved. */
  policy: PolicyDocument;
}

export interface StackRoles {
  /** By function key (`preflight`). */
  functions: Record<string, RoleDef>;
  /** By state machine key (`certificateTransfer`). */
  stateMachines: Record<string, RoleDef>;
}

const require = createRequire(import.meta.url);
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** Serverless's `getNormalizedFunctionName`: `-` → `Dash`, `_` → `Underscore`, first letter upper-case. */
const normalized = (s: string) => upperFirst(s.replace(/-/g, 'Dash').replace(/_/g, 'Underscore'));

/**
 * serverless-iam-roles-per-function: a function with `iamRoleStatements` gets
 * `<service>-<stage>-<function>-<region>-lambdaRole` (without `-lambdaRole` past 64
 * characters) holding its log statement, the provider's statements when inherited,
 * and its own statements. Without `iamRoleStatements` it keeps the provider's role.
 */
function functionRoles(stack: ServerlessStack, ctx: IntrinsicContext): Record<string, RoleDef> {
  const cfg = stack.raw;
  const provider = (cfg.provider ?? {}) as Record<string, unknown>;
  const iam = provider.iam as { role?: { statements?: Statement[] } } | undefined;
  const providerStatements = (iam ? iam.role?.statements : (provider.iamRoleStatements as Statement[] | undefined)) ?? [];
  const plugin = ((cfg.custom as Record<string, unknown> | undefined)?.['serverless-iam-roles-per-function'] ?? {}) as { defaultInherit?: boolean };
  const out: Record<string, RoleDef> = {};
  for (const fn of stack.functions) {
    const def = ((cfg.functions ?? {}) as Record<string, Record<string, unknown>>)[fn.key];
    const logGroup = `/aws/lambda/${fn.name}`;
    const logStatement: Statement = {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:PutLogEvents'],
      Resource: [`arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${logGroup}:*:*`],
    };
    let name: string;
    let statements: Statement[];
    if (Array.isArray(def.iamRoleStatements)) {
      const inherit = def.iamRoleStatementsInherit === true || (plugin.defaultInherit === true && def.iamRoleStatementsInherit !== false);
      statements = [logStatement, ...(inherit ? providerStatements : []), ...(def.iamRoleStatements as Statement[])];
      const parts = [stack.service, stack.stage, fn.key, ctx.region, 'lambdaRole'];
      if (parts.join('-').length > 64) parts.pop();
      name = typeof def.iamRoleStatementsName === 'string' ? def.iamRoleStatementsName : parts.join('-');
    } else {
      // The provider's shared role: log statements plus provider.iam.role.statements.
      statements = [{ ...logStatement, Resource: [`arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:/aws/lambda/${stack.service}-${stack.stage}*:*`] }, ...providerStatements];
      name = `${stack.service}-${stack.stage}-${ctx.region}-lambdaRole`;
    }
    out[fn.key] = {
      arn: `arn:aws:iam::${ctx.accountId}:role/${name}`,
      name,
      account: ctx.accountId,
      policy: { Version: '2012-10-17', Statement: resolveIntrinsics(statements, ctx) as Statement[] },
    };
  }
  return out;
}

interface CompiledRole {
  Properties: { Policies: { PolicyDocument: { Statement: Statement[] } }[] };
}

/**
 * serverless-step-functions: its own `compileIamRole` run over the stack's state
 * machines, so the statements are exactly those it writes into the template.
 */
function stateMachineRoles(stack: ServerlessStack, ctx: IntrinsicContext): Record<string, RoleDef> {
  const compile = require('serverless-step-functions/lib/deploy/stepFunctions/compileIamRole.js') as { compileIamRole(this: unknown): Promise<void> };
  const naming = require('serverless-step-functions/lib/naming.js') as Record<string, (...a: unknown[]) => string>;
  const cfg = stack.raw;
  const stepFunctions = (cfg.stepFunctions ?? { stateMachines: {} }) as { stateMachines: Record<string, Record<string, unknown>> };
  const resources: Record<string, unknown> = {};
  for (const fn of stack.functions) resources[fn.logicalId] = { Type: 'AWS::Lambda::Function' };
  const providerNaming = {
    getNormalizedFunctionName: normalized,
    getLambdaLogicalId: (name: string) => `${normalized(name)}LambdaFunction`,
  };
  const shim = {
    v3Api: { log: () => undefined },
    serverless: {
      service: {
        service: stack.service,
        provider: { compiledCloudFormationTemplate: { Resources: resources } },
        functions: cfg.functions ?? {},
        stepFunctions,
      },
      utils: { readFileSync: (p: string) => require('node:fs').readFileSync(p, 'utf8') as string },
      classes: { Error },
    },
    provider: { naming: providerNaming, getStage: () => stack.stage, serverless: { service: { service: stack.service } } },
    getAllStateMachines: () => Object.keys(stepFunctions.stateMachines),
    getStateMachine: (key: string) => stepFunctions.stateMachines[key],
  } as Record<string, unknown>;
  for (const [k, f] of Object.entries(naming)) if (typeof f === 'function') shim[k] = f.bind(shim);
  // compileIamRole is synchronous under its Bluebird promise.
  void compile.compileIamRole.call(shim);
  const out: Record<string, RoleDef> = {};
  for (const sm of stack.stateMachines) {
    const compiled = resources[`${sm.logicalId}Role`] as CompiledRole | undefined;
    if (!compiled) continue;
    const name = `${stack.service}-${stack.stage}-${sm.logicalId}Role`;
    out[sm.key] = {
      arn: `arn:aws:iam::${ctx.accountId}:role/${name}`,
      name,
      account: ctx.accountId,
      policy: { Version: '2012-10-17', Statement: resolveIntrinsics(compiled.Properties.Policies[0].PolicyDocument.Statement, ctx) as Statement[] },
    };
  }
  return out;
}

/** Every role the stack deploys, with intrinsics resolved against the local cloud's resources. */
export function rolesOfStack(stack: ServerlessStack, ctx: IntrinsicContext): StackRoles {
  return { functions: functionRoles(stack, ctx), stateMachines: stateMachineRoles(stack, ctx) };
}

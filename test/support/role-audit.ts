// The requests each function and state machine of a packaged stack makes, as concrete
// (action, ARN) pairs, and each role's policy resolved: what the IAM contract tests compare.
import { resolve as resolvePath } from 'node:path';
import type { IntrinsicContext } from '../../local/cloudformation/intrinsics.js';
import { actionRef, type PolicyStatement } from './iam-reference.js';
import { asArray, resourcesOfType, roleStatements, type PackagedStack } from './packaged.js';
import { effectiveCalls, handlerCalls, type SdkCall } from './sdk-calls.js';
import { resolved } from './stack-values.js';

export interface Request {
  action: string;
  resource: string;
  /** Where the request comes from: `src/store.ts: GetCommand`, `Lambda service (logs)`, a state name. */
  why: string;
}

export interface Principal {
  /** `PreflightLambdaFunction`, `CertificateTransferStateMachine`. */
  id: string;
  roleId: string;
  statements: PolicyStatement[];
  requests: Request[];
}

const CERT_ID = 'a'.repeat(64);

/** A role's statements with intrinsics resolved and Action / Resource as lists. */
export function resolvedStatements(stack: PackagedStack, roleId: string, ctx: IntrinsicContext): PolicyStatement[] {
  return roleStatements(stack.template.Resources[roleId]).map((s) => {
    const raw = s as unknown as Record<string, unknown>;
    for (const k of ['NotAction', 'NotResource', 'Condition']) if (k in raw) throw new Error(`${roleId} uses ${k}: the contract tests' evaluator does not handle it`);
    return { Effect: s.Effect, Action: asArray(s.Action), Resource: asArray(resolved<string | string[]>(s.Resource, ctx)).map(String) };
  });
}

const roleOf = (props: Record<string, unknown>, key: string): string => {
  const att = (props[key] as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (!att) throw new Error(`${key} is not a Fn::GetAtt of a role in this stack`);
  return att[0];
};

function tableIndexes(stack: PackagedStack, ctx: IntrinsicContext, tableName: string): string[] {
  const table = resourcesOfType(stack, 'AWS::DynamoDB::Table').find(([id]) => ctx.resources[id].ref === tableName);
  if (!table) throw new Error(`No table ${tableName} in the stack`);
  return ((table[1].Properties.GlobalSecondaryIndexes ?? []) as { IndexName: string }[]).map((i) => i.IndexName);
}

/** The resource ARNs one SDK call addresses, given the function's environment. */
async function requestsOfCall(call: SdkCall, env: Record<string, string>, stack: PackagedStack, ctx: IntrinsicContext, literals: Set<string>): Promise<Request[]> {
  const { region, accountId: account } = ctx;
  const why = `${call.module}: ${call.command}`;
  const fromEnv = (name: string | undefined): string => {
    const value = name === undefined ? undefined : env[name];
    if (!value) throw new Error(`${why} addresses ${name ?? 'an unknown resource'}, which the function's environment does not set`);
    return value;
  };
  const at = (resource: string): Request[] => [{ action: call.action, resource, why }];
  const [service, operation] = call.action.split(':');
  const ref = await actionRef(call.action);
  if (!ref) return at('*'); // no such action: the reference check reports it
  if (ref.resourceTypes.length === 0) return at('*');
  switch (service) {
    case 'dynamodb': {
      const table = fromEnv(call.env);
      const arn = `arn:aws:dynamodb:${region}:${account}:table/${table}`;
      if (operation !== 'Query' || call.index === undefined) return at(arn);
      const indexes = call.index === 'dynamic' ? tableIndexes(stack, ctx, table).filter((i) => literals.has(i)) : [call.index];
      if (indexes.length === 0) throw new Error(`${why} queries an index chosen at run time, and no index name of ${table} appears in the code`);
      return indexes.map((i) => ({ action: call.action, resource: `${arn}/index/${i}`, why }));
    }
    case 'iot': {
      // Our calls name a certificate (id, or ARN as principal / target); CreateThing names a thing.
      const type = ref.resourceTypes.find((t) => t.required)?.name ?? (ref.resourceTypes.some((t) => t.name === 'cert') ? 'cert' : ref.resourceTypes[0].name);
      if (type === 'cert') return at(`arn:aws:iot:${region}:${account}:cert/${CERT_ID}`);
      if (type === 'thing') return at(`arn:aws:iot:${region}:${account}:thing/device-0001`);
      throw new Error(`${why}: no concrete ARN for IoT resource type ${type}`);
    }
    case 'states': {
      if (operation === 'StartExecution') return at(fromEnv(call.env));
      // Execution ARNs come from transfer records: executions of the machines the function knows.
      const machines = Object.values(env).filter((v) => v.startsWith(`arn:aws:states:${region}:${account}:stateMachine:`));
      if (machines.length === 0) throw new Error(`${why} addresses an execution, and the function knows no state machine`);
      return machines.map((m) => ({ action: call.action, resource: `${m.replace(':stateMachine:', ':execution:')}:0b7c2a52-6d0e-4f63-9a8d-3f8c1f1e2d4a`, why }));
    }
    case 'events': {
      if (!call.buses?.length) throw new Error(`${why}: cannot tell which bus the events go to (no entry(...) call)`);
      return call.buses.flatMap((b) => {
        if (b === 'own') return [{ action: call.action, resource: `arn:aws:events:${region}:${account}:event-bus/${fromEnv('EVENT_BUS_NAME')}`, why }];
        const peers = (env.ALLOWED_TARGET_ACCOUNTS ?? env.ALLOWED_SOURCE_ACCOUNTS ?? '').split(',').filter(Boolean);
        if (peers.length === 0) throw new Error(`${why} publishes to peer accounts, and the function's environment lists none`);
        return peers.map((p) => ({ action: call.action, resource: `arn:aws:events:${region}:${p}:event-bus/${fromEnv('PEER_BUS_NAME')}`, why }));
      });
    }
    case 'sns':
      return at(fromEnv(call.env));
    case 's3': {
      const bucket = fromEnv(call.env);
      if (operation !== 'GetObject') throw new Error(`${why}: no concrete ARN for ${call.action}`);
      // S3 answers a GetObject of a missing key NoSuchKey only to a caller allowed s3:ListBucket; AccessDenied otherwise.
      return [...at(`arn:aws:s3:::${bucket}/fleets/2026-12.txt`), { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, why: `${why} of a missing key (NoSuchKey, not AccessDenied)` }];
    }
    default:
      throw new Error(`${why}: no concrete ARN for ${call.action}`);
  }
}

/** What the Lambda service does with the function's role: write its logs (to its own log group). */
function lambdaServiceRequests(functionName: string, ctx: IntrinsicContext): Request[] {
  const group = `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:/aws/lambda/${functionName}`;
  const why = 'Lambda service: function logs';
  return [
    { action: 'logs:CreateLogGroup', resource: `${group}:log-stream:`, why },
    { action: 'logs:CreateLogStream', resource: `${group}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`, why },
    { action: 'logs:PutLogEvents', resource: `${group}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`, why },
  ];
}

/** What Lambda sends with the function's role to the destinations of its event invocations (EventInvokeConfig). */
function destinationRequests(stack: PackagedStack, functionId: string, ctx: IntrinsicContext): Request[] {
  const action: Record<string, string> = { sqs: 'sqs:SendMessage', sns: 'sns:Publish', lambda: 'lambda:InvokeFunction', events: 'events:PutEvents' };
  return resourcesOfType(stack, 'AWS::Lambda::EventInvokeConfig')
    .filter(([, c]) => (c.Properties.FunctionName as { Ref?: string }).Ref === functionId)
    .flatMap(([, c]) => Object.entries((c.Properties.DestinationConfig ?? {}) as Record<string, { Destination: unknown }>))
    .map(([on, d]) => {
      const arn = resolved<string>(d.Destination, ctx);
      return { action: action[arn.split(':')[2]] ?? `unknown:${arn}`, resource: arn, why: `Lambda service: ${on} destination` };
    });
}

/** Every function of the stack with its role and the requests its handler's code (and Lambda) makes. */
export async function functionPrincipals(stack: PackagedStack, ctx: IntrinsicContext, root = process.cwd()): Promise<Principal[]> {
  const out: Principal[] = [];
  for (const [id, fn] of resourcesOfType(stack, 'AWS::Lambda::Function')) {
    const roleId = roleOf(fn.Properties, 'Role');
    const env = Object.fromEntries(
      Object.entries(resolved<Record<string, unknown>>((fn.Properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}, ctx)).map(([k, v]) => [k, String(v)]),
    );
    const handler = String(fn.Properties.Handler);
    const file = resolvePath(root, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
    const { calls, literals } = await handlerCalls(file);
    const requests = [...lambdaServiceRequests(ctx.resources[id].ref, ctx), ...destinationRequests(stack, id, ctx)];
    for (const call of effectiveCalls(calls, env)) requests.push(...(await requestsOfCall(call, env, stack, ctx, literals)));
    out.push({ id, roleId, statements: resolvedStatements(stack, roleId, ctx), requests });
  }
  return out;
}

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Arguments?: Record<string, unknown>;
  States?: Record<string, AslState>;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
}

function* tasks(states: Record<string, AslState>): Generator<[string, AslState]> {
  for (const [name, s] of Object.entries(states)) {
    if (s.Type === 'Task') yield [name, s];
    const nested = [s.ItemProcessor, s.Iterator, ...(s.Branches ?? [])].filter((x): x is { States: Record<string, AslState> } => !!x);
    for (const n of nested) yield* tasks(n.States);
  }
}

/**
 * The requests a state machine's executions make with its role, by the Step Functions
 * developer guide's pages on IAM for integrated services, logging and X-Ray.
 */
export function stateMachineRequests(props: Record<string, unknown>, ctx: IntrinsicContext): Request[] {
  const definition = JSON.parse(resolved<string>(props.DefinitionString, ctx)) as { States: Record<string, AslState> };
  const { region, accountId: account } = ctx;
  const out: Request[] = [];
  for (const [name, task] of tasks(definition.States)) {
    const resource = String(task.Resource);
    const params = task.Parameters ?? task.Arguments ?? {};
    const add = (action: string, arn: string) => out.push({ action, resource: arn, why: `state "${name}" (${resource})` });
    if (resource.startsWith('arn:aws:lambda:')) add('lambda:InvokeFunction', resource);
    else if (/^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.test(resource)) add('lambda:InvokeFunction', String(params.FunctionName));
    else if (/^arn:aws:states:::states:startExecution(\.sync(:2)?|\.waitForTaskToken)?$/.test(resource)) {
      const machine = String(params.StateMachineArn);
      add('states:StartExecution', machine);
      if (resource.includes('.sync')) {
        const execution = `${machine.replace(':stateMachine:', ':execution:')}:3f1d0c9e-0000-4000-8000-000000000001`;
        add('states:DescribeExecution', execution);
        add('states:StopExecution', execution);
        const rule = `arn:aws:events:${region}:${account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;
        for (const a of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) add(a, rule);
      }
    } else throw new Error(`State "${name}": no IAM mapping for ${resource}: add it to stateMachineRequests`);
  }
  const why = (what: string) => `state machine ${what}`;
  if ((props.LoggingConfiguration as { Level?: string } | undefined)?.Level && (props.LoggingConfiguration as { Level?: string }).Level !== 'OFF') {
    for (const a of ['CreateLogDelivery', 'GetLogDelivery', 'UpdateLogDelivery', 'DeleteLogDelivery', 'ListLogDeliveries', 'PutResourcePolicy', 'DescribeResourcePolicies', 'DescribeLogGroups']) {
      out.push({ action: `logs:${a}`, resource: '*', why: why('logging') });
    }
  }
  if ((props.TracingConfiguration as { Enabled?: boolean } | undefined)?.Enabled) {
    for (const a of ['PutTraceSegments', 'PutTelemetryRecords', 'GetSamplingRules', 'GetSamplingTargets']) out.push({ action: `xray:${a}`, resource: '*', why: why('tracing') });
  }
  return out;
}

export function stateMachinePrincipals(stack: PackagedStack, ctx: IntrinsicContext): Principal[] {
  return resourcesOfType(stack, 'AWS::StepFunctions::StateMachine').map(([id, sm]) => {
    const roleId = roleOf(sm.Properties, 'RoleArn');
    return { id, roleId, statements: resolvedStatements(stack, roleId, ctx), requests: stateMachineRequests(sm.Properties, ctx) };
  });
}

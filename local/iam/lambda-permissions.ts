// Lambda resource policies: the AWS::Lambda::Permission statements serverless compiles for a
// function's events (eventBridge, schedule, http), and the check a service's invocation must pass.
import type { FunctionDef, ServerlessStack } from '../serverless/stack.js';
import { resolveIntrinsics, type IntrinsicContext } from '../cloudformation/intrinsics.js';

export interface LambdaPermission {
  functionArn: string;
  /** `events.amazonaws.com`, `apigateway.amazonaws.com`, or an account id. */
  principal: string;
  /** ArnLike pattern (`*` and `?` wildcards), when the permission names one. */
  sourceArn?: string;
  sourceAccount?: string;
}

export interface InvocationSource {
  principal: string;
  sourceArn?: string;
  sourceAccount?: string;
}

/** ArnLike: each of the six colon-separated parts matched with `*` / `?` wildcards. */
export function arnLike(pattern: string, arn: string): boolean {
  const p = pattern.split(':');
  const a = arn.split(':');
  if (p.length < 6 || a.length < 6) return pattern === arn;
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')];
  const [pp, aa] = [head(p), head(a)];
  return pp.every((seg, i) =>
    new RegExp(
      `^${seg
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(aa[i]),
  );
}

/**
 * Serverless v3's rule name for a function's n-th eventBridge event (1-based) when the
 * event names none: `<function name>-rule-<n>` (serverless hashes names past 64 characters; ours stay under).
 */
export function eventBridgeRuleName(fn: FunctionDef, index: number): string {
  return `${fn.name}-rule-${index}`;
}

/**
 * The permissions `serverless package` compiles for the stack's functions, built with the
 * same expressions (see serverless's compile/events/event-bridge, schedule and
 * api-gateway permissions), so a config whose permission cannot match fails here as in AWS.
 */
export function permissionsOfStack(stack: ServerlessStack, ctx: IntrinsicContext, functionArnOf: (fn: FunctionDef) => string, restApiId: string): LambdaPermission[] {
  const out: LambdaPermission[] = [];
  const rawFunctions = (stack.raw.functions ?? {}) as Record<string, { events?: Record<string, unknown>[] }>;
  for (const fn of stack.functions) {
    const functionArn = functionArnOf(fn);
    const events = rawFunctions[fn.key]?.events ?? [];
    let eb = 0;
    let schedule = 0;
    let http = false;
    for (const e of events) {
      if ('eventBridge' in e) {
        eb++;
        const def = e.eventBridge as { eventBus?: unknown; name?: string };
        // As serverless: an object is used as given (its value, resolved by CloudFormation, is
        // what lands in the ARN); an ARN string contributes what follows its first '/'.
        let bus: unknown = def.eventBus;
        if (typeof bus === 'string' && bus.startsWith('arn')) bus = bus.slice(bus.indexOf('/') + 1);
        const ruleName = def.name ?? eventBridgeRuleName(fn, eb);
        const path = bus ? [String(resolveIntrinsics(bus, ctx)), ruleName] : [ruleName];
        out.push({ functionArn, principal: 'events.amazonaws.com', sourceArn: `arn:aws:events:${ctx.region}:${ctx.accountId}:${['rule', ...path].join('/')}` });
      } else if ('schedule' in e) {
        schedule++;
        // Serverless points the permission at the schedule rule's own ARN (Fn::GetAtt Rule.Arn).
        out.push({ functionArn, principal: 'events.amazonaws.com', sourceArn: `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${scheduleRuleName(fn, schedule)}` });
      } else if ('http' in e && !http) {
        http = true;
        // One per function: any stage, method and path of the stack's REST API.
        out.push({ functionArn, principal: 'apigateway.amazonaws.com', sourceArn: `arn:aws:execute-api:${ctx.region}:${ctx.accountId}:${restApiId}/*/*` });
      }
    }
  }
  return out;
}

/** The name the local cloud gives a function's n-th schedule rule (the deployed rule's name is CloudFormation's). */
export function scheduleRuleName(fn: FunctionDef, index: number): string {
  return `${fn.name}-schedule-${index}`;
}

/** Lambda's resource-policy check for a service principal's invocation. */
export class LambdaPolicies {
  private readonly byFunction = new Map<string, LambdaPermission[]>();

  constructor(readonly enabled = true) {}

  add(p: LambdaPermission): void {
    const list = this.byFunction.get(p.functionArn) ?? [];
    list.push(p);
    this.byFunction.set(p.functionArn, list);
  }

  of(functionArn: string): readonly LambdaPermission[] {
    return this.byFunction.get(functionArn) ?? [];
  }

  /** Undefined when allowed; otherwise why not, in AWS's words. */
  check(functionArn: string, source: InvocationSource): string | undefined {
    if (!this.enabled) return undefined;
    const ok = this.of(functionArn).some(
      (p) =>
        p.principal === source.principal &&
        (p.sourceArn === undefined || (source.sourceArn !== undefined && arnLike(p.sourceArn, source.sourceArn))) &&
        (p.sourceAccount === undefined || p.sourceAccount === source.sourceAccount),
    );
    if (ok) return undefined;
    return `The principal ${source.principal} is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn}${source.sourceArn ? ` with source ${source.sourceArn}` : ''}: no resource-based policy allows it`;
  }
}

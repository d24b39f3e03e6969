/**
 * Resolves the CloudFormation intrinsic functions our stacks use (Ref,
 * Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If-free subset)
 * against the local cloud's physical ids, the way CloudFormation would on deploy.
 */
export interface ResourceValues {
  /** What `Ref` returns. */
  ref: string;
  /** What `Fn::GetAtt` returns per attribute. */
  attributes?: Record<string, string>;
}

export interface IntrinsicContext {
  accountId: string;
  region: string;
  resources: Record<string, ResourceValues>;
}

export class UnresolvableIntrinsic extends Error {
  override readonly name = 'UnresolvableIntrinsic';
}

function pseudo(name: string, ctx: IntrinsicContext): string | undefined {
  switch (name) {
    case 'AWS::AccountId': return ctx.accountId;
    case 'AWS::Region': return ctx.region;
    case 'AWS::Partition': return 'aws';
    case 'AWS::URLSuffix': return 'amazonaws.com';
    case 'AWS::NoValue': return undefined;
    default: return undefined;
  }
}

function ref(name: string, ctx: IntrinsicContext): string {
  const p = pseudo(name, ctx);
  if (p !== undefined) return p;
  const r = ctx.resources[name];
  if (!r) throw new UnresolvableIntrinsic(`Ref to unknown resource ${name}`);
  return r.ref;
}

function getAtt(name: string, attr: string, ctx: IntrinsicContext): string {
  const r = ctx.resources[name];
  const v = r?.attributes?.[attr];
  if (v === undefined) throw new UnresolvableIntrinsic(`Fn::GetAtt ${name}.${attr} is unknown`);
  return v;
}

function sub(template: string, vars: Record<string, unknown>, ctx: IntrinsicContext): string {
  return template.replace(/\$\{([^}!]+)\}/g, (_m, key: string) => {
    if (key in vars) return String(resolveIntrinsics(vars[key], ctx));
    if (key.includes('.')) {
      const [res, attr] = key.split('.', 2);
      return getAtt(res, attr, ctx);
    }
    return ref(key, ctx);
  });
}

/** Returns a copy of `value` with every intrinsic function replaced by its value. */
export function resolveIntrinsics(value: unknown, ctx: IntrinsicContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, ctx));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [k] = keys;
    const arg = obj[k];
    switch (k) {
      case 'Ref':
        return ref(String(arg), ctx);
      case 'Fn::GetAtt': {
        const [res, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.', 2);
        return getAtt(res, attr, ctx);
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return sub(arg, {}, ctx);
        const [template, vars] = arg as [string, Record<string, unknown>];
        return sub(template, vars ?? {}, ctx);
      }
      case 'Fn::Join': {
        const [sep, list] = arg as [unknown, unknown];
        const items = resolveIntrinsics(list, ctx) as unknown[];
        return items.map(String).join(String(resolveIntrinsics(sep, ctx)));
      }
      case 'Fn::Split': {
        const [sep, str] = arg as [unknown, unknown];
        return String(resolveIntrinsics(str, ctx)).split(String(resolveIntrinsics(sep, ctx)));
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (resolveIntrinsics(list, ctx) as unknown[])[Number(resolveIntrinsics(index, ctx))];
      }
      default:
        if (k.startsWith('Fn::')) throw new UnresolvableIntrinsic(`${k} is not supported by the local cloud`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(obj[k], ctx)]));
}

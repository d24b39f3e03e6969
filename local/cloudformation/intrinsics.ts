/**
 * Resolves the CloudFormation intrinsic functions our stacks use (Ref,
 * Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If-free subset)
 * against the local cloud's physical ids, the way CloudFormation would on deploy,
 * refusing the argument forms CloudFormation refuses (a function as a delimiter).
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
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NoValue':
      return undefined;
    default:
      return undefined;
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

function twoArguments(fn: string, arg: unknown): [unknown, unknown] {
  if (!Array.isArray(arg) || arg.length !== 2) throw new UnresolvableIntrinsic(`${fn} takes a list of two arguments, got ${JSON.stringify(arg)}`);
  return [arg[0], arg[1]];
}

/** CloudFormation takes no function in a Fn::Join or Fn::Split delimiter: "You must specify a string value". */
function literalDelimiter(fn: string, sep: unknown): string {
  if (typeof sep !== 'string') throw new UnresolvableIntrinsic(`${fn} delimiter must be a literal string, not ${JSON.stringify(sep)}`);
  return sep;
}

const INTEGER = /^(0|[1-9]\d*)$/;

/** A Fn::Select index is a non-negative integer, literal or from `Ref` (CloudFormation also allows Fn::FindInMap, which we do not use). */
function selectIndex(index: unknown, ctx: IntrinsicContext): number {
  let value = index;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'Ref' in value) {
    value = resolveIntrinsics(value, ctx);
  } else if (value !== null && typeof value === 'object') {
    throw new UnresolvableIntrinsic(`Fn::Select index must be an integer or a Ref, not ${JSON.stringify(index)}`);
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && INTEGER.test(value)) return Number(value);
  throw new UnresolvableIntrinsic(`Fn::Select index must be a non-negative integer, not ${JSON.stringify(index)}`);
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
        const [sep, list] = twoArguments(k, arg);
        const items = resolveIntrinsics(list, ctx);
        if (!Array.isArray(items)) throw new UnresolvableIntrinsic(`Fn::Join needs a list of values, got ${JSON.stringify(list)}`);
        return items.map(String).join(literalDelimiter(k, sep));
      }
      case 'Fn::Split': {
        const [sep, str] = twoArguments(k, arg);
        const source = resolveIntrinsics(str, ctx);
        if (typeof source !== 'string') throw new UnresolvableIntrinsic(`Fn::Split needs a string to split, got ${JSON.stringify(str)}`);
        return source.split(literalDelimiter(k, sep));
      }
      case 'Fn::Select': {
        const [index, list] = twoArguments(k, arg);
        const items = resolveIntrinsics(list, ctx);
        if (!Array.isArray(items)) throw new UnresolvableIntrinsic(`Fn::Select needs a list of objects, got ${JSON.stringify(list)}`);
        const i = selectIndex(index, ctx);
        if (i >= items.length || items[i] === null || items[i] === undefined) {
          throw new UnresolvableIntrinsic(`Fn::Select index ${i} is out of bounds of a list of ${items.length}`);
        }
        return items[i];
      }
      default:
        if (k.startsWith('Fn::')) throw new UnresolvableIntrinsic(`${k} is not supported by the local cloud`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(obj[k], ctx)]));
}

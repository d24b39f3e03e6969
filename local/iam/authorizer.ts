// Authorizes each call a role makes against that role's policies, with AWS's evaluator logic
// (@cloud-copilot/iam-simulate over the Service Authorization Reference): explicit Deny wins, no Allow is a deny.
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument, Principal } from './types.js';
import { principalArn } from './types.js';

export interface RoleRecord {
  arn: string;
  account: string;
  policy: PolicyDocument;
}

export interface Decision {
  allowed: boolean;
  /** AWS's wording: `User: … is not authorized to perform: … on resource: … because …`. */
  message?: string;
}

export interface Denial {
  principal: string;
  action: string;
  resource: string;
  message: string;
}

export interface AuthorizerOptions {
  /** Off: every call is allowed, as before (`npm start -- --no-iam`). */
  enabled?: boolean;
  /** Every denial (default: one line on stderr naming role, action and resource). */
  onDenied?: (d: Denial) => void;
}

export class IamAuthorizer {
  readonly enabled: boolean;
  private readonly roles = new Map<string, RoleRecord>();
  private readonly cache = new Map<string, Promise<Decision>>();
  /** Allows that hold for every resource of a type: `role \n action \n arn:…:cert/` (see {@link idAgnostic}). */
  private readonly typeAllows = new Set<string>();
  /** Whether a role's policy reads the same for every id under a resource-type prefix, per role and prefix. */
  private readonly agnostic = new Map<string, boolean>();
  /** Bumped by putRole: a decision reached under an older policy is not kept for the type. */
  private generation = 0;
  private readonly denials: Denial[] = [];

  constructor(private readonly opts: AuthorizerOptions = {}) {
    this.enabled = opts.enabled ?? true;
  }

  /** Registers (or replaces) a role's policy. */
  putRole(role: RoleRecord): void {
    this.roles.set(role.arn, role);
    this.cache.clear();
    this.typeAllows.clear();
    this.agnostic.clear();
    this.generation++;
  }

  role(arn: string): RoleRecord | undefined {
    return this.roles.get(arn);
  }

  /** Denials so far, oldest first (the console and tests read them). */
  recentDenials(): readonly Denial[] {
    return this.denials;
  }

  /**
   * Whether `principal` may perform `action` on every one of `resources`. A root principal
   * acts as its account (humans, the AWS CLI); a role only as its policies allow. A
   * resource in another account is evaluated for the identity side only: the resource's
   * own policy (a bus policy) is the owning service's check.
   */
  async authorize(principal: Principal, action: string, resources: string[]): Promise<Decision> {
    if (!this.enabled || principal.kind === 'root') return { allowed: true };
    for (const resource of resources) {
      const decision = await this.decide(principal, action, resource);
      if (!decision.allowed) {
        const denial = { principal: principalArn(principal), action, resource, message: decision.message! };
        this.denials.push(denial);
        if (this.denials.length > 200) this.denials.shift();
        (this.opts.onDenied ?? ((d) => console.error(`[iam] denied ${d.principal} ${d.action} on ${d.resource}`)))(denial);
        return decision;
      }
    }
    return { allowed: true };
  }

  private decide(principal: Extract<Principal, { kind: 'role' }>, action: string, resource: string): Promise<Decision> {
    // Every certificate is a new resource: an allow that cannot depend on the id is kept for the whole type.
    const prefix = typePrefix(resource);
    const typeKey = `${principal.roleArn}\n${action}\n${prefix}`;
    if (this.typeAllows.has(typeKey)) return Promise.resolve({ allowed: true });
    const key = `${principal.roleArn}\n${action}\n${resource}`;
    let hit = this.cache.get(key);
    if (!hit) {
      if (this.cache.size > 50_000) this.cache.clear();
      hit = this.simulate(principal, action, resource);
      this.cache.set(key, hit);
      const generation = this.generation;
      void hit.then((d) => {
        if (d.allowed && generation === this.generation && this.isAgnostic(principal.roleArn, prefix)) this.typeAllows.add(typeKey);
      });
    }
    // The session name only changes the message.
    return hit.then((d) => (d.allowed ? d : { allowed: false, message: d.message!.replace('\u0000', principalArn(principal)) }));
  }

  private isAgnostic(roleArn: string, prefix: string): boolean {
    const key = `${roleArn}\n${prefix}`;
    let known = this.agnostic.get(key);
    if (known === undefined) {
      const role = this.roles.get(roleArn);
      known = !!role && idAgnostic(role.policy, prefix);
      this.agnostic.set(key, known);
    }
    return known;
  }

  private async simulate(principal: Extract<Principal, { kind: 'role' }>, action: string, resource: string): Promise<Decision> {
    const role = this.roles.get(principal.roleArn);
    const unauthorized = `User: \u0000 is not authorized to perform: ${action} on resource: ${resource}`;
    if (!role) return { allowed: false, message: `${unauthorized} because the role does not exist` };
    const simulation: Simulation = {
      request: {
        principal: principal.roleArn,
        action,
        // Identity side only for another account's resource (see authorize()).
        resource: { resource, accountId: role.account },
        contextVariables: {},
      },
      identityPolicies: [{ name: 'inline', policy: role.policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: undefined,
    };
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') {
      return { allowed: false, message: `${unauthorized} because the request could not be evaluated: ${JSON.stringify(result.errors)}` };
    }
    if (result.overallResult === 'Allowed') return { allowed: true };
    const why = result.overallResult === 'ExplicitlyDenied' ? `with an explicit deny in an identity-based policy` : `because no identity-based policy allows the ${action} action`;
    return { allowed: false, message: `${unauthorized} ${why}` };
  }
}

/** An ARN up to its resource id: `arn:aws:iot:us-east-1:111111111111:cert/` for a certificate (the last `/`, else the last `:`). */
export function typePrefix(arn: string): string {
  const cut = arn.includes('/') ? arn.lastIndexOf('/') : arn.lastIndexOf(':');
  return arn.slice(0, cut + 1);
}

/**
 * Whether every Resource and NotResource pattern of `policy` matches all ids
 * under `prefix` alike, so that a decision for one of them is the decision for
 * all: `*`, a pattern that is `prefix`'s own start followed by a single `*`
 * (`…:cert/*`), or one that cannot match anything under `prefix` (another
 * type, another account). A pattern naming one id (`…:cert/abc`, an explicit
 * Deny), a wildcard inside the id (`…:cert/ab*`), any Condition, or a pattern
 * that is not a string makes it depend on the id: those are evaluated resource
 * by resource.
 */
export function idAgnostic(policy: PolicyDocument, prefix: string): boolean {
  for (const st of policy.Statement) {
    if (st.Condition && Object.keys(st.Condition).length) return false;
    for (const field of [st.Resource, st.NotResource]) {
      if (field === undefined) continue;
      for (const p of Array.isArray(field) ? field : [field]) {
        if (typeof p !== 'string') return false;
        const w = p.search(/[*?]/);
        if (w < 0) {
          if (p.startsWith(prefix)) return false; // one resource of this very type
          continue;
        }
        const literal = p.slice(0, w);
        if (!literal.startsWith(prefix) && !prefix.startsWith(literal)) continue; // cannot reach this type
        if (w === p.length - 1 && p.endsWith('*') && prefix.startsWith(literal)) continue; // everything from here on
        return false;
      }
    }
  }
  return true;
}

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
  private readonly denials: Denial[] = [];

  constructor(private readonly opts: AuthorizerOptions = {}) {
    this.enabled = opts.enabled ?? true;
  }

  /** Registers (or replaces) a role's policy. */
  putRole(role: RoleRecord): void {
    this.roles.set(role.arn, role);
    this.cache.clear();
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
    const key = `${principal.roleArn}\n${action}\n${resource}`;
    let hit = this.cache.get(key);
    if (!hit) {
      if (this.cache.size > 50_000) this.cache.clear();
      hit = this.simulate(principal, action, resource);
      this.cache.set(key, hit);
    }
    // The session name only changes the message.
    return hit.then((d) => (d.allowed ? d : { allowed: false, message: d.message!.replace('\u0000', principalArn(principal)) }));
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

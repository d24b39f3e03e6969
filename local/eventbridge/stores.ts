/**
 * State per account and region (buses, rules, tags), the ARNs of buses and rules, and finding
 * a bus or rule from what a management call names; the default bus exists in every store.
 */
import type { CompiledPattern } from './pattern.js';
import { accessDenied, notFound } from './errors.js';
import { optionalString, requiredString } from './params.js';
import type { CallContext, PolicyDocument, Target } from './types.js';

export const DEFAULT_BUS = 'default';
/** The states in which a rule matches events and fires on its schedule. */
export const ENABLED_STATES = new Set(['ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);
export const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

export interface BusState {
  name: string;
  arn: string;
  description?: string;
  policy?: PolicyDocument;
  creationTime: Date;
  lastModifiedTime: Date;
}

export interface RuleState {
  name: string;
  arn: string;
  busName: string;
  eventPattern?: string;
  pattern?: CompiledPattern;
  scheduleExpression?: string;
  state: string;
  description?: string;
  roleArn?: string;
  createdBy: string;
  targets: Target[];
}

export interface Store {
  account: string;
  region: string;
  buses: Map<string, BusState>;
  /** bus name → rule name → rule */
  rules: Map<string, Map<string, RuleState>>;
  tags: Map<string, Record<string, string>>;
}

export function busArn(region: string, account: string, name: string): string {
  return `arn:aws:events:${region}:${account}:event-bus/${name}`;
}

export function ruleArn(region: string, account: string, busName: string, name: string): string {
  return busName === DEFAULT_BUS ? `arn:aws:events:${region}:${account}:rule/${name}` : `arn:aws:events:${region}:${account}:rule/${busName}/${name}`;
}

/** Every account and region's state, created (with its default bus) on first use. */
export class Stores {
  private readonly byKey = new Map<string, Store>();

  constructor(readonly now: () => Date) {}

  store(account: string, region: string): Store {
    const key = `${account}/${region}`;
    let s = this.byKey.get(key);
    if (!s) {
      const now = this.now();
      s = { account, region, buses: new Map(), rules: new Map(), tags: new Map() };
      s.buses.set(DEFAULT_BUS, { name: DEFAULT_BUS, arn: busArn(region, account, DEFAULT_BUS), creationTime: now, lastModifiedTime: now });
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Management calls take a bus name or ARN; an ARN must be the caller's own bus. */
  busNameOf(ctx: CallContext, nameOrArn: unknown): string {
    const value = optionalString(nameOrArn, 'EventBusName') ?? DEFAULT_BUS;
    const arn = BUS_ARN.exec(value);
    if (!arn) return value;
    if (arn[2] !== ctx.account || arn[1] !== ctx.region) {
      throw accessDenied(`User: arn:aws:iam::${ctx.account}:root is not authorized to manage resources of ${value}`);
    }
    return arn[3];
  }

  bus(ctx: CallContext, nameOrArn: unknown): BusState {
    const name = this.busNameOf(ctx, nameOrArn);
    const bus = this.store(ctx.account, ctx.region).buses.get(name);
    if (!bus) throw notFound(`Event bus ${name} does not exist.`);
    return bus;
  }

  rule(ctx: CallContext, ruleName: unknown, busNameOrArn: unknown): RuleState {
    const name = requiredString(ruleName, 'Name');
    const busName = this.busNameOf(ctx, busNameOrArn);
    const rule = this.store(ctx.account, ctx.region).rules.get(busName)?.get(name);
    if (!rule) throw notFound(`Rule ${name} does not exist on EventBus ${busName}.`);
    return rule;
  }

  all(): Iterable<Store> {
    return this.byKey.values();
  }

  clear(): void {
    this.byKey.clear();
  }
}

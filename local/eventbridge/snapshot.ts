/**
 * Persisting the model: buses, bus policies, rules, targets and tags of every account and
 * region as a versioned JSON snapshot, and restoring them (the event log is not kept).
 */
import { compilePattern } from './pattern.js';
import { clone, isRecord } from './params.js';
import { busArn, ruleArn, type RuleState, type Stores } from './stores.js';
import type { PolicyDocument } from './types.js';

export interface ModelSnapshot {
  version: 1;
  stores: Array<{
    account: string;
    region: string;
    buses: Array<{ name: string; description?: string; policy?: PolicyDocument; creationTime: string; lastModifiedTime: string }>;
    /** A rule as kept, less what is derived again on restore (its ARN, its compiled pattern). */
    rules: Array<Omit<RuleState, 'arn' | 'pattern'>>;
    tags: Array<[string, Record<string, string>]>;
  }>;
}

/** Buses, policies, rules, targets and tags (not the event log). */
export function snapshot(stores: Stores): ModelSnapshot {
  return {
    version: 1,
    stores: [...stores.all()].map((s) => ({
      account: s.account,
      region: s.region,
      buses: [...s.buses.values()].map((b) => ({
        name: b.name,
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.policy ? { policy: clone(b.policy) } : {}),
        creationTime: b.creationTime.toISOString(),
        lastModifiedTime: b.lastModifiedTime.toISOString(),
      })),
      rules: [...s.rules.values()].flatMap((m) =>
        [...m.values()].map((r) => ({
          busName: r.busName,
          name: r.name,
          ...(r.eventPattern !== undefined ? { eventPattern: r.eventPattern } : {}),
          ...(r.scheduleExpression !== undefined ? { scheduleExpression: r.scheduleExpression } : {}),
          state: r.state,
          ...(r.description !== undefined ? { description: r.description } : {}),
          ...(r.roleArn !== undefined ? { roleArn: r.roleArn } : {}),
          createdBy: r.createdBy,
          targets: clone(r.targets),
        })),
      ),
      tags: [...s.tags.entries()].map(([arn, t]) => [arn, { ...t }] as [string, Record<string, string>]),
    })),
  };
}

/** Replaces all state with a snapshot (object or its JSON). */
export function restore(stores: Stores, snapshot: ModelSnapshot | string): void {
  const snap = (typeof snapshot === 'string' ? JSON.parse(snapshot) : snapshot) as ModelSnapshot;
  if (!isRecord(snap) || snap.version !== 1 || !Array.isArray(snap.stores)) throw new Error('Not an EventBridge model snapshot (version 1)');
  stores.clear();
  for (const s of snap.stores) {
    const store = stores.store(s.account, s.region);
    for (const b of s.buses) {
      store.buses.set(b.name, {
        name: b.name,
        arn: busArn(s.region, s.account, b.name),
        description: b.description,
        policy: b.policy ? clone(b.policy) : undefined,
        creationTime: new Date(b.creationTime),
        lastModifiedTime: new Date(b.lastModifiedTime),
      });
    }
    for (const r of s.rules) {
      let rules = store.rules.get(r.busName);
      if (!rules) store.rules.set(r.busName, (rules = new Map()));
      rules.set(r.name, {
        name: r.name,
        arn: ruleArn(s.region, s.account, r.busName, r.name),
        busName: r.busName,
        eventPattern: r.eventPattern,
        pattern: r.eventPattern !== undefined ? compilePattern(r.eventPattern) : undefined,
        scheduleExpression: r.scheduleExpression,
        state: r.state,
        description: r.description,
        roleArn: r.roleArn,
        createdBy: r.createdBy,
        targets: clone(r.targets),
      });
    }
    for (const [arn, tags] of s.tags) store.tags.set(arn, { ...tags });
  }
}

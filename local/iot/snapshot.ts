/**
 * Persistence (--data-dir): the state of a model as plain JSON and back. Counters, token buckets and
 * lingering detaches are not persisted; each certificate copy carries its latest transfer.
 */
import type { CertRecord, TransferRecord } from './registry.js';
import type { IotState, PolicyRecord, ThingRecord } from './state.js';
import type { ThingPrincipalType } from './types.js';

export interface IotSnapshot {
  version: 1;
  regions: Record<string, { certificates: CertRecord[]; transfers?: TransferRecord[] }>;
  accounts: Record<
    string,
    {
      account: string;
      region: string;
      policies: PolicyRecord[];
      targetPolicies: Record<string, string[]>;
      things: ThingRecord[];
      thingPrincipals: { thingName: string; principal: string; thingPrincipalType: ThingPrincipalType }[];
    }
  >;
}

/** The state as plain data (records cloned, sets and maps as arrays). */
export function takeSnapshot(s: IotState): IotSnapshot {
  const regions: IotSnapshot['regions'] = {};
  for (const [name, r] of s.regions) {
    regions[name] = { certificates: [...r.certificates.all()].map((c) => structuredClone(c)) };
  }
  const accounts: IotSnapshot['accounts'] = {};
  for (const [key, a] of s.accounts) {
    const [account, region] = key.split('|');
    const thingPrincipals: IotSnapshot['accounts'][string]['thingPrincipals'] = [];
    for (const [principal, things] of a.principalThings) for (const [thingName, thingPrincipalType] of things) thingPrincipals.push({ thingName, principal, thingPrincipalType });
    accounts[key] = {
      account,
      region,
      policies: [...a.policies.values()].map((p) => ({ ...p })),
      targetPolicies: Object.fromEntries([...a.targetPolicies].map(([t, p]) => [t, [...p]])),
      things: [...a.things.values()].map((t) => structuredClone(t)),
      thingPrincipals,
    };
  }
  return { version: 1, regions, accounts };
}

/** A snapshot from its object or JSON, refused unless it is a version this model reads. */
export function readSnapshot(snapshot: IotSnapshot | string): IotSnapshot {
  const snap = typeof snapshot === 'string' ? (JSON.parse(snapshot) as IotSnapshot) : snapshot;
  if (snap.version !== 1) throw new Error(`Unsupported IoT snapshot version: ${String(snap.version)}`);
  return snap;
}

/** Replaces the state (and its lingering detaches) with a snapshot's. */
export function loadSnapshot(s: IotState, snap: IotSnapshot): void {
  s.regions.clear();
  s.accounts.clear();
  s.propagation.clear();
  for (const [name, r] of Object.entries(snap.regions)) {
    const region = s.region(name);
    for (const c of r.certificates) region.certificates.add(structuredClone(c));
    // Older snapshots: one copy per certificate id, its latest transfer kept apart.
    for (const t of r.transfers ?? []) {
      const cert = region.certificates.copies(t.certificateId)[0];
      if (cert && !cert.lastTransfer) cert.lastTransfer = { ...t };
    }
  }
  for (const a of Object.values(snap.accounts)) {
    const acct = s.account({ account: a.account, region: a.region });
    for (const p of a.policies) acct.policies.set(p.policyName, { ...p });
    for (const [t, p] of Object.entries(a.targetPolicies)) acct.targetPolicies.set(t, new Set(p));
    for (const t of a.things) acct.things.set(t.thingName, structuredClone(t));
    for (const { thingName, principal, thingPrincipalType } of a.thingPrincipals) {
      let things = acct.principalThings.get(principal);
      if (!things) acct.principalThings.set(principal, (things = new Map()));
      things.set(thingName, thingPrincipalType);
      let principals = acct.thingPrincipals.get(thingName);
      if (!principals) acct.thingPrincipals.set(thingName, (principals = new Map()));
      principals.set(principal, thingPrincipalType);
    }
  }
}

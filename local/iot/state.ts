/**
 * The state of one model and how operations reach it: certificates per region (the registry), policies,
 * things and attachments per account and region, the ARNs, and lookups that answer AWS's errors.
 */
import { randomUUID } from 'node:crypto';
import type { KeySource } from './certs.js';
import { invalid, notFound } from './errors.js';
import type { DetachPropagation } from './propagation.js';
import { CertificateRegistry, type CertRecord } from './registry.js';
import type { CallContext, ThingPrincipalType } from './types.js';
import { CERT_ARN } from './validation.js';

// State records are plain data: snapshot() serialises them as they are.

export interface PolicyRecord {
  policyName: string;
  policyDocument: string;
  creationDate: number;
  lastModifiedDate: number;
  generationId: string;
}

export interface ThingRecord {
  thingName: string;
  thingId: string;
  attributes: Record<string, string>;
  version: number;
}

export interface RegionState {
  certificates: CertificateRegistry;
}

export interface AccountState {
  policies: Map<string, PolicyRecord>;
  /** target (certificate ARN) → policy names */
  targetPolicies: Map<string, Set<string>>;
  things: Map<string, ThingRecord>;
  /** principal → thing → type */
  principalThings: Map<string, Map<string, ThingPrincipalType>>;
  /** thing → principal → type */
  thingPrincipals: Map<string, Map<string, ThingPrincipalType>>;
}

/**
 * Everything the operations read and change, with the model's clock, key source and detach propagation.
 * Certificates live in a per-region registry, each copy with its current owner; policies, things and
 * every attachment live in the owning account's state. That is what lets a certificate move between
 * accounts by TransferCertificate / AcceptCertificateTransfer.
 */
export class IotState {
  readonly regions = new Map<string, RegionState>();
  /** `account|region` → that account's policies, things and attachments. */
  readonly accounts = new Map<string, AccountState>();

  constructor(
    readonly keys: KeySource,
    readonly now: () => number,
    /** Page size of list calls when the caller gives none. */
    readonly pageSize: number,
    readonly propagation: DetachPropagation,
  ) {}

  region(region: string): RegionState {
    let r = this.regions.get(region);
    if (!r) this.regions.set(region, (r = { certificates: new CertificateRegistry() }));
    return r;
  }

  account(ctx: CallContext): AccountState {
    const key = `${ctx.account}|${ctx.region}`;
    let a = this.accounts.get(key);
    if (!a) {
      a = { policies: new Map(), targetPolicies: new Map(), things: new Map(), principalThings: new Map(), thingPrincipals: new Map() };
      this.accounts.set(key, a);
    }
    return a;
  }

  certArn(region: string, cert: CertRecord): string {
    return `arn:aws:iot:${region}:${cert.owner}:cert/${cert.certificateId}`;
  }

  policyArn(ctx: CallContext, name: string): string {
    return `arn:aws:iot:${ctx.region}:${ctx.account}:policy/${name}`;
  }

  thingArn(ctx: CallContext, name: string): string {
    return `arn:aws:iot:${ctx.region}:${ctx.account}:thing/${name}`;
  }

  /** A certificate the caller owns, or ResourceNotFoundException. */
  ownedCert(ctx: CallContext, certificateId: string): CertRecord {
    const cert = this.region(ctx.region).certificates.owned(certificateId, ctx.account);
    if (!cert) throw notFound(`The certificate ${certificateId} does not exist.`);
    return cert;
  }

  /** A certificate the caller can see: owned, or pending transfer to the caller. */
  visibleCert(ctx: CallContext, certificateId: string): CertRecord | undefined {
    return this.region(ctx.region).certificates.visible(certificateId, ctx.account);
  }

  /** Key of an account's state, also the scope of its lingering detaches. */
  scope(ctx: CallContext): string {
    return `${ctx.account}|${ctx.region}`;
  }

  /** Resolves a principal/target ARN to a certificate the caller owns. */
  principalCert(ctx: CallContext, principal: string, member: string): CertRecord {
    const m = CERT_ARN.exec(principal);
    if (!m) {
      // Cognito identities and thing groups are valid principals in AWS but not emulated: say so instead of pretending.
      if (principal.startsWith('arn:') && principal.includes(':cert/')) throw invalid(`Invalid ${member}: ${principal}`);
      throw invalid(`${member} ${principal} is not a certificate ARN; only X.509 certificate principals are emulated by the local cloud.`);
    }
    const [, region, account, id] = m;
    const cert = region === ctx.region && account === ctx.account ? this.region(ctx.region).certificates.owned(id, ctx.account) : undefined;
    if (!cert) throw notFound(`The certificate ${principal} does not exist.`);
    return cert;
  }

  touch(cert: CertRecord): void {
    cert.lastModifiedDate = this.now();
    cert.customerVersion += 1;
    cert.generationId = randomUUID();
  }

  /** Drops every attachment of a principal in one account (deletion, or the certificate left the account). */
  forgetPrincipal(ctx: CallContext, arn: string): void {
    const acct = this.account(ctx);
    acct.targetPolicies.delete(arn);
    for (const thing of acct.principalThings.get(arn)?.keys() ?? []) acct.thingPrincipals.get(thing)?.delete(arn);
    acct.principalThings.delete(arn);
    this.propagation.forget(this.scope(ctx), arn);
  }
}

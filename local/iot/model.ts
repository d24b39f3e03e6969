/**
 * AWS IoT Core control plane, the service model (no HTTP; the wire layer is `protocol.ts`): `IotModel`,
 * its options, `call()` and the dispatch of each operation to the function of its concern's file.
 */
import { CallBehaviour, type FaultOptions, type IotCallEvent, type IotStats, type LatencySpec } from './behaviour.js';
import * as certificates from './certificates.js';
import { KeySource, type KeyAlgorithm } from './certs.js';
import * as policies from './policies.js';
import { DetachPropagation, type PropagationSpec } from './propagation.js';
import type { IotQuotas } from './quotas.js';
import { loadSnapshot, readSnapshot, takeSnapshot, type IotSnapshot } from './snapshot.js';
import { IotState } from './state.js';
import * as things from './things.js';
import * as transfers from './transfers.js';
import type { CallContext, IotInputs, IotOperation, IotOutputs } from './types.js';
import { findCertificate, listAccounts, listAllCertificates, type CertificateOverview } from './views.js';

// What callers import from here: this file is the emulator's one entry point.
export * from './types.js';
export { FAULT_KINDS, type CallOutcome, type FaultKind, type FaultOptions, type IotCallEvent, type IotStats, type LatencyRange, type LatencySpec, type OperationStats } from './behaviour.js';
export { IOT_ERROR_STATUS, IotError } from './errors.js';
export { AWS_DEFAULT_IOT_QUOTAS, MAX_POLICIES_PER_TARGET, type IotQuotas, type QuotaSpec } from './quotas.js';
export type { TransferOutcome } from './registry.js';
export type { IotSnapshot } from './snapshot.js';
export type { CertificateOverview } from './views.js';

export interface IotModelOptions {
  /** Key type of CreateKeysAndCertificate: RSA 2048 like AWS (default) or EC P-256 (much faster to generate). */
  keyAlgorithm?: KeyAlgorithm;
  /** RSA only: generate this many key pairs, then reuse them (certificates stay unique). 0 = always fresh. Default 4. */
  keyPoolSize?: number;
  /**
   * How long a just-detached thing still counts as attached for TransferCertificate (AWS propagates
   * detaches asynchronously): fixed, or `{min, max}` drawn from a PRNG seeded by `seed`. Default 0
   * (`npm start` uses AWS_DETACH_PROPAGATION_MS).
   */
  detachPropagationMs?: PropagationSpec;
  /** Seed of the model's PRNGs (propagation jitter, latency; faults unless `faults.seed`). Default 1. */
  seed?: number;
  /** Token-bucket throttling per account, region and operation (see AWS_DEFAULT_IOT_QUOTAS). Default: none. */
  quotas?: IotQuotas;
  /** Delay before each call is served. Default: none. */
  latencyMs?: LatencySpec;
  /** Random retryable failures, injected before any state changes. Default: none. */
  faults?: FaultOptions;
  /** Called after every call through `call()` (errors thrown by the hook are ignored). */
  onCall?: (event: IotCallEvent) => void;
  /** Milliseconds since the epoch; injectable for deterministic tests. Default Date.now. */
  clock?: () => number;
  /** Page size of list calls when the caller gives none. Default 25. */
  defaultPageSize?: number;
}

type Handler<K extends IotOperation> = (ctx: CallContext, input: IotInputs[K]) => IotOutputs[K] | Promise<IotOutputs[K]>;

export class IotModel {
  private readonly state: IotState;
  private readonly behaviour: CallBehaviour;

  /** Typed so that no operation can go missing: `call()` dispatches through it. */
  private readonly handlers: { [K in IotOperation]: Handler<K> } = {
    CreateKeysAndCertificate: (c, i) => this.createKeysAndCertificate(c, i),
    RegisterCertificateWithoutCA: (c, i) => this.registerCertificateWithoutCA(c, i),
    DescribeCertificate: (c, i) => this.describeCertificate(c, i),
    ListCertificates: (c, i) => this.listCertificates(c, i),
    UpdateCertificate: (c, i) => this.updateCertificate(c, i),
    DeleteCertificate: (c, i) => this.deleteCertificate(c, i),
    ListOutgoingCertificates: (c, i) => this.listOutgoingCertificates(c, i),
    TransferCertificate: (c, i) => this.transferCertificate(c, i),
    AcceptCertificateTransfer: (c, i) => this.acceptCertificateTransfer(c, i),
    RejectCertificateTransfer: (c, i) => this.rejectCertificateTransfer(c, i),
    CancelCertificateTransfer: (c, i) => this.cancelCertificateTransfer(c, i),
    CreatePolicy: (c, i) => this.createPolicy(c, i),
    GetPolicy: (c, i) => this.getPolicy(c, i),
    DeletePolicy: (c, i) => this.deletePolicy(c, i),
    ListPolicies: (c, i) => this.listPolicies(c, i),
    AttachPolicy: (c, i) => this.attachPolicy(c, i),
    DetachPolicy: (c, i) => this.detachPolicy(c, i),
    ListAttachedPolicies: (c, i) => this.listAttachedPolicies(c, i),
    ListTargetsForPolicy: (c, i) => this.listTargetsForPolicy(c, i),
    CreateThing: (c, i) => this.createThing(c, i),
    DescribeThing: (c, i) => this.describeThing(c, i),
    UpdateThing: (c, i) => this.updateThing(c, i),
    DeleteThing: (c, i) => this.deleteThing(c, i),
    ListThings: (c, i) => this.listThings(c, i),
    AttachThingPrincipal: (c, i) => this.attachThingPrincipal(c, i),
    DetachThingPrincipal: (c, i) => this.detachThingPrincipal(c, i),
    ListPrincipalThings: (c, i) => this.listPrincipalThings(c, i),
    ListPrincipalThingsV2: (c, i) => this.listPrincipalThingsV2(c, i),
    ListThingPrincipals: (c, i) => this.listThingPrincipals(c, i),
    ListThingPrincipalsV2: (c, i) => this.listThingPrincipalsV2(c, i),
  };

  constructor(readonly options: IotModelOptions = {}) {
    const now = options.clock ?? Date.now;
    const seed = options.seed ?? 1;
    const keys = new KeySource(options.keyAlgorithm ?? 'rsa', options.keyPoolSize ?? 4);
    this.behaviour = new CallBehaviour(options, options.quotas, now, seed);
    this.state = new IotState(keys, now, options.defaultPageSize ?? 25, new DetachPropagation(options.detachPropagationMs, now, seed));
  }

  /**
   * Serves one call the way AWS would: waits the configured latency, then
   * throttles (token bucket) or injects a fault (both before any state
   * change, so they are safe to retry), then runs the operation. The wire
   * layer calls this; operation methods called directly skip all that.
   */
  async call<K extends IotOperation>(ctx: CallContext, operation: K, input: IotInputs[K]): Promise<IotOutputs[K]> {
    return this.behaviour.serve(ctx, operation, input, () => (this.handlers[operation] as Handler<K>)(ctx, input));
  }

  stats(): IotStats {
    return this.behaviour.stats();
  }

  resetStats(): void {
    this.behaviour.resetStats();
  }

  // Certificates (certificates.ts)

  createKeysAndCertificate(ctx: CallContext, input: IotInputs['CreateKeysAndCertificate']): Promise<IotOutputs['CreateKeysAndCertificate']> {
    return certificates.createKeysAndCertificate(this.state, ctx, input);
  }

  registerCertificateWithoutCA(ctx: CallContext, input: IotInputs['RegisterCertificateWithoutCA']): IotOutputs['RegisterCertificateWithoutCA'] {
    return certificates.registerCertificateWithoutCA(this.state, ctx, input);
  }

  describeCertificate(ctx: CallContext, input: IotInputs['DescribeCertificate']): IotOutputs['DescribeCertificate'] {
    return certificates.describeCertificate(this.state, ctx, input);
  }

  listCertificates(ctx: CallContext, input: IotInputs['ListCertificates']): IotOutputs['ListCertificates'] {
    return certificates.listCertificates(this.state, ctx, input);
  }

  updateCertificate(ctx: CallContext, input: IotInputs['UpdateCertificate']): IotOutputs['UpdateCertificate'] {
    return certificates.updateCertificate(this.state, ctx, input);
  }

  deleteCertificate(ctx: CallContext, input: IotInputs['DeleteCertificate']): IotOutputs['DeleteCertificate'] {
    return certificates.deleteCertificate(this.state, ctx, input);
  }

  listOutgoingCertificates(ctx: CallContext, input: IotInputs['ListOutgoingCertificates']): IotOutputs['ListOutgoingCertificates'] {
    return certificates.listOutgoingCertificates(this.state, ctx, input);
  }

  // Transfers (transfers.ts)

  transferCertificate(ctx: CallContext, input: IotInputs['TransferCertificate']): IotOutputs['TransferCertificate'] {
    return transfers.transferCertificate(this.state, ctx, input);
  }

  acceptCertificateTransfer(ctx: CallContext, input: IotInputs['AcceptCertificateTransfer']): IotOutputs['AcceptCertificateTransfer'] {
    return transfers.acceptCertificateTransfer(this.state, ctx, input);
  }

  rejectCertificateTransfer(ctx: CallContext, input: IotInputs['RejectCertificateTransfer']): IotOutputs['RejectCertificateTransfer'] {
    return transfers.rejectCertificateTransfer(this.state, ctx, input);
  }

  cancelCertificateTransfer(ctx: CallContext, input: IotInputs['CancelCertificateTransfer']): IotOutputs['CancelCertificateTransfer'] {
    return transfers.cancelCertificateTransfer(this.state, ctx, input);
  }

  // Policies (policies.ts)

  createPolicy(ctx: CallContext, input: IotInputs['CreatePolicy']): IotOutputs['CreatePolicy'] {
    return policies.createPolicy(this.state, ctx, input);
  }

  getPolicy(ctx: CallContext, input: IotInputs['GetPolicy']): IotOutputs['GetPolicy'] {
    return policies.getPolicy(this.state, ctx, input);
  }

  deletePolicy(ctx: CallContext, input: IotInputs['DeletePolicy']): IotOutputs['DeletePolicy'] {
    return policies.deletePolicy(this.state, ctx, input);
  }

  listPolicies(ctx: CallContext, input: IotInputs['ListPolicies']): IotOutputs['ListPolicies'] {
    return policies.listPolicies(this.state, ctx, input);
  }

  attachPolicy(ctx: CallContext, input: IotInputs['AttachPolicy']): IotOutputs['AttachPolicy'] {
    return policies.attachPolicy(this.state, ctx, input);
  }

  detachPolicy(ctx: CallContext, input: IotInputs['DetachPolicy']): IotOutputs['DetachPolicy'] {
    return policies.detachPolicy(this.state, ctx, input);
  }

  listAttachedPolicies(ctx: CallContext, input: IotInputs['ListAttachedPolicies']): IotOutputs['ListAttachedPolicies'] {
    return policies.listAttachedPolicies(this.state, ctx, input);
  }

  listTargetsForPolicy(ctx: CallContext, input: IotInputs['ListTargetsForPolicy']): IotOutputs['ListTargetsForPolicy'] {
    return policies.listTargetsForPolicy(this.state, ctx, input);
  }

  // Things (things.ts)

  createThing(ctx: CallContext, input: IotInputs['CreateThing']): IotOutputs['CreateThing'] {
    return things.createThing(this.state, ctx, input);
  }

  describeThing(ctx: CallContext, input: IotInputs['DescribeThing']): IotOutputs['DescribeThing'] {
    return things.describeThing(this.state, ctx, input);
  }

  updateThing(ctx: CallContext, input: IotInputs['UpdateThing']): IotOutputs['UpdateThing'] {
    return things.updateThing(this.state, ctx, input);
  }

  deleteThing(ctx: CallContext, input: IotInputs['DeleteThing']): IotOutputs['DeleteThing'] {
    return things.deleteThing(this.state, ctx, input);
  }

  listThings(ctx: CallContext, input: IotInputs['ListThings']): IotOutputs['ListThings'] {
    return things.listThings(this.state, ctx, input);
  }

  attachThingPrincipal(ctx: CallContext, input: IotInputs['AttachThingPrincipal']): IotOutputs['AttachThingPrincipal'] {
    return things.attachThingPrincipal(this.state, ctx, input);
  }

  detachThingPrincipal(ctx: CallContext, input: IotInputs['DetachThingPrincipal']): IotOutputs['DetachThingPrincipal'] {
    return things.detachThingPrincipal(this.state, ctx, input);
  }

  listPrincipalThings(ctx: CallContext, input: IotInputs['ListPrincipalThings']): IotOutputs['ListPrincipalThings'] {
    return things.listPrincipalThings(this.state, ctx, input);
  }

  listPrincipalThingsV2(ctx: CallContext, input: IotInputs['ListPrincipalThingsV2']): IotOutputs['ListPrincipalThingsV2'] {
    return things.listPrincipalThingsV2(this.state, ctx, input);
  }

  listThingPrincipals(ctx: CallContext, input: IotInputs['ListThingPrincipals']): IotOutputs['ListThingPrincipals'] {
    return things.listThingPrincipals(this.state, ctx, input);
  }

  listThingPrincipalsV2(ctx: CallContext, input: IotInputs['ListThingPrincipalsV2']): IotOutputs['ListThingPrincipalsV2'] {
    return things.listThingPrincipalsV2(this.state, ctx, input);
  }

  // Read helpers for the console and the runner (views.ts): no quotas, no faults, no counting

  /** Accounts (with their regions) that hold any IoT state. */
  listAccounts(): { account: string; region: string }[] {
    return listAccounts(this.state);
  }

  /**
   * One certificate, whoever owns it, with its attachments and latest transfer. A certificate
   * registered in several accounts (SNI_ONLY): the copy `account` owns or is offered, else the first.
   */
  findCertificate(certificateId: string, region?: string, account?: string): CertificateOverview | undefined {
    return findCertificate(this.state, certificateId, region, account);
  }

  /** Every certificate of every account, newest first; optionally one account's (owned or incoming) or one region's. */
  listAllCertificates(filter: { account?: string; region?: string } = {}): CertificateOverview[] {
    return listAllCertificates(this.state, filter);
  }

  // Persistence (--data-dir, snapshot.ts)

  snapshot(): IotSnapshot {
    return takeSnapshot(this.state);
  }

  /** Replaces all state with a snapshot (object or its JSON); token buckets start full again. */
  restore(snapshot: IotSnapshot | string): void {
    const snap = readSnapshot(snapshot);
    this.behaviour.clearBuckets();
    loadSnapshot(this.state, snap);
  }
}

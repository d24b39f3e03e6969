/**
 * AWS IoT Core control plane, the service model: one method per operation,
 * state per account and region, no HTTP. The wire layer is `protocol.ts`.
 *
 * Certificates live in a per-region registry (`registry.ts`: a DEFAULT-mode
 * certificate exists once per region, an SNI_ONLY one once per account), each
 * copy with its current owner; policies, things and every attachment live in
 * the owning account's state. That is what lets a certificate move between
 * accounts by TransferCertificate / AcceptCertificateTransfer. Quotas and
 * detach propagation are their own modules (`quotas.ts`, `propagation.ts`).
 */
import { randomUUID } from 'node:crypto';
import { seededRandom as prng } from '../shared/prng.js';
import { AwsError } from '../edge/types.js';
import { KeySource, issueDeviceCertificate, parseCertificatePem, type KeyAlgorithm } from './certs.js';
import { DetachPropagation, type PropagationSpec } from './propagation.js';
import { TokenBuckets, type IotQuotas } from './quotas.js';
import { CertificateRegistry, modeOf, type CertificateMode, type CertRecord, type TransferOutcome, type TransferRecord, type TransferState } from './registry.js';

export { AWS_DEFAULT_IOT_QUOTAS, type IotQuotas, type QuotaSpec } from './quotas.js';
export { CERTIFICATE_MODES, type CertificateMode, type TransferOutcome } from './registry.js';

// ---------------------------------------------------------------------------
// Vocabulary

export const CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE', 'PENDING_ACTIVATION'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];
export const THING_PRINCIPAL_TYPES = ['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING'] as const;
export type ThingPrincipalType = (typeof THING_PRINCIPAL_TYPES)[number];

export const IOT_OPERATIONS = [
  'CreateKeysAndCertificate',
  'RegisterCertificateWithoutCA',
  'DescribeCertificate',
  'ListCertificates',
  'UpdateCertificate',
  'DeleteCertificate',
  'ListOutgoingCertificates',
  'TransferCertificate',
  'AcceptCertificateTransfer',
  'RejectCertificateTransfer',
  'CancelCertificateTransfer',
  'CreatePolicy',
  'GetPolicy',
  'DeletePolicy',
  'ListPolicies',
  'AttachPolicy',
  'DetachPolicy',
  'ListAttachedPolicies',
  'ListTargetsForPolicy',
  'CreateThing',
  'DescribeThing',
  'UpdateThing',
  'DeleteThing',
  'ListThings',
  'AttachThingPrincipal',
  'DetachThingPrincipal',
  'ListPrincipalThings',
  'ListPrincipalThingsV2',
  'ListThingPrincipals',
  'ListThingPrincipalsV2',
] as const;
export type IotOperation = (typeof IOT_OPERATIONS)[number];

/** Who is calling: the account (from the access key id) and the region (from the SigV4 scope). */
export interface CallContext {
  account: string;
  region: string;
}

/** An IoT error; `fields` are extra members of the error shape (e.g. resourceId, resourceArn). */
export class IotError extends AwsError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly fields: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

const invalid = (message: string): IotError => new IotError('InvalidRequestException', message, 400);
const notFound = (message = 'The specified resource does not exist.'): IotError => new IotError('ResourceNotFoundException', message, 404);
const unauthorized = (message: string): IotError => new IotError('UnauthorizedException', message, 401);
const certState = (message: string): IotError => new IotError('CertificateStateException', message, 406);
const transferConflict = (message: string): IotError => new IotError('TransferConflictException', message, 409);
const deleteConflict = (message: string): IotError => new IotError('DeleteConflictException', message, 409);
const alreadyExists = (message: string, fields: Record<string, string> = {}): IotError =>
  new IotError('ResourceAlreadyExistsException', message, 409, fields);
const transferCompleted = (): IotError =>
  new IotError('TransferAlreadyCompletedException', "You can't revert the certificate transfer because the transfer is already complete.", 410);

/** Status codes of every error name the emulator can produce (the SDK's error shapes). */
export const IOT_ERROR_STATUS: Readonly<Record<string, number>> = {
  InvalidRequestException: 400,
  ThrottlingException: 400,
  MalformedPolicyException: 400,
  CertificateValidationException: 400,
  UnauthorizedException: 401,
  ResourceNotFoundException: 404,
  CertificateStateException: 406,
  TransferConflictException: 409,
  ResourceAlreadyExistsException: 409,
  DeleteConflictException: 409,
  VersionConflictException: 409,
  TransferAlreadyCompletedException: 410,
  LimitExceededException: 410,
  InternalFailureException: 500,
  ServiceUnavailableException: 503,
};

/** At most 10 policies can be attached to one certificate (AWS IoT quota). */
export const MAX_POLICIES_PER_TARGET = 10;

// ---------------------------------------------------------------------------
// Operation shapes (wire member names; dates as Date, the protocol layer encodes them)

export interface TransferData {
  transferMessage?: string;
  rejectReason?: string;
  transferDate?: Date;
  acceptDate?: Date;
  rejectDate?: Date;
}

export interface CertificateDescription {
  certificateArn: string;
  certificateId: string;
  status: CertificateStatus;
  certificatePem: string;
  ownedBy: string;
  previousOwnedBy?: string;
  creationDate: Date;
  lastModifiedDate: Date;
  customerVersion: number;
  transferData?: TransferData;
  generationId: string;
  validity: { notBefore: Date; notAfter: Date };
  certificateMode: CertificateMode;
}

export interface CertificateSummary {
  certificateArn: string;
  certificateId: string;
  status: CertificateStatus;
  certificateMode: CertificateMode;
  creationDate: Date;
}

export interface OutgoingCertificate {
  certificateArn: string;
  certificateId: string;
  transferredTo: string;
  transferDate: Date;
  transferMessage?: string;
  creationDate: Date;
}

export interface PolicySummary {
  policyName: string;
  policyArn: string;
}

export interface ThingAttributeSummary {
  thingName: string;
  thingArn: string;
  attributes: Record<string, string>;
  version: number;
}

type Page = { pageSize?: number; marker?: string };
type TokenPage = { maxResults?: number; nextToken?: string };

export interface IotInputs {
  CreateKeysAndCertificate: { setAsActive?: boolean };
  RegisterCertificateWithoutCA: { certificatePem?: string; status?: string };
  DescribeCertificate: { certificateId?: string };
  ListCertificates: Page & { ascendingOrder?: boolean };
  UpdateCertificate: { certificateId?: string; newStatus?: string };
  DeleteCertificate: { certificateId?: string; forceDelete?: boolean };
  ListOutgoingCertificates: Page & { ascendingOrder?: boolean };
  TransferCertificate: { certificateId?: string; targetAwsAccount?: string; transferMessage?: string };
  AcceptCertificateTransfer: { certificateId?: string; setAsActive?: boolean };
  RejectCertificateTransfer: { certificateId?: string; rejectReason?: string };
  CancelCertificateTransfer: { certificateId?: string };
  CreatePolicy: { policyName?: string; policyDocument?: string; tags?: { Key: string; Value?: string }[] };
  GetPolicy: { policyName?: string };
  DeletePolicy: { policyName?: string };
  ListPolicies: Page & { ascendingOrder?: boolean };
  AttachPolicy: { policyName?: string; target?: string };
  DetachPolicy: { policyName?: string; target?: string };
  ListAttachedPolicies: Page & { target?: string; recursive?: boolean };
  ListTargetsForPolicy: Page & { policyName?: string };
  CreateThing: { thingName?: string; thingTypeName?: string; attributePayload?: { attributes?: Record<string, string>; merge?: boolean }; billingGroupName?: string };
  DescribeThing: { thingName?: string };
  UpdateThing: { thingName?: string; thingTypeName?: string; attributePayload?: { attributes?: Record<string, string>; merge?: boolean }; expectedVersion?: number; removeThingType?: boolean };
  DeleteThing: { thingName?: string; expectedVersion?: number };
  ListThings: TokenPage & { attributeName?: string; attributeValue?: string; thingTypeName?: string; usePrefixAttributeValue?: boolean };
  AttachThingPrincipal: { thingName?: string; principal?: string; thingPrincipalType?: string };
  DetachThingPrincipal: { thingName?: string; principal?: string };
  ListPrincipalThings: TokenPage & { principal?: string };
  ListPrincipalThingsV2: TokenPage & { principal?: string; thingPrincipalType?: string };
  ListThingPrincipals: TokenPage & { thingName?: string };
  ListThingPrincipalsV2: TokenPage & { thingName?: string; thingPrincipalType?: string };
}

export interface IotOutputs {
  CreateKeysAndCertificate: { certificateArn: string; certificateId: string; certificatePem: string; keyPair: { PublicKey: string; PrivateKey: string } };
  RegisterCertificateWithoutCA: { certificateArn: string; certificateId: string };
  DescribeCertificate: { certificateDescription: CertificateDescription };
  ListCertificates: { certificates: CertificateSummary[]; nextMarker?: string };
  UpdateCertificate: void;
  DeleteCertificate: void;
  ListOutgoingCertificates: { outgoingCertificates: OutgoingCertificate[]; nextMarker?: string };
  TransferCertificate: { transferredCertificateArn: string };
  AcceptCertificateTransfer: void;
  RejectCertificateTransfer: void;
  CancelCertificateTransfer: void;
  CreatePolicy: { policyName: string; policyArn: string; policyDocument: string; policyVersionId: string };
  GetPolicy: { policyName: string; policyArn: string; policyDocument: string; defaultVersionId: string; creationDate: Date; lastModifiedDate: Date; generationId: string };
  DeletePolicy: void;
  ListPolicies: { policies: PolicySummary[]; nextMarker?: string };
  AttachPolicy: void;
  DetachPolicy: void;
  ListAttachedPolicies: { policies: PolicySummary[]; nextMarker?: string };
  ListTargetsForPolicy: { targets: string[]; nextMarker?: string };
  CreateThing: { thingName: string; thingArn: string; thingId: string };
  DescribeThing: { defaultClientId: string; thingName: string; thingId: string; thingArn: string; attributes: Record<string, string>; version: number };
  UpdateThing: Record<string, never>;
  DeleteThing: Record<string, never>;
  ListThings: { things: ThingAttributeSummary[]; nextToken?: string };
  AttachThingPrincipal: Record<string, never>;
  DetachThingPrincipal: Record<string, never>;
  ListPrincipalThings: { things: string[]; nextToken?: string };
  ListPrincipalThingsV2: { principalThingObjects: { thingName: string; thingPrincipalType: ThingPrincipalType }[]; nextToken?: string };
  ListThingPrincipals: { principals: string[]; nextToken?: string };
  ListThingPrincipalsV2: { thingPrincipalObjects: { principal: string; thingPrincipalType: ThingPrincipalType }[]; nextToken?: string };
}

// ---------------------------------------------------------------------------
// Options: quotas, latency, faults, observation

export type LatencyRange = number | { min: number; max: number };
/**
 * A fixed delay, a uniform range, per-operation values (`'*'` for the rest), or a function of the
 * call (chaos runs: one certificate's calls hang) answering milliseconds.
 */
export type LatencySpec = LatencyRange | Partial<Record<IotOperation | '*', LatencyRange>> | ((call: { account: string; operation: IotOperation; input: unknown }) => number);

export const FAULT_KINDS = ['ThrottlingException', 'ServiceUnavailableException', 'InternalFailureException'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Probability (0…1) that a call fails before doing anything. */
  rate: number;
  /** Errors to pick from, uniformly. Default: all three. */
  kinds?: readonly FaultKind[];
  /** PRNG seed: the same seed and the same call sequence give the same faults. Default 1. */
  seed?: number;
  /** Only these operations get faults (default: all). */
  operations?: readonly IotOperation[];
}

export type CallOutcome = 'ok' | 'error' | 'throttled' | 'fault';

export interface IotCallEvent {
  account: string;
  region: string;
  operation: IotOperation;
  input: unknown;
  outcome: CallOutcome;
  /** Error name when outcome is not 'ok'. */
  errorCode?: string;
  startedAt: Date;
  durationMs: number;
}

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

export interface OperationStats {
  /** Every call, whatever its outcome. */
  calls: number;
  succeeded: number;
  /** Calls that failed with a modelled error (not throttles or injected faults). */
  failed: number;
  throttled: number;
  faults: number;
}

export interface IotStats {
  /** account → operation → counts (regions summed). */
  byAccount: Record<string, Partial<Record<IotOperation, OperationStats>>>;
  calls: number;
  throttled: number;
  faultsInjected: number;
}

// ---------------------------------------------------------------------------
// State records (plain data: snapshot() serialises them as they are)

interface PolicyRecord {
  policyName: string;
  policyDocument: string;
  creationDate: number;
  lastModifiedDate: number;
  generationId: string;
}

interface ThingRecord {
  thingName: string;
  thingId: string;
  attributes: Record<string, string>;
  version: number;
}

interface RegionState {
  certificates: CertificateRegistry;
}

interface AccountState {
  policies: Map<string, PolicyRecord>;
  /** target (certificate ARN) → policy names */
  targetPolicies: Map<string, Set<string>>;
  things: Map<string, ThingRecord>;
  /** principal → thing → type */
  principalThings: Map<string, Map<string, ThingPrincipalType>>;
  /** thing → principal → type */
  thingPrincipals: Map<string, Map<string, ThingPrincipalType>>;
}

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

/** What the console shows for one certificate, across accounts. */
export interface CertificateOverview {
  region: string;
  certificateId: string;
  certificateArn: string;
  ownedBy: string;
  status: CertificateStatus;
  certificateMode: CertificateMode;
  previousOwnedBy?: string;
  pendingTransferTo?: string;
  creationDate: Date;
  lastModifiedDate: Date;
  transferData?: TransferData;
  policies: string[];
  things: { thingName: string; thingPrincipalType: ThingPrincipalType }[];
  lastTransfer?: { source: string; target: string; state: TransferOutcome; transferMessage?: string; transferDate: Date; endDate?: Date };
}

// ---------------------------------------------------------------------------
// Validation helpers

const CERT_ID = /^(0x)?[a-fA-F0-9]+$/;
const POLICY_NAME = /^[\w+=,.@-]+$/;
const THING_NAME = /^[a-zA-Z0-9:_-]+$/;
const CERT_ARN = /^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):cert\/([a-fA-F0-9]{64})$/;

function certificateIdOf(id: string | undefined): string {
  if (id === undefined || id === '') throw invalid('certificateId is required.');
  if (id.length !== 64 || !CERT_ID.test(id)) throw invalid(`Invalid certificateId: ${id}. It must be 64 hexadecimal characters.`);
  return id;
}

function policyNameOf(name: string | undefined): string {
  if (!name) throw invalid('policyName is required.');
  if (name.length > 128 || !POLICY_NAME.test(name)) throw invalid(`Invalid policyName: ${name}`);
  return name;
}

function thingNameOf(name: string | undefined): string {
  if (!name) throw invalid('thingName is required.');
  if (name.length > 128 || !THING_NAME.test(name)) throw invalid(`Invalid thingName: ${name}`);
  return name;
}

function required(value: string | undefined, member: string): string {
  if (value === undefined || value === '') throw invalid(`${member} is required.`);
  return value;
}

function maxLength(value: string | undefined, max: number, member: string): void {
  if (value !== undefined && value.length > max) throw invalid(`${member} must be at most ${max} characters.`);
}

function pageSizeOf(value: number | undefined, fallback: number, member: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 250) throw invalid(`${member} must be between 1 and 250.`);
  return value;
}

function statusOf(value: string | undefined, member: string): CertificateStatus {
  const v = required(value, member);
  if (!(CERTIFICATE_STATUSES as readonly string[]).includes(v)) throw invalid(`Invalid ${member}: ${v}`);
  return v as CertificateStatus;
}

function principalTypeOf(value: string | undefined): ThingPrincipalType | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(THING_PRINCIPAL_TYPES as readonly string[]).includes(value)) throw invalid(`Invalid thingPrincipalType: ${value}`);
  return value as ThingPrincipalType;
}

/** Opaque pagination token (base64, the documented marker pattern): the sort key of the last item served. */
function encodeMarker(key: string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64');
}

function decodeMarker(marker: string, member: string): string {
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(marker) && marker.length <= 1024) {
    try {
      const parsed = JSON.parse(Buffer.from(marker, 'base64').toString('utf8')) as { k?: unknown };
      if (typeof parsed.k === 'string') return parsed.k;
    } catch {
      // fall through
    }
  }
  throw invalid(`Invalid ${member}: ${marker}`);
}

/**
 * One page of `items` (already sorted by `key` in direction `dir`). The
 * token is the key of the last item served, so pages stay consistent while
 * items are added or removed between calls.
 */
function paginate<T>(items: T[], key: (t: T) => string, size: number, token: string | undefined, member: string, dir: 1 | -1 = 1): { page: T[]; next?: string } {
  let start = 0;
  if (token) {
    const last = decodeMarker(token, member);
    start = items.findIndex((i) => dir * compare(key(i), last) > 0);
    if (start === -1) start = items.length;
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  return { page, next: more ? encodeMarker(key(page[page.length - 1])) : undefined };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Creation-date sort key for certificates: fixed-width time, then id. */
function certKey(c: CertRecord): string {
  return `${String(c.creationDate).padStart(15, '0')}#${c.certificateId}`;
}


const FAULT_ERRORS: Record<FaultKind, () => IotError> = {
  ThrottlingException: () => new IotError('ThrottlingException', 'Rate exceeded', 400),
  ServiceUnavailableException: () => new IotError('ServiceUnavailableException', 'Service is unavailable, please retry.', 503),
  InternalFailureException: () => new IotError('InternalFailureException', 'An unexpected error has occurred.', 500),
};

const date = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));

// ---------------------------------------------------------------------------

export class IotModel {
  private readonly regions = new Map<string, RegionState>();
  private readonly accounts = new Map<string, AccountState>();
  private readonly keys: KeySource;
  private readonly now: () => number;
  private readonly pageSize: number;
  private readonly buckets: TokenBuckets;
  private readonly propagation: DetachPropagation;
  private readonly faultRandom: () => number;
  private readonly latencyRandom: () => number;
  private counters = new Map<string, OperationStats>();
  private faultsInjected = 0;

  private readonly handlers: { [K in IotOperation]: (ctx: CallContext, input: IotInputs[K]) => IotOutputs[K] | Promise<IotOutputs[K]> } = {
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
    this.keys = new KeySource(options.keyAlgorithm ?? 'rsa', options.keyPoolSize ?? 4);
    this.now = options.clock ?? Date.now;
    this.pageSize = options.defaultPageSize ?? 25;
    const seed = options.seed ?? 1;
    this.faultRandom = prng(options.faults?.seed ?? seed);
    this.latencyRandom = prng((options.faults?.seed ?? seed) ^ 0x5bd1e995);
    this.buckets = new TokenBuckets(options.quotas, this.now);
    this.propagation = new DetachPropagation(options.detachPropagationMs, this.now, seed);
  }

  // -------------------------------------------------------------------------
  // Entry point for the wire layer: latency, quotas, faults, counting, hook.

  /**
   * Serves one call the way AWS would: waits the configured latency, then
   * throttles (token bucket) or injects a fault (both before any state
   * change, so they are safe to retry), then runs the operation.
   */
  async call<K extends IotOperation>(ctx: CallContext, operation: K, input: IotInputs[K]): Promise<IotOutputs[K]> {
    const started = this.now();
    const startedReal = performance.now();
    const stats = this.counter(ctx.account, operation);
    stats.calls += 1;
    let outcome: CallOutcome = 'ok';
    let errorCode: string | undefined;
    try {
      const delay = this.latencyFor(ctx, operation, input);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (!this.buckets.take(ctx.account, ctx.region, operation)) {
        outcome = 'throttled';
        stats.throttled += 1;
        throw new IotError('ThrottlingException', 'Rate exceeded', 400);
      }
      const fault = this.drawFault(operation);
      if (fault) {
        outcome = 'fault';
        stats.faults += 1;
        this.faultsInjected += 1;
        throw fault;
      }
      const handler = this.handlers[operation] as (c: CallContext, i: IotInputs[K]) => IotOutputs[K] | Promise<IotOutputs[K]>;
      const result = await handler(ctx, input);
      stats.succeeded += 1;
      return result;
    } catch (err) {
      if (outcome === 'ok') {
        outcome = 'error';
        stats.failed += 1;
      }
      errorCode = err instanceof AwsError ? err.code : 'InternalFailureException';
      throw err;
    } finally {
      try {
        this.options.onCall?.({ account: ctx.account, region: ctx.region, operation, input, outcome, errorCode, startedAt: new Date(started), durationMs: performance.now() - startedReal });
      } catch {
        // an observer must not change the answer
      }
    }
  }

  stats(): IotStats {
    const byAccount: IotStats['byAccount'] = {};
    let calls = 0;
    let throttled = 0;
    for (const [key, s] of this.counters) {
      const [account, operation] = key.split('|') as [string, IotOperation];
      (byAccount[account] ??= {})[operation] = { ...s };
      calls += s.calls;
      throttled += s.throttled;
    }
    return { byAccount, calls, throttled, faultsInjected: this.faultsInjected };
  }

  resetStats(): void {
    this.counters = new Map();
    this.faultsInjected = 0;
  }

  private counter(account: string, operation: IotOperation): OperationStats {
    const key = `${account}|${operation}`;
    let s = this.counters.get(key);
    if (!s) this.counters.set(key, (s = { calls: 0, succeeded: 0, failed: 0, throttled: 0, faults: 0 }));
    return s;
  }

  private drawFault(operation: IotOperation): IotError | undefined {
    const f = this.options.faults;
    if (!f || f.rate <= 0) return undefined;
    if (f.operations && !f.operations.includes(operation)) return undefined;
    const roll = this.faultRandom();
    const pick = this.faultRandom();
    if (roll >= f.rate) return undefined;
    const kinds = f.kinds && f.kinds.length > 0 ? f.kinds : FAULT_KINDS;
    return FAULT_ERRORS[kinds[Math.floor(pick * kinds.length)]]();
  }

  private latencyFor(ctx: CallContext, operation: IotOperation, input: unknown): number {
    const spec = this.options.latencyMs;
    if (spec === undefined) return 0;
    if (typeof spec === 'function') return spec({ account: ctx.account, operation, input });
    const range: LatencyRange | undefined =
      typeof spec === 'number' || ('min' in spec && 'max' in spec && typeof spec.min === 'number')
        ? (spec as LatencyRange)
        : ((spec as Partial<Record<string, LatencyRange>>)[operation] ?? (spec as Partial<Record<string, LatencyRange>>)['*']);
    if (range === undefined) return 0;
    if (typeof range === 'number') return range;
    return range.min + this.latencyRandom() * Math.max(0, range.max - range.min);
  }

  // -------------------------------------------------------------------------
  // State access

  private region(region: string): RegionState {
    let r = this.regions.get(region);
    if (!r) this.regions.set(region, (r = { certificates: new CertificateRegistry() }));
    return r;
  }

  private account(ctx: CallContext): AccountState {
    const key = `${ctx.account}|${ctx.region}`;
    let a = this.accounts.get(key);
    if (!a) {
      a = { policies: new Map(), targetPolicies: new Map(), things: new Map(), principalThings: new Map(), thingPrincipals: new Map() };
      this.accounts.set(key, a);
    }
    return a;
  }

  private certArn(region: string, cert: CertRecord): string {
    return `arn:aws:iot:${region}:${cert.owner}:cert/${cert.certificateId}`;
  }

  private policyArn(ctx: CallContext, name: string): string {
    return `arn:aws:iot:${ctx.region}:${ctx.account}:policy/${name}`;
  }

  private thingArn(ctx: CallContext, name: string): string {
    return `arn:aws:iot:${ctx.region}:${ctx.account}:thing/${name}`;
  }

  /** A certificate the caller owns, or ResourceNotFoundException. */
  private ownedCert(ctx: CallContext, certificateId: string): CertRecord {
    const cert = this.region(ctx.region).certificates.owned(certificateId, ctx.account);
    if (!cert) throw notFound(`The certificate ${certificateId} does not exist.`);
    return cert;
  }

  /** A certificate the caller can see: owned, or pending transfer to the caller. */
  private visibleCert(ctx: CallContext, certificateId: string): CertRecord | undefined {
    return this.region(ctx.region).certificates.visible(certificateId, ctx.account);
  }

  /** Key of an account's state, also the scope of its lingering detaches. */
  private scope(ctx: CallContext): string {
    return `${ctx.account}|${ctx.region}`;
  }

  /** Resolves a principal/target ARN to a certificate the caller owns. */
  private principalCert(ctx: CallContext, principal: string, member: string): CertRecord {
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

  private touch(cert: CertRecord): void {
    cert.lastModifiedDate = this.now();
    cert.customerVersion += 1;
    cert.generationId = randomUUID();
  }

  private describe(region: string, cert: CertRecord): CertificateDescription {
    return {
      certificateArn: this.certArn(region, cert),
      certificateId: cert.certificateId,
      status: cert.status,
      certificatePem: cert.certificatePem,
      ownedBy: cert.owner,
      previousOwnedBy: cert.previousOwnedBy,
      creationDate: new Date(cert.creationDate),
      lastModifiedDate: new Date(cert.lastModifiedDate),
      customerVersion: cert.customerVersion,
      transferData: cert.transferData ? this.transferDataOut(cert.transferData) : undefined,
      generationId: cert.generationId,
      validity: { notBefore: new Date(cert.notBefore), notAfter: new Date(cert.notAfter) },
      certificateMode: modeOf(cert),
    };
  }

  private transferDataOut(t: TransferState): TransferData {
    return {
      transferMessage: t.transferMessage,
      rejectReason: t.rejectReason,
      transferDate: date(t.transferDate),
      acceptDate: date(t.acceptDate),
      rejectDate: date(t.rejectDate),
    };
  }

  private addCertificate(ctx: CallContext, pem: string, status: CertificateStatus, mode: CertificateMode, parsed: { certificateId: string; notBefore: Date; notAfter: Date }): CertRecord {
    const now = this.now();
    const cert: CertRecord = {
      certificateId: parsed.certificateId,
      certificatePem: pem,
      owner: ctx.account,
      status,
      certificateMode: mode,
      creationDate: now,
      lastModifiedDate: now,
      customerVersion: 1,
      generationId: randomUUID(),
      notBefore: parsed.notBefore.getTime(),
      notAfter: parsed.notAfter.getTime(),
    };
    this.region(ctx.region).certificates.add(cert);
    return cert;
  }

  // -------------------------------------------------------------------------
  // Certificates

  async createKeysAndCertificate(ctx: CallContext, input: IotInputs['CreateKeysAndCertificate']): Promise<IotOutputs['CreateKeysAndCertificate']> {
    const key = await this.keys.take();
    const pem = await issueDeviceCertificate(key, new Date(this.now()));
    const parsed = parseCertificatePem(pem);
    const cert = this.addCertificate(ctx, parsed.pem, input.setAsActive ? 'ACTIVE' : 'INACTIVE', 'DEFAULT', parsed);
    return {
      certificateArn: this.certArn(ctx.region, cert),
      certificateId: cert.certificateId,
      certificatePem: cert.certificatePem,
      keyPair: { PublicKey: key.publicKeyPem, PrivateKey: key.privateKeyPem },
    };
  }

  registerCertificateWithoutCA(ctx: CallContext, input: IotInputs['RegisterCertificateWithoutCA']): IotOutputs['RegisterCertificateWithoutCA'] {
    const pem = required(input.certificatePem, 'certificatePem');
    maxLength(pem, 65536, 'certificatePem');
    const status = input.status === undefined ? 'INACTIVE' : statusOf(input.status, 'status');
    if (status === 'PENDING_TRANSFER' || status === 'PENDING_ACTIVATION') throw invalid(`A certificate cannot be registered with status ${status}.`);
    let parsed;
    try {
      parsed = parseCertificatePem(pem);
    } catch {
      throw invalid('The certificate is not a valid PEM-encoded X.509 certificate.');
    }
    const copies = this.region(ctx.region).certificates.copies(parsed.certificateId);
    // Multi-account registration (developer guide, "Using X.509 client certificates in multiple AWS
    // accounts with multi-account registration"): a certificate registered without a CA is SNI_ONLY and
    // may be registered once in each account of a region. A DEFAULT-mode one (issued by AWS IoT here)
    // exists once per region. A copy pending transfer to the caller counts as the caller's.
    const mine = copies.find((c) => c.owner === ctx.account || c.pendingTransferTo === ctx.account);
    if (mine || copies.some((c) => modeOf(c) === 'DEFAULT')) {
      const fields: Record<string, string> = mine?.owner === ctx.account ? { resourceId: mine.certificateId, resourceArn: this.certArn(ctx.region, mine) } : {};
      throw alreadyExists('The certificate is already provisioned or registered', fields);
    }
    const cert = this.addCertificate(ctx, parsed.pem, status, 'SNI_ONLY', parsed);
    return { certificateArn: this.certArn(ctx.region, cert), certificateId: cert.certificateId };
  }

  describeCertificate(ctx: CallContext, input: IotInputs['DescribeCertificate']): IotOutputs['DescribeCertificate'] {
    const id = certificateIdOf(input.certificateId);
    const cert = this.visibleCert(ctx, id);
    if (!cert) throw notFound(`The certificate ${id} does not exist.`);
    return { certificateDescription: this.describe(ctx.region, cert) };
  }

  /** Owned certificates plus those pending transfer to the caller (shown as PENDING_TRANSFER). */
  listCertificates(ctx: CallContext, input: IotInputs['ListCertificates']): IotOutputs['ListCertificates'] {
    const size = pageSizeOf(input.pageSize, this.pageSize, 'pageSize');
    const dir = input.ascendingOrder ? 1 : -1;
    const certs = [...this.region(ctx.region).certificates.all()]
      .filter((c) => c.owner === ctx.account || c.pendingTransferTo === ctx.account)
      .sort((a, b) => dir * compare(certKey(a), certKey(b)));
    const { page, next } = paginate(certs, certKey, size, input.marker, 'marker', dir);
    return {
      certificates: page.map((c) => ({ certificateArn: this.certArn(ctx.region, c), certificateId: c.certificateId, status: c.status, certificateMode: modeOf(c), creationDate: new Date(c.creationDate) })),
      nextMarker: next,
    };
  }

  updateCertificate(ctx: CallContext, input: IotInputs['UpdateCertificate']): IotOutputs['UpdateCertificate'] {
    const id = certificateIdOf(input.certificateId);
    const newStatus = statusOf(input.newStatus, 'newStatus');
    const cert = this.visibleCert(ctx, id);
    if (!cert) throw notFound(`The certificate ${id} does not exist.`);
    // The API reference: setting PENDING_TRANSFER or PENDING_ACTIVATION "will result in an exception"; they are internal statuses.
    if (newStatus === 'PENDING_TRANSFER' || newStatus === 'PENDING_ACTIVATION') throw invalid(`The status ${newStatus} cannot be set by UpdateCertificate.`);
    if (cert.status === 'PENDING_TRANSFER') throw certState(`Cannot update the status of a certificate that is pending transfer. Id: ${id}`);
    if (cert.status === 'REVOKED' && newStatus !== 'REVOKED') throw certState(`A revoked certificate cannot change status. Id: ${id}`);
    if (cert.status === newStatus) return; // idempotent
    cert.status = newStatus;
    this.touch(cert);
  }

  deleteCertificate(ctx: CallContext, input: IotInputs['DeleteCertificate']): IotOutputs['DeleteCertificate'] {
    const id = certificateIdOf(input.certificateId);
    const cert = this.visibleCert(ctx, id);
    if (!cert) throw notFound(`The certificate ${id} does not exist.`);
    if (cert.status === 'PENDING_TRANSFER') throw certState(`Cannot delete a certificate that is pending transfer. Id: ${id}`);
    if (cert.status === 'ACTIVE') throw certState(`Certificate must be deactivated (not ACTIVE) before deletion. Id: ${id}`);
    const acct = this.account(ctx);
    const arn = this.certArn(ctx.region, cert);
    // forceDelete skips the policy check only: "if it is inactive and is not attached to an IoT thing".
    if ((acct.principalThings.get(arn)?.size ?? 0) > 0) throw deleteConflict(`Things must be detached before deletion (arn: ${arn})`);
    if ((acct.targetPolicies.get(arn)?.size ?? 0) > 0 && !input.forceDelete) throw deleteConflict(`Certificate policies must be detached before deletion (arn: ${arn})`);
    this.forgetPrincipal(ctx, arn);
    this.region(ctx.region).certificates.remove(cert);
  }

  /** Drops every attachment of a principal in one account (deletion, or the certificate left the account). */
  private forgetPrincipal(ctx: CallContext, arn: string): void {
    const acct = this.account(ctx);
    acct.targetPolicies.delete(arn);
    for (const thing of acct.principalThings.get(arn)?.keys() ?? []) acct.thingPrincipals.get(thing)?.delete(arn);
    acct.principalThings.delete(arn);
    this.propagation.forget(this.scope(ctx), arn);
  }

  /** Certificates the caller is transferring that are not yet accepted. */
  listOutgoingCertificates(ctx: CallContext, input: IotInputs['ListOutgoingCertificates']): IotOutputs['ListOutgoingCertificates'] {
    const size = pageSizeOf(input.pageSize, this.pageSize, 'pageSize');
    const dir = input.ascendingOrder ? 1 : -1;
    const certs = [...this.region(ctx.region).certificates.all()]
      .filter((c) => c.owner === ctx.account && c.pendingTransferTo !== undefined)
      .sort((a, b) => dir * compare(certKey(a), certKey(b)));
    const { page, next } = paginate(certs, certKey, size, input.marker, 'marker', dir);
    return {
      outgoingCertificates: page.map((c) => ({
        certificateArn: this.certArn(ctx.region, c),
        certificateId: c.certificateId,
        transferredTo: c.pendingTransferTo!,
        transferDate: new Date(c.transferData?.transferDate ?? c.lastModifiedDate),
        transferMessage: c.transferData?.transferMessage,
        creationDate: new Date(c.creationDate),
      })),
      nextMarker: next,
    };
  }

  // -------------------------------------------------------------------------
  // Transfers

  transferCertificate(ctx: CallContext, input: IotInputs['TransferCertificate']): IotOutputs['TransferCertificate'] {
    const id = certificateIdOf(input.certificateId);
    const target = required(input.targetAwsAccount, 'targetAwsAccount');
    if (!/^\d{12}$/.test(target)) throw invalid(`Invalid targetAwsAccount: ${target}. It must be a 12-digit AWS account id.`);
    maxLength(input.transferMessage, 128, 'transferMessage');
    const cert = this.ownedCert(ctx, id);
    if (target === ctx.account) throw invalid('The target account must be different from the account that owns the certificate.');
    switch (cert.status) {
      case 'ACTIVE':
        throw certState(`Certificate must be deactivated (not ACTIVE) before transfer. Id: ${id}`);
      case 'PENDING_TRANSFER':
        throw certState(`The certificate is already pending transfer. Id: ${id}`);
      case 'REVOKED':
        throw certState(`A revoked certificate cannot be transferred. Id: ${id}`);
      case 'PENDING_ACTIVATION':
        throw certState(`A certificate pending activation cannot be transferred. Id: ${id}`);
      default:
        break;
    }
    const acct = this.account(ctx);
    const arn = this.certArn(ctx.region, cert);
    if ((acct.targetPolicies.get(arn)?.size ?? 0) > 0) throw transferConflict("You can't transfer the certificate because authorization policies are still attached.");
    // A detach that has not propagated yet still counts as an attachment (API_DetachThingPrincipal:
    // "This call is asynchronous. It might take several seconds for the detachment to propagate").
    if ((acct.principalThings.get(arn)?.size ?? 0) > 0 || this.propagation.isLingering(this.scope(ctx), arn)) {
      throw transferConflict(`Things must be detached before transfer (arn: ${arn})`);
    }
    // Only an SNI_ONLY certificate can have a copy elsewhere (multi-account registration). The API
    // reference is silent on transferring it to an account that already holds it; an account never
    // holds the same certificate twice, so the transfer is refused as a conflict (README).
    if (this.region(ctx.region).certificates.visible(id, target)) {
      throw transferConflict(`The certificate is already registered in the target account (certificateId: ${id})`);
    }
    const now = this.now();
    cert.status = 'PENDING_TRANSFER';
    cert.pendingTransferTo = target;
    cert.transferData = { transferMessage: input.transferMessage, transferDate: now };
    cert.lastTransfer = { certificateId: id, source: ctx.account, target, state: 'PENDING', transferMessage: input.transferMessage, transferDate: now };
    this.touch(cert);
    return { transferredCertificateArn: arn };
  }

  /**
   * Resolves the certificate a transfer decision is about, or the error AWS
   * gives. Choices where the API reference is silent (documented in README):
   * - the wrong party of a pending transfer (the source accepting or
   *   rejecting, the target cancelling) gets UnauthorizedException: the
   *   reference says only the destination may accept/reject and only the
   *   source may cancel, and the caller can see the certificate;
   * - an account that is no party to it gets ResourceNotFoundException: in
   *   AWS another account's certificate is invisible;
   * - a party to a transfer that has ended (accepted, rejected, cancelled)
   *   gets TransferAlreadyCompletedException (410);
   * - the owner of a certificate that was never transferred gets
   *   InvalidRequestException.
   */
  private pendingFor(ctx: CallContext, certificateId: string, role: 'target' | 'source'): CertRecord {
    const certificates = this.region(ctx.region).certificates;
    // The caller sees at most one copy; other accounts' copies (SNI_ONLY) are invisible to it.
    const cert = certificates.visible(certificateId, ctx.account);
    if (cert?.status === 'PENDING_TRANSFER' && cert.pendingTransferTo) {
      const party = role === 'target' ? cert.pendingTransferTo : cert.owner;
      if (party === ctx.account) return cert;
      if (cert.owner === ctx.account) throw unauthorized('Only the transfer destination account can accept or reject a certificate transfer.');
      throw unauthorized('Only the transfer source account can cancel a certificate transfer; use RejectCertificateTransfer.');
    }
    const ended = (t: TransferRecord | undefined): boolean => t !== undefined && t.state !== 'PENDING' && (t.source === ctx.account || t.target === ctx.account);
    if (certificates.copies(certificateId).some((c) => ended(c.lastTransfer))) throw transferCompleted();
    if (cert) throw invalid(`The certificate ${certificateId} is not pending transfer.`);
    throw notFound(`The certificate ${certificateId} does not exist.`);
  }

  acceptCertificateTransfer(ctx: CallContext, input: IotInputs['AcceptCertificateTransfer']): IotOutputs['AcceptCertificateTransfer'] {
    const id = certificateIdOf(input.certificateId);
    const cert = this.pendingFor(ctx, id, 'target');
    const source = cert.owner;
    // The certificate leaves the source account: nothing there may keep pointing at it.
    this.forgetPrincipal({ account: source, region: ctx.region }, this.certArn(ctx.region, cert));
    const now = this.now();
    cert.owner = ctx.account;
    cert.previousOwnedBy = source;
    cert.pendingTransferTo = undefined;
    cert.status = input.setAsActive ? 'ACTIVE' : 'INACTIVE';
    cert.transferData = { ...cert.transferData, acceptDate: now };
    this.touch(cert);
    this.endTransfer(cert, 'ACCEPTED', now);
  }

  rejectCertificateTransfer(ctx: CallContext, input: IotInputs['RejectCertificateTransfer']): IotOutputs['RejectCertificateTransfer'] {
    const id = certificateIdOf(input.certificateId);
    maxLength(input.rejectReason, 128, 'rejectReason');
    const cert = this.pendingFor(ctx, id, 'target');
    const now = this.now();
    cert.pendingTransferTo = undefined;
    cert.status = 'INACTIVE';
    cert.transferData = { ...cert.transferData, rejectReason: input.rejectReason, rejectDate: now };
    this.touch(cert);
    this.endTransfer(cert, 'REJECTED', now);
  }

  cancelCertificateTransfer(ctx: CallContext, input: IotInputs['CancelCertificateTransfer']): IotOutputs['CancelCertificateTransfer'] {
    const id = certificateIdOf(input.certificateId);
    const cert = this.pendingFor(ctx, id, 'source');
    const now = this.now();
    cert.pendingTransferTo = undefined;
    cert.status = 'INACTIVE';
    // TransferData has no cancel date; the message and transfer date stay, as a record of the attempt.
    this.touch(cert);
    this.endTransfer(cert, 'CANCELLED', now);
  }

  private endTransfer(cert: CertRecord, state: TransferOutcome, now: number): void {
    if (cert.lastTransfer) Object.assign(cert.lastTransfer, { state, endDate: now });
  }

  // -------------------------------------------------------------------------
  // Policies

  createPolicy(ctx: CallContext, input: IotInputs['CreatePolicy']): IotOutputs['CreatePolicy'] {
    const name = policyNameOf(input.policyName);
    const document = required(input.policyDocument, 'policyDocument');
    let parsed: unknown;
    try {
      parsed = JSON.parse(document);
    } catch {
      throw new IotError('MalformedPolicyException', 'The policy document is not valid JSON.', 400);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('Statement' in parsed)) {
      throw new IotError('MalformedPolicyException', 'The policy document must be a JSON object with a Statement.', 400);
    }
    const acct = this.account(ctx);
    if (acct.policies.has(name)) throw alreadyExists(`Policy cannot be created - name already exists (name=${name})`, { resourceId: name, resourceArn: this.policyArn(ctx, name) });
    const now = this.now();
    acct.policies.set(name, { policyName: name, policyDocument: document, creationDate: now, lastModifiedDate: now, generationId: randomUUID() });
    return { policyName: name, policyArn: this.policyArn(ctx, name), policyDocument: document, policyVersionId: '1' };
  }

  private policy(ctx: CallContext, name: string): PolicyRecord {
    const p = this.account(ctx).policies.get(name);
    if (!p) throw notFound(`The policy ${name} does not exist.`);
    return p;
  }

  getPolicy(ctx: CallContext, input: IotInputs['GetPolicy']): IotOutputs['GetPolicy'] {
    const p = this.policy(ctx, policyNameOf(input.policyName));
    return {
      policyName: p.policyName,
      policyArn: this.policyArn(ctx, p.policyName),
      policyDocument: p.policyDocument,
      defaultVersionId: '1',
      creationDate: new Date(p.creationDate),
      lastModifiedDate: new Date(p.lastModifiedDate),
      generationId: p.generationId,
    };
  }

  deletePolicy(ctx: CallContext, input: IotInputs['DeletePolicy']): IotOutputs['DeletePolicy'] {
    const name = policyNameOf(input.policyName);
    this.policy(ctx, name);
    const acct = this.account(ctx);
    for (const policies of acct.targetPolicies.values()) {
      if (policies.has(name)) throw deleteConflict(`The policy cannot be deleted as the policy is attached to one or more principals (name=${name})`);
    }
    acct.policies.delete(name);
  }

  listPolicies(ctx: CallContext, input: IotInputs['ListPolicies']): IotOutputs['ListPolicies'] {
    const size = pageSizeOf(input.pageSize, this.pageSize, 'pageSize');
    // "If true, the results are returned in ascending creation order."
    const dir = input.ascendingOrder ? 1 : -1;
    const key = (p: PolicyRecord): string => `${String(p.creationDate).padStart(15, '0')}#${p.policyName}`;
    const policies = [...this.account(ctx).policies.values()].sort((a, b) => dir * compare(key(a), key(b)));
    const { page, next } = paginate(policies, key, size, input.marker, 'marker', dir);
    return { policies: page.map((p) => ({ policyName: p.policyName, policyArn: this.policyArn(ctx, p.policyName) })), nextMarker: next };
  }

  attachPolicy(ctx: CallContext, input: IotInputs['AttachPolicy']): IotOutputs['AttachPolicy'] {
    const name = policyNameOf(input.policyName);
    const target = required(input.target, 'target');
    this.policy(ctx, name);
    this.principalCert(ctx, target, 'target');
    const acct = this.account(ctx);
    let policies = acct.targetPolicies.get(target);
    if (policies?.has(name)) return; // idempotent
    if ((policies?.size ?? 0) >= MAX_POLICIES_PER_TARGET) {
      throw new IotError('LimitExceededException', `A target can have at most ${MAX_POLICIES_PER_TARGET} policies attached (target=${target}).`, 410);
    }
    if (!policies) acct.targetPolicies.set(target, (policies = new Set()));
    policies.add(name);
  }

  detachPolicy(ctx: CallContext, input: IotInputs['DetachPolicy']): IotOutputs['DetachPolicy'] {
    const name = policyNameOf(input.policyName);
    const target = required(input.target, 'target');
    this.policy(ctx, name);
    this.principalCert(ctx, target, 'target');
    const policies = this.account(ctx).targetPolicies.get(target);
    if (!policies?.has(name)) throw notFound(`The policy ${name} is not attached to ${target}.`);
    policies.delete(name);
    if (policies.size === 0) this.account(ctx).targetPolicies.delete(target);
  }

  listAttachedPolicies(ctx: CallContext, input: IotInputs['ListAttachedPolicies']): IotOutputs['ListAttachedPolicies'] {
    const target = required(input.target, 'target');
    const size = pageSizeOf(input.pageSize, this.pageSize, 'pageSize');
    this.principalCert(ctx, target, 'target');
    // `recursive` only matters for thing groups, which have no parents here.
    const names = [...(this.account(ctx).targetPolicies.get(target) ?? [])].sort(compare);
    const { page, next } = paginate(names, (n) => n, size, input.marker, 'marker');
    return { policies: page.map((n) => ({ policyName: n, policyArn: this.policyArn(ctx, n) })), nextMarker: next };
  }

  listTargetsForPolicy(ctx: CallContext, input: IotInputs['ListTargetsForPolicy']): IotOutputs['ListTargetsForPolicy'] {
    const name = policyNameOf(input.policyName);
    const size = pageSizeOf(input.pageSize, this.pageSize, 'pageSize');
    this.policy(ctx, name);
    const targets = [...this.account(ctx).targetPolicies].filter(([, p]) => p.has(name)).map(([t]) => t).sort(compare);
    const { page, next } = paginate(targets, (t) => t, size, input.marker, 'marker');
    return { targets: page, nextMarker: next };
  }

  // -------------------------------------------------------------------------
  // Things

  createThing(ctx: CallContext, input: IotInputs['CreateThing']): IotOutputs['CreateThing'] {
    const name = thingNameOf(input.thingName);
    // Thing types and billing groups are not emulated, so none exists.
    if (input.thingTypeName) throw notFound(`Thing type ${input.thingTypeName} does not exist.`);
    if (input.billingGroupName) throw notFound(`Billing group ${input.billingGroupName} does not exist.`);
    const attributes = { ...(input.attributePayload?.attributes ?? {}) };
    const acct = this.account(ctx);
    const existing = acct.things.get(name);
    if (existing) {
      // Documented: the same name and configuration succeeds; a different configuration conflicts.
      if (JSON.stringify(sortKeys(existing.attributes)) === JSON.stringify(sortKeys(attributes))) {
        return { thingName: name, thingArn: this.thingArn(ctx, name), thingId: existing.thingId };
      }
      throw alreadyExists(`Thing ${name} already exists in account with different attributes`, { resourceId: existing.thingId, resourceArn: this.thingArn(ctx, name) });
    }
    const thing: ThingRecord = { thingName: name, thingId: randomUUID(), attributes, version: 1 };
    acct.things.set(name, thing);
    return { thingName: name, thingArn: this.thingArn(ctx, name), thingId: thing.thingId };
  }

  private thing(ctx: CallContext, name: string): ThingRecord {
    const t = this.account(ctx).things.get(name);
    if (!t) throw notFound(`Thing ${name} cannot be found.`);
    return t;
  }

  describeThing(ctx: CallContext, input: IotInputs['DescribeThing']): IotOutputs['DescribeThing'] {
    const t = this.thing(ctx, thingNameOf(input.thingName));
    return { defaultClientId: t.thingName, thingName: t.thingName, thingId: t.thingId, thingArn: this.thingArn(ctx, t.thingName), attributes: { ...t.attributes }, version: t.version };
  }

  updateThing(ctx: CallContext, input: IotInputs['UpdateThing']): IotOutputs['UpdateThing'] {
    const t = this.thing(ctx, thingNameOf(input.thingName));
    if (input.thingTypeName) throw notFound(`Thing type ${input.thingTypeName} does not exist.`);
    if (input.expectedVersion !== undefined && input.expectedVersion !== t.version) {
      throw new IotError('VersionConflictException', `The version for thing ${t.thingName} does not match the expected version.`, 409);
    }
    const payload = input.attributePayload;
    if (payload?.attributes) {
      const merged = payload.merge ? { ...t.attributes, ...payload.attributes } : { ...payload.attributes };
      // With merge, an empty value removes the attribute.
      t.attributes = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== ''));
    }
    t.version += 1;
    return {};
  }

  /** Deleting a thing that does not exist succeeds (documented). */
  deleteThing(ctx: CallContext, input: IotInputs['DeleteThing']): IotOutputs['DeleteThing'] {
    const name = thingNameOf(input.thingName);
    const acct = this.account(ctx);
    const t = acct.things.get(name);
    if (!t) return {};
    if (input.expectedVersion !== undefined && input.expectedVersion !== t.version) {
      throw new IotError('VersionConflictException', `The version for thing ${name} does not match the expected version.`, 409);
    }
    if ((acct.thingPrincipals.get(name)?.size ?? 0) > 0) throw invalid(`Cannot delete. Thing ${name} is still attached to one or more principals`);
    acct.things.delete(name);
    acct.thingPrincipals.delete(name);
    return {};
  }

  listThings(ctx: CallContext, input: IotInputs['ListThings']): IotOutputs['ListThings'] {
    const size = pageSizeOf(input.maxResults, this.pageSize, 'maxResults');
    if (input.thingTypeName) return { things: [] };
    let things = [...this.account(ctx).things.values()];
    if (input.attributeName) {
      const value = input.attributeValue;
      things = things.filter((t) => {
        const v = t.attributes[input.attributeName!];
        if (v === undefined) return false;
        if (value === undefined) return true;
        return input.usePrefixAttributeValue ? v.startsWith(value) : v === value;
      });
    }
    things.sort((a, b) => compare(a.thingName, b.thingName));
    const { page, next } = paginate(things, (t) => t.thingName, size, input.nextToken, 'nextToken');
    return { things: page.map((t) => ({ thingName: t.thingName, thingArn: this.thingArn(ctx, t.thingName), attributes: { ...t.attributes }, version: t.version })), nextToken: next };
  }

  attachThingPrincipal(ctx: CallContext, input: IotInputs['AttachThingPrincipal']): IotOutputs['AttachThingPrincipal'] {
    const name = thingNameOf(input.thingName);
    const principal = required(input.principal, 'principal');
    const type = principalTypeOf(input.thingPrincipalType) ?? 'NON_EXCLUSIVE_THING';
    this.thing(ctx, name);
    this.principalCert(ctx, principal, 'principal');
    const acct = this.account(ctx);
    const current = acct.principalThings.get(principal);
    for (const [other, otherType] of current ?? []) {
      if (other === name) continue;
      // EXCLUSIVE_THING: "The thing will be the only thing that's attached to the principal."
      if (otherType === 'EXCLUSIVE_THING') throw invalid(`The principal ${principal} is exclusively attached to thing ${other}.`);
      if (type === 'EXCLUSIVE_THING') throw invalid(`The principal ${principal} is already attached to thing ${other}; it cannot be attached exclusively to ${name}.`);
    }
    if (current) current.set(name, type);
    else acct.principalThings.set(principal, new Map([[name, type]]));
    let principals = acct.thingPrincipals.get(name);
    if (!principals) acct.thingPrincipals.set(name, (principals = new Map()));
    principals.set(principal, type);
    this.propagation.attached(this.scope(ctx), principal, name);
    return {};
  }

  detachThingPrincipal(ctx: CallContext, input: IotInputs['DetachThingPrincipal']): IotOutputs['DetachThingPrincipal'] {
    const name = thingNameOf(input.thingName);
    const principal = required(input.principal, 'principal');
    this.thing(ctx, name);
    this.principalCert(ctx, principal, 'principal');
    const acct = this.account(ctx);
    const things = acct.principalThings.get(principal);
    if (!things?.has(name)) throw notFound(`The principal ${principal} is not attached to thing ${name}.`);
    things.delete(name);
    if (things.size === 0) acct.principalThings.delete(principal);
    acct.thingPrincipals.get(name)?.delete(principal);
    this.propagation.detached(this.scope(ctx), principal, name);
    return {};
  }

  private principalThingList(ctx: CallContext, principal: string | undefined, type: ThingPrincipalType | undefined): [string, ThingPrincipalType][] {
    const p = required(principal, 'principal');
    this.principalCert(ctx, p, 'principal');
    return [...(this.account(ctx).principalThings.get(p) ?? [])].filter(([, t]) => !type || t === type).sort((a, b) => compare(a[0], b[0]));
  }

  listPrincipalThings(ctx: CallContext, input: IotInputs['ListPrincipalThings']): IotOutputs['ListPrincipalThings'] {
    const size = pageSizeOf(input.maxResults, this.pageSize, 'maxResults');
    const { page, next } = paginate(this.principalThingList(ctx, input.principal, undefined), ([n]) => n, size, input.nextToken, 'nextToken');
    return { things: page.map(([n]) => n), nextToken: next };
  }

  listPrincipalThingsV2(ctx: CallContext, input: IotInputs['ListPrincipalThingsV2']): IotOutputs['ListPrincipalThingsV2'] {
    const size = pageSizeOf(input.maxResults, this.pageSize, 'maxResults');
    const type = principalTypeOf(input.thingPrincipalType);
    const { page, next } = paginate(this.principalThingList(ctx, input.principal, type), ([n]) => n, size, input.nextToken, 'nextToken');
    return { principalThingObjects: page.map(([thingName, thingPrincipalType]) => ({ thingName, thingPrincipalType })), nextToken: next };
  }

  private thingPrincipalList(ctx: CallContext, thingName: string | undefined, type: ThingPrincipalType | undefined): [string, ThingPrincipalType][] {
    const name = thingNameOf(thingName);
    this.thing(ctx, name);
    return [...(this.account(ctx).thingPrincipals.get(name) ?? [])].filter(([, t]) => !type || t === type).sort((a, b) => compare(a[0], b[0]));
  }

  listThingPrincipals(ctx: CallContext, input: IotInputs['ListThingPrincipals']): IotOutputs['ListThingPrincipals'] {
    const size = pageSizeOf(input.maxResults, this.pageSize, 'maxResults');
    const { page, next } = paginate(this.thingPrincipalList(ctx, input.thingName, undefined), ([p]) => p, size, input.nextToken, 'nextToken');
    return { principals: page.map(([p]) => p), nextToken: next };
  }

  listThingPrincipalsV2(ctx: CallContext, input: IotInputs['ListThingPrincipalsV2']): IotOutputs['ListThingPrincipalsV2'] {
    const size = pageSizeOf(input.maxResults, this.pageSize, 'maxResults');
    const type = principalTypeOf(input.thingPrincipalType);
    const { page, next } = paginate(this.thingPrincipalList(ctx, input.thingName, type), ([p]) => p, size, input.nextToken, 'nextToken');
    return { thingPrincipalObjects: page.map(([principal, thingPrincipalType]) => ({ principal, thingPrincipalType })), nextToken: next };
  }

  // -------------------------------------------------------------------------
  // Read helpers for the console and the runner (no quotas, no faults, no counting)

  /** Accounts (with their regions) that hold any IoT state. */
  listAccounts(): { account: string; region: string }[] {
    const seen = new Set<string>();
    for (const key of this.accounts.keys()) seen.add(key);
    for (const [region, r] of this.regions) for (const c of r.certificates.all()) seen.add(`${c.owner}|${region}`);
    return [...seen].sort().map((k) => {
      const [account, region] = k.split('|');
      return { account, region };
    });
  }

  /**
   * One certificate, whoever owns it, with its attachments and latest transfer. A certificate
   * registered in several accounts (SNI_ONLY): the copy `account` owns or is offered, else the first.
   */
  findCertificate(certificateId: string, region?: string, account?: string): CertificateOverview | undefined {
    for (const [name, r] of this.regions) {
      if (region && name !== region) continue;
      const cert = (account ? r.certificates.visible(certificateId, account) : undefined) ?? r.certificates.copies(certificateId)[0];
      if (cert) return this.overview(name, cert);
    }
    return undefined;
  }

  /** Every certificate of every account, newest first; optionally one account's (owned or incoming) or one region's. */
  listAllCertificates(filter: { account?: string; region?: string } = {}): CertificateOverview[] {
    const out: CertificateOverview[] = [];
    for (const [name, r] of this.regions) {
      if (filter.region && name !== filter.region) continue;
      for (const cert of r.certificates.all()) {
        if (filter.account && cert.owner !== filter.account && cert.pendingTransferTo !== filter.account) continue;
        out.push(this.overview(name, cert));
      }
    }
    return out.sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime() || compare(a.certificateId, b.certificateId));
  }

  private overview(region: string, cert: CertRecord): CertificateOverview {
    const acct = this.accounts.get(`${cert.owner}|${region}`);
    const arn = this.certArn(region, cert);
    const last = cert.lastTransfer;
    return {
      region,
      certificateId: cert.certificateId,
      certificateArn: arn,
      ownedBy: cert.owner,
      status: cert.status,
      certificateMode: modeOf(cert),
      previousOwnedBy: cert.previousOwnedBy,
      pendingTransferTo: cert.pendingTransferTo,
      creationDate: new Date(cert.creationDate),
      lastModifiedDate: new Date(cert.lastModifiedDate),
      transferData: cert.transferData ? this.transferDataOut(cert.transferData) : undefined,
      policies: [...(acct?.targetPolicies.get(arn) ?? [])].sort(compare),
      things: [...(acct?.principalThings.get(arn) ?? [])].sort((a, b) => compare(a[0], b[0])).map(([thingName, thingPrincipalType]) => ({ thingName, thingPrincipalType })),
      lastTransfer: last
        ? { source: last.source, target: last.target, state: last.state, transferMessage: last.transferMessage, transferDate: new Date(last.transferDate), endDate: date(last.endDate) }
        : undefined,
    };
  }

  // -------------------------------------------------------------------------
  // Persistence (--data-dir). Counters, token buckets and lingering detaches are not persisted.
  // Each certificate copy carries its latest transfer; `transfers` is read from older snapshots only.

  snapshot(): IotSnapshot {
    const regions: IotSnapshot['regions'] = {};
    for (const [name, r] of this.regions) {
      regions[name] = { certificates: [...r.certificates.all()].map((c) => structuredClone(c)) };
    }
    const accounts: IotSnapshot['accounts'] = {};
    for (const [key, a] of this.accounts) {
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

  /** Replaces all state with a snapshot (object or its JSON). */
  restore(snapshot: IotSnapshot | string): void {
    const s = typeof snapshot === 'string' ? (JSON.parse(snapshot) as IotSnapshot) : snapshot;
    if (s.version !== 1) throw new Error(`Unsupported IoT snapshot version: ${String(s.version)}`);
    this.regions.clear();
    this.accounts.clear();
    this.buckets.clear();
    this.propagation.clear();
    for (const [name, r] of Object.entries(s.regions)) {
      const region = this.region(name);
      for (const c of r.certificates) region.certificates.add(structuredClone(c));
      // Older snapshots: one copy per certificate id, its latest transfer kept apart.
      for (const t of r.transfers ?? []) {
        const cert = region.certificates.copies(t.certificateId)[0];
        if (cert && !cert.lastTransfer) cert.lastTransfer = { ...t };
      }
    }
    for (const a of Object.values(s.accounts)) {
      const acct = this.account({ account: a.account, region: a.region });
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
}

function sortKeys(o: Record<string, string>): [string, string][] {
  return Object.entries(o).sort((a, b) => compare(a[0], b[0]));
}

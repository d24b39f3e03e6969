/** Transfer record statuses, in lifecycle order. */
export const OPEN_STATUSES = ['REQUESTED', 'PREPARING', 'AWAITING_DECISION'] as const;
export const FINAL_STATUSES = ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED', 'RESTORE_FAILED'] as const;
/**
 * The workflow ended but its restore could not finish (IoT kept refusing):
 * final for the workflow, repairable by `POST /transfers/{id}/restore`. The
 * certificate keeps its lock meanwhile, so no new transfer snapshots the damage.
 */
export const RESTORE_FAILED = 'RESTORE_FAILED';
export type OpenStatus = (typeof OPEN_STATUSES)[number];
export type FinalStatus = (typeof FINAL_STATUSES)[number];
/** How a transfer ended, whatever became of its restore (a RESTORE_FAILED record keeps it as `transferOutcome`). */
export type TransferOutcome = Exclude<FinalStatus, typeof RESTORE_FAILED>;
export type TransferStatus = OpenStatus | FinalStatus;

export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'REGISTER_INACTIVE' | 'PENDING_ACTIVATION';
export type ThingPrincipalType = 'EXCLUSIVE_THING' | 'NON_EXCLUSIVE_THING';

export interface ThingAttachment {
  thingName: string;
  thingPrincipalType: ThingPrincipalType;
}

/** What the certificate looked like before the workflow touched it: what restore puts back. */
export interface Snapshot {
  certificateArn: string;
  status: CertificateStatus;
  policies: string[];
  things: ThingAttachment[];
  takenAt: string;
}

/**
 * RESTORED: everything of the snapshot is back. PARTIAL: everything that still
 * exists is back (and re-activated); what was deleted meanwhile is listed in
 * `notRestored` as GONE. FAILED: IoT refused something that exists (listed
 * FAILED), so the transfer is RESTORE_FAILED until repaired. NOT_NEEDED: no
 * snapshot, nothing was changed. SKIPPED: `restoreOnFailure` was false.
 * ALREADY_ACCEPTED: the target had accepted, nothing to restore.
 */
export type RestoreStatus = 'RESTORED' | 'PARTIAL' | 'NOT_NEEDED' | 'SKIPPED' | 'FAILED' | 'ALREADY_ACCEPTED';

/** One part of the snapshot restore did not put back, and why. */
export interface RestoreItem {
  /** `transfer`: withdrawing the pending offer; `status`: re-activation. */
  kind: 'policy' | 'thing' | 'status' | 'transfer';
  /** Policy or thing name; the status it should have for `status`; the certificate id for `transfer`. */
  name: string;
  /** GONE: it no longer exists in IoT (deleted meanwhile), nothing can attach it. FAILED: IoT refused it. */
  result: 'GONE' | 'FAILED';
  /** The IoT error: `ServiceUnavailableException: …`. */
  error: string;
  /** The error was a transient one (throttling, a 5xx, a conflict) that a later attempt may get past. */
  transient?: boolean;
}

export interface RestoreOutcome {
  status: RestoreStatus;
  cancelledPendingTransfer?: boolean;
  reattachedPolicies?: string[];
  reattachedThings?: string[];
  reactivated?: boolean;
  /** Every policy, thing, the re-activation or the withdrawal that did not come back, with the reason. */
  notRestored?: RestoreItem[];
  error?: string;
  /** When this result was reached (each attempt and each repair writes its own). */
  at?: string;
}

export interface HistoryEntry {
  at: string;
  status: TransferStatus;
  message: string;
}

export interface TransferRecord {
  transferId: string;
  certificateId: string;
  certificateArn: string;
  sourceAccount: string;
  targetAccount: string;
  transferMessage?: string;
  timeoutSeconds: number;
  restoreOnFailure: boolean;
  status: TransferStatus;
  createdAt: string;
  updatedAt: string;
  executionArn: string;
  /** The batch that started this transfer, if any (GSI byBatch). */
  batchId?: string;
  /** The caller's reference (API body or Requested event), echoed in the Completed event. */
  requestId?: string;
  snapshot?: Snapshot;
  /** Policies / things of the snapshot detached so far, in its order (Detach Policies / Detach Things resume here). */
  detachedPolicies?: number;
  detachedThings?: number;
  /** Never leaves the source account: stripped from every API response and event. */
  taskToken?: string;
  offeredAt?: string;
  expiresAt?: string;
  decision?: Decision;
  /** When TransferCertificate succeeded: from then on the certificate may have left the account. */
  transferredAt?: string;
  cancelRequestedAt?: string;
  cancelReason?: string;
  /** When the cancel reached the waiting workflow (SendTaskFailure succeeded); absent while it may have been lost. */
  cancelDeliveredAt?: string;
  reason?: string;
  restore?: RestoreOutcome;
  /** How the transfer ended; for a RESTORE_FAILED record, the status it takes once repaired. */
  transferOutcome?: TransferOutcome;
  /** When `POST /transfers/{id}/restore` made the certificate whole again. */
  repairedAt?: string;
  history: HistoryEntry[];
}

export type DecisionValue = 'ACCEPTED' | 'REJECTED';

export interface Decision {
  decision: DecisionValue;
  /** How the decision reached us: an event from the target, or the reconciler reading IoT. */
  via: 'event' | 'reconciler';
  decidedAt: string;
  reason?: string;
}

/** A validated request to start a transfer (API, trigger event or batch). */
export interface TransferRequest {
  certificateId: string;
  targetAccount: string;
  transferMessage?: string;
  timeoutSeconds: number;
  restoreOnFailure: boolean;
}

/** The state machine's execution input. */
export interface WorkflowInput extends TransferRequest {
  transferId: string;
  sourceAccount: string;
  certificateArn: string;
  /** Certificate status as read by the one DescribeCertificate at start. */
  certificateStatus: CertificateStatus;
}

/** Preflight's answer, kept in the state (`$.preflight`): small flags, never the lists. */
export interface PreflightResult {
  /** The status before the workflow touched it (Deactivate acts on it). */
  status: CertificateStatus;
  policies: number;
  things: number;
}

/** A per-item step's answer (`$.detachPolicies`, `$.detachThings`): not done yet means run it again. */
export interface StepProgress {
  done: boolean;
  /** Items done so far, from the start of the snapshot's list. */
  next: number;
}

/**
 * The state machine's data as it flows from state to state: ids and small
 * flags only, so a certificate with thousands of things stays far below Step
 * Functions' 256 KiB payload limit. The snapshot (policies, things) lives in
 * the transfer record; every step reads it from there.
 */
export interface WorkflowState extends WorkflowInput {
  preflight?: PreflightResult;
  detachPolicies?: StepProgress;
  detachThings?: StepProgress;
  /** Not in the workflow's state any more (it lives in the store); read `TransferRecord.snapshot`. */
  snapshot?: Snapshot;
  decision?: Decision;
  /** Set by the Mark … states on every path that does not end in acceptance. */
  outcome?: { status: Exclude<TransferOutcome, 'ACCEPTED'> };
  /** Written by Catch (`ResultPath: $.error`). */
  error?: { Error: string; Cause?: string };
  cancel?: PendingTransferResult;
  restore?: RestoreOutcome;
  restoreError?: { Error: string; Cause?: string };
}

export interface PendingTransferResult {
  /** The certificate had been accepted by the target before the cancel reached IoT. */
  alreadyAccepted: boolean;
  /** The target had rejected it (the certificate is back, with a reject date) before the cancel reached IoT. */
  alreadyRejected?: boolean;
  rejectReason?: string;
  cancelled: boolean;
}

/** Transfer record statuses, in lifecycle order. */
export const OPEN_STATUSES = ['REQUESTED', 'PREPARING', 'AWAITING_DECISION'] as const;
export const FINAL_STATUSES = ['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'] as const;
export type OpenStatus = (typeof OPEN_STATUSES)[number];
export type FinalStatus = (typeof FINAL_STATUSES)[number];
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

export type RestoreStatus = 'RESTORED' | 'NOT_NEEDED' | 'SKIPPED' | 'FAILED' | 'ALREADY_ACCEPTED';

export interface RestoreOutcome {
  status: RestoreStatus;
  cancelledPendingTransfer?: boolean;
  reattachedPolicies?: string[];
  reattachedThings?: string[];
  reactivated?: boolean;
  error?: string;
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
  /** Never leaves the source account: stripped from every API response and event. */
  taskToken?: string;
  offeredAt?: string;
  expiresAt?: string;
  decision?: Decision;
  /** When TransferCertificate succeeded: from then on the certificate may have left the account. */
  transferredAt?: string;
  cancelRequestedAt?: string;
  cancelReason?: string;
  reason?: string;
  restore?: RestoreOutcome;
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

/** The state machine's data as it flows from state to state. */
export interface WorkflowState extends WorkflowInput {
  snapshot?: Snapshot;
  decision?: Decision;
  /** Set by the Mark … states on every path that does not end in acceptance. */
  outcome?: { status: Exclude<FinalStatus, 'ACCEPTED'> };
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

import type { BatchFilter } from '../validation.js';
import type { FinalStatus, TransferStatus } from '../types.js';
import type { BatchPlan } from './plan.js';

/** Where a batch's certificate ids are: an object in the stack's manifest bucket. */
export interface ManifestRef {
  bucket: string;
  key: string;
}

export type BatchStatus = 'RUNNING' | 'COMPLETED' | 'FAILED';

/** A certificate the batch could not start a transfer for (404, 409 …): it has no transfer record. */
export const NOT_STARTED = 'NOT_STARTED';
/** A certificate the batch has not reached yet. */
export const PENDING = 'PENDING';

export type BatchItemStatus = TransferStatus | typeof NOT_STARTED | typeof PENDING;
export type BatchCounts = Record<BatchItemStatus, number>;

/** What the batch workflow and the API need to know about one batch (item `BATCH#<id>` / `BATCH`). */
export interface BatchRecord {
  batchId: string;
  status: BatchStatus;
  sourceAccount: string;
  targetAccount: string;
  transferMessage?: string;
  timeoutSeconds: number;
  restoreOnFailure: boolean;
  maxConcurrency: number;
  requestId?: string;
  /** When the certificates were selected by a filter rather than listed. */
  filter?: BatchFilter;
  /** When the certificates were listed in a manifest: where it was read, and the ETag of what was read. */
  manifest?: ManifestRef & { etag?: string };
  total: number;
  executionArn: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  summary?: BatchSummary;
  /** Certificates per status as the transfers move (counters.ts); absent on batches recorded before them. */
  liveCounts?: Partial<BatchCounts>;
  /** Why the batch itself failed (not one of its certificates). */
  error?: string;
}

/** A certificate of the batch that did not end ACCEPTED, and why. */
export interface BatchFailure {
  certificateId: string;
  transferId?: string;
  status: typeof NOT_STARTED | Exclude<FinalStatus, 'ACCEPTED'>;
  /** NOT_STARTED: the error's name (`CertificateNotFound`, `TransferInProgress` …). */
  error?: string;
  reason?: string;
}

/** Written to the batch record by its last step. */
export interface BatchSummary {
  total: number;
  counts: BatchCounts;
  accepted: number;
  failureCount: number;
  /** The first {@link MAX_SUMMARY_FAILURES}; GET /transfers?batchId= lists every transfer with its status and reason. */
  failures: BatchFailure[];
  failuresTruncated?: boolean;
}

export const MAX_SUMMARY_FAILURES = 100;

/**
 * The batch machine's input: the plan and which slices each group runs. The
 * certificate ids are in the store, slice by slice (store.ts), never in the
 * state: 100,000 of them would be 6.7 MB against the 256 KiB payload quota.
 */
export interface BatchWorkflowInput {
  batchId: string;
  maxConcurrency: number;
  request: BatchItemRequest;
  plan: BatchPlan;
  /** The slice numbers of each group (`groupSlices(plan)`): at most 1,000 numbers in all. */
  groups: number[][];
}

/** A group's input: a child execution of the batch machine that runs these slices. */
export interface GroupInput {
  batchId: string;
  /** Index of the group, from 0; the child is named `<batchId>-group-<group>`. */
  group: number;
  slices: number[];
  request: BatchItemRequest;
  plan: BatchPlan;
}

/** A slice's input: a child execution of the batch machine that transfers these certificates. */
export interface SliceInput {
  batchId: string;
  /** Index of the slice in the batch, from 0; the child is named `<batchId>-slice-<slice>`. */
  slice: number;
  certificateIds: string[];
  /** Certificates in flight at once in this slice (the plan's itemConcurrency). */
  maxConcurrency: number;
  request: BatchItemRequest;
}

/** One per slice: `error` when the slice's execution failed as a whole. */
export interface SliceResult {
  slice: number;
  error?: string;
}

/** What the last step of the batch gets: the state after every group ran. */
export interface BatchSummaryInput {
  batchId: string;
  /** One per group: its slices' results, or `error` when the group failed as a whole. */
  groupResults?: { group: number; sliceResults?: SliceResult[]; error?: string }[];
  /** Written by the Catch of the groups' Map. */
  error?: { Error: string; Cause?: string };
}

export interface BatchItemRequest {
  targetAccount: string;
  transferMessage?: string;
  timeoutSeconds: number;
  restoreOnFailure: boolean;
  requestId?: string;
}

export interface BatchItem {
  batchId: string;
  certificateId: string;
  request: BatchItemRequest;
  batchExecutionArn?: string;
}

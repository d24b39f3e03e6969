import { transfersByKey } from '../listing.js';
import { batchTransfers } from '../store.js';
import { consoleUrl } from '../transfer/start.js';
import { FINAL_STATUSES, type FinalStatus } from '../types.js';
import { emptyCounts, firstFailures, viewCounts } from './counters.js';
import { batchTransferId, listSkipped, recordSkipped, type SkippedCertificate } from './store.js';
import { MAX_SUMMARY_FAILURES, NOT_STARTED, PENDING, type BatchFailure, type BatchRecord, type BatchSummary, type BatchCounts } from './types.js';

export interface BatchProgress {
  counts: BatchCounts;
  /** Certificates whose fate is sealed: a final transfer status, or not started. */
  done: number;
  accepted: number;
  failures: BatchFailure[];
}

const isFinal = (s: string): s is FinalStatus => (FINAL_STATUSES as readonly string[]).includes(s);

export { emptyCounts };

/**
 * Where a batch stands, read from the store: its transfers (byBatch index)
 * and the certificates it skipped. Certificates in neither are PENDING: the
 * Map has not reached them yet.
 */
export async function batchProgress(batch: Pick<BatchRecord, 'batchId' | 'total'>): Promise<BatchProgress> {
  const counts = emptyCounts();
  const failures: BatchFailure[] = [];
  let seen = 0;
  for await (const t of batchTransfers(batch.batchId)) {
    seen++;
    counts[t.status]++;
    if (isFinal(t.status) && t.status !== 'ACCEPTED') failures.push({ certificateId: t.certificateId, transferId: t.transferId, status: t.status, reason: t.reason });
  }
  for (const s of await listSkipped(batch.batchId)) {
    seen++;
    counts[NOT_STARTED]++;
    failures.push({ certificateId: s.certificateId, status: NOT_STARTED, error: s.error, reason: s.reason });
  }
  counts[PENDING] = Math.max(0, batch.total - seen);
  const done = FINAL_STATUSES.reduce((n, s) => n + counts[s], counts[NOT_STARTED]);
  return { counts, done, accepted: counts.ACCEPTED, failures };
}

/** Why a certificate of a finished batch has neither a transfer nor a recorded reason. */
export type Unaccounted = (certificateId: string) => Omit<SkippedCertificate, 'certificateId' | 'at'>;

/**
 * Where a finished batch stands, exactly: each certificate's transfer read by
 * key (its id follows from the batch and the certificate) with strongly
 * consistent reads, and the skipped ones from the batch's own partition, also
 * read consistently; no index, which would lag the last transfers to settle.
 * A certificate with neither is recorded as skipped with `unaccounted`'s reason,
 * so the batch's live view reports it too.
 */
export async function exactProgress(batchId: string, certificateIds: readonly string[], unaccounted: Unaccounted): Promise<BatchProgress> {
  const counts = emptyCounts();
  const failures: BatchFailure[] = [];
  const transfers = new Map(
    (
      await transfersByKey(
        certificateIds.map((c) => batchTransferId(batchId, c)),
        true,
      )
    ).map((t) => [t.certificateId, t]),
  );
  const skipped = new Map((await listSkipped(batchId)).map((s) => [s.certificateId, s]));
  for (const certificateId of certificateIds) {
    const t = transfers.get(certificateId);
    if (t) {
      counts[t.status]++;
      if (isFinal(t.status) && t.status !== 'ACCEPTED') failures.push({ certificateId, transferId: t.transferId, status: t.status, reason: t.reason });
      continue;
    }
    let s = skipped.get(certificateId);
    if (!s) {
      const why = { certificateId, ...unaccounted(certificateId) };
      await recordSkipped(batchId, why);
      s = { ...why, at: new Date().toISOString() };
    }
    counts[NOT_STARTED]++;
    failures.push({ certificateId, status: NOT_STARTED, error: s.error, reason: s.reason });
  }
  const done = FINAL_STATUSES.reduce((n, st) => n + counts[st], counts[NOT_STARTED]);
  return { counts, done, accepted: counts.ACCEPTED, failures };
}

/** The summary the last step writes: the counts and (the first) failures with their reasons. */
export function summarize(batch: Pick<BatchRecord, 'total'>, progress: BatchProgress): BatchSummary {
  return {
    total: batch.total,
    counts: progress.counts,
    accepted: progress.accepted,
    failureCount: progress.failures.length,
    failures: progress.failures.slice(0, MAX_SUMMARY_FAILURES).map((f) => ({ ...f, reason: f.reason?.slice(0, 300) })),
    ...(progress.failures.length > MAX_SUMMARY_FAILURES ? { failuresTruncated: true } : {}),
  };
}

/**
 * Where a batch stands from its record's live counts and the first page of
 * its failures: two reads whatever its size. A batch recorded before live
 * counts is counted from its transfers.
 */
export async function liveProgress(batch: Pick<BatchRecord, 'batchId' | 'total' | 'liveCounts'>): Promise<BatchProgress & { failureCount: number; failuresTruncated?: boolean }> {
  if (!batch.liveCounts) {
    const progress = await batchProgress(batch);
    return { ...progress, failureCount: progress.failures.length };
  }
  const counts = viewCounts(batch.total, batch.liveCounts);
  const failureCount = FINAL_STATUSES.reduce((n, s) => (s === 'ACCEPTED' ? n : n + counts[s]), counts[NOT_STARTED]);
  const failures = failureCount ? await firstFailures(batch.batchId) : [];
  const done = FINAL_STATUSES.reduce((n, s) => n + counts[s], counts[NOT_STARTED]);
  return { counts, done, accepted: counts.ACCEPTED, failures, failureCount, ...(failureCount > failures.length ? { failuresTruncated: true } : {}) };
}

/**
 * A batch as the API shows it: the record, live counts, the first
 * {@link MAX_SUMMARY_FAILURES} failures with `failureCount` (GET
 * /transfers?batchId= lists them all), the console link.
 */
export async function batchView(batch: BatchRecord) {
  const progress = await liveProgress(batch);
  const { summary: _summary, liveCounts: _live, ...record } = batch;
  return { ...record, consoleUrl: consoleUrl(batch.executionArn), ...progress };
}

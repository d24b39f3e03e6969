/** Human-readable output of `cert-transfer`: plain text, aligned, no colours (pipes and logs stay clean). */
import type { TransferSummaryView, TransferView } from '../api-client.js';
import { FINAL_STATUSES, type HistoryEntry, type RestoreOutcome } from '../types.js';

export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
}

type Json = Record<string, unknown>;

// RESTORE_FAILED: the workflow is over but the certificate is not whole: `cert-transfer repair` fixes it.
const FINAL = new Set<string>(FINAL_STATUSES);
export const isFinalStatus = (status: unknown) => FINAL.has(String(status));

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const time = (iso: unknown) =>
  str(iso)
    .replace('T', ' ')
    .replace(/\.\d+Z$|Z$/, 'Z');

function rows(pairs: [string, unknown][]): string {
  const shown = pairs.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `  ${k.padEnd(width)}  ${str(v)}`).join('\n');
}

export function table(headers: string[], body: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...body.map(line)].join('\n');
}

export function restoreText(r: RestoreOutcome | undefined): string | undefined {
  if (!r) return undefined;
  const parts: string[] = [];
  if (r.reattachedPolicies?.length) parts.push(`policies ${r.reattachedPolicies.join(', ')}`);
  if (r.reattachedThings?.length) parts.push(`things ${r.reattachedThings.join(', ')}`);
  if (r.reactivated) parts.push('re-activated');
  if (r.notRestored?.length) {
    const items = r.notRestored.map((i) => `${i.kind} ${i.name} ${i.result === 'GONE' ? 'gone' : 'failed'}`);
    parts.push(`not restored: ${items.slice(0, 5).join(', ')}${items.length > 5 ? `, … (${items.length})` : ''}`);
  }
  if (r.error) parts.push(`error: ${str(r.error)}`);
  return `${str(r.status)}${parts.length ? ` (${parts.join('; ')})` : ''}`;
}

/** One history entry as a line: `2026-11-22 12:00:01Z  PREPARING  message`. */
export function historyLine(entry: Pick<HistoryEntry, 'at' | 'status' | 'message'>): string {
  return `${time(entry.at)}  ${str(entry.status).padEnd(17)}  ${str(entry.message)}`;
}

export function transferDetails(t: TransferView): string {
  const history = t.history ?? [];
  return [
    `Transfer ${t.transferId}`,
    rows([
      ['status', t.status],
      ['certificate', t.certificateId],
      ['from → to', `${t.sourceAccount} → ${t.targetAccount}`],
      ['message', t.transferMessage],
      ['created', time(t.createdAt)],
      ['updated', time(t.updatedAt)],
      ['offer expires', t.expiresAt ? time(t.expiresAt) : undefined],
      ['reason', t.reason],
      ['restore', restoreText(t.restore)],
      ['batch', t.batchId],
      ['request id', t.requestId],
      ['console', t.consoleUrl],
    ]),
    ...(history.length ? ['History', ...history.map((h) => `  ${historyLine(h)}`)] : []),
  ].join('\n');
}

export function transferTable(items: TransferSummaryView[]): string {
  return table(
    ['TRANSFER', 'STATUS', 'CERTIFICATE', 'TARGET', 'CREATED'],
    // Full ids: people copy them into --certificate and the other commands.
    items.map((t) => [t.transferId, t.status, t.certificateId, t.targetAccount, time(t.createdAt)]),
  );
}

/** The last line of a finished transfer: `Outcome: ACCEPTED` or `Outcome: REJECTED (reason)`. */
export function outcomeLine(t: Pick<TransferSummaryView, 'transferId' | 'status' | 'reason' | 'restore'>): string {
  const restore = restoreText(t.restore);
  const extra = [t.status !== 'ACCEPTED' ? t.reason : undefined, restore && t.status !== 'ACCEPTED' ? `restore ${restore}` : undefined].filter(Boolean).join('; ');
  const repair = t.status === 'RESTORE_FAILED' ? `\nThe certificate is not whole and keeps its lock: fix the cause, then cert-transfer repair ${t.transferId}` : '';
  return `Outcome: ${t.status}${extra ? ` (${extra})` : ''}${repair}`;
}

const BATCH_ORDER = ['PENDING', 'REQUESTED', 'PREPARING', 'AWAITING_DECISION', 'ACCEPTED', 'NOT_STARTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED', 'RESTORE_FAILED'];

/** `[########------------] 8/20  accepted 7 · not started 1 · in flight 5` */
export function progressBar(batch: Json, width = 24): string {
  const total = Number(batch.total) || 0;
  const done = Number(batch.done) || 0;
  const counts = (batch.counts ?? {}) as Record<string, number>;
  const filled = total ? Math.round((done / total) * width) : 0;
  const inFlight = (counts.REQUESTED ?? 0) + (counts.PREPARING ?? 0) + (counts.AWAITING_DECISION ?? 0);
  const notAccepted = (counts.REJECTED ?? 0) + (counts.CANCELLED ?? 0) + (counts.EXPIRED ?? 0) + (counts.FAILED ?? 0) + (counts.RESTORE_FAILED ?? 0);
  const parts = [`accepted ${counts.ACCEPTED ?? 0}`];
  if (counts.NOT_STARTED) parts.push(`not started ${counts.NOT_STARTED}`);
  if (notAccepted) parts.push(`not accepted ${notAccepted}`);
  if (inFlight) parts.push(`in flight ${inFlight}`);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}  ${parts.join(' · ')}`;
}

/** After `cert-transfer repair`: the transfer whole again, released. */
export function repairedLine(t: TransferView): string {
  return `Transfer ${t.transferId} repaired: now ${t.status}, restore ${restoreText(t.restore) ?? ''}\nThe certificate is released: it can be transferred again.`;
}

export function batchSummary(batch: Json): string {
  const counts = (batch.counts ?? {}) as Record<string, number>;
  const failures = Array.isArray(batch.failures) ? (batch.failures as Json[]) : [];
  const lines = [
    `Batch ${str(batch.batchId)} ${str(batch.status)}: ${str(batch.accepted ?? counts.ACCEPTED ?? 0)} of ${str(batch.total)} accepted by ${str(batch.targetAccount)}`,
    ...BATCH_ORDER.filter((s) => counts[s]).map((s) => `  ${s.padEnd(17)}  ${String(counts[s]).padStart(5)}`),
  ];
  if (batch.error) lines.push(`  batch error: ${str(batch.error)}`);
  if (batch.consoleUrl) lines.push(`  console  ${str(batch.consoleUrl)}`);
  if (failures.length) {
    lines.push('Failures');
    for (const f of failures)
      lines.push(`  ${str(f.certificateId)}  ${str(f.status).padEnd(11)}  ${[f.error && !str(f.reason).startsWith(str(f.error)) ? `${str(f.error)}:` : '', str(f.reason)].filter(Boolean).join(' ')}`);
  }
  return lines.join('\n');
}

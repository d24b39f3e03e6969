import { config } from '../config.js';
import { describeCertificate, listOutgoingTransfers } from '../iot.js';
import { logger } from '../logger.js';
import { awaitingDecision } from '../listing.js';
import { isLostCancel, resendLostCancel } from '../transfer/cancel.js';
import type { TransferRecord } from '../types.js';
import { decisionFrom, viewOf } from './observe.js';
import { deliverDecision } from './hand-off.js';

export interface ReconcileReport {
  awaiting: number;
  stillPending: number;
  accepted: number;
  rejected: number;
  late: number;
  deferred: number;
  iotCalls: number;
  /** Cancels recorded but lost on their way to the workflow, sent again. */
  cancelsResent: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Settles transfers decided by hand (console, `aws iot accept-certificate-transfer`
 * or `reject-certificate-transfer`), which send no event. Cost is bounded for
 * thousands of pending transfers: one paginated ListOutgoingCertificates
 * (250 per page) tells which are still pending; only the others are described,
 * paced at `RECONCILER_DESCRIBE_TPS` and at most `RECONCILER_MAX_PER_RUN` per run.
 */
export async function reconcile(opts: { remainingMs?: () => number } = {}): Promise<ReconcileReport> {
  const report: ReconcileReport = { awaiting: 0, stillPending: 0, accepted: 0, rejected: 0, late: 0, deferred: 0, iotCalls: 0, cancelsResent: 0 };
  const awaiting: TransferRecord[] = [];
  const lostCancels: TransferRecord[] = [];
  // Offers younger than the grace period are usually settled by their decision event within
  // seconds; looking at them would only spend IoT quota. Hand decisions take longer than that.
  const offeredBefore = Date.now() - config.reconcilerGraceSeconds * 1000;
  for await (const record of awaitingDecision()) {
    // A cancel on its way is the workflow's to finish; one lost on its way is sent again.
    if (record.cancelRequestedAt) {
      if (isLostCancel(record)) lostCancels.push(record);
      continue;
    }
    if (record.offeredAt && Date.parse(record.offeredAt) > offeredBefore) continue;
    awaiting.push(record);
  }
  for (const record of lostCancels) {
    try {
      if ((await resendLostCancel(record)) === 'DELIVERED') report.cancelsResent++;
    } catch (err) {
      logger.warn('A lost cancel could not be sent again; the next run tries again', { transferId: record.transferId, error: { name: (err as Error).name, message: (err as Error).message } });
    }
  }
  report.awaiting = awaiting.length;
  if (awaiting.length === 0) return report; // nothing waits: no IoT call at all

  // Read the records first, then IoT: a transfer is pending in IoT before its record says AWAITING_DECISION.
  const outgoing = await listOutgoingTransfers();
  report.iotCalls += Math.max(1, Math.ceil(outgoing.length / 250));
  const pending = new Set(outgoing.map((o) => o.certificateId));

  const interval = 1000 / Math.max(0.1, config.reconcilerDescribeRate);
  let described = 0;
  for (const record of awaiting) {
    if (pending.has(record.certificateId)) {
      report.stillPending++;
      continue;
    }
    if (described >= config.reconcilerMaxPerRun || (opts.remainingMs && opts.remainingMs() < 5_000)) {
      report.deferred++;
      continue;
    }
    if (described > 0) await sleep(interval);
    described++;
    report.iotCalls++;
    // Not in the outgoing list read above: the description alone tells gone (accepted) from back (rejected).
    const decision = decisionFrom(viewOf(await describeCertificate(record.certificateId), false, record.sourceAccount), 'reconciler', 'Rejected by hand (no event received)');
    if (!decision) {
      report.stillPending++; // listed before it was transferred to us? still pending either way
      continue;
    }
    const handOff = await deliverDecision(record, decision);
    if (handOff === 'TOO_LATE') report.late++;
    else if (decision.decision === 'ACCEPTED') report.accepted++;
    else report.rejected++;
  }
  return report;
}

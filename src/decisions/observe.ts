// What IoT in the source account shows about a transfer's offer, and the decision that follows from it.
// Decision events and the reconciler both settle a transfer from this view only; an event is a hint.
import { describeCertificate, listOutgoingTransfers, type CertificateDescription } from '../iot.js';
import type { Decision, TransferRecord } from '../types.js';

/**
 * - `PENDING`: the offer still stands (or IoT's read paths disagree: wait).
 * - `GONE`: the certificate left the source account: the target accepted.
 *   AWS IoT answers ResourceNotFoundException to the previous owner, as the
 *   local IoT does; a description owned by another account means the same.
 * - `BACK`: the certificate is the source's again and no longer pending
 *   (RejectCertificateTransfer, or a cancel made outside this service).
 */
export type IotView = { state: 'PENDING'; why: string } | { state: 'GONE' } | { state: 'BACK'; status: string; rejectReason?: string; rejectDate?: Date };

/**
 * The view from one DescribeCertificate answer and whether ListOutgoingCertificates
 * lists the certificate. `BACK` needs both: the description no longer
 * PENDING_TRANSFER and the outgoing list without it.
 */
export function viewOf(cert: CertificateDescription | undefined, listedOutgoing: boolean, sourceAccount: string): IotView {
  if (!cert || (cert.ownedBy !== undefined && cert.ownedBy !== sourceAccount)) return { state: 'GONE' };
  if (cert.status === 'PENDING_TRANSFER') return { state: 'PENDING', why: 'DescribeCertificate shows it PENDING_TRANSFER' };
  if (listedOutgoing) return { state: 'PENDING', why: `DescribeCertificate shows it ${cert.status}, but ListOutgoingCertificates still lists it` };
  return { state: 'BACK', status: cert.status, rejectReason: cert.transferData?.rejectReason || undefined, rejectDate: cert.transferData?.rejectDate };
}

/** One look at IoT for one transfer: DescribeCertificate, then ListOutgoingCertificates only when it could be back. */
export async function lookAtIot(record: Pick<TransferRecord, 'certificateId' | 'sourceAccount'>): Promise<IotView> {
  const cert = await describeCertificate(record.certificateId);
  const first = viewOf(cert, false, record.sourceAccount);
  if (first.state !== 'BACK') return first;
  const listed = (await listOutgoingTransfers()).some((o) => o.certificateId === record.certificateId);
  return viewOf(cert, listed, record.sourceAccount);
}

/** The decision IoT shows, or `undefined` while the offer is pending. */
export function decisionFrom(view: IotView, via: Decision['via'], hintReason?: string): Decision | undefined {
  const decidedAt = new Date().toISOString();
  if (view.state === 'GONE') return { decision: 'ACCEPTED', via, decidedAt };
  if (view.state === 'BACK') {
    return {
      decision: 'REJECTED',
      via,
      decidedAt: (view.rejectDate ?? new Date()).toISOString(),
      reason: view.rejectReason || hintReason || `The certificate is back in the source account (${view.status}) and no longer pending`,
    };
  }
  return undefined;
}

export interface ConfirmOptions {
  /** The function's remaining time (Lambda context); the looks stop early enough to answer in time. */
  remainingMs?: () => number;
  /** Pauses between looks, in ms; IoT's read paths converge within seconds. */
  pausesMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

/** Time kept back for the SendTaskSuccess and the log line after the last look. */
const ANSWER_MARGIN_MS = 5_000;
/** Four more looks over 7.5 s: IoT's read paths converge within seconds. */
export const CONFIRM_PAUSES_MS: readonly number[] = [500, 1_000, 2_000, 4_000];

/**
 * Looks at IoT until it shows the transfer decided, with a bounded wait for
 * eventual consistency (a decision event can outrun the IoT read it follows).
 * Gives up while still pending: the transfer stays awaiting, and the
 * reconciler or a later event settles it.
 */
export async function confirmWithIot(record: Pick<TransferRecord, 'certificateId' | 'sourceAccount'>, opts: ConfirmOptions = {}): Promise<{ view: IotView; looks: number }> {
  const pauses = opts.pausesMs ?? CONFIRM_PAUSES_MS;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let view = await lookAtIot(record);
  let looks = 1;
  for (const pause of pauses) {
    if (view.state !== 'PENDING') break;
    if (opts.remainingMs && opts.remainingMs() - pause < ANSWER_MARGIN_MS) break;
    await sleep(pause);
    view = await lookAtIot(record);
    looks++;
  }
  return { view, looks };
}

import { config } from './config.js';
import { DomainError, TransferInProgress, ValidationError } from './errors.js';
import { DetailType, entry, publish, type CompletedDetail } from './events.js';
import { ACCOUNT_ID, CERTIFICATE_ID } from './ids.js';
import { logger } from './logger.js';
import { getTransfer } from './store.js';
import { idFrom, startTransfer } from './transfer/start.js';
import { validateTransferRequest } from './validation.js';

/** A Certificate Transfer Requested event as the rule delivers it. */
export interface RequestedEvent {
  id: string;
  account: string;
  region?: string;
  source: string;
  'detail-type': string;
  time?: string;
  resources?: string[];
  detail: unknown;
}

export type TriggerOutcome =
  | { outcome: 'STARTED'; transferId: string }
  /** The same event again (EventBridge delivers at least once): its transfer is already open or done. */
  | { outcome: 'DUPLICATE'; transferId: string }
  /** Refused: a Completed event with outcome FAILED and the reason was published. */
  | { outcome: 'REFUSED'; error: string; reason: string }
  /** Not from this account: the rule's pattern keeps these out; this is a second lock. */
  | { outcome: 'IGNORED'; reason: string };

/**
 * The transfer a request names: its requestId when it has one (the same key
 * POST /transfers uses, so a request sent again, by event or by API, finds its
 * transfer), else the event's id (EventBridge delivers at least once).
 */
export function triggeredTransferId(event: Pick<RequestedEvent, 'id'>, requestId: string | undefined): string {
  return requestId ? idFrom(config.accountId, 'request', requestId) : idFrom('requested-event', event.id);
}

/**
 * Starts a transfer from a Certificate Transfer Requested event exactly as
 * POST /transfers does (same validation, same preparation, same idempotency).
 * A repeat finds its transfer instead of opening a second one or reporting a
 * conflict. Any refusal (bad field, target not allowed, no such certificate,
 * transfer already open, or an internal fault) is answered with a Completed
 * event, outcome FAILED, naming the reason and echoing the requestId: never a
 * silent drop.
 */
export async function handleRequestedEvent(event: RequestedEvent): Promise<TriggerOutcome> {
  if (event.account !== config.accountId) {
    return { outcome: 'IGNORED', reason: `Requests are accepted from account ${config.accountId} only, not ${event.account}` };
  }
  let transferId: string | undefined;
  try {
    const request = validateTransferRequest(event.detail);
    transferId = triggeredTransferId(event, request.requestId);
    const existing = await getTransfer(transferId);
    if (existing && existing.certificateId !== request.certificateId) {
      throw new ValidationError('requestId', `requestId was already used for a transfer of another certificate (${existing.transferId})`);
    }
    if (existing) return { outcome: 'DUPLICATE', transferId };
    const record = await startTransfer(request, { transferId, requestId: request.requestId });
    return { outcome: 'STARTED', transferId: record.transferId };
  } catch (err) {
    if (err instanceof TransferInProgress && transferId && err.openTransferId === transferId) return { outcome: 'DUPLICATE', transferId };
    const refusal =
      err instanceof DomainError
        ? { error: err.name, reason: `${err.name}: ${err.message}` }
        : { error: 'InternalError', reason: 'InternalError: the request could not be processed; nothing was changed, send it again' };
    if (!(err instanceof DomainError))
      logger.error('Requested event failed', { error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err), eventId: event.id });
    await publish([entry(config.eventBusName, DetailType.Completed, refusedDetail(event.detail, refusal.reason))]);
    return { outcome: 'REFUSED', ...refusal };
  }
}

/** The Completed detail for a refused request: only what the request said validly, and its requestId. */
export function refusedDetail(detail: unknown, reason: string): CompletedDetail {
  const d = (detail && typeof detail === 'object' ? detail : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const certificateId = str(d.certificateId);
  const targetAccount = str(d.targetAccount);
  return {
    certificateId: certificateId && CERTIFICATE_ID.test(certificateId) ? certificateId.toLowerCase() : undefined,
    sourceAccount: config.accountId,
    targetAccount: targetAccount && ACCOUNT_ID.test(targetAccount) ? targetAccount : undefined,
    outcome: 'FAILED',
    reason,
    requestId: str(d.requestId),
    completedAt: new Date().toISOString(),
  };
}

// An operator's cancel of a transfer awaiting a decision: recorded once, handed to the waiting
// workflow (SendTaskFailure TransferCancelled), and sent again when an earlier hand-off was lost.
import { CancelNotDelivered, TransferStateConflict } from '../errors.js';
import { deliverCancel, type HandOff } from '../decisions/hand-off.js';
import { annotate, requestCancel, requireTransfer, withdrawCancelRequest } from '../store.js';
import type { TransferRecord } from '../types.js';

/**
 * A cancel request younger than this may still be on its way (the API
 * function's timeout is 29 s): only an older one that never recorded its
 * delivery counts as lost and is sent again.
 */
export const CANCEL_IN_FLIGHT_MS = 30_000;

const DEFAULT_REASON = 'Cancelled by an operator';

/** Whether a cancel was recorded and never reached the workflow, long enough ago to be lost. */
export function isLostCancel(record: TransferRecord, now = Date.now()): boolean {
  return record.status === 'AWAITING_DECISION' && record.cancelRequestedAt !== undefined && record.cancelDeliveredAt === undefined && Date.parse(record.cancelRequestedAt) < now - CANCEL_IN_FLIGHT_MS;
}

/**
 * Hands a recorded cancel to the waiting workflow and records the delivery.
 * When Step Functions cannot be reached, `CancelNotDelivered` is thrown; with
 * `forget`, the request is forgotten too, so that the operator told so can
 * send it again at once (otherwise it stays, for the reconciler's next run).
 */
async function handOffCancel(record: TransferRecord, forget: boolean): Promise<HandOff> {
  let handOff: HandOff;
  try {
    handOff = await deliverCancel(record, record.cancelReason ?? DEFAULT_REASON);
  } catch (err) {
    if (forget) await withdrawCancelRequest(record.transferId, record.cancelRequestedAt!);
    throw new CancelNotDelivered(`The cancel of transfer ${record.transferId} could not be handed to its workflow (${(err as Error).name}); nothing changed, send it again`, { cause: err });
  }
  if (handOff === 'DELIVERED') await annotate(record.transferId, { cancelDeliveredAt: new Date().toISOString() });
  return handOff;
}

/**
 * DELETE /transfers/{transferId}: cancels a transfer awaiting a decision. Of
 * two operators at once, one wins and the other gets a 409 `CANCELLING`; a
 * cancel whose hand-off was lost (its request died before delivering it) is
 * sent again. A workflow that has moved on is a 409 with the current status.
 */
export async function cancelAwaitingTransfer(transferId: string, reason = DEFAULT_REASON): Promise<{ transferId: string; status: 'CANCELLING'; message: string }> {
  await requireTransfer(transferId);
  const record = await requestCancel(transferId, reason, { takeOverBefore: new Date(Date.now() - CANCEL_IN_FLIGHT_MS).toISOString() });
  if ((await handOffCancel(record, true)) === 'TOO_LATE') {
    const now = await requireTransfer(transferId);
    throw new TransferStateConflict(`Transfer ${transferId} is no longer waiting for a decision (${now.status})`, now.status);
  }
  return { transferId, status: 'CANCELLING', message: 'The offer is being withdrawn and the certificate restored' };
}

/**
 * The reconciler's part: sends a lost cancel again (see {@link isLostCancel}).
 * `SKIPPED` when another sender took it over first or the transfer moved on; a
 * send that fails leaves the request recorded, for the next run.
 */
export async function resendLostCancel(record: TransferRecord): Promise<HandOff | 'SKIPPED'> {
  let claimed: TransferRecord;
  try {
    claimed = await requestCancel(record.transferId, record.cancelReason ?? DEFAULT_REASON, { takeOverBefore: new Date(Date.now() - CANCEL_IN_FLIGHT_MS).toISOString() });
  } catch (err) {
    if (err instanceof TransferStateConflict) return 'SKIPPED';
    throw err;
  }
  return handOffCancel(claimed, false);
}

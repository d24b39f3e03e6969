import { TransferStateConflict } from '../../src/errors.js';
import { httpHandler, json, pathParam, TRANSFER_ID } from '../../src/http.js';
import { requestCancel, requireTransfer } from '../../src/store.js';
import { deliverCancel } from '../../src/decisions/settle.js';
import { validateCancelRequest } from '../../src/validation.js';

/**
 * DELETE /transfers/{transferId}: cancel a transfer awaiting a decision. The
 * workflow withdraws the offer and restores the certificate; any other status
 * is a 409 with the current status. Of two operators cancelling at once, one
 * wins and the other gets a 409 saying it is already being cancelled.
 */
export const handler = httpHandler('cancel-transfer', async (event) => {
  const transferId = pathParam(event, 'transferId', TRANSFER_ID);
  const reason = validateCancelRequest(event.body, event.isBase64Encoded) ?? 'Cancelled by an operator';
  await requireTransfer(transferId);
  const record = await requestCancel(transferId, reason);
  const handOff = await deliverCancel(record, reason);
  if (handOff === 'TOO_LATE') {
    const now = await requireTransfer(transferId);
    throw new TransferStateConflict(`Transfer ${transferId} is no longer waiting for a decision (${now.status})`, now.status);
  }
  return json(202, { transferId, status: 'CANCELLING', message: 'The offer is being withdrawn and the certificate restored' });
});

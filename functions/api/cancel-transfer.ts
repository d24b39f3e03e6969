import { httpHandler, json, pathParam } from '../../src/http.js';
import { UUID } from '../../src/ids.js';
import { cancelAwaitingTransfer } from '../../src/transfer/cancel.js';
import { validateCancelRequest } from '../../src/validation.js';

/**
 * DELETE /transfers/{transferId}: cancel a transfer awaiting a decision. The
 * workflow withdraws the offer and restores the certificate; any other status
 * is a 409 with the current status. A cancel that could not be delivered can
 * be sent again.
 */
export const handler = httpHandler('cancel-transfer', async (event) => {
  const transferId = pathParam(event, 'transferId', UUID);
  const reason = validateCancelRequest(event.body, event.isBase64Encoded);
  return json(202, await cancelAwaitingTransfer(transferId, reason));
});

import { TransferStateConflict, ValidationError } from '../../src/errors.js';
import { httpHandler, json, pathParam, TRANSFER_ID } from '../../src/http.js';
import { requestCancel, requireTransfer } from '../../src/store.js';
import { deliverCancel } from '../../src/decisions/settle.js';

/**
 * DELETE /transfers/{transferId}: cancel a transfer awaiting a decision. The
 * workflow withdraws the offer and restores the certificate; any other status
 * is a 409 with the current status. Of two operators cancelling at once, one
 * wins and the other gets a 409 saying it is already being cancelled.
 */
export const handler = httpHandler('cancel-transfer', async (event) => {
  const transferId = pathParam(event, 'transferId', TRANSFER_ID);
  let reason = 'Cancelled by an operator';
  if (event.body) {
    let body: unknown;
    try {
      body = JSON.parse(event.body);
    } catch {
      throw new ValidationError('body', 'The request body, when given, must be a JSON object like {"reason": "…"}');
    }
    const r = (body as { reason?: unknown } | null)?.reason;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).some((k) => k !== 'reason')) {
      throw new ValidationError(Object.keys(body ?? {}).find((k) => k !== 'reason') ?? 'body', 'The only field accepted is reason');
    }
    if (r !== undefined && (typeof r !== 'string' || r.length > 256)) throw new ValidationError('reason', 'reason must be a string of at most 256 characters');
    if (typeof r === 'string' && r.trim()) reason = r.trim();
  }
  await requireTransfer(transferId);
  const record = await requestCancel(transferId, reason);
  const handOff = await deliverCancel(record, `TransferCancelled: ${reason}`);
  if (handOff === 'TOO_LATE') {
    const now = await requireTransfer(transferId);
    throw new TransferStateConflict(`Transfer ${transferId} is no longer waiting for a decision (${now.status})`, now.status);
  }
  return json(202, { transferId, status: 'CANCELLING', message: 'The offer is being withdrawn and the certificate restored' });
});

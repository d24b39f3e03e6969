import { httpHandler, json } from '../../src/http.js';
import { publicTransfer } from '../../src/transfer/view.js';
import { idFrom, startTransfer } from '../../src/transfer/start.js';
import { config } from '../../src/config.js';
import { parseJsonBody, validateTransferRequest } from '../../src/validation.js';

/**
 * POST /transfers: validate synchronously, then start the workflow (202).
 * With a `requestId` the call is safe to retry: the same requestId always
 * names the same transfer, and a repeat answers 202 with it again.
 */
export const handler = httpHandler('create-transfer', async (event) => {
  const request = validateTransferRequest(parseJsonBody(event.body, event.isBase64Encoded));
  const transferId = request.requestId ? idFrom(config.accountId, 'request', request.requestId) : undefined;
  const record = await startTransfer(request, { requestId: request.requestId, transferId });
  const view = publicTransfer(record);
  return json(202, { transferId: view.transferId, status: view.status, executionArn: view.executionArn, consoleUrl: view.consoleUrl }, { location: `/transfers/${record.transferId}` });
});

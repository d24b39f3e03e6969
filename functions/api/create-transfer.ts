import { httpHandler, json } from '../../src/http.js';
import { publicTransfer } from '../../src/transfer/view.js';
import { startTransfer } from '../../src/transfer/start.js';
import { parseJsonBody, validateTransferRequest } from '../../src/validation.js';

/** POST /transfers: validate synchronously, then start the workflow (202). */
export const handler = httpHandler('create-transfer', async (event) => {
  const request = validateTransferRequest(parseJsonBody(event.body, event.isBase64Encoded));
  const record = await startTransfer(request, { requestId: request.requestId });
  const view = publicTransfer(record);
  return json(202, { transferId: view.transferId, status: view.status, executionArn: view.executionArn, consoleUrl: view.consoleUrl }, { location: `/transfers/${record.transferId}` });
});

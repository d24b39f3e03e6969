import { httpHandler, json, pathParam } from '../../src/http.js';
import { UUID } from '../../src/ids.js';
import { requireTransfer } from '../../src/store.js';
import { publicTransfer } from '../../src/transfer/view.js';

/** GET /transfers/{transferId}: the record with its history and console URL, never the task token. */
export const handler = httpHandler('get-transfer', async (event) => {
  const transferId = pathParam(event, 'transferId', UUID);
  return json(200, publicTransfer(await requireTransfer(transferId)));
});

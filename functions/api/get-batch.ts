import { httpHandler, json, pathParam, TRANSFER_ID } from '../../src/http.js';
import { batchView } from '../../src/batch/progress.js';
import { requireBatch } from '../../src/batch/store.js';

/** GET /transfer-batches/{batchId}: the batch with live counts per status and every failure with its reason. */
export const handler = httpHandler('get-batch', async (event) => {
  const batchId = pathParam(event, 'batchId', TRANSFER_ID);
  return json(200, await batchView(await requireBatch(batchId)));
});

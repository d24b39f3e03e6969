import { httpHandler, json, pathParam } from '../../src/http.js';
import { UUID } from '../../src/ids.js';
import { batchView } from '../../src/batch/progress.js';
import { requireBatch } from '../../src/batch/store.js';

/** GET /transfer-batches/{batchId}: the batch with live counts per status and every failure with its reason. */
export const handler = httpHandler('get-batch', async (event) => {
  const batchId = pathParam(event, 'batchId', UUID);
  return json(200, await batchView(await requireBatch(batchId)));
});

import { httpHandler, json } from '../../src/http.js';
import { startBatch } from '../../src/batch/start.js';
import { consoleUrl } from '../../src/transfer/start.js';
import { parseJsonBody, validateBatchRequest } from '../../src/validation.js';

/** POST /transfer-batches: validate, select the certificates, start the batch workflow (202). */
export const handler = httpHandler('create-batch', async (event, context) => {
  const request = validateBatchRequest(parseJsonBody(event.body, event.isBase64Encoded));
  // Leave time to answer: a filter that scans too long is refused rather than timed out.
  const deadline = Date.now() + Math.max(1_000, context.getRemainingTimeInMillis() - 8_000);
  const { batch, truncated } = await startBatch(request, deadline);
  return json(
    202,
    {
      batchId: batch.batchId,
      status: batch.status,
      total: batch.total,
      executionArn: batch.executionArn,
      consoleUrl: consoleUrl(batch.executionArn),
      ...(truncated ? { truncated } : {}),
    },
    { location: `/transfer-batches/${batch.batchId}` },
  );
});

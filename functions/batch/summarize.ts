import { withMiddleware } from '../../src/middleware.js';
import { summarizeBatch } from '../../src/batch/steps.js';

/** State "Summarize Batch" of the transfer-batch workflow. */
export const handler = withMiddleware('batch-summarize', summarizeBatch);

import { withMiddleware } from '../../src/middleware.js';
import { recordItemFailure } from '../../src/batch/steps.js';

/** State "Record Item Failure" of the transfer-batch workflow. */
export const handler = withMiddleware('batch-record-failure', recordItemFailure);

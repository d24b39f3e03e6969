import { withMiddleware } from '../../src/middleware.js';
import { loadSlice } from '../../src/batch/steps.js';

/** State "Load Slice" of the transfer-batch workflow. */
export const handler = withMiddleware('batch-load-slice', loadSlice);

import { withMiddleware } from '../../src/middleware.js';
import { prepareItem } from '../../src/batch/steps.js';

/** State "Prepare Transfer" of the transfer-batch workflow. */
export const handler = withMiddleware('batch-prepare', prepareItem);

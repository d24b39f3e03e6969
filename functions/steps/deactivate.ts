import { withMiddleware } from '../../src/middleware.js';
import { deactivate } from '../../src/transfer/steps.js';

/** State "Deactivate Certificate" of the certificate-transfer workflow. */
export const handler = withMiddleware('deactivate', deactivate);

import { withMiddleware } from '../../src/middleware.js';
import { preflight } from '../../src/transfer/steps.js';

/** State "Preflight Certificate" of the certificate-transfer workflow. */
export const handler = withMiddleware('preflight', preflight);

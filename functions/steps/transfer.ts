import { withMiddleware } from '../../src/middleware.js';
import { transfer } from '../../src/transfer/steps.js';

/** State "Transfer Certificate" of the certificate-transfer workflow. */
export const handler = withMiddleware('transfer', transfer);

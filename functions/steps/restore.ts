import { withMiddleware } from '../../src/middleware.js';
import { restore } from '../../src/transfer/restore.js';

/** State "Restore Certificate" of the certificate-transfer workflow. */
export const handler = withMiddleware('restore', restore);

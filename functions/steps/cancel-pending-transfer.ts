import { withMiddleware } from '../../src/middleware.js';
import { cancelPendingTransfer } from '../../src/transfer/steps.js';

/** State "Cancel Pending Transfer" of the certificate-transfer workflow. */
export const handler = withMiddleware('cancel-pending-transfer', cancelPendingTransfer);

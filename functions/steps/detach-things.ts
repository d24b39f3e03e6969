import { withMiddleware } from '../../src/middleware.js';
import { detachThings } from '../../src/transfer/steps.js';

/** State "Detach Things" of the certificate-transfer workflow. */
export const handler = withMiddleware('detach-things', detachThings);

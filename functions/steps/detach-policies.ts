import { withMiddleware } from '../../src/middleware.js';
import { detachPolicies } from '../../src/transfer/steps.js';

/** State "Detach Policies" of the certificate-transfer workflow. */
export const handler = withMiddleware('detach-policies', detachPolicies);

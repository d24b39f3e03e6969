import { withMiddleware } from '../../src/middleware.js';
import { recordOutcome } from '../../src/transfer/steps.js';

/** State "Record Outcome" of the certificate-transfer workflow. */
export const handler = withMiddleware('record-outcome', recordOutcome);

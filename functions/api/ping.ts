import { httpHandler, json } from '../../src/http.js';
import { pingTargets } from '../../src/ping.js';

/** How long the API waits for Pongs: well inside API Gateway's 29 s. */
const WAIT_MS = 15_000;

/**
 * POST /pings: a Certificate Transfer Ping to every allowed target account, and
 * each target kit's Pong as it comes back (`cert-transfer doctor`). No certificate is touched.
 */
export const handler = httpHandler('ping', async () => json(200, await pingTargets({ waitMs: WAIT_MS })));

import { logger } from '../../src/logger.js';
import { withMiddleware } from '../../src/middleware.js';
import { readResponderConfig, respond, type OfferEvent } from '../../src/target/responder.js';

const config = readResponderConfig();

/** Target kit: rule on Certificate Transfer Offered → accept, reject or notify, per ACCEPTANCE_POLICY. */
export const handler = withMiddleware('responder', async (event: OfferEvent) => {
  const outcome = await respond(event, config);
  if (outcome.action === 'IGNORED') logger.warn('Offer ignored', { ...outcome, account: event.account, eventId: event.id });
  else logger.info('Offer answered', { ...outcome, policy: config.policy });
  return outcome;
});

import { logger } from '../../src/logger.js';
import { withMiddleware } from '../../src/middleware.js';
import { DetailType } from '../../src/events.js';
import { answerPing, readResponderConfig, respond, type OfferEvent, type PingEvent } from '../../src/target/responder.js';

const config = readResponderConfig();

/**
 * Target kit: rule on Certificate Transfer Offered → accept, reject or notify, per ACCEPTANCE_POLICY;
 * on Certificate Transfer Ping (`cert-transfer doctor`) → Pong, nothing else.
 */
export const handler = withMiddleware('responder', async (event: OfferEvent | PingEvent) => {
  if (event['detail-type'] === DetailType.Ping) {
    const pong = await answerPing(event as PingEvent, config);
    if (pong.action === 'IGNORED') logger.warn('Ping ignored', { ...pong, account: event.account, eventId: event.id });
    else logger.info('Ping answered', { ...pong });
    return pong;
  }
  const outcome = await respond(event as OfferEvent, config);
  if (outcome.action === 'IGNORED') logger.warn('Offer ignored', { ...outcome, account: event.account, eventId: event.id });
  else logger.info('Offer answered', { ...outcome, policy: config.policy });
  return outcome;
});

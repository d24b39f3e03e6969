import {
  AcceptCertificateTransferCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateThingCommand,
  DescribeCertificateCommand,
  RejectCertificateTransferCommand,
} from '@aws-sdk/client-iot';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { iot } from '../clients/iot.js';
import { ConfigurationError, required } from '../config.js';
import { awsErrorName } from '../errors.js';
import { DetailType, entry, peerBusArn, publish, type DecisionDetail, type OfferedDetail, type PingDetail, type PongDetail } from '../events.js';

/** How a target account answers offers (`ACCEPTANCE_POLICY`). */
export type AcceptancePolicy = 'auto-accept' | 'auto-reject' | 'notify-only';

export interface ResponderConfig {
  accountId: string;
  policy: AcceptancePolicy;
  allowedSourceAccounts: string[];
  setAsActive: boolean;
  attachPolicyName?: string;
  /** Thing to attach; `{certificateId}` and `{transferId}` are replaced. */
  attachThingName?: string;
  createThing: boolean;
  rejectReason: string;
  notifyTopicArn?: string;
  notifyWebhookUrl?: string;
}

export function readResponderConfig(env = process.env): ResponderConfig {
  const policy = (env.ACCEPTANCE_POLICY ?? 'notify-only') as AcceptancePolicy;
  if (!['auto-accept', 'auto-reject', 'notify-only'].includes(policy)) {
    throw new ConfigurationError(`ACCEPTANCE_POLICY must be auto-accept, auto-reject or notify-only, got "${policy}"`);
  }
  return {
    accountId: required('ACCOUNT_ID'),
    policy,
    allowedSourceAccounts: (env.ALLOWED_SOURCE_ACCOUNTS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    setAsActive: (env.SET_AS_ACTIVE ?? 'true') === 'true',
    attachPolicyName: env.ATTACH_POLICY_NAME || undefined,
    attachThingName: env.ATTACH_THING_NAME || undefined,
    createThing: env.CREATE_THING === 'true',
    rejectReason: (env.REJECT_REASON || 'Rejected by the target account policy').slice(0, 128),
    notifyTopicArn: env.NOTIFY_TOPIC_ARN || undefined,
    notifyWebhookUrl: env.NOTIFY_WEBHOOK_URL || undefined,
  };
}

export interface OfferEvent {
  id?: string;
  account: string;
  'detail-type': string;
  detail: OfferedDetail;
}

export type ResponderOutcome =
  | { action: 'ACCEPTED' | 'REJECTED'; transferId: string; published: boolean }
  | { action: 'NOTIFIED'; transferId: string; channel: string }
  | { action: 'IGNORED'; reason: string; transferId?: string };

const sns = /* @__PURE__ */ new SNSClient({ maxAttempts: 4 });

async function attachExtras(cfg: ResponderConfig, offer: OfferedDetail, certificateArn: string): Promise<void> {
  if (cfg.attachPolicyName) await iot.send(new AttachPolicyCommand({ policyName: cfg.attachPolicyName, target: certificateArn }));
  if (cfg.attachThingName) {
    const thingName = cfg.attachThingName.replace('{certificateId}', offer.certificateId.slice(0, 16)).replace('{transferId}', offer.transferId);
    if (cfg.createThing) {
      try {
        await iot.send(new CreateThingCommand({ thingName }));
      } catch (err) {
        if (awsErrorName(err) !== 'ResourceAlreadyExistsException') throw err;
      }
    }
    await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
  }
}

/**
 * Answers a Certificate Transfer Offered event with the configured policy.
 * Offers from accounts not on the allow-list, or meant for another account,
 * are ignored. After deciding, the decision goes to the source account's bus.
 */
export async function respond(event: OfferEvent, cfg: ResponderConfig): Promise<ResponderOutcome> {
  const offer = event.detail;
  if (!cfg.allowedSourceAccounts.includes(event.account)) return { action: 'IGNORED', reason: `offer from ${event.account}, which is not an allowed source`, transferId: offer?.transferId };
  if (offer?.targetAccount !== cfg.accountId) return { action: 'IGNORED', reason: `offer is for account ${offer?.targetAccount}, not this one`, transferId: offer?.transferId };
  if (offer.sourceAccount !== event.account) return { action: 'IGNORED', reason: `offer claims source ${offer.sourceAccount} but was sent by ${event.account}`, transferId: offer.transferId };

  if (cfg.policy === 'notify-only') {
    const text =
      `Certificate ${offer.certificateId} is offered by account ${offer.sourceAccount} (transfer ${offer.transferId}) until ${offer.expiresAt}.` +
      (offer.transferMessage ? ` Message: ${offer.transferMessage}.` : '') +
      ` Accept: aws iot accept-certificate-transfer --certificate-id ${offer.certificateId} --set-as-active; reject: aws iot reject-certificate-transfer --certificate-id ${offer.certificateId}`;
    if (cfg.notifyTopicArn) {
      await sns.send(new PublishCommand({ TopicArn: cfg.notifyTopicArn, Subject: 'IoT certificate transfer offered', Message: text }));
      return { action: 'NOTIFIED', transferId: offer.transferId, channel: 'sns' };
    }
    if (cfg.notifyWebhookUrl) {
      const res = await fetch(cfg.notifyWebhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, offer }) });
      if (!res.ok) throw new Error(`Webhook answered ${res.status}`);
      return { action: 'NOTIFIED', transferId: offer.transferId, channel: 'webhook' };
    }
    return { action: 'NOTIFIED', transferId: offer.transferId, channel: 'log' };
  }

  const decidedAt = new Date().toISOString();
  const base: DecisionDetail = { transferId: offer.transferId, certificateId: offer.certificateId, sourceAccount: offer.sourceAccount, targetAccount: cfg.accountId, decidedAt };
  if (cfg.policy === 'auto-accept') {
    try {
      await iot.send(new AcceptCertificateTransferCommand({ certificateId: offer.certificateId, setAsActive: cfg.setAsActive }));
    } catch (err) {
      // A duplicate delivery finds it already accepted: ours now, so carry on.
      if (awsErrorName(err) !== 'TransferAlreadyCompletedException') throw err;
      const mine = await iot.send(new DescribeCertificateCommand({ certificateId: offer.certificateId })).catch(() => undefined);
      if (mine?.certificateDescription?.ownedBy !== cfg.accountId) return { action: 'IGNORED', reason: 'the transfer was already completed elsewhere', transferId: offer.transferId };
    }
    const arn = `arn:aws:iot:${offer.certificateArn.split(':')[3]}:${cfg.accountId}:cert/${offer.certificateId}`;
    await attachExtras(cfg, offer, arn);
    await publish([entry(peerBusArn(offer.sourceAccount), DetailType.Accepted, { ...base, setAsActive: cfg.setAsActive }, [arn])]);
    return { action: 'ACCEPTED', transferId: offer.transferId, published: true };
  }

  try {
    await iot.send(new RejectCertificateTransferCommand({ certificateId: offer.certificateId, rejectReason: cfg.rejectReason }));
  } catch (err) {
    if (awsErrorName(err) !== 'TransferAlreadyCompletedException') throw err;
  }
  await publish([entry(peerBusArn(offer.sourceAccount), DetailType.Rejected, { ...base, reason: cfg.rejectReason }, [offer.certificateArn])]);
  return { action: 'REJECTED', transferId: offer.transferId, published: true };
}

export interface PingEvent {
  id?: string;
  account: string;
  'detail-type': string;
  detail: PingDetail;
}

export type PingOutcome = { action: 'PONG'; pingId: string } | { action: 'IGNORED'; reason: string; pingId?: string };

/**
 * Answers `cert-transfer doctor`'s Ping with a Pong on the source account's bus,
 * through the same allow-list and the same PutEvents grant as a decision. Touches no certificate.
 */
export async function answerPing(event: PingEvent, cfg: ResponderConfig): Promise<PingOutcome> {
  const ping = event.detail;
  if (!cfg.allowedSourceAccounts.includes(event.account)) return { action: 'IGNORED', reason: `ping from ${event.account}, which is not an allowed source`, pingId: ping?.pingId };
  if (ping?.targetAccount !== cfg.accountId) return { action: 'IGNORED', reason: `ping is for account ${ping?.targetAccount}, not this one`, pingId: ping?.pingId };
  const pong: PongDetail = { pingId: ping.pingId, sourceAccount: event.account, targetAccount: cfg.accountId, sentAt: ping.sentAt, answeredAt: new Date().toISOString(), acceptancePolicy: cfg.policy };
  await publish([entry(peerBusArn(event.account), DetailType.Pong, pong)]);
  return { action: 'PONG', pingId: ping.pingId };
}

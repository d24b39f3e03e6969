import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventBridge } from './clients/events.js';
import { config } from './config.js';
import { OfferDeliveryFailed } from './errors.js';
import type { RestoreOutcome, TransferOutcome, TransferRecord } from './types.js';
import type { TransferRequestBody } from './validation.js';

/** The event contract (see `events/` for the JSON Schemas). */
export const EVENT_SOURCE = 'iot.certificate-transfer';

export const DetailType = {
  Requested: 'Certificate Transfer Requested',
  Offered: 'Certificate Transfer Offered',
  Accepted: 'Certificate Transfer Accepted',
  Rejected: 'Certificate Transfer Rejected',
  Completed: 'Certificate Transfer Completed',
  /** `cert-transfer doctor`'s probe: touches no certificate; a target kit answers it with a Pong. */
  Ping: 'Certificate Transfer Ping',
  Pong: 'Certificate Transfer Pong',
} as const;
export type DetailType = (typeof DetailType)[keyof typeof DetailType];

/** A Requested event's detail is the body of `POST /transfers`. */
export type RequestedDetail = TransferRequestBody;

/** The transfer as the target sees it (the record's own fields), with when it was offered and until when. */
export interface OfferedDetail extends Pick<TransferRecord, 'transferId' | 'certificateId' | 'certificateArn' | 'sourceAccount' | 'targetAccount' | 'transferMessage'> {
  offeredAt: string;
  expiresAt: string;
}

export interface DecisionDetail {
  transferId: string;
  certificateId: string;
  sourceAccount: string;
  targetAccount: string;
  decidedAt: string;
  reason?: string;
  setAsActive?: boolean;
}

/** A probe of the decision path (source → target kit → source), naming no certificate. */
export interface PingDetail {
  pingId: string;
  sourceAccount: string;
  targetAccount: string;
  sentAt: string;
}

/** The target kit's answer to a Ping, sent to the source account's bus as a decision is. */
export interface PongDetail extends PingDetail {
  answeredAt: string;
  /** The kit's acceptance policy, so the doctor can say what offers will meet. */
  acceptancePolicy: string;
}

/**
 * A transfer ended. A request refused before a transfer was opened (an invalid
 * Requested event) has no transferId, and has certificateId / targetAccount
 * only if the request carried valid ones.
 */
export interface CompletedDetail {
  transferId?: string;
  certificateId?: string;
  sourceAccount: string;
  targetAccount?: string;
  outcome: TransferOutcome;
  reason?: string;
  /** What became of the certificate; status FAILED means the transfer is RESTORE_FAILED and keeps its lock until repaired. */
  restore?: RestoreOutcome;
  requestId?: string;
  completedAt: string;
  /** Set on the event a repair publishes: the certificate is whole again (see `restore`). */
  repairedAt?: string;
}

/** ARN of a peer account's bus in this region (PEER_BUS_NAME: the same stage's kit or source bus). */
export function peerBusArn(account: string): string {
  return `arn:aws:events:${config.region}:${account}:event-bus/${config.peerBusName}`;
}

export function entry(busNameOrArn: string, detailType: DetailType, detail: object, resources: string[] = []): PutEventsRequestEntry {
  return { EventBusName: busNameOrArn, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Resources: resources };
}

/**
 * Publishes entries (at most 10 per call, as PutEvents allows) and throws if
 * any entry was refused, so a lost notification is never mistaken for a sent one.
 */
export async function publish(entries: PutEventsRequestEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 10) {
    const batch = entries.slice(i, i + 10);
    const out = await eventBridge.send(new PutEventsCommand({ Entries: batch }));
    if (out.FailedEntryCount) {
      const failed = (out.Entries ?? []).map((e, j) => (e.ErrorCode ? `${batch[j]?.DetailType} to ${batch[j]?.EventBusName}: ${e.ErrorCode} ${e.ErrorMessage ?? ''}` : undefined)).filter(Boolean);
      throw new OfferDeliveryFailed(`EventBridge refused ${out.FailedEntryCount} event(s): ${failed.join('; ')}`);
    }
  }
}

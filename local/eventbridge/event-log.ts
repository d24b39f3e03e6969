/**
 * The inspectable event log: each event with the rules it matched and its deliveries, kept
 * for the web console (the newest `maxRecentEvents`), and the listeners told of each change.
 */
import type { DeliveryErrorCode, ExhaustedRetryCondition } from './delivery.js';
import { clone } from './params.js';
import type { RuleState, Store } from './stores.js';
import type { EventBridgeEvent } from './types.js';

export type DeliveryStatus = 'pending' | 'delayed' | 'in-flight' | 'retrying' | 'delivered' | 'failed';

export interface DeliveryRecord {
  deliveryId: string;
  eventId: string;
  ruleName: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  duplicate: boolean;
  delayedMs?: number;
  error?: string;
  /** ERROR_CODE of the last failure (dead-letter-queue page). */
  errorCode?: DeliveryErrorCode;
  /** Why a retried delivery stopped: its RetryPolicy ran out. */
  exhaustedRetryCondition?: ExhaustedRetryCondition;
  /** Whether the failed event reached the target's dead-letter queue. */
  deadLetter?: 'sent' | 'failed';
  input?: unknown;
  finishedAt?: string;
}

export interface EventLogRecord {
  eventId: string;
  receivedAt: string;
  /** Bus owner. */
  account: string;
  region: string;
  busName: string;
  busArn: string;
  /** Account that sent the event (`event.account`). */
  sender: string;
  event: EventBridgeEvent;
  /** 'dropped' when the (same-account) bus does not exist: AWS accepts such events and drops them. */
  status: 'accepted' | 'dropped';
  dropReason?: string;
  matchedRules: string[];
  deliveries: DeliveryRecord[];
}

export type EventLogChange = { type: 'event'; record: EventLogRecord } | { type: 'delivery'; eventId: string; delivery: DeliveryRecord };

/** Logs a received event and delivers it to the targets of the rules it matched. */
export type Route = (store: Store, record: EventLogRecord, rules: RuleState[]) => void;

export class EventLog {
  private readonly log: EventLogRecord[] = [];
  private readonly listeners = new Set<(change: EventLogChange) => void>();

  constructor(private readonly maxRecentEvents: number) {}

  append(record: EventLogRecord): void {
    this.log.push(record);
    if (this.log.length > this.maxRecentEvents) this.log.splice(0, this.log.length - this.maxRecentEvents);
  }

  /** Recent events (oldest first) with their deliveries; copies, safe to keep. */
  recentEvents(filter: { account?: string; region?: string; busName?: string; limit?: number } = {}): EventLogRecord[] {
    const matching = this.log.filter(
      (r) =>
        (filter.account === undefined || r.account === filter.account) && (filter.region === undefined || r.region === filter.region) && (filter.busName === undefined || r.busName === filter.busName),
    );
    return clone(filter.limit === undefined ? matching : matching.slice(-filter.limit));
  }

  /** Subscribes to new events and delivery status changes. Returns the unsubscribe function. */
  onEvent(listener: (change: EventLogChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: EventLogChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A broken console subscriber must not break delivery.
      }
    }
  }
}

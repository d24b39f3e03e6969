/**
 * The EventBridge service model: its options, its state (stores, event log, deliveries) and one
 * method per operation, each handing over to the module that owns it. Knows nothing of HTTP.
 */
import * as buses from './buses.js';
import type { DeadLetterMessage, RuleMetricName, RuleMetrics } from './delivery.js';
import { DeliveryDispatcher, type RetryOptions } from './dispatcher.js';
import { EventLog, type EventLogChange, type EventLogRecord, type Route } from './event-log.js';
import type { FaultOptions } from './faults.js';
import { DEFAULT_PATTERN_SIZE_QUOTA } from './pattern.js';
import * as policy from './policy.js';
import { putEntry, putEvents, type PutEventsEnv } from './put-events.js';
import * as rules from './rules.js';
import { fireSchedules } from './schedule.js';
import * as snapshots from './snapshot.js';
import { Stores } from './stores.js';
import * as tags from './tags.js';
import * as targets from './targets.js';
import type { CallContext, InvokeTarget, PolicyDocument, PutEventsRequestEntry, PutEventsResultEntry } from './types.js';

// Everything callers import from here, wherever it is defined.
export type { CallContext, DeliveryContext, EventBridgeEvent, InvokeTarget, PolicyDocument, PolicyStatement, PutEventsRequestEntry, PutEventsResultEntry, RuleRef, Target } from './types.js';
export type { DeliveryRecord, DeliveryStatus, EventLogChange, EventLogRecord } from './event-log.js';
export type { FaultOptions } from './faults.js';
export type { RetryOptions } from './dispatcher.js';
export type { ModelSnapshot } from './snapshot.js';
export { policyAllowsPutEvents } from './policy.js';
export { isValidScheduleExpression } from './schedule.js';
export { busArn, ruleArn } from './stores.js';
export { applyInputTemplate, readJsonPath, targetInput } from './transform.js';

export interface EventBridgeModelOptions {
  invokeTarget?: InvokeTarget;
  /** Scheduled rules fire every this many ms once start() is called, whatever their rate. Default 5000. */
  scheduleIntervalMs?: number;
  retry?: RetryOptions;
  /** Off unless given. */
  faults?: FaultOptions;
  /** Events kept in the log (all buses together). Default 1000. */
  maxRecentEvents?: number;
  /** Region used by the programmatic helpers when none is given. Default us-east-1. */
  defaultRegion?: string;
  /** The organization of an account, for `aws:PrincipalOrgID` conditions in bus policies. */
  organizationOf?: (account: string) => string | undefined;
  /** Clock, for tests. */
  now?: () => Date;
  /** The account quota "Event pattern size", in characters. Default 2048, as in AWS (adjustable up to 4096). */
  eventPatternSizeQuota?: number;
  /**
   * Sends a message to a target's dead-letter queue (throw to have it counted in
   * InvocationsFailedToBeSentToDlq). Default: kept in the model, see deadLetterMessages().
   */
  sendToDeadLetterQueue?: (message: DeadLetterMessage) => unknown;
}

/** The input of an operation handled by `fn(stores, ctx, input)`. */
type Input<F extends (stores: Stores, ctx: CallContext, input: never) => unknown> = Parameters<F>[2];

export class EventBridgeModel {
  private readonly stores: Stores;
  private readonly log: EventLog;
  private readonly deliveries: DeliveryDispatcher;
  private readonly putEventsEnv: PutEventsEnv;
  private readonly route: Route = (store, record, matched) => this.deliveries.route(store, record, matched);
  private readonly scheduleIntervalMs: number;
  private readonly defaultRegion: string;
  private readonly patternSizeQuota: number;
  private scheduleTimer?: NodeJS.Timeout;

  constructor(options: EventBridgeModelOptions = {}) {
    const now = options.now ?? (() => new Date());
    this.stores = new Stores(now);
    this.log = new EventLog(options.maxRecentEvents ?? 1000);
    this.deliveries = new DeliveryDispatcher(this.log, {
      invokeTarget: options.invokeTarget,
      retry: options.retry,
      faults: options.faults,
      sendToDeadLetterQueue: options.sendToDeadLetterQueue,
      now,
    });
    this.putEventsEnv = { stores: this.stores, organizationOf: options.organizationOf ?? (() => undefined), route: this.route };
    this.scheduleIntervalMs = options.scheduleIntervalMs ?? 5000;
    this.defaultRegion = options.defaultRegion ?? 'us-east-1';
    this.patternSizeQuota = options.eventPatternSizeQuota ?? DEFAULT_PATTERN_SIZE_QUOTA;
  }

  // --- buses (buses.ts) --------------------------------------------------------

  createEventBus(ctx: CallContext, input: Input<typeof buses.createEventBus>) {
    return buses.createEventBus(this.stores, ctx, input);
  }

  deleteEventBus(ctx: CallContext, input: Input<typeof buses.deleteEventBus>) {
    return buses.deleteEventBus(this.stores, ctx, input);
  }

  describeEventBus(ctx: CallContext, input: Input<typeof buses.describeEventBus>) {
    return buses.describeEventBus(this.stores, ctx, input);
  }

  listEventBuses(ctx: CallContext, input: Input<typeof buses.listEventBuses>) {
    return buses.listEventBuses(this.stores, ctx, input);
  }

  /** Creates the bus if it is missing (programmatic set-up for the runner). */
  ensureEventBus(account: string, busName: string, region = this.defaultRegion): string {
    return buses.ensureEventBus(this.stores, account, busName, region);
  }

  // --- bus policies (policy.ts) -------------------------------------------------

  /** PutPermission: Action + Principal (account id or "*") + StatementId [+ Condition], or a whole Policy. */
  putPermission(ctx: CallContext, input: Input<typeof policy.putPermission>) {
    return policy.putPermission(this.stores, ctx, input);
  }

  removePermission(ctx: CallContext, input: Input<typeof policy.removePermission>) {
    return policy.removePermission(this.stores, ctx, input);
  }

  /**
   * Sets a bus's whole resource policy (IAM policy JSON, as in a CloudFormation
   * AWS::Events::EventBusPolicy or `aws events put-permission --policy`).
   */
  setBusPolicy(account: string, busName: string, policyDocument: string | PolicyDocument, region = this.defaultRegion): void {
    policy.applyPolicy(this.stores.bus({ account, region }, busName), policyDocument, this.stores.now);
  }

  // --- rules (rules.ts) ------------------------------------------------------

  putRule(ctx: CallContext, input: Record<string, unknown>) {
    return rules.putRule(this.stores, ctx, input, this.patternSizeQuota);
  }

  describeRule(ctx: CallContext, input: Input<typeof rules.describeRule>) {
    return rules.describeRule(this.stores, ctx, input);
  }

  listRules(ctx: CallContext, input: Input<typeof rules.listRules>) {
    return rules.listRules(this.stores, ctx, input);
  }

  deleteRule(ctx: CallContext, input: Input<typeof rules.deleteRule>) {
    return rules.deleteRule(this.stores, ctx, input);
  }

  enableRule(ctx: CallContext, input: Input<typeof rules.enableRule>) {
    return rules.enableRule(this.stores, ctx, input);
  }

  disableRule(ctx: CallContext, input: Input<typeof rules.disableRule>) {
    return rules.disableRule(this.stores, ctx, input);
  }

  testEventPattern(_ctx: CallContext, input: { EventPattern?: unknown; Event?: unknown }) {
    return rules.testEventPattern(input, this.patternSizeQuota);
  }

  // --- targets (targets.ts) ----------------------------------------------------

  putTargets(ctx: CallContext, input: Input<typeof targets.putTargets>) {
    return targets.putTargets(this.stores, ctx, input);
  }

  removeTargets(ctx: CallContext, input: Input<typeof targets.removeTargets>) {
    return targets.removeTargets(this.stores, ctx, input);
  }

  listTargetsByRule(ctx: CallContext, input: Input<typeof targets.listTargetsByRule>) {
    return targets.listTargetsByRule(this.stores, ctx, input);
  }

  listRuleNamesByTarget(ctx: CallContext, input: Input<typeof targets.listRuleNamesByTarget>) {
    return targets.listRuleNamesByTarget(this.stores, ctx, input);
  }

  // --- tags (tags.ts) ----------------------------------------------------------

  tagResource(ctx: CallContext, input: Input<typeof tags.tagResource>) {
    return tags.tagResource(this.stores, ctx, input);
  }

  untagResource(ctx: CallContext, input: Input<typeof tags.untagResource>) {
    return tags.untagResource(this.stores, ctx, input);
  }

  listTagsForResource(ctx: CallContext, input: Input<typeof tags.listTagsForResource>) {
    return tags.listTagsForResource(this.stores, ctx, input);
  }

  // --- PutEvents (put-events.ts) -------------------------------------------------

  /**
   * Accepts up to 10 entries. Each entry goes to a bus by name (the caller's
   * account) or by ARN (any account: allowed cross-account only when the bus
   * policy allows the sender; otherwise that entry fails with
   * AccessDeniedException). Matching targets are invoked after this returns.
   */
  putEvents(ctx: CallContext, input: { Entries?: unknown; EndpointId?: unknown }): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    return putEvents(this.putEventsEnv, ctx, input);
  }

  /**
   * An event an AWS service emits for an account (Step Functions' execution status changes on the
   * default bus): routed and delivered as PutEvents does, and the only way in for `aws.*` sources.
   */
  putServiceEvent(ctx: CallContext, entry: PutEventsRequestEntry): PutEventsResultEntry {
    return putEntry(this.putEventsEnv, ctx, entry, true);
  }

  // --- schedules (schedule.ts) ---------------------------------------------------

  /** Fires every enabled scheduled rule once, in every account and region. Returns the event ids. */
  fireSchedules(): string[] {
    return fireSchedules(this.stores, this.route);
  }

  /** Starts the schedule timer (every `scheduleIntervalMs`). */
  start(): void {
    this.deliveries.start();
    if (this.scheduleTimer) return;
    this.scheduleTimer = setInterval(() => this.fireSchedules(), this.scheduleIntervalMs);
    this.scheduleTimer.unref();
  }

  /**
   * Stops the schedule timer and cancels pending retries, injected delays and the
   * reorder buffer (those deliveries end as failed), so no timer is left behind.
   * Until start() is called again, deliveries are attempted once, without delays.
   */
  stop(): void {
    if (this.scheduleTimer) clearInterval(this.scheduleTimer);
    this.scheduleTimer = undefined;
    this.deliveries.stop();
  }

  // --- deliveries (dispatcher.ts, delivery.ts) -------------------------------------

  /** Resolves when no delivery is pending (including retries and injected delays). */
  waitForIdle(timeoutMs = 30_000): Promise<void> {
    return this.deliveries.waitForIdle(timeoutMs);
  }

  /** Deliveries not yet delivered or failed. */
  get pendingDeliveries(): number {
    return this.deliveries.pendingDeliveries;
  }

  /** The rule's AWS/Events metrics (FailedInvocations, InvocationsSentToDlq, …) since the model started. */
  ruleMetrics(ruleArn: string): RuleMetrics {
    return this.deliveries.ruleMetrics(ruleArn);
  }

  /** Resolves with the rule's metrics once `metric` reaches `atLeast` (e.g. FailedInvocations ≥ 1). */
  waitForMetric(ruleArn: string, metric: RuleMetricName, atLeast = 1, timeoutMs = 30_000): Promise<RuleMetrics> {
    return this.deliveries.waitForMetric(ruleArn, metric, atLeast, timeoutMs);
  }

  /** Messages sent to dead-letter queues (when no sendToDeadLetterQueue option is given), oldest first. */
  deadLetterMessages(queueArn?: string): DeadLetterMessage[] {
    return this.deliveries.deadLetterMessages(queueArn);
  }

  /** Faults injected so far (duplicates + delays + reordered deliveries). */
  get faultsInjected(): number {
    return this.deliveries.faultsInjected;
  }

  get faultsByKind(): { duplicates: number; delays: number; reorders: number } {
    return this.deliveries.faultsByKind;
  }

  // --- event log (event-log.ts) --------------------------------------------------

  /** Recent events (oldest first) with their deliveries; copies, safe to keep. */
  recentEvents(filter: { account?: string; region?: string; busName?: string; limit?: number } = {}): EventLogRecord[] {
    return this.log.recentEvents(filter);
  }

  /** Subscribes to new events and delivery status changes. Returns the unsubscribe function. */
  onEvent(listener: (change: EventLogChange) => void): () => void {
    return this.log.onEvent(listener);
  }

  // --- persistence (snapshot.ts) -------------------------------------------------

  /** Buses, policies, rules, targets and tags (not the event log). */
  snapshot(): snapshots.ModelSnapshot {
    return snapshots.snapshot(this.stores);
  }

  /** Replaces all state with a snapshot (object or its JSON). */
  restore(snapshot: snapshots.ModelSnapshot | string): void {
    snapshots.restore(this.stores, snapshot);
  }
}

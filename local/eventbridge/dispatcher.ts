/**
 * Delivering routed events to their targets after PutEvents returns: one job per target, the
 * injected faults, retries with backoff per RetryPolicy, dead letters, metrics and idle waits.
 */
import { randomUUID } from 'node:crypto';
import {
  classifyFailure,
  type DeadLetterMessage,
  deadLetterMessage,
  type DeliveryFailure,
  DeliveryMetrics,
  type ExhaustedRetryCondition,
  retryPolicyOf,
  type RuleMetricName,
  type RuleMetrics,
} from './delivery.js';
import type { DeliveryRecord, DeliveryStatus, EventLog, EventLogRecord } from './event-log.js';
import { DeliveryFaults, type FaultOptions } from './faults.js';
import { clone } from './params.js';
import type { RuleState, Store } from './stores.js';
import { targetInput } from './transform.js';
import type { EventBridgeEvent, InvokeTarget, RuleRef, Target } from './types.js';

export interface RetryOptions {
  /**
   * Retries after the first attempt for targets without RetryPolicy.MaximumRetryAttempts.
   * Default: EventBridge's 185.
   */
  maxRetries?: number;
  /** First backoff; doubles on each retry. Default 200 ms. */
  baseDelayMs?: number;
  /** Backoff cap. Default 5000 ms. */
  maxDelayMs?: number;
}

interface DeliveryJob {
  delivery: DeliveryRecord;
  target: Target;
  event: EventBridgeEvent;
  rule: RuleRef;
  input: unknown;
  delayMs: number;
  acceptedAt: number;
  lastFailure?: DeliveryFailure;
}

export interface DispatcherOptions {
  invokeTarget?: InvokeTarget;
  retry?: RetryOptions;
  faults?: FaultOptions;
  sendToDeadLetterQueue?: (message: DeadLetterMessage) => unknown;
  now: () => Date;
}

export class DeliveryDispatcher {
  private readonly invoker: InvokeTarget;
  private readonly retry: RetryOptions & { baseDelayMs: number; maxDelayMs: number };
  private readonly faults: DeliveryFaults;
  private readonly now: () => Date;
  private readonly sendToDeadLetterQueue: (message: DeadLetterMessage) => unknown;
  private readonly deadLetters: DeadLetterMessage[] = [];
  private readonly metrics = new DeliveryMetrics();
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private idleCheckScheduled = false;
  private readonly timers = new Map<NodeJS.Timeout, DeliveryJob[]>();
  private reorderBuffer: DeliveryJob[] = [];
  private reorderTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly log: EventLog,
    options: DispatcherOptions,
  ) {
    this.invoker =
      options.invokeTarget ??
      (() => {
        throw Object.assign(new Error('No invokeTarget configured for the EventBridge model'), { retryable: false });
      });
    this.retry = { baseDelayMs: 200, maxDelayMs: 5000, ...options.retry };
    this.faults = new DeliveryFaults(options.faults);
    this.now = options.now;
    this.sendToDeadLetterQueue = options.sendToDeadLetterQueue ?? ((message) => void this.deadLetters.push(message));
  }

  /** Deliveries are made again with faults, delays and retries (after stop()). */
  start(): void {
    this.stopped = false;
  }

  /**
   * Cancels pending retries, injected delays and the reorder buffer (those deliveries end as
   * failed); until start(), deliveries are attempted once, without delays.
   */
  stop(): void {
    this.stopped = true;
    if (this.reorderTimer) clearTimeout(this.reorderTimer);
    this.reorderTimer = undefined;
    const cancelled = [...this.reorderBuffer, ...[...this.timers.values()].flat()];
    for (const timer of this.timers.keys()) clearTimeout(timer);
    this.timers.clear();
    this.reorderBuffer = [];
    for (const job of cancelled) this.finish(job, 'failed', 'Delivery cancelled: the EventBridge model was stopped.');
  }

  route(store: Store, record: EventLogRecord, rules: RuleState[]): void {
    this.log.append(record);
    for (const rule of rules) {
      record.matchedRules.push(rule.name);
      this.metrics.add(rule.arn, 'TriggeredRules');
      const ref: RuleRef = { account: store.account, region: store.region, busName: rule.busName, name: rule.name, arn: rule.arn };
      for (const target of rule.targets) this.schedule(record, ref, target, false);
    }
    this.log.emit({ type: 'event', record: clone(record) });
  }

  private schedule(record: EventLogRecord, rule: RuleRef, target: Target, duplicate: boolean): void {
    const { maxAttempts } = retryPolicyOf(target, this.retry.maxRetries);
    let input: unknown;
    let inputError: string | undefined;
    try {
      input = targetInput(target, record.event, rule);
    } catch (err) {
      inputError = err instanceof Error ? err.message : String(err);
    }
    const delivery: DeliveryRecord = {
      deliveryId: randomUUID(),
      eventId: record.eventId,
      ruleName: rule.name,
      ruleArn: rule.arn,
      targetId: target.Id,
      targetArn: target.Arn,
      status: 'pending',
      attempts: 0,
      maxAttempts,
      duplicate,
      input,
    };
    record.deliveries.push(delivery);
    this.pending++;
    const job: DeliveryJob = { delivery, target: clone(target), event: record.event, rule, input, delayMs: 0, acceptedAt: this.now().getTime() };
    if (inputError !== undefined) {
      queueMicrotask(() => void this.fail(job, { code: 'INVALID_JSON', message: `Input could not be built: ${inputError}`, retryable: false }));
      return;
    }
    if (this.faults.enabled && !this.stopped) {
      if (!duplicate && this.faults.duplicate()) this.schedule(record, rule, target, true);
      const delayMs = this.faults.delay();
      if (delayMs !== undefined) {
        job.delayMs = delayMs;
        delivery.delayedMs = job.delayMs;
      }
      const reorderWindowMs = this.faults.reorderWindowMs;
      if (reorderWindowMs !== undefined) {
        this.reorderBuffer.push(job);
        this.reorderTimer ??= setTimeout(() => this.flushReorderBuffer(), reorderWindowMs);
        return;
      }
    }
    this.launch(job);
  }

  private flushReorderBuffer(): void {
    this.reorderTimer = undefined;
    const batch = this.reorderBuffer;
    this.reorderBuffer = [];
    for (const job of this.faults.shuffle(batch)) this.launch(job);
  }

  private launch(job: DeliveryJob): void {
    if (job.delayMs > 0 && !this.stopped) {
      this.setStatus(job, 'delayed');
      this.later(job, job.delayMs);
    } else {
      // After the PutEvents response is on its way.
      setImmediate(() => void this.attempt(job));
    }
  }

  private later(job: DeliveryJob, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(job);
    }, ms);
    this.timers.set(timer, [job]);
  }

  private async attempt(job: DeliveryJob): Promise<void> {
    const { delivery } = job;
    const { maxEventAgeMs } = retryPolicyOf(job.target, this.retry.maxRetries);
    const tooOld = () => this.now().getTime() - job.acceptedAt >= maxEventAgeMs;
    // A retry that comes due after MaximumEventAgeInSeconds is not made.
    if (job.lastFailure && tooOld()) return void this.fail(job, job.lastFailure, 'MaximumEventAgeInSeconds');
    delivery.attempts++;
    this.metrics.add(job.rule.arn, 'InvocationAttempts');
    if (delivery.attempts > 1) this.metrics.add(job.rule.arn, 'RetryInvocationAttempts');
    this.setStatus(job, 'in-flight');
    try {
      await this.invoker(
        clone(job.target),
        clone(job.event),
        { ...job.rule },
        {
          input: clone(job.input),
          attempt: delivery.attempts,
          maxAttempts: delivery.maxAttempts,
          deliveryId: delivery.deliveryId,
          duplicate: delivery.duplicate,
        },
      );
      this.metrics.add(job.rule.arn, 'SuccessfulInvocationAttempts');
      this.metrics.add(job.rule.arn, 'Invocations');
      this.finish(job, 'delivered');
    } catch (err) {
      const failure = classifyFailure(err);
      job.lastFailure = failure;
      delivery.errorCode = failure.code;
      if (!failure.retryable) return void this.fail(job, failure);
      if (this.stopped) return this.finish(job, 'failed', failure.message);
      if (delivery.attempts >= delivery.maxAttempts) return void this.fail(job, failure, 'MaximumRetryAttempts');
      if (tooOld()) return void this.fail(job, failure, 'MaximumEventAgeInSeconds');
      delivery.error = failure.message;
      this.setStatus(job, 'retrying');
      this.later(job, Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (delivery.attempts - 1)));
    }
  }

  /**
   * A delivery that failed for good: counted in FailedInvocations and, when the target has a
   * DeadLetterConfig, sent to its queue with the attributes EventBridge sets.
   */
  private async fail(job: DeliveryJob, failure: DeliveryFailure, exhausted?: ExhaustedRetryCondition): Promise<void> {
    const { delivery } = job;
    delivery.errorCode = failure.code;
    if (exhausted) delivery.exhaustedRetryCondition = exhausted;
    this.metrics.add(job.rule.arn, 'Invocations');
    this.metrics.add(job.rule.arn, 'FailedInvocations');
    const queueArn = job.target.DeadLetterConfig?.Arn;
    if (queueArn) {
      const message = deadLetterMessage(queueArn, job.rule.arn, job.target, job.event, failure, delivery.attempts, exhausted, this.now());
      try {
        await this.sendToDeadLetterQueue(message);
        delivery.deadLetter = 'sent';
        this.metrics.add(job.rule.arn, 'InvocationsSentToDlq');
      } catch {
        delivery.deadLetter = 'failed';
        this.metrics.add(job.rule.arn, 'InvocationsFailedToBeSentToDlq');
      }
    }
    this.finish(job, 'failed', failure.message);
  }

  private setStatus(job: DeliveryJob, status: DeliveryStatus): void {
    job.delivery.status = status;
    this.log.emit({ type: 'delivery', eventId: job.delivery.eventId, delivery: clone(job.delivery) });
  }

  private finish(job: DeliveryJob, status: 'delivered' | 'failed', error?: string): void {
    if (job.delivery.status === 'delivered' || job.delivery.status === 'failed') return;
    if (error !== undefined) job.delivery.error = error;
    job.delivery.finishedAt = new Date().toISOString();
    this.setStatus(job, status);
    this.pending--;
    if (this.pending === 0) this.checkIdle();
  }

  private checkIdle(): void {
    if (this.idleCheckScheduled) return;
    this.idleCheckScheduled = true;
    // A macrotask later, so work started by the last delivery has a chance to register.
    setImmediate(() => {
      this.idleCheckScheduled = false;
      if (this.pending !== 0) return;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    });
  }

  /** Resolves when no delivery is pending (including retries and injected delays). */
  waitForIdle(timeoutMs = 30_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        reject(new Error(`EventBridge model still has ${this.pending} pending deliveries after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
      this.checkIdle();
    });
  }

  /** Deliveries not yet delivered or failed. */
  get pendingDeliveries(): number {
    return this.pending;
  }

  /** The rule's AWS/Events metrics (FailedInvocations, InvocationsSentToDlq, …) since the model started. */
  ruleMetrics(ruleArn: string): RuleMetrics {
    return this.metrics.get(ruleArn);
  }

  /** Resolves with the rule's metrics once `metric` reaches `atLeast` (e.g. FailedInvocations ≥ 1). */
  waitForMetric(ruleArn: string, metric: RuleMetricName, atLeast = 1, timeoutMs = 30_000): Promise<RuleMetrics> {
    return this.metrics.waitFor(ruleArn, metric, atLeast, timeoutMs);
  }

  /** Messages sent to dead-letter queues (when no sendToDeadLetterQueue option is given), oldest first. */
  deadLetterMessages(queueArn?: string): DeadLetterMessage[] {
    return clone(queueArn === undefined ? this.deadLetters : this.deadLetters.filter((m) => m.queueArn === queueArn));
  }

  /** Faults injected so far (duplicates + delays + reordered deliveries). */
  get faultsInjected(): number {
    return this.faults.injected;
  }

  get faultsByKind(): { duplicates: number; delays: number; reorders: number } {
    return this.faults.byKind;
  }
}

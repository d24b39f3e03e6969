/**
 * What EventBridge does when a target invocation fails: which errors it retries, the
 * target's RetryPolicy, the dead-letter message, and the per-rule CloudWatch metrics.
 */
import type { EventBridgeEvent, Target } from './types.js';

/** RetryPolicy defaults of a rule target: "retries sending the event for 24 hours and up to 185 times". */
export const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86_400;

/** The ERROR_CODE values the dead-letter-queue page lists (those the local cloud can produce). */
export type DeliveryErrorCode =
  | 'CONNECTION_FAILURE'
  | 'ERROR_FROM_TARGET'
  | 'INTERNAL_ERROR'
  | 'INVALID_JSON'
  | 'INVALID_PARAMETER'
  | 'NO_PERMISSIONS'
  | 'NO_RESOURCE'
  | 'RESOURCE_LIMIT_EXCEEDED'
  | 'SDK_CLIENT_ERROR'
  | 'THROTTLING'
  | 'TIMEOUT'
  | 'UNKNOWN';

export interface DeliveryFailure {
  code: DeliveryErrorCode;
  /** `<name>: <message>` of the error, as the event log shows it. */
  message: string;
  retryable: boolean;
}

export type ExhaustedRetryCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

/**
 * "For errors that result from missing permissions to a target, a target resource that no
 * longer exists, or a target that cannot be found due to an invalid address or DNS lookup
 * failure, no retry attempts will happen" (dead-letter-queue page).
 */
const NOT_RETRIED = new Set<DeliveryErrorCode>(['NO_PERMISSIONS', 'NO_RESOURCE', 'CONNECTION_FAILURE', 'INVALID_JSON', 'INVALID_PARAMETER']);

function field(err: unknown, key: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[key] : undefined;
}

function errorNames(err: unknown): string[] {
  return ['code', 'name', '__type', 'errorType']
    .map((k) => field(err, k))
    .filter((v): v is string => typeof v === 'string')
    .map((name) => name.replace(/^Lambda\./, '').replace(/^.*#/, ''));
}

function codeOf(names: string[], status: unknown): DeliveryErrorCode {
  const any = (re: RegExp) => names.some((n) => re.test(n));
  if (any(/AccessDenied|NotAuthorized|Unauthorized|AuthorizationError|Forbidden|InvalidSignature|UnrecognizedClient/i) || status === 403) return 'NO_PERMISSIONS';
  if (any(/NotFound|DoesNotExist|NonExistent|NoSuch/i) || status === 404) return 'NO_RESOURCE';
  if (any(/Throttl|TooManyRequests|RateExceeded|SlowDown/i) || status === 429) return 'THROTTLING';
  if (any(/Timeout|TimedOut|ETIMEDOUT/i)) return 'TIMEOUT';
  if (any(/ENOTFOUND|EAI_AGAIN|ECONNREFUSED/)) return 'CONNECTION_FAILURE';
  if (any(/LimitExceeded/i)) return 'RESOURCE_LIMIT_EXCEEDED';
  if (any(/ServiceException|InternalFailure|InternalError|InternalServerError|ServiceUnavailable/i) || (typeof status === 'number' && status >= 500)) return 'INTERNAL_ERROR';
  return names.length > 0 ? 'ERROR_FROM_TARGET' : 'UNKNOWN';
}

/**
 * Classifies what `invokeTarget` threw by its AWS error name (`code`, `name`, `__type` or
 * Lambda's `errorType`) and HTTP status. `retryable: true|false` on the error overrides
 * the classification's retry decision.
 */
export function classifyFailure(err: unknown): DeliveryFailure {
  const names = errorNames(err);
  const code = codeOf(names, field(err, 'status') ?? field(err, 'statusCode'));
  const explicit = field(err, 'retryable');
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { code, message, retryable: typeof explicit === 'boolean' ? explicit : !NOT_RETRIED.has(code) };
}

/** The target's RetryPolicy, with EventBridge's defaults (or the local `maxRetries` when given). */
export function retryPolicyOf(target: Target, localMaxRetries?: number): { maxAttempts: number; maxEventAgeMs: number } {
  const retries = target.RetryPolicy?.MaximumRetryAttempts ?? localMaxRetries ?? DEFAULT_MAXIMUM_RETRY_ATTEMPTS;
  const age = target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS;
  return { maxAttempts: 1 + Math.max(0, retries), maxEventAgeMs: age * 1000 };
}

/** PutTargets constraints on RetryPolicy (API reference: 0–185 attempts, 60–86,400 seconds). */
export function retryPolicyProblem(policy: unknown, index: number): string | undefined {
  if (policy === undefined || policy === null) return undefined;
  if (typeof policy !== 'object' || Array.isArray(policy)) return 'RetryPolicy must be an object.';
  const p = policy as Record<string, unknown>;
  const check = (key: string, member: string, min: number, max: number): string | undefined => {
    const v = p[key];
    if (v === undefined || v === null) return undefined;
    const at = `at 'targets.${index + 1}.member.retryPolicy.${member}'`;
    if (typeof v !== 'number' || !Number.isInteger(v)) return `1 validation error detected: Value '${String(v)}' ${at} failed to satisfy constraint: Member must be an integer`;
    if (v < min) return `1 validation error detected: Value '${v}' ${at} failed to satisfy constraint: Member must have value greater than or equal to ${min}`;
    if (v > max) return `1 validation error detected: Value '${v}' ${at} failed to satisfy constraint: Member must have value less than or equal to ${max}`;
    return undefined;
  };
  return (
    check('MaximumRetryAttempts', 'maximumRetryAttempts', 0, DEFAULT_MAXIMUM_RETRY_ATTEMPTS) ?? check('MaximumEventAgeInSeconds', 'maximumEventAgeInSeconds', 60, DEFAULT_MAXIMUM_EVENT_AGE_SECONDS)
  );
}

/**
 * A message EventBridge sends to a target's dead-letter queue: the event as the body, and
 * the custom attributes the dead-letter-queue page lists.
 */
export interface DeadLetterMessage {
  queueArn: string;
  body: string;
  attributes: {
    RULE_ARN: string;
    TARGET_ARN: string;
    ERROR_CODE: DeliveryErrorCode;
    ERROR_MESSAGE: string;
    /** Only when the retries ran out. */
    EXHAUSTED_RETRY_CONDITION?: ExhaustedRetryCondition;
    RETRY_ATTEMPTS: string;
  };
  sentAt: string;
}

export function deadLetterMessage(
  queueArn: string,
  ruleArn: string,
  target: Target,
  event: EventBridgeEvent,
  failure: DeliveryFailure,
  attempts: number,
  exhausted: ExhaustedRetryCondition | undefined,
  sentAt: Date,
): DeadLetterMessage {
  return {
    queueArn,
    body: JSON.stringify(event),
    attributes: {
      RULE_ARN: ruleArn,
      TARGET_ARN: target.Arn,
      ERROR_CODE: failure.code,
      ERROR_MESSAGE: failure.message,
      ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: exhausted } : {}),
      RETRY_ATTEMPTS: String(Math.max(0, attempts - 1)),
    },
    sentAt: sentAt.toISOString(),
  };
}

/** The AWS/Events metrics of one rule (CloudWatch names), counted since the model started. */
export interface RuleMetrics {
  /** Events that matched the rule. */
  TriggeredRules: number;
  /** Calls to a target, first attempts and retries. */
  InvocationAttempts: number;
  SuccessfulInvocationAttempts: number;
  RetryInvocationAttempts: number;
  /** Deliveries that ended, delivered or failed for good. */
  Invocations: number;
  /** Deliveries that failed for good (not retried any more), dead-lettered or not. */
  FailedInvocations: number;
  InvocationsSentToDlq: number;
  InvocationsFailedToBeSentToDlq: number;
}

export type RuleMetricName = keyof RuleMetrics;

const ZERO: RuleMetrics = {
  TriggeredRules: 0,
  InvocationAttempts: 0,
  SuccessfulInvocationAttempts: 0,
  RetryInvocationAttempts: 0,
  Invocations: 0,
  FailedInvocations: 0,
  InvocationsSentToDlq: 0,
  InvocationsFailedToBeSentToDlq: 0,
};

/** Per-rule counters that a test can wait on. */
export class DeliveryMetrics {
  private readonly byRule = new Map<string, RuleMetrics>();
  private waiters: Array<{ ruleArn: string; metric: RuleMetricName; atLeast: number; resolve: () => void }> = [];

  add(ruleArn: string, metric: RuleMetricName, n = 1): void {
    const m = this.byRule.get(ruleArn) ?? { ...ZERO };
    m[metric] += n;
    this.byRule.set(ruleArn, m);
    const ready = this.waiters.filter((w) => w.ruleArn === ruleArn && w.metric === metric && m[metric] >= w.atLeast);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  get(ruleArn: string): RuleMetrics {
    return { ...(this.byRule.get(ruleArn) ?? ZERO) };
  }

  /** Resolves once the rule's metric reaches `atLeast`; rejects after `timeoutMs`. */
  waitFor(ruleArn: string, metric: RuleMetricName, atLeast: number, timeoutMs: number): Promise<RuleMetrics> {
    if (this.get(ruleArn)[metric] >= atLeast) return Promise.resolve(this.get(ruleArn));
    return new Promise((resolve, reject) => {
      const waiter = {
        ruleArn,
        metric,
        atLeast,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.get(ruleArn));
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${metric} of ${ruleArn} is ${this.get(ruleArn)[metric]} after ${timeoutMs} ms, expected at least ${atLeast}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

/**
 * The EventBridge shapes the model shares with its callers: call context, targets, events,
 * rule references, bus policies and PutEvents entries, in the API's own field names.
 */

export interface CallContext {
  /** The caller's account (for PutEvents: the sender). */
  account: string;
  region: string;
}

/** A rule target, in the API's shape. Extra service-specific parameters are kept as given. */
export interface Target {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  [parameter: string]: unknown;
}

/** The event as EventBridge delivers it to targets. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  /** The account that sent the event (PutEvents caller), never the bus owner's when they differ. */
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** The rule a delivery comes from. */
export interface RuleRef {
  account: string;
  region: string;
  busName: string;
  name: string;
  arn: string;
}

export interface DeliveryContext {
  /** What the target receives: the event, or the result of Input / InputPath / InputTransformer. */
  input: unknown;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  deliveryId: string;
  /** True for a copy injected by the duplicate-delivery fault. */
  duplicate: boolean;
}

/**
 * Delivers one event to one target. Resolve when delivered; throw (or reject) to fail the
 * attempt. Errors are classified by their AWS name (see delivery.ts): permission and
 * missing-resource errors are not retried, others are, per the target's RetryPolicy;
 * `retryable: true|false` on the error decides instead.
 */
export type InvokeTarget = (target: Target, event: EventBridgeEvent, rule: RuleRef, context: DeliveryContext) => unknown;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: Date | number | string;
  TraceHeader?: string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

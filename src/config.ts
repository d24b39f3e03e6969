import { MAX_SLICE_SIZE } from './batch/plan.js';
import { parseRateLimits } from './ratebudget.js';

/**
 * Configuration read from the function's environment. Getters throw with the
 * variable's name, so a missing setting fails loudly at first use instead of
 * as an `undefined` deep inside a step.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new ConfigurationError(`Missing required environment variable ${name}`);
  return value;
}

function optionalInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConfigurationError(`Environment variable ${name} must be a number, got "${raw}"`);
  return n;
}

function optional(name: string): string | undefined {
  return process.env[name] || undefined;
}

function positiveInt(name: string, fallback: number): number {
  const n = optionalInt(name, fallback);
  if (!Number.isInteger(n) || n < 1) throw new ConfigurationError(`Environment variable ${name} must be a whole number of at least 1, got "${process.env[name]}"`);
  return n;
}

function list(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export const DEFAULT_TIMEOUT_SECONDS = 7 * 24 * 3600;
export const MIN_TIMEOUT_SECONDS = 60;
/** A Standard execution runs at most one year; past it the execution ends TIMED_OUT, and no Catch applies. */
export const EXECUTION_MAX_SECONDS = 365 * 24 * 3600;
/**
 * 360 days: the wait ends five days inside the one-year execution cap, so the
 * preparation steps before it (with their retries) and the cancel and restore
 * after an expiry still run in the same execution.
 */
export const MAX_TIMEOUT_SECONDS = 360 * 24 * 3600;

/** A timeout setting: whole seconds from `floor` to MAX_TIMEOUT_SECONDS, or the stack is misconfigured. */
function timeoutSetting(name: string, fallback: number, floor: number): number {
  const n = optionalInt(name, fallback);
  if (!Number.isInteger(n) || n < floor || n > MAX_TIMEOUT_SECONDS) {
    throw new ConfigurationError(`Environment variable ${name} must be whole seconds from ${floor} to ${MAX_TIMEOUT_SECONDS}, got "${process.env[name]}"`);
  }
  return n;
}

export const config = {
  /** The service name every log line and metric carries (Powertools' POWERTOOLS_SERVICE_NAME). */
  get serviceName(): string {
    return process.env.POWERTOOLS_SERVICE_NAME || 'certificate-transfer';
  },
  get region(): string {
    return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  },
  /** This stack's own account (CloudFormation `AWS::AccountId`). */
  get accountId(): string {
    return required('ACCOUNT_ID');
  },
  get tableName(): string {
    return required('TABLE_NAME');
  },
  /** The stack's own bus (name): `certificate-transfer-<stage>`, `certificate-transfer-target-<stage>` in a kit. */
  get eventBusName(): string {
    return required('EVENT_BUS_NAME');
  },
  /** Name of the bus the peer accounts run (the kits' for the source, the source's for a kit); events go to it by ARN. */
  get peerBusName(): string {
    return required('PEER_BUS_NAME');
  },
  get stateMachineArn(): string {
    return required('STATE_MACHINE_ARN');
  },
  /** The transfer-batch state machine (POST /transfer-batches starts it). */
  get batchStateMachineArn(): string {
    return required('BATCH_STATE_MACHINE_ARN');
  },
  /** The one endpoint every SDK client is pointed at (the local cloud sets it; on AWS it is unset). */
  get awsEndpointUrl(): string | undefined {
    return optional('AWS_ENDPOINT_URL');
  },
  /** The stack's bucket for batch manifests (`POST /transfer-batches {manifest}`); unset, manifests are refused. */
  get manifestBucket(): string | undefined {
    return optional('MANIFEST_BUCKET');
  },
  get allowedTargetAccounts(): string[] {
    return list('ALLOWED_TARGET_ACCOUNTS');
  },
  /** 60 s by contract; a stack deployed with `--param minTimeoutSeconds=5` (tests, a demo) lets an offer expire quickly. */
  get minTimeoutSeconds(): number {
    return timeoutSetting('MIN_TIMEOUT_SECONDS', MIN_TIMEOUT_SECONDS, 1);
  },
  get defaultTimeoutSeconds(): number {
    return timeoutSetting('DEFAULT_TIMEOUT_SECONDS', DEFAULT_TIMEOUT_SECONDS, this.minTimeoutSeconds);
  },
  /** Attempts the IoT client makes per call, first included (SDK retries of network faults and throttles). */
  get iotMaxAttempts(): number {
    return positiveInt('IOT_MAX_ATTEMPTS', 4);
  },
  /** The table holding the deployment-wide IoT rate budget; unset in a function that does not pace its IoT calls. */
  get rateBudgetTable(): string | undefined {
    return optional('RATE_BUDGET_TABLE');
  },
  /** Calls per second per IoT operation (`Operation=tps,…` over the AWS defaults; `off`: no budget). */
  get iotRateLimits(): Record<string, number> | undefined {
    return parseRateLimits(process.env.IOT_RATE_LIMITS);
  },
  /** Longest an IoT call waits for a slot of the rate budget before it fails as throttled. */
  get rateBudgetMaxWaitMs(): number {
    return positiveInt('RATE_BUDGET_MAX_WAIT_MS', 20_000);
  },
  /** The reconciler's schedule expression, as deployed (doctor shows it). */
  get reconcilerSchedule(): string | undefined {
    return optional('RECONCILER_SCHEDULE');
  },
  /** Calls per second the reconciler may spend on DescribeCertificate. */
  get reconcilerDescribeRate(): number {
    return optionalInt('RECONCILER_DESCRIBE_TPS', 2);
  },
  /** Offers younger than this are left to the event path: the reconciler only looks at older ones. */
  get reconcilerGraceSeconds(): number {
    return optionalInt('RECONCILER_GRACE_SECONDS', 30);
  },
  /** How long Restore waits, after a step was killed at its timeout, for IoT calls it left in flight to land before it looks again. */
  get lateCallGraceSeconds(): number {
    return optionalInt('LATE_CALL_GRACE_SECONDS', 10);
  },
  get reconcilerMaxPerRun(): number {
    return optionalInt('RECONCILER_MAX_PER_RUN', 500);
  },
  /** Certificates per child execution of a batch, at most (src/batch/plan.ts bounds it by the history quota). */
  get batchSliceSize(): number {
    const n = optionalInt('BATCH_SLICE_SIZE', MAX_SLICE_SIZE);
    if (!Number.isInteger(n) || n < 1 || n > MAX_SLICE_SIZE)
      throw new ConfigurationError(`Environment variable BATCH_SLICE_SIZE must be a whole number from 1 to ${MAX_SLICE_SIZE}, got "${process.env.BATCH_SLICE_SIZE}"`);
    return n;
  },
};

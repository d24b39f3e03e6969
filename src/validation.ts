import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { defaultConcurrency } from './concurrency.js';
import { once } from './once.js';
import { config, DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS } from './config.js';
import { AWS_DEFAULT_IOT_TPS } from './ratebudget.js';
import { TargetNotAllowed, ValidationError } from './errors.js';
import { ACCOUNT_ID_PATTERN, CERTIFICATE_ID_PATTERN, UUID_PATTERN } from './ids.js';
import { FINAL_STATUSES, OPEN_STATUSES, type TransferRequest, type TransferStatus } from './types.js';
import type { ListQuery } from './listing.js';

/** The body of `POST /transfers` and the detail of a Requested event (contract). */
export interface TransferRequestBody {
  certificateId: string;
  targetAccount: string;
  transferMessage?: string;
  timeoutSeconds?: number;
  restoreOnFailure?: boolean;
  requestId?: string;
}

/** Field definitions the request schemas share, so a field means the same in every request. */
const FIELD = {
  certificateId: { type: 'string', pattern: CERTIFICATE_ID_PATTERN, description: 'The certificate id: 64 hexadecimal characters (the last part of its ARN)' },
  targetAccount: { type: 'string', pattern: ACCOUNT_ID_PATTERN, description: 'The AWS account to receive the certificate: 12 digits, on the allow-list' },
  transferMessage: { type: 'string', maxLength: 128, nullable: true, description: 'Shown to the target account; at most 128 characters' },
  timeoutSeconds: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_TIMEOUT_SECONDS,
    nullable: true,
    description: `How long the target has to decide, in seconds: from the deployment's minimum (60 unless configured) to ${MAX_TIMEOUT_SECONDS} (360 days, inside the one-year execution cap); default ${DEFAULT_TIMEOUT_SECONDS} (7 days)`,
  },
  restoreOnFailure: { type: 'boolean', nullable: true, description: 'Re-attach and re-activate the certificate when the transfer does not complete; default true' },
  requestId: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$', nullable: true, description: 'Caller reference echoed in the Completed event' },
} as const;

export const transferRequestSchema: JSONSchemaType<TransferRequestBody> = {
  type: 'object',
  additionalProperties: false,
  required: ['certificateId', 'targetAccount'],
  properties: {
    certificateId: FIELD.certificateId,
    targetAccount: FIELD.targetAccount,
    transferMessage: FIELD.transferMessage,
    timeoutSeconds: FIELD.timeoutSeconds,
    restoreOnFailure: FIELD.restoreOnFailure,
    requestId: FIELD.requestId,
  },
};

// Validators compile on first use, not at import: each function compiles only the schemas it checks.
const ajv = once(() => new Ajv({ allErrors: false, strict: true }));

/** Checks `input` against the schema `validator()` compiles (on its first use); the first error is a 400 naming its field by `rules`. */
function checkSchema<T>(validator: () => ValidateFunction<T>, input: unknown, rules?: Record<string, string>): asserts input is T {
  const validate = validator();
  if (!validate(input)) throw describeSchemaError(validate.errors![0], rules);
}
const validateBody = once(() => ajv().compile(transferRequestSchema));

const RULES: Record<string, string> = {
  certificateId: 'must be 64 hexadecimal characters',
  targetAccount: 'must be a 12-digit AWS account id',
  transferMessage: 'must be a string of at most 128 characters',
  // The floor is the deployment's (minTimeoutSeconds): read when a request is checked, not at import.
  get timeoutSeconds() {
    return `must be an integer from ${config.minTimeoutSeconds} to ${MAX_TIMEOUT_SECONDS} (seconds; at most 360 days)`;
  },
  restoreOnFailure: 'must be true or false',
  requestId: 'must be at most 128 letters, digits, or . _ : -',
};

/** Turns the first schema error into a message that names the field (`filter.status`, `certificateIds[3]` for nested ones). */
export function describeSchemaError(e: ErrorObject, rules: Record<string, string> = RULES): ValidationError {
  const segments = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  // `field` names a property (dotted when nested); `label` also shows the array position.
  const field = segments.filter((p) => !/^\d+$/.test(p)).join('.');
  const label = segments.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  const ruleKey = segments
    .map((p) => (/^\d+$/.test(p) ? '[]' : p))
    .join('.')
    .replace(/\.\[\]/g, '[]');
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const name = field ? `${field}.${missing}` : missing;
    return new ValidationError(name, `${name} is required`);
  }
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const name = field ? `${field}.${extra}` : extra;
    return new ValidationError(name, `${name} is not a known field`);
  }
  if (!field) return new ValidationError('body', 'The body must be a JSON object');
  return new ValidationError(field, `${label} ${rules[ruleKey] ?? rules[field] ?? e.message ?? 'is invalid'}`);
}

/** Parses a JSON body; an empty or malformed body is a 400 naming `body`. */
export function parseJsonBody(body: string | null | undefined, isBase64 = false): unknown {
  if (body === null || body === undefined || body === '') throw new ValidationError('body', 'The request body is required and must be a JSON object');
  const text = isBase64 ? Buffer.from(body, 'base64').toString('utf8') : body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      // Keys that could reach an object's prototype are refused outright.
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new ValidationError(key, `${key} is not a known field`);
      return value;
    }) as unknown;
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError('body', 'The request body is not valid JSON');
  }
  return parsed;
}

/**
 * The deployment's rules every way of starting a transfer shares (API, trigger
 * event, batch): the minimum timeout, never the own account, the allow-list.
 * Throws `ValidationError` (400) or `TargetNotAllowed` (403).
 */
export function checkTransferRules(body: { targetAccount: string; timeoutSeconds?: number | null }, sourceAccount = config.accountId): void {
  if (body.timeoutSeconds !== undefined && body.timeoutSeconds !== null && body.timeoutSeconds < config.minTimeoutSeconds) {
    throw new ValidationError('timeoutSeconds', `timeoutSeconds ${RULES.timeoutSeconds}`);
  }
  if (body.targetAccount === sourceAccount) {
    throw new ValidationError('targetAccount', 'targetAccount must differ from the source account: a certificate cannot be transferred to the account that owns it');
  }
  if (!config.allowedTargetAccounts.includes(body.targetAccount)) {
    throw new TargetNotAllowed(`targetAccount ${body.targetAccount} is not on this deployment's allow-list (ALLOWED_TARGET_ACCOUNTS)`);
  }
}

/**
 * Validates a transfer request against the schema and the deployment's rules
 * (allow-list, own account). Throws `ValidationError` (400) or
 * `TargetNotAllowed` (403); never touches IoT.
 */
export function validateTransferRequest(input: unknown, sourceAccount = config.accountId): TransferRequest & { requestId?: string } {
  checkSchema(validateBody, input);
  const body = input;
  checkTransferRules(body, sourceAccount);
  return {
    certificateId: body.certificateId.toLowerCase(),
    targetAccount: body.targetAccount,
    transferMessage: body.transferMessage ?? undefined,
    timeoutSeconds: body.timeoutSeconds ?? config.defaultTimeoutSeconds,
    restoreOnFailure: body.restoreOnFailure ?? true,
    requestId: body.requestId ?? undefined,
  };
}

// ───────────── GET /transfers query ─────────────

/** Query parameters of `GET /transfers` (contract). */
export type ListQueryParams = ListQuery;

const TRANSFER_STATUSES: TransferStatus[] = [...OPEN_STATUSES, ...FINAL_STATUSES];

export const listQuerySchema: JSONSchemaType<ListQueryParams> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: TRANSFER_STATUSES, nullable: true, description: 'Only transfers in this status' },
    certificateId: { ...FIELD.certificateId, nullable: true, description: 'Only transfers of this certificate' },
    targetAccount: { ...FIELD.targetAccount, nullable: true, description: 'Only transfers to this account' },
    batchId: { type: 'string', pattern: UUID_PATTERN, nullable: true, description: 'Only the transfers of this batch' },
    limit: { type: 'integer', minimum: 1, maximum: 100, nullable: true, description: 'Page size, 1 to 100 (default 50); a filtered page may hold fewer' },
    nextToken: { type: 'string', minLength: 1, maxLength: 4096, nullable: true, description: 'The nextToken of the previous page, with the same filters' },
  },
};

const QUERY_RULES: Record<string, string> = {
  status: `must be one of ${TRANSFER_STATUSES.join(', ')}`,
  certificateId: RULES.certificateId,
  targetAccount: RULES.targetAccount,
  batchId: 'must be a batch id (a lowercase UUID)',
  limit: 'must be an integer from 1 to 100',
  nextToken: 'must be the nextToken of a previous page',
};

// Query strings are strings: this instance turns `limit=20` into 20 before checking.
const validateQuery = once(() => new Ajv({ allErrors: false, strict: true, coerceTypes: true }).compile(listQuerySchema));

/** Validates `GET /transfers` query parameters; a bad or unknown one is a 400 naming it. */
export function validateListQuery(query: Record<string, string | undefined> | null | undefined): ListQueryParams {
  const params: Record<string, unknown> = { ...(query ?? {}) };
  checkSchema(validateQuery, params, QUERY_RULES);
  const q = params as ListQueryParams;
  return { ...q, certificateId: q.certificateId?.toLowerCase() };
}

// ───────────── POST /transfer-batches ─────────────

/** 1,000 slices of 100 (src/batch/plan.ts): the most one batch holds, by `filter`. */
export const MAX_BATCH_SIZE = 100_000;
/**
 * The most `certificateIds` one request body carries: the API's Lambda takes at most 6 MB of
 * event (the body escaped inside it, about 69 bytes per id, plus the headers), so 85,000 ids
 * (5.9 MB) leave room; a larger fleet goes in several batches or by `filter`.
 */
export const MAX_BATCH_BODY_IDS = 85_000;
/** An inline Map runs at most 40 iterations at once. */
export const MAX_BATCH_CONCURRENCY = 100;
/**
 * Transfers in flight per batch when the request names none: derived from the IoT quotas the
 * stack is configured with (`iotRateLimits`), to keep their throughput busy (src/concurrency.ts:
 * 45 at AWS default quotas; more when they are raised, up to the maximum).
 */
export const defaultBatchConcurrency = (limits: Readonly<Record<string, number>> = config.iotRateLimits ?? AWS_DEFAULT_IOT_TPS): number => defaultConcurrency(limits, MAX_BATCH_CONCURRENCY);

/** Selects certificates of this account instead of listing them (ListCertificates). */
export interface BatchFilter {
  status?: 'ACTIVE' | 'INACTIVE';
  createdAfter?: string;
  createdBefore?: string;
  limit?: number;
}

/** An object in the stack's manifest bucket that lists the certificate ids (the CLI's file format). */
export interface BatchManifest {
  /** Defaults to, and must be, the stack's manifest bucket. */
  bucket?: string;
  key: string;
}

/** The body of `POST /transfer-batches` (contract). */
export interface BatchRequestBody {
  certificateIds?: string[];
  filter?: BatchFilter;
  manifest?: BatchManifest;
  targetAccount: string;
  transferMessage?: string;
  timeoutSeconds?: number;
  restoreOnFailure?: boolean;
  maxConcurrency?: number;
  requestId?: string;
}

export const batchRequestSchema: JSONSchemaType<BatchRequestBody> = {
  type: 'object',
  additionalProperties: false,
  required: ['targetAccount'],
  properties: {
    certificateIds: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH_BODY_IDS,
      nullable: true,
      items: { type: 'string', pattern: FIELD.certificateId.pattern },
      description: `The certificates to transfer, 1 to ${MAX_BATCH_BODY_IDS} (what fits in the API's 6 MB Lambda event), each once; or give filter or manifest (up to ${MAX_BATCH_SIZE})`,
    },
    manifest: {
      type: 'object',
      additionalProperties: false,
      nullable: true,
      required: ['key'],
      description: `An object in the stack's manifest bucket (output ManifestBucketName) listing up to ${MAX_BATCH_SIZE} certificate ids, one or more a line, # for comments; or give certificateIds or filter`,
      properties: {
        bucket: { type: 'string', minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]*[a-z0-9]$', nullable: true, description: "The stack's manifest bucket (the default; no other is read)" },
        key: { type: 'string', minLength: 1, maxLength: 1024, description: 'The object key' },
      },
    },
    filter: {
      type: 'object',
      additionalProperties: false,
      nullable: true,
      description: "Select this account's certificates instead (ListCertificates, oldest first); or give certificateIds",
      properties: {
        status: { type: 'string', enum: ['ACTIVE', 'INACTIVE'], nullable: true, description: 'Only certificates in this status (default: both)' },
        createdAfter: { type: 'string', format: 'date-time', nullable: true, description: 'Only certificates created at or after this time' },
        createdBefore: { type: 'string', format: 'date-time', nullable: true, description: 'Only certificates created before this time' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_BATCH_SIZE, nullable: true, description: `At most this many (default and maximum ${MAX_BATCH_SIZE})` },
      },
    },
    targetAccount: FIELD.targetAccount,
    transferMessage: FIELD.transferMessage,
    timeoutSeconds: FIELD.timeoutSeconds,
    restoreOnFailure: FIELD.restoreOnFailure,
    maxConcurrency: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_BATCH_CONCURRENCY,
      nullable: true,
      description: `Transfers in flight at once, 1 to ${MAX_BATCH_CONCURRENCY} (default: derived from the IoT quotas, ${defaultBatchConcurrency(AWS_DEFAULT_IOT_TPS)} at AWS defaults)`,
    },
    requestId: FIELD.requestId,
  },
};

const BATCH_RULES: Record<string, string> = {
  ...RULES,
  // Spreading read the getter once; keep it live like RULES'.
  get timeoutSeconds() {
    return RULES.timeoutSeconds;
  },
  certificateIds: `must be a list of 1 to ${MAX_BATCH_BODY_IDS} certificate ids (more: several batches, or a filter of up to ${MAX_BATCH_SIZE})`,
  'certificateIds[]': RULES.certificateId,
  filter: 'must be an object with status, createdAfter, createdBefore or limit',
  'filter.status': 'must be ACTIVE or INACTIVE',
  'filter.createdAfter': 'must be a date-time like 2026-01-31T00:00:00Z',
  'filter.createdBefore': 'must be a date-time like 2026-01-31T00:00:00Z',
  'filter.limit': `must be an integer from 1 to ${MAX_BATCH_SIZE}`,
  manifest: 'must be an object with key (and bucket)',
  'manifest.bucket': 'must be a bucket name: 3 to 63 lowercase letters, digits, dots or hyphens',
  'manifest.key': 'must be an object key of 1 to 1024 characters',
  maxConcurrency: `must be an integer from 1 to ${MAX_BATCH_CONCURRENCY}`,
};

const validateBatchBody = once(() => {
  const batchAjv = new Ajv({ allErrors: false, strict: true });
  (addFormats as unknown as (a: Ajv, formats: string[]) => void)(batchAjv, ['date-time']);
  return batchAjv.compile(batchRequestSchema);
});

/** A validated batch request: the certificates, the filter that selects them, or the manifest that lists them. */
export interface BatchRequest extends Omit<TransferRequest, 'certificateId'> {
  certificateIds?: string[];
  filter?: BatchFilter;
  manifest?: BatchManifest;
  maxConcurrency: number;
  requestId?: string;
}

/**
 * Validates a batch request: the schema, one of certificateIds / filter, no
 * certificate twice, and the same deployment rules as a single transfer.
 */
export function validateBatchRequest(input: unknown, sourceAccount = config.accountId): BatchRequest {
  checkSchema(validateBatchBody, input, BATCH_RULES);
  const body = input;
  const given = (['certificateIds', 'filter', 'manifest'] as const).filter((k) => body[k]);
  if (given.length > 1) throw new ValidationError(given[1], `Give one of certificateIds, filter and manifest, not ${given.join(' and ')}`);
  if (given.length === 0) throw new ValidationError('certificateIds', 'certificateIds (or filter, or manifest) is required');
  let certificateIds: string[] | undefined;
  if (body.certificateIds) {
    certificateIds = body.certificateIds.map((id) => id.toLowerCase());
    const seen = new Set<string>();
    certificateIds.forEach((id, i) => {
      if (seen.has(id)) throw new ValidationError('certificateIds', `certificateIds[${i}] repeats ${id}: each certificate may appear once`);
      seen.add(id);
    });
  }
  const f = body.filter ?? undefined;
  if (f?.createdAfter && f.createdBefore && Date.parse(f.createdAfter) >= Date.parse(f.createdBefore)) {
    throw new ValidationError('filter.createdBefore', 'filter.createdBefore must be later than filter.createdAfter');
  }
  checkTransferRules(body, sourceAccount);
  return {
    certificateIds,
    filter: f ? { status: f.status ?? undefined, createdAfter: f.createdAfter ?? undefined, createdBefore: f.createdBefore ?? undefined, limit: f.limit ?? undefined } : undefined,
    manifest: body.manifest ? { key: body.manifest.key, ...(body.manifest.bucket ? { bucket: body.manifest.bucket } : {}) } : undefined,
    targetAccount: body.targetAccount,
    transferMessage: body.transferMessage ?? undefined,
    timeoutSeconds: body.timeoutSeconds ?? config.defaultTimeoutSeconds,
    restoreOnFailure: body.restoreOnFailure ?? true,
    maxConcurrency: body.maxConcurrency ?? defaultBatchConcurrency(),
    requestId: body.requestId ?? undefined,
  };
}

// ───────────── DELETE /transfers/{transferId} ─────────────

/** The optional body of `DELETE /transfers/{transferId}`. */
export interface CancelRequestBody {
  reason?: string;
}

export const cancelRequestSchema: JSONSchemaType<CancelRequestBody> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reason: { type: 'string', maxLength: 256, nullable: true, description: 'Why: recorded in the history and the Completed event' },
  },
};

const validateCancelBody = once(() => ajv().compile(cancelRequestSchema));

/** The cancel reason from an optional body; a bad body is a 400 naming the field. */
export function validateCancelRequest(body: string | null | undefined, isBase64 = false): string | undefined {
  if (body === null || body === undefined || body === '') return undefined;
  let parsed: unknown;
  try {
    parsed = parseJsonBody(body, isBase64);
  } catch {
    throw new ValidationError('body', 'The request body, when given, must be a JSON object like {"reason": "…"}');
  }
  checkSchema(validateCancelBody, parsed, { reason: 'must be a string of at most 256 characters' });
  const reason = parsed.reason?.trim();
  return reason || undefined;
}

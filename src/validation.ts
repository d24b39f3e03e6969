import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import { config, DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS } from './config.js';
import { TargetNotAllowed, ValidationError } from './errors.js';
import type { TransferRequest } from './types.js';

/** The body of `POST /transfers` and the detail of a Requested event (contract). */
export interface TransferRequestBody {
  certificateId: string;
  targetAccount: string;
  transferMessage?: string;
  timeoutSeconds?: number;
  restoreOnFailure?: boolean;
  requestId?: string;
}

export const transferRequestSchema: JSONSchemaType<TransferRequestBody> = {
  type: 'object',
  additionalProperties: false,
  required: ['certificateId', 'targetAccount'],
  properties: {
    certificateId: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'The certificate id: 64 hexadecimal characters (the last part of its ARN)' },
    targetAccount: { type: 'string', pattern: '^[0-9]{12}$', description: 'The AWS account to receive the certificate: 12 digits, on the allow-list' },
    transferMessage: { type: 'string', maxLength: 128, nullable: true, description: 'Shown to the target account; at most 128 characters' },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_SECONDS, nullable: true, description: `How long the target has to decide; default ${DEFAULT_TIMEOUT_SECONDS} (7 days)` },
    restoreOnFailure: { type: 'boolean', nullable: true, description: 'Re-attach and re-activate the certificate when the transfer does not complete; default true' },
    requestId: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$', nullable: true, description: 'Caller reference echoed in the Completed event' },
  },
};

const ajv = new Ajv({ allErrors: false, strict: true });
const validateBody = ajv.compile(transferRequestSchema);

const RULES: Record<string, string> = {
  certificateId: 'must be 64 hexadecimal characters',
  targetAccount: 'must be a 12-digit AWS account id',
  transferMessage: 'must be a string of at most 128 characters',
  get timeoutSeconds() { return `must be an integer from ${config.minTimeoutSeconds} to ${MAX_TIMEOUT_SECONDS}`; },
  restoreOnFailure: 'must be true or false',
  requestId: 'must be at most 128 letters, digits, or . _ : -',
};

/** Turns the first schema error into a message that names the field. */
export function describeSchemaError(e: ErrorObject, rules: Record<string, string> = RULES): ValidationError {
  if (e.keyword === 'required') {
    const field = (e.params as { missingProperty: string }).missingProperty;
    return new ValidationError(field, `${field} is required`);
  }
  if (e.keyword === 'additionalProperties') {
    const field = (e.params as { additionalProperty: string }).additionalProperty;
    return new ValidationError(field, `${field} is not a known field`);
  }
  const field = e.instancePath.replace(/^\//, '').split('/')[0] || 'body';
  if (field === 'body') return new ValidationError('body', 'The body must be a JSON object');
  return new ValidationError(field, `${field} ${rules[field] ?? e.message ?? 'is invalid'}`);
}

/** Parses a JSON body; an empty or malformed body is a 400 naming `body`. */
export function parseJsonBody(body: string | null | undefined, isBase64 = false): unknown {
  if (body === null || body === undefined || body === '') throw new ValidationError('body', 'The request body is required and must be a JSON object');
  const text = isBase64 ? Buffer.from(body, 'base64').toString('utf8') : body;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('body', 'The request body is not valid JSON');
  }
}

/**
 * Validates a transfer request against the schema and the deployment's rules
 * (allow-list, own account). Throws `ValidationError` (400) or
 * `TargetNotAllowed` (403); never touches IoT.
 */
export function validateTransferRequest(input: unknown, sourceAccount = config.accountId): TransferRequest & { requestId?: string } {
  if (!validateBody(input)) throw describeSchemaError(validateBody.errors![0]);
  const body = input;
  if (body.timeoutSeconds !== undefined && body.timeoutSeconds !== null && body.timeoutSeconds < config.minTimeoutSeconds) {
    throw new ValidationError('timeoutSeconds', `timeoutSeconds ${RULES.timeoutSeconds}`);
  }
  if (body.targetAccount === sourceAccount) {
    throw new ValidationError('targetAccount', 'targetAccount must differ from the source account: a certificate cannot be transferred to the account that owns it');
  }
  if (!config.allowedTargetAccounts.includes(body.targetAccount)) {
    throw new TargetNotAllowed(`targetAccount ${body.targetAccount} is not on this deployment's allow-list (ALLOWED_TARGET_ACCOUNTS)`);
  }
  return {
    certificateId: body.certificateId.toLowerCase(),
    targetAccount: body.targetAccount,
    transferMessage: body.transferMessage ?? undefined,
    timeoutSeconds: body.timeoutSeconds ?? config.defaultTimeoutSeconds,
    restoreOnFailure: body.restoreOnFailure ?? true,
    requestId: body.requestId ?? undefined,
  };
}

import { Logger } from '@aws-lambda-powertools/logger';
import { config } from './config.js';

/** One structured logger per function (Powertools); service name from POWERTOOLS_SERVICE_NAME. */
export const logger = new Logger({ serviceName: config.serviceName });

const SECRET_KEYS = new Set(['taskToken', 'TaskToken', 'token', 'certificatePem', 'privateKey', 'PrivateKey', 'keyPair', 'secretAccessKey', 'authorization', 'Authorization', 'x-amz-security-token']);

/**
 * A copy of `value` safe to log: task tokens, PEMs, keys and credentials are
 * replaced by a marker. Logs are read by more people than the store is.
 */
export function redact<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== 'object') {
    if (typeof value === 'string' && value.includes('-----BEGIN')) return '[redacted PEM]' as T;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.has(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out as T;
}

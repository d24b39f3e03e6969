import { IdListError, parseIdList } from '../id-list.js';
import { ACCOUNT_ID, CERTIFICATE_ID, UUID } from '../ids.js';

/** Exit codes of `cert-transfer` (contract: scripts rely on them). */
export const EXIT = {
  OK: 0,
  /** A bug or an unexpected fault in the CLI itself. */
  INTERNAL: 1,
  /** Bad command line or input file: nothing was sent. */
  USAGE: 2,
  /** The API refused the request (4xx/5xx) or could not be reached (network, credentials). */
  API: 3,
  /** The transfer (or a transfer of the batch) ended other than ACCEPTED. */
  NOT_ACCEPTED: 4,
  /** `doctor`: at least one check failed. */
  CHECK_FAILED: 5,
} as const;

/** A command-line mistake; the message names the argument. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function certificateIdArg(value: string | undefined, name = '<certificateId>'): string {
  if (!value) throw new UsageError(`${name} is required`);
  if (!CERTIFICATE_ID.test(value)) throw new UsageError(`${name} must be 64 hexadecimal characters (the certificate id), got "${value}"`);
  return value.toLowerCase();
}

export function accountArg(value: string | undefined, name: string): string {
  if (!value) throw new UsageError(`${name} <account> is required`);
  if (!ACCOUNT_ID.test(value)) throw new UsageError(`${name} must be a 12-digit AWS account id, got "${value}"`);
  return value;
}

export function idArg(value: string | undefined, name: string): string {
  if (!value) throw new UsageError(`${name} is required`);
  if (!UUID.test(value)) throw new UsageError(`${name} must be an id like 0b6f2c1e-…-…, got "${value}"`);
  return value;
}

export function intArg(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * `90`, `90s`, `15m`, `12h`, `7d`, `2w`, or combined (`1h30m`) → seconds.
 * Throws a UsageError naming `name` for anything else.
 */
export function durationArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (/^\d+$/.test(v)) return Number(v);
  const parts = [...v.matchAll(/(\d+)([smhdw])/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== v) {
    throw new UsageError(`${name} must be a duration like 90s, 15m, 12h, 7d or 1h30m (or seconds), got "${value}"`);
  }
  return parts.reduce((total, [, n, unit]) => total + Number(n) * UNIT_SECONDS[unit], 0);
}

/**
 * Certificate ids from a file or stdin: one or more per line, separated by
 * spaces or commas; blank lines and `#` comments are skipped. Every id is
 * checked, and repeats refused, naming the line.
 */
export function parseCertificateList(text: string, source: string): string[] {
  try {
    return parseIdList(text);
  } catch (err) {
    if (!(err instanceof IdListError)) throw err;
    throw new UsageError(err.in(source));
  }
}

/**
 * `--manifest`: `s3://<bucket>/<key>`, or a key of the stack's manifest bucket
 * (the API then fills in the bucket). The key is taken as written: S3 keys may
 * hold any character.
 */
export function manifestArg(value: string): { bucket?: string; key: string } {
  if (!value.startsWith('s3://')) {
    if (!value) throw new UsageError('--manifest must be s3://<bucket>/<key>, or a key of the manifest bucket');
    return { key: value };
  }
  const rest = value.slice('s3://'.length);
  const slash = rest.indexOf('/');
  if (slash < 1 || slash === rest.length - 1) throw new UsageError(`--manifest must be s3://<bucket>/<key>, got "${value}"`);
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** `https://abc.execute-api.eu-west-1.amazonaws.com/dev` → `eu-west-1`. */
export function regionOfEndpoint(endpoint: string): string | undefined {
  return new URL(endpoint).hostname.match(/\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/)?.[1];
}

// Ids as people type them: full, or an unambiguous prefix looked up among the transfers; and the
// local cloud's addresses as `npm start` serves them (LOCAL_API_PORT, LOCAL_AWS_PORT).
import type { TransferApiClient } from '../api-client.js';
import { CERTIFICATE_ID, UUID } from '../ids.js';
import { UsageError, certificateIdArg, idArg } from './args.js';

/** Shortest prefix accepted: shorter ones match too much to be worth a lookup. */
export const MIN_PREFIX = 4;
/** The lookup reads at most this many of the newest transfers. */
const SCAN_LIMIT = 1000;
const PAGE = 100;

export const LOCAL_API_PORT_DEFAULT = '3000';
export const LOCAL_AWS_PORT_DEFAULT = '4566';

type Env = Record<string, string | undefined>;

/** The local cloud's transfer API, as `npm start` serves it. */
export const localApiUrl = (env: Env) => `http://127.0.0.1:${env.LOCAL_API_PORT || LOCAL_API_PORT_DEFAULT}`;
/** The local cloud's AWS endpoint. */
export const localAwsUrl = (env: Env) => `http://127.0.0.1:${env.LOCAL_AWS_PORT || LOCAL_AWS_PORT_DEFAULT}`;

type Lister = Pick<TransferApiClient, 'listTransfers'>;
type Field = 'transferId' | 'batchId' | 'certificateId';

/** The distinct values of `field` that start with `prefix`, among the newest transfers. */
async function candidates(client: Lister, field: Field, prefix: string): Promise<{ found: string[]; complete: boolean }> {
  const found = new Set<string>();
  let nextToken: string | undefined;
  let read = 0;
  do {
    const page = await client.listTransfers({ limit: String(PAGE), nextToken });
    for (const item of page.items as Record<string, unknown>[]) {
      const value = typeof item[field] === 'string' ? (item[field] as string) : '';
      if (value.startsWith(prefix)) found.add(value);
    }
    read += (page.items as unknown[]).length;
    nextToken = page.nextToken as string | undefined;
  } while (nextToken && read < SCAN_LIMIT);
  return { found: [...found], complete: !nextToken };
}

async function resolvePrefix(client: Lister, raw: string, name: string, field: Field, what: string): Promise<string> {
  const prefix = raw.toLowerCase();
  if (prefix.length < MIN_PREFIX) throw new UsageError(`${name} "${raw}" is too short: give at least ${MIN_PREFIX} characters of the ${what}, or all of it`);
  const { found, complete } = await candidates(client, field, prefix);
  if (found.length === 1) return found[0];
  const where = complete ? 'the transfers' : `the newest ${SCAN_LIMIT} transfers`;
  if (!found.length) throw new UsageError(`${name}: no ${what} among ${where} starts with "${raw}"; give the full ${what}`);
  const shown = found.slice(0, 10).join(', ');
  throw new UsageError(`${name}: "${raw}" is ambiguous, ${found.length} ${what}s start with it: ${shown}${found.length > 10 ? ', …' : ''}; give more characters`);
}

/** A transfer or batch id: the full UUID as given, or the one id among the transfers with that prefix. */
export async function resolveId(client: Lister, value: string | undefined, name: string, field: 'transferId' | 'batchId'): Promise<string> {
  if (!value || UUID.test(value.toLowerCase())) return idArg(value?.toLowerCase(), name);
  if (!/^[0-9a-fA-F-]+$/.test(value)) return idArg(value, name); // not an id at all: its usual message
  return resolvePrefix(client, value, name, field, field === 'batchId' ? 'batch id' : 'transfer id');
}

/** A certificate id: the full 64 hex characters as given, or the one certificate among the transfers with that prefix. */
export async function resolveCertificateId(client: Lister, value: string | undefined, name: string): Promise<string> {
  if (!value || CERTIFICATE_ID.test(value) || !/^[0-9a-fA-F]{1,63}$/.test(value)) return certificateIdArg(value, name);
  return resolvePrefix(client, value, name, 'certificateId', 'certificate id');
}

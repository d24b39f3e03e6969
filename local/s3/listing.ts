// ListObjects(V2) paging as S3 does it: keys in UTF-8 byte order, rolled up into CommonPrefixes
// at the delimiter, at most max-keys entries (keys plus prefixes) a page, resumed after a marker.
import { invalidArgument } from './errors.js';

export const MAX_KEYS = 1000;

export interface ListingPage {
  keys: string[];
  commonPrefixes: string[];
  truncated: boolean;
  /** Where the next page starts: the last key or common prefix of this one. */
  last?: Marker;
}

/** A listing position: after this key, or after every key under this common prefix. */
export interface Marker {
  value: string;
  prefix: boolean;
}

export const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** A max-keys parameter: an integer ≥ 0, capped at 1000 as S3 caps it. */
export function maxKeysOf(value: string | null): number {
  if (value === null) return MAX_KEYS;
  if (!/^\d+$/.test(value)) throw invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', value);
  return Math.min(Number(value), MAX_KEYS);
}

/** One page of `sortedKeys` (in {@link byteOrder}) after `after`. */
export function listPage(sortedKeys: readonly string[], opts: { prefix: string; delimiter?: string; after?: Marker; maxKeys: number }): ListingPage {
  const { prefix, delimiter, after, maxKeys } = opts;
  const page: ListingPage = { keys: [], commonPrefixes: [], truncated: false };
  for (const key of sortedKeys) {
    if (!key.startsWith(prefix)) continue;
    if (after && (byteOrder(key, after.value) <= 0 || (after.prefix && key.startsWith(after.value)))) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const entry = cut === -1 ? key : key.slice(0, cut + delimiter!.length);
    if (page.last?.prefix && entry === page.last.value) continue;
    if (page.keys.length + page.commonPrefixes.length >= maxKeys) {
      page.truncated = true;
      break;
    }
    (cut === -1 ? page.keys : page.commonPrefixes).push(entry);
    page.last = { value: entry, prefix: cut !== -1 };
  }
  return page;
}

/** S3's url encoding of listed names (`encoding-type=url`): percent-encoded UTF-8, `/` kept. */
export const urlEncodeName = (s: string) => encodeURIComponent(s).replace(/%2F/g, '/');

const TOKEN_PREFIX = 'local-s3:';

/** An opaque continuation token for a position (S3's are opaque too; only its own are accepted). */
export const continuationToken = (m: Marker) => Buffer.from(TOKEN_PREFIX + JSON.stringify([m.value, m.prefix]), 'utf8').toString('base64');

export function markerOfToken(token: string): Marker {
  const text = Buffer.from(token, 'base64').toString('utf8');
  try {
    if (!text.startsWith(TOKEN_PREFIX)) throw new Error('foreign token');
    const [value, prefix] = JSON.parse(text.slice(TOKEN_PREFIX.length)) as [unknown, unknown];
    if (typeof value === 'string' && typeof prefix === 'boolean') return { value, prefix };
  } catch {
    // answered below
  }
  throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
}

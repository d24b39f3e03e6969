/**
 * Pagination of list operations: opaque markers (the sort key of the last item served) and one page
 * of an already sorted list, so pages stay consistent while items come and go between calls.
 */
import { invalid } from './errors.js';

/** Opaque pagination token (base64, the documented marker pattern): the sort key of the last item served. */
function encodeMarker(key: string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64');
}

function decodeMarker(marker: string, member: string): string {
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(marker) && marker.length <= 1024) {
    try {
      const parsed = JSON.parse(Buffer.from(marker, 'base64').toString('utf8')) as { k?: unknown };
      if (typeof parsed.k === 'string') return parsed.k;
    } catch {
      // fall through
    }
  }
  throw invalid(`Invalid ${member}: ${marker}`);
}

/**
 * One page of `items` (already sorted by `key` in direction `dir`). The
 * token is the key of the last item served, so pages stay consistent while
 * items are added or removed between calls.
 */
export function paginate<T>(items: T[], key: (t: T) => string, size: number, token: string | undefined, member: string, dir: 1 | -1 = 1): { page: T[]; next?: string } {
  let start = 0;
  if (token) {
    const last = decodeMarker(token, member);
    start = items.findIndex((i) => dir * compare(key(i), last) > 0);
    if (start === -1) start = items.length;
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  return { page, next: more ? encodeMarker(key(page[page.length - 1])) : undefined };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// List pagination as the List* and GetExecutionHistory operations do it: an opaque nextToken (an
// offset) and maxResults from 1 to 1000, 100 when absent or 0.
import { sfnErrors } from './errors.js';

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === null || token === '') return 0;
  try {
    const { o } = JSON.parse(Buffer.from(String(token), 'base64url').toString()) as { o: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    /* fall through */
  }
  throw sfnErrors.invalidToken('Invalid nextToken');
}

export function pageSize(maxResults: unknown): number {
  if (maxResults === undefined || maxResults === null || maxResults === 0) return 100;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000) {
    throw sfnErrors.validation(`1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  }
  return maxResults;
}

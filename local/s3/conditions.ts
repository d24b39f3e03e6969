// S3's conditional requests: If-Match / If-None-Match / If-(Un)Modified-Since on reads, and the
// conditional writes (If-None-Match: * refuses to overwrite, If-Match requires the given ETag).
import type { AwsRequest } from '../edge/types.js';
import { noSuchKey, S3Error } from './errors.js';
import type { S3Object } from './model.js';

function etagMatches(header: string, etag: string): boolean {
  return header.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag || `"${v}"` === etag;
  });
}

const precondition = (condition: string) => new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition });

/** GET/HEAD conditions in S3's order: a failed If-Match (or If-Unmodified-Since without it) is 412, a matching If-None-Match (or unmodified If-Modified-Since without it) 304. */
export function notModified(req: AwsRequest, o: S3Object): boolean {
  const h = req.headers;
  const date = (v: string | undefined) => (v === undefined || Number.isNaN(Date.parse(v)) ? undefined : new Date(v));
  if (h['if-match'] !== undefined) {
    if (!etagMatches(h['if-match'], o.etag)) throw precondition('If-Match');
  } else {
    const since = date(h['if-unmodified-since']);
    if (since && o.lastModified > since) throw precondition('If-Unmodified-Since');
  }
  if (h['if-none-match'] !== undefined) return etagMatches(h['if-none-match'], o.etag);
  const since = date(h['if-modified-since']);
  return !!since && o.lastModified <= since;
}

/** A write's conditions (PutObject, CompleteMultipartUpload) against the object it would replace. */
export function checkWriteConditions(req: AwsRequest, key: string, existing: S3Object | undefined): void {
  if (req.headers['if-none-match'] !== undefined) {
    if (req.headers['if-none-match'].trim() !== '*') throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', 501, { Header: 'If-None-Match' });
    if (existing) throw precondition('If-None-Match');
  }
  if (req.headers['if-match'] !== undefined) {
    if (!existing) throw noSuchKey(key);
    if (!etagMatches(req.headers['if-match'], existing.etag)) throw precondition('If-Match');
  }
}

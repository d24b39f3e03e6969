// S3's errors as S3 sends them (REST-XML): `<Error><Code>…</Code><Message>…</Message>…</Error>` with the
// HTTP status, an `x-amz-request-id` header, and no body at all in the answer to a HEAD request.
import { randomBytes } from 'node:crypto';
import type { AwsResponse } from '../edge/types.js';

export const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** The headers every S3 answer carries: a request id (16 hex, upper case) and an extended id. */
export function requestIdHeaders(): { 'x-amz-request-id': string; 'x-amz-id-2': string } {
  return { 'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(), 'x-amz-id-2': randomBytes(48).toString('base64') };
}

/** An S3 error: its wire code, HTTP status, and the extra elements S3 adds (`Key`, `BucketName`, `Condition` …). */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: Record<string, string> = {},
    /** Headers S3 sends with this error (`x-amz-bucket-region` on a wrong-region request). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export const noSuchBucket = (bucket: string) => new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
export const noSuchKey = (key: string) => new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
export const accessDeniedError = () => new S3Error('AccessDenied', 'Access Denied', 403);
export const notImplemented = (what: string) =>
  new S3Error('NotImplemented', `A header you provided implies functionality that is not implemented (${what} is not implemented by the local cloud)`, 501);
export const invalidArgument = (message: string, name: string, value: string) => new S3Error('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value });
export const invalidRequest = (message: string) => new S3Error('InvalidRequest', message, 400);
export const malformedXml = () => new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
export const noSuchUpload = (uploadId: string) =>
  new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404, { UploadId: uploadId });

/** The wire form of an error; `method` HEAD gets the status and headers only, as S3 answers it. */
export function errorResponse(err: S3Error, method: string): AwsResponse {
  const ids = requestIdHeaders();
  const headers = { ...ids, ...err.headers };
  if (method === 'HEAD') return { status: err.status, headers };
  const details = Object.entries(err.details)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  return {
    status: err.status,
    headers: { 'content-type': 'application/xml', ...headers },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message>${details}<RequestId>${ids['x-amz-request-id']}</RequestId><HostId>${ids['x-amz-id-2']}</HostId></Error>`,
  };
}

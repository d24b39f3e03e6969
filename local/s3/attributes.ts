// What a PutObject or CreateMultipartUpload request says an object is besides its bytes: its
// content type, its `x-amz-meta-*` metadata and the system headers S3 stores and sends back.
import type { AwsRequest } from '../edge/types.js';
import type { S3Object } from './model.js';

/** Headers S3 stores with an object and sends back on GET and HEAD. */
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-language', 'expires'];

export function attributesOf(req: AwsRequest): Pick<S3Object, 'contentType' | 'metadata' | 'headers'> {
  const metadata: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith('x-amz-meta-')) metadata[k.slice('x-amz-meta-'.length)] = v;
    if (STORED_HEADERS.includes(k)) headers[k] = v;
  }
  // aws-chunked is how the body travelled, not what it is.
  const encoding = (req.headers['content-encoding'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'aws-chunked');
  if (encoding.length > 0) headers['content-encoding'] = encoding.join(',');
  return { contentType: req.headers['content-type'] ?? 'binary/octet-stream', metadata, headers };
}

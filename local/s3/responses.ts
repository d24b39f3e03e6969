// S3's successful answers on the wire: REST-XML documents in S3's namespace, with the request-id
// headers every answer carries. Errors are errors.ts's; this is the other half.
import { createHash } from 'node:crypto';
import type { AwsResponse } from '../edge/types.js';
import { requestIdHeaders, xmlEscape } from './errors.js';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** The canonical user id S3 names an account by (64 hex), stable per account. */
export const canonicalIdOf = (account: string) => createHash('sha256').update(`local-s3:${account}`).digest('hex');

export const ok = (status: number, headers: Record<string, string> = {}, body?: string | Buffer): AwsResponse => ({ status, headers: { ...requestIdHeaders(), ...headers }, body });

export function xml(root: string, inner: string, headers: Record<string, string> = {}): AwsResponse {
  return ok(200, { 'content-type': 'application/xml', ...headers }, `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">${inner}</${root}>`);
}

/** One element, escaped; nothing at all for an undefined value (S3 omits absent fields). */
export const el = (name: string, value: string | number | boolean | undefined) => (value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`);
export const owner = (account: string) => `<Owner><ID>${canonicalIdOf(account)}</ID></Owner>`;

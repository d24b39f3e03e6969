// The edge's IAM gate: names the caller from its credentials, asks the authorizer, and
// answers a denial on the wire the way each service does (restJson, awsJson, query).
import type { AwsRequest, AwsResponse } from '../edge/types.js';
import { roleOfSessionToken } from '../lambda/runtime.js';
import { errorResponse, S3Error } from '../s3/errors.js';
import type { IamAuthorizer } from './authorizer.js';
import { iamRequestOf } from './requests.js';
import type { Principal } from './types.js';

/** The caller: a role session when the credentials carry a local role token (a header, or a presigned URL's query), else the account's root. */
export function principalOf(req: AwsRequest): Principal {
  const role = roleOfSessionToken(req.headers['x-amz-security-token'] ?? req.query.get('X-Amz-Security-Token') ?? undefined);
  return role ? { kind: 'role', account: req.account, ...role } : { kind: 'root', account: req.account };
}

const esc = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** AccessDeniedException as the service's protocol serializes it. */
export function accessDenied(service: string, message: string): AwsResponse {
  switch (service) {
    case 'iot':
    case 'execute-api':
      return { status: 403, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'AccessDeniedException' }, body: JSON.stringify({ message }) };
    case 'dynamodb':
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'AccessDeniedException' },
        body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message }),
      };
    case 'sns':
      return {
        status: 403,
        headers: { 'content-type': 'text/xml' },
        body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>${esc(message)}</Message></Error><RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`,
      };
    case 's3':
      // REST-XML: 403 <Error><Code>AccessDenied</Code>…; a HEAD answer carries no body (the HTTP server drops it).
      return errorResponse(new S3Error('AccessDenied', message, 403), 'GET');
    case 'events':
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' },
        body: JSON.stringify({ __type: 'AccessDeniedException', message }),
      };
    default:
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'AccessDeniedException' },
        body: JSON.stringify({ __type: 'AccessDeniedException', message }),
      };
  }
}

/** The gate the edge runs before routing: a response when the call is denied, undefined when it may proceed. */
export function edgeAuthorizer(authorizer: IamAuthorizer): (req: AwsRequest) => Promise<AwsResponse | undefined> {
  return async (req) => {
    if (!authorizer.enabled) return undefined;
    const principal = principalOf(req);
    if (principal.kind === 'root') return undefined;
    const iam = await iamRequestOf(req);
    if (!iam) return undefined;
    const decision = await authorizer.authorize(principal, iam.action, iam.resources);
    return decision.allowed ? undefined : accessDenied(req.service, decision.message!);
  };
}

/**
 * The local S3's `mayList` hook: whether the caller may s3:ListBucket the bucket, which decides
 * whether S3 tells it a key is missing (NoSuchKey) or only that it may not know (AccessDenied).
 * Account (root) callers and a disabled authorizer always may, as everywhere in the local IAM.
 */
export function mayListBucket(authorizer: IamAuthorizer): (req: AwsRequest, bucket: string) => Promise<boolean> {
  return async (req, bucket) => (await authorizer.authorize(principalOf(req), 's3:ListBucket', [`arn:aws:s3:::${bucket}`])).allowed;
}

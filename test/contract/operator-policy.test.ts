// The managed policies serverless.yml ships for operators, evaluated as IAM evaluates them
// (iam-simulate over the Service Authorization Reference) against every route of the API.
import { describe, expect, it } from 'vitest';
import { loadServerlessStack } from '../../local/serverless/stack.js';
import { resolveIntrinsics } from '../../local/cloudformation/intrinsics.js';
import { IamAuthorizer } from '../../local/iam/authorizer.js';
import type { PolicyDocument } from '../../local/iam/types.js';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const API_ID = 'a1b2c3d4e5';
const STAGE = 'prod';
const stack = loadServerlessStack('serverless.yml', { stage: STAGE, region: REGION, params: { allowedTargetAccounts: '222222222222' } });
const BUCKET = 'certificate-transfer-prod-manifestbucket-a1b2c3d4e5f6';
const ctx = {
  accountId: ACCOUNT,
  region: REGION,
  resources: { ApiGatewayRestApi: { ref: API_ID, attributes: {} }, ManifestBucket: { ref: BUCKET, attributes: { Arn: `arn:aws:s3:::${BUCKET}` } } },
};
const policy = (id: string) => resolveIntrinsics(stack.resources[id]?.Properties?.PolicyDocument, ctx) as PolicyDocument;

/** Every route of the API as the execute-api ARN a call to it is authorized against. */
const routes = stack.functions
  .flatMap((f) => f.http)
  .map((h) => ({
    method: h.method.toUpperCase(),
    arn: (stage: string, api = API_ID) => `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api}/${stage}/${h.method.toUpperCase()}/${h.path.replace(/\{[^}]+\}/g, 'x-1')}`,
  }));

async function allowed(policyId: string, arn: string, action = 'execute-api:Invoke'): Promise<boolean> {
  const iam = new IamAuthorizer({ onDenied: () => undefined });
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/operator`;
  iam.putRole({ arn: roleArn, account: ACCOUNT, policy: policy(policyId) });
  return (await iam.authorize({ kind: 'role', account: ACCOUNT, roleArn, sessionName: 'op' }, action, [arn])).allowed;
}

describe('the operator policies the stack outputs', () => {
  it('exist as managed policies, with their ARNs and the API endpoint among the outputs', () => {
    expect(stack.resources.OperatorPolicy?.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(stack.resources.OperatorReadOnlyPolicy?.Type).toBe('AWS::IAM::ManagedPolicy');
    const outputs = (stack.raw.resources as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};
    expect(outputs.OperatorPolicyArn?.Value).toEqual({ Ref: 'OperatorPolicy' });
    expect(outputs.OperatorReadOnlyPolicyArn?.Value).toEqual({ Ref: 'OperatorReadOnlyPolicy' });
    expect(outputs.ManifestBucketName?.Value).toEqual({ Ref: 'ManifestBucket' });
    expect(JSON.stringify(outputs.ApiEndpoint?.Value)).toContain('execute-api');
  });

  it('OperatorPolicy may call every route of this stage, and nothing of another stage or API', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const r of routes) {
      expect(await allowed('OperatorPolicy', r.arn(STAGE)), r.arn(STAGE)).toBe(true);
      expect(await allowed('OperatorPolicy', r.arn('dev')), r.arn('dev')).toBe(false);
      expect(await allowed('OperatorPolicy', r.arn(STAGE, 'zzzzzzzzzz')), 'another API').toBe(false);
    }
  });

  it("OperatorPolicy may upload manifests to the stack's manifest bucket, and nothing else of S3", async () => {
    expect(await allowed('OperatorPolicy', `arn:aws:s3:::${BUCKET}/fleets/acme.txt`, 's3:PutObject')).toBe(true);
    expect(await allowed('OperatorPolicy', `arn:aws:s3:::${BUCKET}/fleets/acme.txt`, 's3:GetObject')).toBe(false);
    expect(await allowed('OperatorPolicy', `arn:aws:s3:::${BUCKET}/fleets/acme.txt`, 's3:DeleteObject')).toBe(false);
    expect(await allowed('OperatorPolicy', 'arn:aws:s3:::someone-elses-bucket/x.txt', 's3:PutObject')).toBe(false);
    expect(await allowed('OperatorReadOnlyPolicy', `arn:aws:s3:::${BUCKET}/fleets/acme.txt`, 's3:PutObject')).toBe(false);
  });

  it('OperatorReadOnlyPolicy may read (GET) and nothing else: no start, cancel or repair', async () => {
    const gets = routes.filter((r) => r.method === 'GET');
    const writes = routes.filter((r) => r.method !== 'GET');
    expect(gets.length).toBeGreaterThanOrEqual(3);
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const r of gets) expect(await allowed('OperatorReadOnlyPolicy', r.arn(STAGE)), r.arn(STAGE)).toBe(true);
    for (const r of writes) expect(await allowed('OperatorReadOnlyPolicy', r.arn(STAGE)), r.arn(STAGE)).toBe(false);
  });
});

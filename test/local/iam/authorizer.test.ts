// The IAM evaluation rules the local cloud applies to a role, from the IAM User Guide's
// policy evaluation logic: an explicit Deny wins, no Allow is a deny, "*"-only actions.
import { describe, expect, it } from 'vitest';
import { IamAuthorizer, idAgnostic, typePrefix } from '../../../local/iam/authorizer.js';
import type { PolicyDocument } from '../../../local/iam/types.js';

const ACCOUNT = '111111111111';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/certificate-transfer-local-preflight-us-east-1-lambdaRole`;
const CERT = `arn:aws:iot:us-east-1:${ACCOUNT}:cert/${'b'.repeat(64)}`;
const session = { kind: 'role' as const, account: ACCOUNT, roleArn: ROLE, sessionName: 'certificate-transfer-local-preflight' };

function withPolicy(policy: PolicyDocument['Statement']): IamAuthorizer {
  const iam = new IamAuthorizer({ onDenied: () => undefined });
  iam.putRole({ arn: ROLE, account: ACCOUNT, policy: { Version: '2012-10-17', Statement: policy } });
  return iam;
}

describe('IAM authorizer', () => {
  it('allows an action on a resource its statement names, with wildcards', async () => {
    const iam = withPolicy([{ Effect: 'Allow', Action: ['iot:DescribeCertificate'], Resource: [`arn:aws:iot:us-east-1:${ACCOUNT}:cert/*`] }]);
    expect(await iam.authorize(session, 'iot:DescribeCertificate', [CERT])).toEqual({ allowed: true });
  });

  it('denies what no statement allows, naming the session, action and resource as AWS does', async () => {
    const iam = withPolicy([{ Effect: 'Allow', Action: ['iot:DescribeCertificate'], Resource: [`arn:aws:iot:us-east-1:${ACCOUNT}:cert/*`] }]);
    const out = await iam.authorize(session, 'iot:UpdateCertificate', [CERT]);
    expect(out.allowed).toBe(false);
    expect(out.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/certificate-transfer-local-preflight-us-east-1-lambdaRole/certificate-transfer-local-preflight is not authorized to perform: iot:UpdateCertificate on resource: ${CERT} because no identity-based policy allows the iot:UpdateCertificate action`,
    );
    expect(iam.recentDenials().at(-1)).toMatchObject({ action: 'iot:UpdateCertificate', resource: CERT });
  });

  it('an action with no resource type is granted only by "*", never by a resource ARN', async () => {
    const onCerts = withPolicy([{ Effect: 'Allow', Action: ['iot:ListAttachedPolicies'], Resource: [`arn:aws:iot:us-east-1:${ACCOUNT}:cert/*`] }]);
    expect((await onCerts.authorize(session, 'iot:ListAttachedPolicies', ['*'])).allowed).toBe(false);
    const onStar = withPolicy([{ Effect: 'Allow', Action: ['iot:ListAttachedPolicies'], Resource: '*' }]);
    expect((await onStar.authorize(session, 'iot:ListAttachedPolicies', ['*'])).allowed).toBe(true);
  });

  it('an explicit Deny wins over any Allow', async () => {
    const iam = withPolicy([
      { Effect: 'Allow', Action: ['iot:*'], Resource: '*' },
      { Effect: 'Deny', Action: ['iot:UpdateCertificate'], Resource: [CERT] },
    ]);
    const out = await iam.authorize(session, 'iot:UpdateCertificate', [CERT]);
    expect(out.allowed).toBe(false);
    expect(out.message).toContain('with an explicit deny in an identity-based policy');
    expect((await iam.authorize(session, 'iot:DescribeCertificate', [CERT])).allowed).toBe(true);
  });

  it('a call on several resources needs every one of them allowed', async () => {
    const iam = withPolicy([{ Effect: 'Allow', Action: ['events:PutEvents'], Resource: ['arn:aws:events:us-east-1:222222222222:event-bus/certificate-transfer'] }]);
    const buses = ['arn:aws:events:us-east-1:222222222222:event-bus/certificate-transfer', 'arn:aws:events:us-east-1:333333333333:event-bus/certificate-transfer'];
    expect((await iam.authorize(session, 'events:PutEvents', buses.slice(0, 1))).allowed).toBe(true);
    const both = await iam.authorize(session, 'events:PutEvents', buses);
    expect(both.allowed).toBe(false);
    expect(both.message).toContain(buses[1]);
  });

  it('an unknown role is denied; an account root and a disabled authorizer are not checked', async () => {
    const iam = withPolicy([]);
    expect((await iam.authorize({ ...session, roleArn: `arn:aws:iam::${ACCOUNT}:role/nobody` }, 'iot:DescribeCertificate', [CERT])).allowed).toBe(false);
    expect((await iam.authorize({ kind: 'root', account: ACCOUNT }, 'iot:DescribeCertificate', [CERT])).allowed).toBe(true);
    const off = new IamAuthorizer({ enabled: false });
    expect((await off.authorize(session, 'iot:DescribeCertificate', [CERT])).allowed).toBe(true);
  });

  describe('an allow kept for a whole resource type (every certificate is a new ARN)', () => {
    const cert = (c: string) => `arn:aws:iot:us-east-1:${ACCOUNT}:cert/${c.repeat(64)}`;
    const certs = `arn:aws:iot:us-east-1:${ACCOUNT}:cert/*`;

    it('names the type prefix of an ARN, and tells a policy that reads the same for every id from one that does not', () => {
      expect(typePrefix(cert('a'))).toBe(`arn:aws:iot:us-east-1:${ACCOUNT}:cert/`);
      expect(typePrefix(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t/index/byBatch`)).toBe(`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t/index/`);
      const prefix = typePrefix(cert('a'));
      const doc = (...Statement: PolicyDocument['Statement']) => ({ Version: '2012-10-17', Statement });
      expect(idAgnostic(doc({ Effect: 'Allow', Action: 'iot:*', Resource: [certs, '*', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t`, 'arn:aws:events:*:*:event-bus/x'] }), prefix)).toBe(true);
      expect(idAgnostic(doc({ Effect: 'Allow', Action: 'iot:*', Resource: certs }, { Effect: 'Deny', Action: 'iot:*', Resource: cert('d') }), prefix)).toBe(false);
      expect(idAgnostic(doc({ Effect: 'Allow', Action: 'iot:*', Resource: `arn:aws:iot:us-east-1:${ACCOUNT}:cert/ab*` }), prefix)).toBe(false);
      expect(idAgnostic(doc({ Effect: 'Allow', Action: 'iot:*', Resource: 'arn:aws:iot:*:*:cert/a*' }), prefix)).toBe(false);
      expect(idAgnostic(doc({ Effect: 'Allow', Action: 'iot:*', NotResource: cert('d') }), prefix)).toBe(false);
      expect(idAgnostic(doc({ Effect: 'Allow', Action: 'iot:*', Resource: certs, Condition: { StringEquals: { 'aws:ResourceTag/x': 'y' } } }), prefix)).toBe(false);
    });

    it('an explicit Deny on one certificate still denies it after others of its type were allowed, and a new Deny applies at once', async () => {
      const iam = withPolicy([
        { Effect: 'Allow', Action: ['iot:UpdateCertificate'], Resource: [certs] },
        { Effect: 'Deny', Action: ['iot:UpdateCertificate'], Resource: [cert('d')] },
      ]);
      for (const c of ['a', 'b', 'c']) expect((await iam.authorize(session, 'iot:UpdateCertificate', [cert(c)])).allowed, c).toBe(true);
      expect((await iam.authorize(session, 'iot:UpdateCertificate', [cert('d')])).allowed).toBe(false);

      const open = withPolicy([{ Effect: 'Allow', Action: ['iot:UpdateCertificate'], Resource: [certs] }]);
      for (const c of ['a', 'b']) expect((await open.authorize(session, 'iot:UpdateCertificate', [cert(c)])).allowed).toBe(true);
      const policy = open.role(ROLE)!.policy;
      open.putRole({ arn: ROLE, account: ACCOUNT, policy: { ...policy, Statement: [...policy.Statement, { Effect: 'Deny', Action: ['iot:UpdateCertificate'], Resource: [cert('e')] }] } });
      expect((await open.authorize(session, 'iot:UpdateCertificate', [cert('e')])).allowed).toBe(false);
      expect((await open.authorize(session, 'iot:UpdateCertificate', [cert('f')])).allowed).toBe(true);
    });

    it('a wildcard inside the id is evaluated certificate by certificate', async () => {
      const iam = withPolicy([{ Effect: 'Allow', Action: ['iot:UpdateCertificate'], Resource: [`arn:aws:iot:us-east-1:${ACCOUNT}:cert/a*`] }]);
      expect((await iam.authorize(session, 'iot:UpdateCertificate', [cert('a')])).allowed).toBe(true);
      expect((await iam.authorize(session, 'iot:UpdateCertificate', [cert('b')])).allowed).toBe(false);
    });
  });
});

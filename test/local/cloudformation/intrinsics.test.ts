// The local cloud's CloudFormation intrinsics: values as CloudFormation computes them, and
// the argument forms CloudFormation refuses (a function as a delimiter, a bad Select index) refused.
import { describe, expect, it } from 'vitest';
import { resolveIntrinsics, UnresolvableIntrinsic, type IntrinsicContext } from '../../../local/cloudformation/intrinsics.js';

const ctx: IntrinsicContext = {
  accountId: '111111111111',
  region: 'us-east-1',
  resources: {
    EventBus: { ref: 'certificate-transfer', attributes: { Arn: 'arn:aws:events:us-east-1:111111111111:event-bus/certificate-transfer', Name: 'certificate-transfer' } },
    Index: { ref: '1' },
    ManifestBucket: { ref: 'certificate-transfer-local-manifestbucket-abc123def456', attributes: { Arn: 'arn:aws:s3:::certificate-transfer-local-manifestbucket-abc123def456' } },
  },
};
const resolve = (v: unknown) => resolveIntrinsics(v, ctx);

describe('resolveIntrinsics', () => {
  it('joins, splits, selects and substitutes', () => {
    expect(resolve({ 'Fn::Join': ['/', ['rule', { Ref: 'EventBus' }, 'r1']] })).toBe('rule/certificate-transfer/r1');
    expect(resolve({ 'Fn::Split': [',', '222222222222,333333333333'] })).toEqual(['222222222222', '333333333333']);
    expect(resolve({ 'Fn::Select': ['1', ['a', 'b']] })).toBe('b');
    expect(resolve({ 'Fn::Select': [0, ['a', 'b']] })).toBe('a');
    expect(resolve({ 'Fn::Select': [{ Ref: 'Index' }, ['a', 'b']] })).toBe('b');
    expect(resolve({ 'Fn::Sub': ['${A}:${AWS::Region}', { A: { 'Fn::GetAtt': ['EventBus', 'Arn'] } }] })).toBe('arn:aws:events:us-east-1:111111111111:event-bus/certificate-transfer:us-east-1');
  });

  it('an S3 bucket’s Arn by GetAtt (short and long form), and its objects by Sub', () => {
    const arn = 'arn:aws:s3:::certificate-transfer-local-manifestbucket-abc123def456';
    expect(resolve({ 'Fn::GetAtt': 'ManifestBucket.Arn' })).toBe(arn);
    expect(resolve({ 'Fn::GetAtt': ['ManifestBucket', 'Arn'] })).toBe(arn);
    expect(resolve({ 'Fn::Sub': '${ManifestBucket.Arn}/*' })).toBe(`${arn}/*`);
    expect(resolve({ 'Fn::Sub': 'arn:aws:s3:::${ManifestBucket}/manifests/*' })).toBe(`${arn}/manifests/*`);
    expect(() => resolve({ 'Fn::GetAtt': 'ManifestBucket.WebsiteURL' })).toThrow(UnresolvableIntrinsic);
  });

  it('builds one bus ARN per account from a Sub over a Join with a literal delimiter', () => {
    const arns = resolve({
      'Fn::Split': [
        ',',
        {
          'Fn::Sub': [
            'arn:aws:events:${AWS::Region}:${Accounts}:event-bus/b',
            { Accounts: { 'Fn::Join': [':event-bus/b,arn:aws:events:us-east-1:', { 'Fn::Split': [',', '222222222222,333333333333'] }] } },
          ],
        },
      ],
    });
    expect(arns).toEqual(['arn:aws:events:us-east-1:222222222222:event-bus/b', 'arn:aws:events:us-east-1:333333333333:event-bus/b']);
  });

  // CloudFormation: "For the Fn::Join delimiter, you can't use any functions. You must specify a string value." (cfn-lint E1018)
  it('refuses a function as the Fn::Join delimiter, naming the function', () => {
    const broken = { 'Fn::Join': [{ 'Fn::Sub': ':event-bus/b,arn:aws:events:${AWS::Region}:' }, ['222222222222', '333333333333']] };
    expect(() => resolve(broken)).toThrow(UnresolvableIntrinsic);
    expect(() => resolve(broken)).toThrow(/^Fn::Join delimiter must be a literal string/);
    expect(() => resolve({ Resource: { 'Fn::Split': [',', broken] } })).toThrow(/Fn::Join delimiter/);
  });

  it('refuses a function as the Fn::Split delimiter', () => {
    expect(() => resolve({ 'Fn::Split': [{ Ref: 'AWS::Region' }, 'a,b'] })).toThrow(/^Fn::Split delimiter must be a literal string/);
  });

  it('refuses a Fn::Select index that is not an integer or a Ref, or out of bounds', () => {
    expect(() => resolve({ 'Fn::Select': [{ 'Fn::Sub': '1' }, ['a', 'b']] })).toThrow(/^Fn::Select index must be an integer or a Ref/);
    expect(() => resolve({ 'Fn::Select': ['one', ['a', 'b']] })).toThrow(/^Fn::Select index must be a non-negative integer/);
    expect(() => resolve({ 'Fn::Select': [-1, ['a', 'b']] })).toThrow(/^Fn::Select index must be a non-negative integer/);
    expect(() => resolve({ 'Fn::Select': [2, ['a', 'b']] })).toThrow(/^Fn::Select index 2 is out of bounds/);
  });

  it('refuses malformed argument lists', () => {
    expect(() => resolve({ 'Fn::Join': [','] })).toThrow(/^Fn::Join takes a list of two arguments/);
    expect(() => resolve({ 'Fn::Join': [',', 'not-a-list'] })).toThrow(/^Fn::Join needs a list/);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { asArray, packageStack, resourcesOfType, roleStatements, type PackagedStack } from '../support/packaged.js';

let stack: PackagedStack;
beforeAll(() => {
  stack = packageStack('serverless.target.yml');
}, 180_000);

describe('packaged target-account kit', () => {
  it('packages the responder offline', () => {
    expect(stack.bundles.responder).toBeGreaterThan(10_000);
    expect(stack.code.responder).toBeLessThanOrEqual(250 * 1024);
  });

  // Roles against the Service Authorization Reference and the code's calls: test/contract/iam-roles.test.ts.
  it('gives every function its own role', () => {
    const functions = resourcesOfType(stack, 'AWS::Lambda::Function');
    expect(new Set(functions.map(([, f]) => JSON.stringify(f.Properties.Role))).size).toBe(functions.length);
  });

  it("lets the responder publish decisions only to the configured source accounts' buses", () => {
    const role = resourcesOfType(stack, 'AWS::IAM::Role').find(([id]) => id.startsWith('Responder'))![1];
    const put = roleStatements(role).find((s) => asArray(s.Action).includes('events:PutEvents'))!;
    expect(JSON.stringify(put.Resource)).toContain('111111111111');
    expect(JSON.stringify(put.Resource)).toContain(':event-bus/certificate-transfer-dev');
  });

  it("admits only the configured source accounts on its bus, and its rule only hears them (offers, and the doctor's pings)", () => {
    const [, policy] = resourcesOfType(stack, 'AWS::Events::EventBusPolicy')[0];
    expect(policy.Properties.Statement).toMatchObject({ Effect: 'Allow', Action: 'events:PutEvents', Principal: { AWS: { 'Fn::Split': [',', '111111111111'] } } });
    const [, rule] = resourcesOfType(stack, 'AWS::Events::Rule')[0];
    expect(rule.Properties.EventPattern).toEqual({
      source: ['iot.certificate-transfer'],
      'detail-type': ['Certificate Transfer Offered', 'Certificate Transfer Ping'],
      account: { 'Fn::Split': [',', '111111111111'] },
    });
  });

  it('encrypts the notification topic', () => {
    const [, topic] = resourcesOfType(stack, 'AWS::SNS::Topic')[0];
    expect(topic.Properties.KmsMasterKeyId).toBeTruthy();
  });
});

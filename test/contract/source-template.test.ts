import { beforeAll, describe, expect, it } from 'vitest';
// asl-validator is CommonJS
import aslValidatorModule from 'asl-validator';
import { packageStack, resourcesOfType, type PackagedStack } from '../support/packaged.js';

const aslValidator = aslValidatorModule;

let stack: PackagedStack;
beforeAll(() => {
  stack = packageStack('serverless.yml');
}, 180_000);

/** The state machine definition with every `${…}` substitution replaced by a plausible ARN. */
function definition(logicalId = 'CertificateTransferStateMachine'): { States: Record<string, Record<string, unknown>> } {
  const sub = (stack.template.Resources[logicalId].Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] })['Fn::Sub'];
  const [text, vars] = sub;
  const resolved = text.replace(/\$\{([^}]+)\}/g, (_m, key: string) => {
    const v = JSON.stringify(vars[key] ?? key);
    const fn = v.match(/"(\w+)LambdaFunction"/)?.[1] ?? key;
    return `arn:aws:lambda:us-east-1:111111111111:function:certificate-transfer-dev-${fn}`;
  });
  return JSON.parse(resolved);
}

describe('packaged source stack', () => {
  it('packages every function as its own bundle', () => {
    const functions = resourcesOfType(stack, 'AWS::Lambda::Function').map(([id]) => id.replace(/LambdaFunction$/, ''));
    expect(functions.length).toBeGreaterThanOrEqual(11);
    for (const fn of functions) expect(stack.bundles[fn[0].toLowerCase() + fn.slice(1)], fn).toBeGreaterThan(10_000);
  });

  it("keeps each function's code at most 250 KiB unpacked (the AWS SDK is the runtime's, not bundled)", () => {
    const sizes = Object.entries(stack.code);
    expect(sizes.length).toBeGreaterThanOrEqual(11);
    for (const [fn, bytes] of sizes) expect(bytes, fn).toBeLessThanOrEqual(250 * 1024);
  });

  it('the state machine definition passes asl-validator after substitution', () => {
    const result = aslValidator(definition());
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('every Task has an explicit timeout, the standard Lambda retrier and the IoT fault retrier with FULL jitter', () => {
    const tasks = Object.entries(definition().States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(9);
    for (const [name, task] of tasks) {
      expect(task.TimeoutSeconds ?? task.TimeoutSecondsPath, `${name} timeout`).toBeDefined();
      const retriers = task.Retry as { ErrorEquals: string[]; JitterStrategy?: string; BackoffRate?: number }[];
      const lambda = retriers.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'));
      expect(lambda?.ErrorEquals, `${name} Lambda retrier`).toEqual(expect.arrayContaining(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException']));
      expect(lambda?.JitterStrategy).toBe('FULL');
      if (name !== 'Notify Target And Wait') {
        const iot = retriers.find((r) => r.ErrorEquals.includes('ThrottlingException'));
        expect(iot?.ErrorEquals, `${name} IoT retrier`).toEqual(['ThrottlingException', 'ServiceUnavailableException', 'InternalFailureException']);
        expect(iot?.JitterStrategy, name).toBe('FULL');
        expect(iot?.BackoffRate, name).toBeGreaterThan(1);
      }
    }
  });

  it('waits for the decision with a task token and a timeout taken from the input', () => {
    const notify = definition().States['Notify Target And Wait'];
    expect(notify.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(notify.TimeoutSecondsPath).toBe('$.timeoutSeconds');
    expect(JSON.stringify(notify.Parameters)).toContain('$$.Task.Token');
  });

  it('gives every function its own role', () => {
    const functions = resourcesOfType(stack, 'AWS::Lambda::Function');
    const roles = functions.map(([, f]) => JSON.stringify(f.Properties.Role));
    expect(new Set(roles).size).toBe(functions.length);
    for (const role of roles) expect(role).not.toContain('"IamRoleLambdaExecution"');
  });

  // Every role against the Service Authorization Reference and the code's calls: test/contract/iam-roles.test.ts.

  it('puts AWS_IAM on every API method', () => {
    const methods = resourcesOfType(stack, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods.length).toBeGreaterThanOrEqual(2);
    for (const [id, m] of methods) expect(m.Properties.AuthorizationType, id).toBe('AWS_IAM');
  });

  it('keeps the table encrypted with point-in-time recovery', () => {
    const [, table] = resourcesOfType(stack, 'AWS::DynamoDB::Table')[0];
    expect(table.Properties).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, SSESpecification: { SSEEnabled: true } });
  });

  it('has a certificate-transfer bus whose policy admits only the configured accounts', () => {
    const [, bus] = resourcesOfType(stack, 'AWS::Events::EventBus')[0];
    expect(bus.Properties.Name).toBe('certificate-transfer-dev');
    const [, policy] = resourcesOfType(stack, 'AWS::Events::EventBusPolicy')[0];
    expect(policy.Properties.Statement).toMatchObject({ Effect: 'Allow', Action: 'events:PutEvents', Principal: { AWS: { 'Fn::Split': [',', '222222222222,333333333333'] } } });
  });

  it('logs and traces the state machine', () => {
    const [, sm] = resourcesOfType(stack, 'AWS::StepFunctions::StateMachine')[0];
    expect(sm.Properties).toMatchObject({ TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ERROR' } });
  });

  it('runs Lambda on nodejs22.x, arm64', () => {
    for (const [id, f] of resourcesOfType(stack, 'AWS::Lambda::Function')) {
      expect(f.Properties.Runtime, id).toBe('nodejs22.x');
      expect(f.Properties.Architectures, id).toEqual(['arm64']);
    }
  });
});

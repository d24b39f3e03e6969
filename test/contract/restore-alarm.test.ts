// The RESTORE_FAILED alarm of serverless.yml watches the very metric src/metrics.ts emits,
// and notifies a topic operators can subscribe to (the stack outputs its ARN).
import { describe, expect, it } from 'vitest';
import { loadServerlessStack } from '../../local/serverless/stack.js';
import { Metric, METRICS_NAMESPACE } from '../../src/metrics.js';
import { deployParams } from '../support/deploy-params.js';

const stack = loadServerlessStack('serverless.yml', { stage: 'dev', params: deployParams('serverless.yml') });
const alarms = Object.entries(stack.resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
const provider = (stack.raw.provider ?? {}) as { environment?: Record<string, unknown> };

describe('the RestoreFailed alarm', () => {
  const [id, alarm] = alarms.find(([, r]) => r.Properties?.MetricName === Metric.RestoreFailed) ?? [];
  const props = (alarm?.Properties ?? {}) as Record<string, unknown>;

  it('watches the metric the functions emit, in their namespace, with the service dimension Powertools adds', () => {
    expect(id, 'an AWS::CloudWatch::Alarm on RestoreFailed').toBeDefined();
    expect(props.Namespace).toBe(METRICS_NAMESPACE);
    expect(props.Dimensions).toEqual([{ Name: 'service', Value: provider.environment?.POWERTOOLS_SERVICE_NAME }]);
    // EMF must not be switched off where logs are pretty-printed (POWERTOOLS_DEV).
    expect(provider.environment?.POWERTOOLS_METRICS_DISABLED).toBe('false');
  });

  it('fires on the first RESTORE_FAILED and stays quiet without data', () => {
    expect(props).toMatchObject({ Statistic: 'Sum', ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    expect(props.Threshold).toBeGreaterThanOrEqual(1);
    expect(props.Threshold).toBeLessThanOrEqual(1);
  });

  it("notifies the stack's SNS topic, whose ARN is an output", () => {
    const actions = props.AlarmActions as { Ref: string }[];
    expect(actions).toHaveLength(1);
    expect(stack.resources[actions[0].Ref]?.Type).toBe('AWS::SNS::Topic');
    const outputs = (stack.raw.resources as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};
    expect(Object.values(outputs).map((o) => o.Value)).toContainEqual({ Ref: actions[0].Ref });
  });
});

// The EventBridge wire protocol: awsJson 1.1 with X-Amz-Target `AWSEvents.<Operation>`
// (local/shared/aws-json.ts), and the table of the operations it implements.
import type { ServiceProvider } from '../edge/types.js';
import { createAwsJsonProvider, type AwsJsonOperation } from '../shared/aws-json.js';
import type { EventBridgeModel } from './model.js';

/** Implemented operations, by wire name. Everything else answers 501. */
export const OPERATIONS: Readonly<Record<string, AwsJsonOperation<EventBridgeModel>>> = {
  CreateEventBus: (m, c, i) => m.createEventBus(c, i),
  DeleteEventBus: (m, c, i) => m.deleteEventBus(c, i),
  DescribeEventBus: (m, c, i) => m.describeEventBus(c, i),
  ListEventBuses: (m, c, i) => m.listEventBuses(c, i),
  PutPermission: (m, c, i) => m.putPermission(c, i),
  RemovePermission: (m, c, i) => m.removePermission(c, i),
  PutRule: (m, c, i) => m.putRule(c, i),
  DescribeRule: (m, c, i) => m.describeRule(c, i),
  ListRules: (m, c, i) => m.listRules(c, i),
  DeleteRule: (m, c, i) => m.deleteRule(c, i),
  EnableRule: (m, c, i) => m.enableRule(c, i),
  DisableRule: (m, c, i) => m.disableRule(c, i),
  TestEventPattern: (m, c, i) => m.testEventPattern(c, i),
  PutTargets: (m, c, i) => m.putTargets(c, i),
  RemoveTargets: (m, c, i) => m.removeTargets(c, i),
  ListTargetsByRule: (m, c, i) => m.listTargetsByRule(c, i),
  ListRuleNamesByTarget: (m, c, i) => m.listRuleNamesByTarget(c, i),
  PutEvents: (m, c, i) => m.putEvents(c, i),
  TagResource: (m, c, i) => m.tagResource(c, i),
  UntagResource: (m, c, i) => m.untagResource(c, i),
  ListTagsForResource: (m, c, i) => m.listTagsForResource(c, i),
};

export function createEventBridgeProvider(model: EventBridgeModel): ServiceProvider {
  return createAwsJsonProvider(model, {
    name: 'events',
    signingNames: ['events'],
    title: 'EventBridge',
    version: '1.1',
    targetPrefix: 'AWSEvents',
    operations: OPERATIONS,
    internalErrorName: 'InternalException',
  });
}

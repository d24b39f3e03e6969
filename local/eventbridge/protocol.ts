/**
 * EventBridge wire layer: awsJson1.1 (`POST /`, `X-Amz-Target: AWSEvents.<Operation>`,
 * `Content-Type: application/x-amz-json-1.1`). Parses the body, calls the model,
 * serializes the result (timestamps as epoch seconds) or the error as
 * `{"__type": "<Name>", "message": "…"}` with the error's status.
 */
import { AwsError, type AwsRequest, type AwsResponse, type ServiceProvider } from '../edge/types.js';
import type { CallContext, EventBridgeModel } from './model.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET_PREFIX = 'AWSEvents.';

type Input = Record<string, unknown>;
type Operation = (model: EventBridgeModel, ctx: CallContext, input: Input) => unknown;

/** Implemented operations, by wire name. Everything else answers 501. */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
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

function errorResponse(code: string, message: string, status: number): AwsResponse {
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-errortype': code },
    body: JSON.stringify({ __type: code, message }),
  };
}

/** Dates become epoch seconds, as awsJson serializes timestamps. */
function toWire(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });
}

export function createEventBridgeProvider(model: EventBridgeModel): ServiceProvider {
  return {
    name: 'events',
    signingNames: ['events'],
    async handle(req: AwsRequest): Promise<AwsResponse> {
      const target = req.headers['x-amz-target'] ?? '';
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      if (req.method !== 'POST' || !operation) {
        return errorResponse('UnknownOperationException', `Expected POST with X-Amz-Target: ${TARGET_PREFIX}<Operation>`, 400);
      }
      const handler = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
      if (!handler) {
        return errorResponse('NotImplementedException', `The operation ${operation} of service 'events' is not implemented by the local cloud`, 501);
      }
      let input: unknown = {};
      if (req.body.length > 0) {
        try {
          input = JSON.parse(req.body.toString('utf8'));
        } catch {
          return errorResponse('SerializationException', 'The request body is not valid JSON.', 400);
        }
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return errorResponse('SerializationException', 'The request body must be a JSON object.', 400);
      }
      try {
        const output = handler(model, { account: req.account, region: req.region }, input as Input);
        return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: toWire(output ?? {}) };
      } catch (err) {
        if (err instanceof AwsError) return errorResponse(err.code, err.message, err.status);
        // Unexpected: a plain 500; the detail stays in the log.
        console.error('[eventbridge]', operation, err);
        return errorResponse('InternalException', 'An internal error occurred.', 500);
      }
    },
  };
}

import { AwsError, type AwsRequest, type AwsResponse, type ServiceProvider } from '../edge/types.js';
import type { RequestContext, StepFunctionsModel } from './model.js';

/**
 * Step Functions speaks awsJson1.0: `POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`,
 * `Content-Type: application/x-amz-json-1.0`, a JSON body in and out, dates as epoch
 * seconds, errors as `{"__type": "<Name>", "message": "…"}` with HTTP 400.
 *
 * StartSyncExecution is modelled with the endpoint host prefix `sync-`: against a
 * local endpoint the SDK would call `sync-127.0.0.1`, so clients set
 * `disableHostPrefix: true` (SDK v3 `new SFNClient({ endpoint, disableHostPrefix: true })`,
 * AWS CLI `--endpoint-url` disables it already).
 */

type Operation = (model: StepFunctionsModel, ctx: RequestContext, input: Record<string, unknown>) => Promise<unknown>;

const OPERATIONS: Record<string, Operation> = {
  CreateStateMachine: (m, c, i) => m.createStateMachine(c, i),
  DescribeStateMachine: (m, c, i) => m.describeStateMachine(c, i),
  DescribeStateMachineForExecution: (m, c, i) => m.describeStateMachineForExecution(c, i),
  ListStateMachines: (m, c, i) => m.listStateMachines(c, i),
  UpdateStateMachine: (m, c, i) => m.updateStateMachine(c, i),
  DeleteStateMachine: (m, c, i) => m.deleteStateMachine(c, i),
  StartExecution: (m, c, i) => m.startExecution(c, i),
  StartSyncExecution: (m, c, i) => m.startSyncExecution(c, i),
  DescribeExecution: (m, c, i) => m.describeExecution(c, i),
  ListExecutions: (m, c, i) => m.listExecutions(c, i),
  StopExecution: (m, c, i) => m.stopExecution(c, i),
  GetExecutionHistory: (m, c, i) => m.getExecutionHistory(c, i),
  SendTaskSuccess: (m, c, i) => m.sendTaskSuccess(c, i),
  SendTaskFailure: (m, c, i) => m.sendTaskFailure(c, i),
  SendTaskHeartbeat: (m, c, i) => m.sendTaskHeartbeat(c, i),
};

export const IMPLEMENTED_OPERATIONS = Object.keys(OPERATIONS);

const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** Dates become epoch seconds (fractional), undefined members disappear. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

function errorResponse(err: AwsError): AwsResponse {
  return {
    status: err.status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-errortype': err.code },
    body: JSON.stringify({ __type: err.code, message: err.message }),
  };
}

export function createStepFunctionsProvider(model: StepFunctionsModel): ServiceProvider {
  return {
    name: 'stepfunctions',
    signingNames: ['states'],
    async handle(req: AwsRequest): Promise<AwsResponse> {
      const target = req.headers['x-amz-target'] ?? '';
      const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
      const op = OPERATIONS[operation];
      if (req.method !== 'POST' || !op) {
        return errorResponse(new AwsError('NotImplementedException', `The operation '${operation || target || `${req.method} ${req.path}`}' of Step Functions is not implemented by the local cloud`, 501));
      }
      let input: Record<string, unknown>;
      try {
        const text = req.body.length === 0 ? '{}' : req.body.toString('utf8');
        const parsed = JSON.parse(text) as unknown;
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body must be a JSON object');
        input = parsed as Record<string, unknown>;
      } catch (err) {
        return errorResponse(new AwsError('SerializationException', `Could not parse the request body: ${(err as Error).message}`));
      }
      try {
        const output = await op(model, { account: req.account, region: req.region }, input);
        return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(toWire(output ?? {})) };
      } catch (err) {
        if (err instanceof AwsError) return errorResponse(err);
        throw err;
      }
    },
  };
}

// The Step Functions wire protocol: awsJson 1.0 with X-Amz-Target `AWSStepFunctions.<Operation>`
// (local/shared/aws-json.ts), and the table of the operations it implements.
import type { ServiceProvider } from '../edge/types.js';
import { createAwsJsonProvider, type AwsJsonOperation } from '../shared/aws-json.js';
import type { StepFunctionsModel } from './model.js';

/*
 * StartSyncExecution is modelled with the endpoint host prefix `sync-`: against a
 * local endpoint the SDK would call `sync-127.0.0.1`, so clients set
 * `disableHostPrefix: true` (SDK v3 `new SFNClient({ endpoint, disableHostPrefix: true })`,
 * AWS CLI `--endpoint-url` disables it already).
 */

/** Implemented operations, by wire name. Everything else answers 501. */
const OPERATIONS: Readonly<Record<string, AwsJsonOperation<StepFunctionsModel>>> = {
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

export function createStepFunctionsProvider(model: StepFunctionsModel): ServiceProvider {
  return createAwsJsonProvider(model, {
    name: 'stepfunctions',
    signingNames: ['states'],
    title: 'Step Functions',
    version: '1.0',
    targetPrefix: 'AWSStepFunctions',
    operations: OPERATIONS,
    // Step Functions lists no service-specific 500: the common error.
    internalErrorName: 'InternalFailure',
  });
}

// A mocked Step Functions client that starts executions as AWS names them: the machine's ARN with
// `:execution:` and the execution's name, so tests can follow an execution ARN back to its transfer.
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/** Every StartExecution answers `<machine ARN as an execution ARN>:<name>` and now. */
export function startsExecutions(sfn: AwsClientStub<SFNClient>): void {
  sfn
    .on(StartExecutionCommand)
    .callsFake((input: { stateMachineArn: string; name: string }) => ({ executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() }));
}

import '../../polyfills.js';
import { startLocalSfn } from '../../../test/local/stepfunctions/helpers.js';
import { StartExecutionCommand, DescribeExecutionCommand, ListStateMachinesCommand } from '@aws-sdk/client-sfn';
const sfn = await startLocalSfn(() => ({ status: 'INACTIVE' }));
const arn = await sfn.create('h', 'history');
for (let i = 0; i < 5; i++) {
  let t = performance.now();
  await sfn.client.send(new ListStateMachinesCommand({}));
  const a = performance.now() - t; t = performance.now();
  const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
  const b = performance.now() - t; t = performance.now();
  await sfn.model.waitForExecution(executionArn!);
  const c = performance.now() - t; t = performance.now();
  await sfn.client.send(new DescribeExecutionCommand({ executionArn }));
  console.log(a.toFixed(1), b.toFixed(1), c.toFixed(1), (performance.now() - t).toFixed(1));
}
await sfn.close();

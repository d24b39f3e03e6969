import '../../polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
const defs: any[] = [
 { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: { StateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:x', 'Input.$': '$' }, End: true } } },
 { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSecondsPath: '$.t', HeartbeatSeconds: 5, Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:111111111111:function:x', 'Payload': { 'token.$': '$$.Task.Token' } }, End: true } } },
 { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:111111111111:function:x', End: true } } },
 { StartAt: 'A', States: { A: { Type: 'Task', Resource: '${Fn}', End: true } } },
 { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'A2' }, A2: { Type: 'Map', ItemsPath: '$.x', MaxConcurrencyPath: '$.c', ItemSelector: { 'v.$': '$$.Map.Item.Value' }, ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }, End: true } } },
 { StartAt: 'A', States: { A: { Type: 'Wait', Seconds: 0, End: true } } },
 { StartAt: 'A', States: { A: { Type: 'Fail' } } },
 { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' } } },
 { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
 { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retry: [{ ErrorEquals: ['X'], IntervalSeconds: 0, MaxAttempts: 2, JitterStrategy: 'FULL' }], Parameters: { FunctionName: 'x' }, End: true } } },
];
for (const d of defs) { try { new StateMachine(d); console.log('ok'); } catch (e) { console.log('ERR', (e as Error).message.slice(0, 300)); } }

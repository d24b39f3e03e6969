import '../../polyfills.js';
import { StateMachine, ExecutionError } from 'aws-local-stepfunctions';

// (a) capture StatesTimeoutError
const sm = new StateMachine({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:111111111111:function:x', TimeoutSeconds: 0.001, End: true } } } as any, { validationOptions: { noValidate: true } });
const t0 = Date.now();
const r = sm.run({}, { overrides: { taskResourceLocalHandlers: { T: () => new Promise(() => {}) } } });
try { await r.result; } catch (e) { console.log('captured', (e as any).cause?.name, (e as any).cause?.constructor?.name, Date.now() - t0, 'ms'); }

// (b) token getter + Map ordering
let pending: string | undefined; let n = 0;
const ctx = { Task: { get Token() { if (!pending) { pending = 'tok' + (++n); queueMicrotask(() => { pending = undefined; }); } return pending; } } };
const def = {
  StartAt: 'M',
  States: {
    M: { Type: 'Map', ItemsPath: '$.items', MaxConcurrency: 2, ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'W', States: { W: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'f', Payload: { 'tok.$': '$$.Task.Token', 'v.$': '$' } }, End: true } } }, Next: 'D' },
    D: { Type: 'Pass', End: true },
  },
};
const sm2 = new StateMachine(def as any);
const r2 = sm2.run({ items: [1, 2, 3, 4] }, { context: ctx, overrides: { taskResourceLocalHandlers: { W: async (inp: any) => { console.log('handler', JSON.stringify(inp), 'pending', pending); await new Promise((res) => setTimeout(res, 5)); return inp.Payload.v; } } } });
const logs: any[] = [];
(async () => { for await (const ev of r2.eventLogs) logs.push(ev); })();
console.log('result', await r2.result);
await new Promise((res) => setTimeout(res, 10));
for (const l of logs) console.log(l.type, l.state?.name ?? l.parentState?.name, l.index);

import { readFileSync } from 'node:fs';
import { SFNClient, CreateStateMachineCommand, DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { parse } from 'yaml';
import { startEdge } from '../../../local/edge/server.js';
import { StepFunctionsModel, type StepFunctionsModelOptions, type TaskCall } from '../../../local/stepfunctions/model.js';
import { createStepFunctionsProvider } from '../../../local/stepfunctions/protocol.js';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/state-machine`;

/** A fixture definition (YAML) as the JSON string CreateStateMachine takes. */
export function definition(name: string): string {
  return JSON.stringify(parse(readFileSync(new URL(`./fixtures/${name}.yaml`, import.meta.url), 'utf8')));
}

/** An unbounded queue the test awaits items from (task calls, tokens…), optionally only the items matching a predicate. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: { match: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  push(item: T): void {
    const i = this.waiters.findIndex((w) => w.match(item));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(item);
    else this.items.push(item);
  }

  next(match: (item: T) => boolean = () => true): Promise<T> {
    const i = this.items.findIndex(match);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

export interface LocalSfn {
  model: StepFunctionsModel;
  client: SFNClient;
  url: string;
  calls: Inbox<TaskCall>;
  /** Every task call so far, in order. */
  log: TaskCall[];
  create(name: string, fixture: string, type?: 'STANDARD' | 'EXPRESS'): Promise<string>;
  close(): Promise<void>;
}

/**
 * The model behind the real edge server and SDK client. `handler` plays the Lambda
 * functions; every call is also queued in `calls`.
 */
export async function startLocalSfn(handler: (call: TaskCall) => unknown | Promise<unknown>, options: Partial<StepFunctionsModelOptions> = {}, accessKeyId = ACCOUNT): Promise<LocalSfn> {
  const calls = new Inbox<TaskCall>();
  const log: TaskCall[] = [];
  const model = new StepFunctionsModel({
    ...options,
    invokeTask: async (call) => {
      calls.push(call);
      log.push(call);
      return handler(call);
    },
  });
  const edge = await startEdge([createStepFunctionsProvider(model)], 0);
  const client = new SFNClient({
    endpoint: edge.url,
    region: REGION,
    credentials: { accessKeyId, secretAccessKey: 'x' },
    disableHostPrefix: true,
    maxAttempts: 1,
  });
  return {
    model,
    client,
    url: edge.url,
    calls,
    log,
    async create(name, fixture, type = 'STANDARD') {
      const out = await client.send(new CreateStateMachineCommand({ name, definition: definition(fixture), roleArn: ROLE, type }));
      return out.stateMachineArn!;
    },
    async close() {
      client.destroy();
      await model.shutdown();
      await edge.close();
    },
  };
}

/** Polls DescribeExecution until the execution has left RUNNING. */
export async function settled(client: SFNClient, executionArn: string, timeoutMs = 10_000): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise with its resolve/reject, for handlers the test completes by hand. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A custom error class, as the project's handlers throw them. */
export class TransferConflictException extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransferConflictException';
  }
}

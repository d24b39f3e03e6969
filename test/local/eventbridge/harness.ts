/** Starts the EventBridge emulator behind the edge router and hands out SDK clients per account. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { startEdge } from '../../../local/edge/server.js';
import { EventBridgeModel, type EventBridgeEvent, type EventBridgeModelOptions, type DeliveryContext, type RuleRef, type Target } from '../../../local/eventbridge/model.js';
import { createEventBridgeProvider } from '../../../local/eventbridge/protocol.js';

export const SOURCE = '111111111111';
export const TARGET_AUTO = '222222222222';
export const TARGET_HUMAN = '333333333333';
export const STRANGER = '444444444444';
export const REGION = 'us-east-1';

export interface Invocation {
  target: Target;
  event: EventBridgeEvent;
  rule: RuleRef;
  context: DeliveryContext;
}

export interface Harness {
  model: EventBridgeModel;
  url: string;
  invocations: Invocation[];
  client(account: string): EventBridgeClient;
  close(): Promise<void>;
}

/**
 * `invoke` lets a test decide what a target does (throw to fail the delivery);
 * every call is recorded in `invocations` first.
 */
export async function startHarness(options: EventBridgeModelOptions = {}, invoke?: (inv: Invocation) => unknown): Promise<Harness> {
  const invocations: Invocation[] = [];
  const model = new EventBridgeModel({
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
    invokeTarget: (target, event, rule, context) => {
      const inv = { target, event, rule, context };
      invocations.push(inv);
      return invoke?.(inv);
    },
  });
  const edge = await startEdge([createEventBridgeProvider(model)], 0);
  const clients: EventBridgeClient[] = [];
  return {
    model,
    url: edge.url,
    invocations,
    client(account: string) {
      const c = new EventBridgeClient({ endpoint: edge.url, region: REGION, credentials: { accessKeyId: account, secretAccessKey: 'x' }, maxAttempts: 1 });
      clients.push(c);
      return c;
    },
    async close() {
      model.stop();
      for (const c of clients) c.destroy();
      await edge.close();
    },
  };
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Runs `fn` and returns the error it throws (fails the test when it does not throw). */
export async function errorOf(fn: () => Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

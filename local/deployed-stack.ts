// A stack as the local cloud deployed it into an account: its serverless config and the names
// and ARNs its functions, state machines and resources got. Read by the cloud and its console.
import type { ResourceValues } from './cloudformation/intrinsics.js';
import type { ServerlessStack } from './serverless/stack.js';

export interface DeployedStack {
  account: string;
  stack: ServerlessStack;
  functions: Record<string, string>;
  stateMachines: Record<string, string>;
  resources: Record<string, ResourceValues>;
}

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const eventBridge = /* @__PURE__ */ new EventBridgeClient({ maxAttempts: 4 });

import { IoTClient } from '@aws-sdk/client-iot';

// Created once per cold start. SDK retries cover transient network faults;
// IoT throttling is also retried by the state machine with full jitter.
export const iot = /* @__PURE__ */ new IoTClient({ maxAttempts: 4 });

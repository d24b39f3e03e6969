import { IoTClient } from '@aws-sdk/client-iot';
import { parseRateLimits, RateBudget } from '../ratebudget.js';

// Created once per cold start. SDK retries cover transient network faults;
// IoT throttling is also retried by the state machine with full jitter.
export const iot = /* @__PURE__ */ new IoTClient({
  maxAttempts: Number(process.env.IOT_MAX_ATTEMPTS ?? 4),
  // Adaptive: after a throttle the client paces itself (used where no rate budget is configured).
  retryMode: process.env.RATE_BUDGET_TABLE ? 'standard' : 'adaptive',
});

/** The deployment-wide IoT rate budget, when the function is given a table for it. */
export const rateBudget = process.env.RATE_BUDGET_TABLE
  ? new RateBudget(process.env.RATE_BUDGET_TABLE, process.env.ACCOUNT_ID ?? 'account', parseRateLimits(process.env.IOT_RATE_LIMITS) ?? {}, Number(process.env.RATE_BUDGET_MAX_WAIT_MS ?? 20_000))
  : undefined;

if (rateBudget) {
  iot.middlewareStack.add(
    (next, context) => async (args) => {
      await rateBudget.acquire(String(context.commandName ?? '').replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'iotRateBudget' },
  );
}

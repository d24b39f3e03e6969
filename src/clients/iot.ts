import { IoTClient } from '@aws-sdk/client-iot';
import { config } from '../config.js';
import { RateBudget } from '../ratebudget.js';

// Created once per cold start, its settings read then (src/config.ts). SDK retries cover transient
// network faults; IoT throttling is also retried by the state machine with full jitter.
const budgetTable = config.rateBudgetTable;

export const iot = /* @__PURE__ */ new IoTClient({
  maxAttempts: config.iotMaxAttempts,
  // Adaptive: after a throttle the client paces itself (used where no rate budget is configured).
  retryMode: budgetTable ? 'standard' : 'adaptive',
});

/** The deployment-wide IoT rate budget, when the function is given a table for it. */
export const rateBudget = budgetTable ? new RateBudget(budgetTable, config.accountId, config.iotRateLimits ?? {}, config.rateBudgetMaxWaitMs) : undefined;

if (rateBudget) {
  iot.middlewareStack.add(
    (next, context) => async (args) => {
      await rateBudget.acquire(String(context.commandName ?? '').replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'iotRateBudget' },
  );
}

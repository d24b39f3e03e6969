// Lambda's event invocations (how EventBridge invokes a function): function errors are retried by
// Lambda MaximumRetryAttempts times and never reach EventBridge; a refused event does.
import { describe, expect, it } from 'vitest';
import { invokeAsync } from '../../../local/lambda/async-invoke.js';
import { LambdaInvocationError, lambdaErrors } from '../../../local/lambda/errors.js';

const failing = (errors: Error[]) => {
  let calls = 0;
  return {
    run: async () => {
      const e = errors[calls++];
      if (e) throw e;
      return 'ok';
    },
    calls: () => calls,
  };
};
const functionError = () => new LambdaInvocationError({ errorType: 'Error', errorMessage: 'boom' });

describe('asynchronous invocation', () => {
  it('a function error is retried twice by default, then discarded without failing the caller', async () => {
    const f = failing([functionError(), functionError(), functionError(), functionError()]);
    const discarded: number[] = [];
    await expect(invokeAsync(f.run, { maximumRetryAttempts: 2, retryDelayMs: () => 1, onDiscarded: (_e, n) => discarded.push(n) })).resolves.toBeUndefined();
    expect(f.calls()).toBe(3);
    expect(discarded).toEqual([3]);
  });

  it('MaximumRetryAttempts 0 runs once; a later success stops the retries', async () => {
    const once = failing([functionError(), functionError()]);
    await invokeAsync(once.run, { maximumRetryAttempts: 0, retryDelayMs: () => 1 });
    expect(once.calls()).toBe(1);
    const second = failing([functionError()]);
    const discarded: number[] = [];
    await invokeAsync(second.run, { maximumRetryAttempts: 2, retryDelayMs: () => 1, onDiscarded: (_e, n) => discarded.push(n) });
    expect(second.calls()).toBe(2);
    expect(discarded).toEqual([]);
  });

  it('throttles are retried beyond MaximumRetryAttempts; an event Lambda refuses is thrown to the caller', async () => {
    const throttled = failing([lambdaErrors.reservedConcurrencyExceeded(), lambdaErrors.reservedConcurrencyExceeded(), lambdaErrors.reservedConcurrencyExceeded()]);
    await invokeAsync(throttled.run, { maximumRetryAttempts: 0, retryDelayMs: () => 1 });
    expect(throttled.calls()).toBe(4);
    const missing = failing([lambdaErrors.notFound('arn:aws:lambda:us-east-1:111111111111:function:gone')]);
    await expect(invokeAsync(missing.run, { maximumRetryAttempts: 2, retryDelayMs: () => 1 })).rejects.toMatchObject({ name: 'Lambda.ResourceNotFoundException' });
    expect(missing.calls()).toBe(1);
  });
});

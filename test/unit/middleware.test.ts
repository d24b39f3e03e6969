import { describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../fixtures/context.js';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { withMiddleware } = await import('../../src/middleware.js');

describe('withMiddleware', () => {
  it('never fails a handler on its own as the deadline nears: past it, Lambda kills the sandbox (Sandbox.Timedout, which the steps retry)', async () => {
    // 30 ms left, and the work takes longer: middy's default would throw its TimeoutError at 25 ms.
    const deadline = Date.now() + 30;
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as Context;
    let finish!: (v: string) => void;
    const work = new Promise<string>((resolve) => (finish = resolve));
    const handler = withMiddleware('slow-step', () => work);
    const outcome = handler({}, context).then(
      (v) => ({ ok: true, v }),
      (err: Error) => ({ ok: false, name: err.name }),
    );
    // Let the deadline pass with the work still running, then let it finish.
    await new Promise<void>((resolve) => {
      const poll = () => (Date.now() > deadline + 20 ? resolve() : setImmediate(poll));
      poll();
    });
    finish('done');
    expect(await outcome).toEqual({ ok: true, v: 'done' });
  });

  it("passes the handler's own error through unchanged, so Step Functions sees its name", async () => {
    const err = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const handler = withMiddleware('failing-step', async () => {
      throw err;
    });
    await expect(handler({}, lambdaContext())).rejects.toBe(err);
  });
});

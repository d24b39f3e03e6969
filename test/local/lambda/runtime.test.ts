// Local Lambda as AWS runs it: an instance per concurrent invocation, killed at its timeout or crash
// without touching the others, payloads and concurrency limited as Lambda limits them.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaRuntime, type InvocationRecord, type LocalFunctionConfig } from '../../../local/lambda/runtime.js';
import { MAX_REQUEST_PAYLOAD_BYTES, MAX_RESPONSE_PAYLOAD_BYTES } from '../../../local/lambda/errors.js';
import { until } from '../../support/cloud.js';

const FIXTURES = resolve('test/local/lambda/fixtures');
const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const arnOf = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const dir = mkdtempSync(join(tmpdir(), 'local-lambda-'));
let seq = 0;
const tmpFile = (what: string) => join(dir, `${what}-${++seq}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fn(name: string, extra: Partial<LocalFunctionConfig> = {}): LocalFunctionConfig {
  return { account: ACCOUNT, region: REGION, name, handlerFile: join(FIXTURES, 'misbehaving'), handlerExport: 'handler', timeoutSeconds: 3, memorySize: 128, environment: {}, ...extra };
}

async function startRuntime(configs: LocalFunctionConfig[], opts: Partial<ConstructorParameters<typeof LambdaRuntime>[0]> = {}) {
  const records: InvocationRecord[] = [];
  const logs: string[] = [];
  const runtime = new LambdaRuntime({ buildDir: join(dir, 'build'), endpoint: 'http://127.0.0.1:9', onInvocation: (r) => records.push(r), onLog: (_arn, line) => logs.push(line), ...opts });
  await runtime.deploy(configs);
  return { runtime, records, logs };
}

type Echo = { instance: string; served: number };
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

describe('local Lambda: instances', () => {
  let t: Awaited<ReturnType<typeof startRuntime>>;
  beforeAll(async () => {
    t = await startRuntime([
      fn('work', { timeoutSeconds: 1.5 }),
      fn('warm'),
      fn('broken', { handlerFile: join(FIXTURES, 'broken') }),
      fn('missing', { handlerExport: 'nope' }),
      fn('slowInit', { handlerFile: join(FIXTURES, 'slow-init'), timeoutSeconds: 1 }),
    ]);
  }, 30_000);
  afterAll(() => t.runtime.shutdown());
  const gone = (instanceId: string) => !t.runtime.instances(arnOf('work'))!.ids.includes(instanceId);

  it('gives each concurrent invocation its own instance, and reuses an idle one afterwards', async () => {
    const go = tmpFile('go');
    const first = t.runtime.invoke(arnOf('work'), { action: 'waitFor', file: go });
    const second = t.runtime.invoke(arnOf('work'), { action: 'waitFor', file: go });
    await until('both invocations to be running', async () => t.runtime.instances(arnOf('work'))!.busy === 2);
    writeFileSync(go, '');
    const [a, b] = (await Promise.all([first, second])) as Echo[];

    expect(a.instance).not.toBe(b.instance);
    const again = (await t.runtime.invoke(arnOf('work'), { action: 'echo' })) as Echo;
    expect([a.instance, b.instance]).toContain(again.instance);
    const last = t.records.at(-1)!;
    expect(last).toMatchObject({ ok: true, coldStart: false });
    expect(t.runtime.instances(arnOf('work'))).toMatchObject({ instances: 2, idle: 2, busy: 0 });
  });

  it('kills an invocation past its timeout mid-loop, and leaves a concurrent one on another instance alone', async () => {
    const ticks = tmpFile('ticks');
    const go = tmpFile('go');
    const hung = t.runtime.invoke(arnOf('work'), { action: 'tick', file: ticks });
    // The second starts once the first is well under way, so it is still running when the first is killed.
    await until('the hung handler to tick', async () => lines(ticks) >= 10);
    const other = t.runtime.invoke(arnOf('work'), { action: 'waitFor', file: go });
    await until('both to run', async () => t.runtime.instances(arnOf('work'))!.busy === 2);

    const err = await hung.catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'Sandbox.Timedout', message: expect.stringMatching(/^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.50 seconds$/) });
    expect(t.logs.some((l) => l.endsWith('Task timed out after 1.50 seconds'))).toBe(true);
    const killed = t.records.at(-1)!;
    expect(killed).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout', instanceId: expect.any(String) });
    await until('the killed instance to be gone', async () => gone(killed.instanceId!));
    const ticksAtKill = lines(ticks);

    writeFileSync(go, '');
    const survivor = (await other) as Echo;
    await t.runtime.invoke(arnOf('work'), { action: 'echo' });

    expect(survivor.instance).toBeTypeOf('string');
    expect(t.records.at(-2)).toMatchObject({ ok: true }); // the concurrent invocation, untouched
    expect(lines(ticks)).toBe(ticksAtKill); // not one more line from the killed handler
  });

  it('stops a synchronous busy loop at the timeout', async () => {
    const err = await t.runtime.invoke(arnOf('work'), { action: 'spin' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'Sandbox.Timedout' });
    const spun = t.records.at(-1)!.instanceId!;
    await until('the spinning thread to be terminated', async () => gone(spun));
    await expect(t.runtime.invoke(arnOf('work'), { action: 'echo' })).resolves.toMatchObject({ event: { action: 'echo' } });
  });

  it('fails only its own invocation when a handler calls process.exit, and replaces the instance', async () => {
    const go = tmpFile('go');
    const bystander = t.runtime.invoke(arnOf('work'), { action: 'waitFor', file: go });
    await until('the bystander to run', async () => t.runtime.instances(arnOf('work'))!.busy === 1);

    const err = await t.runtime.invoke(arnOf('work'), { action: 'exit', code: 3 }).catch((e: unknown) => e);
    const crashed = t.records.at(-1)!.instanceId!;
    writeFileSync(go, '');

    expect(err).toMatchObject({ name: 'Runtime.ExitError', message: expect.stringMatching(/^RequestId: \S+ Error: Runtime exited with error: exit status 3$/) });
    await expect(bystander).resolves.toMatchObject({ instance: expect.any(String) });
    const bystanderInstance = t.records.at(-1)!.instanceId!;
    expect(gone(crashed)).toBe(true);
    expect(gone(bystanderInstance)).toBe(false);
    await expect(t.runtime.invoke(arnOf('work'), { action: 'echo' })).resolves.toMatchObject({ event: { action: 'echo' } });
  });

  it('reports an uncaught exception and an unhandled rejection as the Node.js runtime does, then replaces the instance', async () => {
    await expect(t.runtime.invoke(arnOf('work'), { action: 'throwLater' })).rejects.toMatchObject({ name: 'TypeError', message: 'thrown from a timer' });
    const threw = t.records.at(-1)!.instanceId!;
    await expect(t.runtime.invoke(arnOf('work'), { action: 'rejectLater' })).rejects.toMatchObject({ name: 'Runtime.UnhandledPromiseRejection', message: 'Error: nobody catches this' });
    const rejected = t.records.at(-1)!.instanceId!;

    await until('both crashed instances to be dropped', async () => gone(threw) && gone(rejected));
    await expect(t.runtime.invoke(arnOf('work'), { action: 'echo' })).resolves.toMatchObject({ event: { action: 'echo' } });
  });

  it('fails the invocation with the init error when the module cannot load, and tries again next time', async () => {
    await expect(t.runtime.invoke(arnOf('broken'), {})).rejects.toMatchObject({ name: 'Error', message: 'cannot load at init' });
    await expect(t.runtime.invoke(arnOf('broken'), {})).rejects.toMatchObject({ message: 'cannot load at init' });
    expect(t.runtime.instances(arnOf('broken'))).toMatchObject({ instances: 0, started: 2 });
    await expect(t.runtime.invoke(arnOf('missing'), {})).rejects.toMatchObject({ name: 'Runtime.HandlerNotFound', message: 'misbehaving.nope is undefined or not exported' });
  });

  it('differs from AWS: a timer left behind keeps running while the instance is idle (Lambda freezes it)', async () => {
    const ticks = tmpFile('idle-ticks');
    await t.runtime.invoke(arnOf('work'), { action: 'leaveTimer', file: ticks });
    await until('the left-behind timer to tick while idle', async () => t.runtime.instances(arnOf('work'))!.busy === 0 && lines(ticks) >= 3);
  });

  it('differs from AWS: init is not limited to 10 s nor counted in the timeout (the clock starts with the handler)', async () => {
    await expect(t.runtime.invoke(arnOf('slowInit'), {})).resolves.toBe('loaded');
  });

  it('warmAll starts one instance per function, so the first invocation is warm', async () => {
    const w = await startRuntime([fn('fresh')]);
    try {
      await w.runtime.warmAll();
      expect(w.runtime.instances(arnOf('fresh'))).toMatchObject({ instances: 1, idle: 1, started: 1 });
      await w.runtime.invoke(arnOf('fresh'), { action: 'echo' });
      expect(w.records).toEqual([expect.objectContaining({ ok: true, coldStart: false })]);
    } finally {
      await w.runtime.shutdown();
    }
  });

  it('reclaims an instance left idle, so the next invocation starts cold', async () => {
    const w = await startRuntime([fn('idle')], { instanceIdleMs: 50 });
    try {
      await w.runtime.invoke(arnOf('idle'), { action: 'echo' });
      await until('the idle instance to be reclaimed', async () => w.runtime.instances(arnOf('idle'))!.instances === 0);
      await w.runtime.invoke(arnOf('idle'), { action: 'echo' });
      expect(w.records.map((r) => r.coldStart)).toEqual([true, true]);
    } finally {
      await w.runtime.shutdown();
    }
  });

  it('shutdown ends running invocations with Runtime.ExitError and refuses new ones', async () => {
    const w = await startRuntime([fn('doomed')]);
    const running = w.runtime.invoke(arnOf('doomed'), { action: 'waitFor', file: tmpFile('never') });
    await until('it to run', async () => w.runtime.instances(arnOf('doomed'))!.busy === 1);
    await w.runtime.shutdown();
    await expect(running).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    await expect(w.runtime.invoke(arnOf('doomed'), {})).rejects.toMatchObject({ name: 'Lambda.ServiceException' });
  });
});

describe('local Lambda: payload limits', () => {
  let t: Awaited<ReturnType<typeof startRuntime>>;
  beforeAll(async () => {
    t = await startRuntime([fn('payloads', { timeoutSeconds: 10 })]);
  }, 30_000);
  afterAll(() => t.runtime.shutdown());

  /** An event whose JSON is exactly `bytes` long. */
  const eventOf = (bytes: number) => {
    const base = JSON.stringify({ action: 'size', pad: '' }).length;
    return { action: 'size', pad: 'x'.repeat(bytes - base) };
  };

  it('runs a 6 MB request and refuses one byte more with RequestEntityTooLargeException, before anything runs', async () => {
    await expect(t.runtime.invoke(arnOf('payloads'), eventOf(MAX_REQUEST_PAYLOAD_BYTES))).resolves.toMatchObject({ bytes: 6_291_456 });
    const invocations = t.records.length;
    const started = t.runtime.instances(arnOf('payloads'))!.started;

    const err = await t.runtime.invoke(arnOf('payloads'), eventOf(MAX_REQUEST_PAYLOAD_BYTES + 1)).catch((e: unknown) => e);

    expect(err).toMatchObject({
      name: 'Lambda.RequestEntityTooLargeException',
      code: 'RequestEntityTooLargeException',
      status: 413,
      message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    });
    expect(t.records).toHaveLength(invocations);
    expect(t.runtime.instances(arnOf('payloads'))!.started).toBe(started);
  });

  it('delivers a response at the limit and fails one byte over with Function.ResponseSizeTooLarge, resetting the instance', async () => {
    await expect(t.runtime.invoke(arnOf('payloads'), { action: 'respond', bytes: MAX_RESPONSE_PAYLOAD_BYTES })).resolves.toHaveLength(MAX_RESPONSE_PAYLOAD_BYTES - 2);
    const instanceBefore = t.records.at(-1)!.instanceId;

    const err = await t.runtime.invoke(arnOf('payloads'), { action: 'respond', bytes: MAX_RESPONSE_PAYLOAD_BYTES + 1 }).catch((e: unknown) => e);

    expect(err).toMatchObject({ name: 'Function.ResponseSizeTooLarge', message: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' });
    await t.runtime.invoke(arnOf('payloads'), { action: 'echo' });
    expect(t.records.at(-1)).toMatchObject({ ok: true, coldStart: true });
    expect(t.records.at(-1)!.instanceId).not.toBe(instanceBefore);
  });
});

describe('local Lambda: concurrency', () => {
  it("throttles past a function's reserved concurrency with TooManyRequestsException, as Step Functions names it", async () => {
    const t = await startRuntime([fn('reserved', { reservedConcurrency: 1 }), fn('none', { reservedConcurrency: 0 })]);
    try {
      const go = tmpFile('go');
      const first = t.runtime.invoke(arnOf('reserved'), { action: 'waitFor', file: go });
      const second = await t.runtime.invoke(arnOf('reserved'), { action: 'echo' }).catch((e: unknown) => e);
      writeFileSync(go, '');

      expect(second).toMatchObject({
        name: 'Lambda.TooManyRequestsException',
        code: 'TooManyRequestsException',
        status: 429,
        message: 'Rate Exceeded.',
        reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });
      await expect(first).resolves.toMatchObject({ instance: expect.any(String) });
      await expect(t.runtime.invoke(arnOf('reserved'), { action: 'echo' })).resolves.toMatchObject({ event: { action: 'echo' } });
      await expect(t.runtime.invoke(arnOf('none'), { action: 'echo' })).rejects.toMatchObject({ name: 'Lambda.TooManyRequestsException' });
    } finally {
      await t.runtime.shutdown();
    }
  });

  it("shares the account's concurrency minus every reservation among the other functions", async () => {
    const t = await startRuntime([fn('a'), fn('b'), fn('own', { reservedConcurrency: 1 })], { accountConcurrency: 2 });
    try {
      const go = tmpFile('go');
      const a = t.runtime.invoke(arnOf('a'), { action: 'waitFor', file: go });
      const b = await t.runtime.invoke(arnOf('b'), { action: 'echo' }).catch((e: unknown) => e);
      const own = t.runtime.invoke(arnOf('own'), { action: 'waitFor', file: go });
      writeFileSync(go, '');

      expect(b).toMatchObject({ name: 'Lambda.TooManyRequestsException', reason: 'ConcurrentInvocationLimitExceeded' });
      await expect(Promise.all([a, own])).resolves.toHaveLength(2);
    } finally {
      await t.runtime.shutdown();
    }
  });

  it('makes invocations past the local instance cap wait for a free instance instead of starting more', async () => {
    const t = await startRuntime([fn('capped')], { maxInstancesPerFunction: 1 });
    try {
      const go = tmpFile('go');
      const first = t.runtime.invoke(arnOf('capped'), { action: 'waitFor', file: go });
      const second = t.runtime.invoke(arnOf('capped'), { action: 'echo' });
      await until('the second to wait', async () => t.runtime.instances(arnOf('capped'))!.waiting === 1);
      writeFileSync(go, '');
      const [a, b] = (await Promise.all([first, second])) as Echo[];

      expect(b.instance).toBe(a.instance);
      expect(t.runtime.instances(arnOf('capped'))).toMatchObject({ instances: 1, started: 1 });
    } finally {
      await t.runtime.shutdown();
    }
  });
});

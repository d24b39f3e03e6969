// reservedConcurrency in serverless.yml reaches the local runtime: past it, invocations are throttled.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LambdaRuntime } from '../../../local/lambda/runtime.js';
import { loadServerlessStack } from '../../../local/serverless/stack.js';

const dir = mkdtempSync(join(tmpdir(), 'reserved-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reservedConcurrency from the stack', () => {
  it('is read per function and enforced by the runtime', async () => {
    const fixture = resolve('test/local/lambda/fixtures/misbehaving');
    const file = join(dir, 'serverless.yml');
    writeFileSync(
      file,
      [
        'service: reserved',
        'provider: { name: aws, runtime: nodejs22.x }',
        'functions:',
        `  capped: { handler: ${fixture}.handler, reservedConcurrency: 1 }`,
        `  open: { handler: ${fixture}.handler }`,
      ].join('\n'),
    );

    const stack = loadServerlessStack(file);

    expect(stack.functions.map((f) => [f.key, f.reservedConcurrency])).toEqual([
      ['capped', 1],
      ['open', undefined],
    ]);
    const runtime = new LambdaRuntime({ buildDir: join(dir, 'build'), endpoint: 'http://127.0.0.1:9', onLog: () => undefined });
    try {
      const [capped] = await runtime.deploy(
        stack.functions.map((f) => ({
          account: '111111111111',
          region: 'us-east-1',
          name: f.name,
          handlerFile: f.handlerFile,
          handlerExport: f.handlerExport,
          timeoutSeconds: f.timeout,
          memorySize: f.memorySize,
          environment: {},
          reservedConcurrency: f.reservedConcurrency,
        })),
      );
      const go = join(dir, 'go');
      const first = runtime.invoke(capped, { action: 'waitFor', file: go });
      await expect(runtime.invoke(capped, { action: 'echo' })).rejects.toMatchObject({ name: 'Lambda.TooManyRequestsException' });
      writeFileSync(go, '');
      await expect(first).resolves.toMatchObject({ instance: expect.any(String) });
    } finally {
      await runtime.shutdown();
    }
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { loadServerlessStack } from '../local/serverless/stack.js';
import { deployParams } from '../test/support/deploy-params.js';

/**
 * Each function's bundle, built with the esbuild settings the stacks give serverless-esbuild
 * (`custom.esbuild`: minified, the runtime's AWS SDK left out), and its cold init: a fresh
 * Node.js process loads the bundle once and reports how long `require` took, the module's
 * top level included (SDK clients, logger, config). Every bundle is measured the same way,
 * `runs` times, the median kept; side by side, the same handler with the SDK bundled in
 * (the previous setting) for the ratio. `npm run bench:bundles` prints the table alone.
 */
export interface BundleFigure {
  fn: string;
  kib: number;
  initMs: number;
  /** The same handler with the SDK bundled, for comparison. */
  bundledSdkKib: number;
  bundledSdkInitMs: number;
}

const run = promisify(execFile);

/** The function's environment, with what CloudFormation would fill in (Refs, GetAtts) given plausible values. */
function placeholderEnv(env: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : k.endsWith('ACCOUNT_ID') ? '111111111111' : k.endsWith('_ARN') ? `arn:aws:sns:us-east-1:111111111111:${k.toLowerCase()}` : `bench-${k.toLowerCase()}`,
    ]),
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function initMs(file: string, env: Record<string, string>): Promise<number> {
  const script = `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env } });
  return Number(stdout);
}

export async function measureBundles(runs = 3): Promise<BundleFigure[]> {
  // Inside the repository, so the left-out SDK resolves from node_modules, as from the runtime's in Lambda.
  const out = resolve('.build', 'bench-bundles');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const figures: BundleFigure[] = [];
  for (const file of ['serverless.yml', 'serverless.target.yml']) {
    const stack = loadServerlessStack(file, { stage: 'bench', params: deployParams(file) });
    const esbuild = ((stack.raw.custom ?? {}) as { esbuild?: { exclude?: string[]; target?: string; minify?: boolean; keepNames?: boolean } }).esbuild ?? {};
    for (const fn of stack.functions) {
      const variants = { runtimeSdk: esbuild.exclude ?? [], bundledSdk: [] as string[] };
      const files: Record<string, string> = {};
      for (const [name, external] of Object.entries(variants)) {
        const outfile = join(out, `${stack.service}-${fn.key}.${name}.cjs`);
        await build({
          entryPoints: [`${fn.handlerFile}.ts`],
          outfile,
          bundle: true,
          minify: esbuild.minify ?? true,
          keepNames: esbuild.keepNames ?? true,
          platform: 'node',
          target: esbuild.target ?? 'node22',
          format: 'cjs',
          external,
          logLevel: 'silent',
        });
        files[name] = outfile;
      }
      const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...placeholderEnv(fn.environment ?? {}) };
      const times: Record<string, number[]> = { runtimeSdk: [], bundledSdk: [] };
      // Alternate the two variants so a busy moment costs both alike.
      for (let i = 0; i < runs; i++) for (const name of Object.keys(variants)) times[name].push(await initMs(files[name], env));
      figures.push({
        fn: fn.key,
        kib: Math.round(statSync(files.runtimeSdk).size / 102.4) / 10,
        initMs: Math.round(median(times.runtimeSdk)),
        bundledSdkKib: Math.round(statSync(files.bundledSdk).size / 102.4) / 10,
        bundledSdkInitMs: Math.round(median(times.bundledSdk)),
      });
    }
  }
  return figures;
}

export function printBundles(figures: BundleFigure[]): void {
  console.log(`  ${'function'.padEnd(22)} ${'KiB'.padStart(7)} ${'init ms'.padStart(8)}   ${'SDK bundled: KiB'.padStart(16)} ${'init ms'.padStart(8)}`);
  for (const f of figures)
    console.log(`  ${f.fn.padEnd(22)} ${f.kib.toFixed(1).padStart(7)} ${String(f.initMs).padStart(8)}   ${f.bundledSdkKib.toFixed(1).padStart(16)} ${String(f.bundledSdkInitMs).padStart(8)}`);
  const max = (k: keyof BundleFigure) => Math.max(...figures.map((f) => Number(f[k])));
  const ratio = figures.reduce((s, f) => s + f.initMs / f.bundledSdkInitMs, 0) / figures.length;
  console.log(
    `  max: ${max('kib').toFixed(1)} KiB, ${max('initMs')} ms init (SDK bundled: ${max('bundledSdkKib').toFixed(1)} KiB, ${max('bundledSdkInitMs')} ms); mean init ratio runtime-SDK / bundled ${ratio.toFixed(2)}`,
  );
}

export const bundleSummary = (figures: BundleFigure[]) => ({
  maxBundleKiB: Math.max(...figures.map((f) => f.kib)),
  maxInitMs: Math.max(...figures.map((f) => f.initMs)),
  maxBundledSdkKiB: Math.max(...figures.map((f) => f.bundledSdkKib)),
  maxBundledSdkInitMs: Math.max(...figures.map((f) => f.bundledSdkInitMs)),
  bundleKiB: Object.fromEntries(figures.map((f) => [f.fn, f.kib])),
  initMs: Object.fromEntries(figures.map((f) => [f.fn, f.initMs])),
});

if (process.argv[1] && resolve(process.argv[1]) === resolve('bench/bundles.ts')) {
  const figures = await measureBundles(Number(process.env.BENCH_INIT_RUNS ?? 5));
  printBundles(figures);
  console.log(JSON.stringify(bundleSummary(figures)));
}

// Builds the `cert-transfer` CLI into one ES module (dist/cli.mjs) that Node 20+ runs without
// tsx or a TypeScript toolchain: what `npm pack` ships (prepack runs this).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.mjs',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled CommonJS dependencies (the AWS SDK's) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});

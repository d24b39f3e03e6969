#!/usr/bin/env node
// `cert-transfer`: the operator CLI. An installed package runs the built bundle
// (dist/cli.mjs, made by `npm run build:cli`, which `npm pack` runs); a checkout
// without it runs the TypeScript source (src/cli/main.ts) through tsx's loader,
// registered in this very process, so edits take effect with no build step.
import { existsSync } from 'node:fs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const bundle = new URL('../dist/cli.mjs', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);
let main;
// In a checkout the source wins, so a stale bundle never runs instead of the code being edited.
if (existsSync(source) || !existsSync(bundle)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import(bundle.href));
}
process.exitCode = await main(process.argv.slice(2));

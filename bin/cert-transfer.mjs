#!/usr/bin/env node
// `cert-transfer`: the operator CLI (src/cli/main.ts). This launcher registers
// tsx's loader in this very process (no second Node process, no build step)
// and runs the TypeScript source, the same code the tests exercise. tsx is a
// devDependency: the CLI is meant to run from a checkout (`npx cert-transfer`
// or `npm link`).
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// Packages both stacks offline: no AWS credentials, no network, no telemetry.
// Writes .serverless/ (source stack) and .serverless-target/ (target kit).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { codeBytes } from './zip-entries.mjs';

const env = {
  ...process.env,
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  SLS_DEPRECATION_DISABLE: '*',
  // Serverless v3 asks for credentials only to deploy; packaging needs a region.
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

// The target kit first: serverless clears the default .serverless/ on every run.
const stacks = [
  { config: 'serverless.target.yml', out: '.serverless-target' },
  { config: 'serverless.yml', out: '.serverless' },
].filter((s) => existsSync(s.config));

for (const { config, out } of stacks) {
  const args = ['serverless', 'package', '--config', config, '--package', out, ...process.argv.slice(2)];
  const run = spawnSync('npx', args, { stdio: 'inherit', env });
  if (run.status !== 0) process.exit(run.status ?? 1);
  const zips = readdirSync(out).filter((f) => f.endsWith('.zip'));
  console.log(`\n${config} → ${out}/ (${zips.length} function bundles)`);
  console.log(`  ${'function'.padEnd(28)} ${'zip'.padStart(12)} ${'code'.padStart(12)}`);
  for (const zip of zips.sort())
    console.log(`  ${zip.replace(/\.zip$/, '').padEnd(28)} ${(statSync(join(out, zip)).size / 1024).toFixed(1).padStart(8)} KiB ${(codeBytes(join(out, zip)) / 1024).toFixed(1).padStart(8)} KiB`);
}

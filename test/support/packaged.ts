import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeBytes } from '../../scripts/zip-entries.mjs';
import { deployParamArgs } from './deploy-params.js';

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
}
export interface PackagedStack {
  dir: string;
  template: { Resources: Record<string, CfnResource> };
  bundles: Record<string, number>;
  /** Bytes of code in each function's zip once unpacked (what "bundle size" means below). */
  code: Record<string, number>;
}

/** Runs `serverless package` on a stack, offline and without credentials, into a fresh folder. */
export function packageStack(config: string): PackagedStack {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  const run = spawnSync('npx', ['serverless', 'package', '--config', config, '--package', dir, ...deployParamArgs(config)], {
    encoding: 'utf8',
    env: {
      ...process.env,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: 'no-such-profile-offline',
    },
  });
  if (run.status !== 0) throw new Error(`serverless package ${config} failed:\n${run.stdout}\n${run.stderr}`);
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as PackagedStack['template'];
  const bundles = Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.zip'))
      .map((f) => [f.replace(/\.zip$/, ''), statSync(join(dir, f)).size]),
  );
  const code = Object.fromEntries(Object.keys(bundles).map((name) => [name, codeBytes(join(dir, `${name}.zip`))]));
  return { dir, template, bundles, code };
}

export function resourcesOfType(stack: PackagedStack, type: string): [string, CfnResource][] {
  return Object.entries(stack.template.Resources).filter(([, r]) => r.Type === type);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export function roleStatements(role: CfnResource): Statement[] {
  const policies = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

// The real Debian AWS CLI (2.9) for tests. Always /usr/bin/aws: a pyenv shim for another `aws` comes
// first on PATH, and 2.9 ignores AWS_ENDPOINT_URL, so every call passes --endpoint-url.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const AWS_CLI = '/usr/bin/aws';
export const hasAwsCli = existsSync(AWS_CLI);
export const AWS_CLI_MISSING = `${AWS_CLI} not found: install the Debian awscli package (apt-get install awscli)`;

/** An environment with only `account`'s credentials: no config or credentials file of the machine's. */
export function awsCliEnv(account: string, home = mkdtempSync(join(tmpdir(), 'aws-cli-home-'))): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/bin:/bin',
    HOME: home,
    AWS_ACCESS_KEY_ID: account,
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
  };
}

/** Runs the CLI against `endpoint` as `account`; rejects with the CLI's stderr on a non-zero exit. */
export async function awsCli(endpoint: string, account: string, args: string[], opts: { region?: string; home?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(AWS_CLI, ['--endpoint-url', endpoint, '--region', opts.region ?? 'us-east-1', ...args], {
    env: awsCliEnv(account, opts.home),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The CLI's stderr for a command that must fail; a success fails the test, naming `what`. */
export async function stderrOfFailure(run: () => Promise<unknown>, what: string): Promise<string> {
  try {
    await run();
  } catch (err) {
    return String((err as { stderr?: string }).stderr);
  }
  throw new Error(`${what} succeeded`);
}

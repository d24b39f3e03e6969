// A run of the CLI's main() against a scripted API, capturing what it prints: the CLI's unit tests share it.
import { main, type ApiClient, type CliDeps, type ClientOptions } from '../../src/cli/main.js';

type Json = Record<string, unknown>;

/** The API methods a test scripts; any other call fails the run with "unexpected API call". */
export type ScriptedApi = Partial<Record<keyof ApiClient, (...args: never[]) => Promise<Json>>>;

export async function cli(argv: string[], api: ScriptedApi = {}, extra: Partial<CliDeps> = {}) {
  let stdout = '';
  let stderr = '';
  const calls: { method: string; args: unknown[] }[] = [];
  const clientOptions: ClientOptions[] = [];
  const client = new Proxy(
    {},
    {
      get:
        (_t, method: string) =>
        async (...args: unknown[]) => {
          calls.push({ method, args });
          const fn = api[method as keyof ApiClient];
          if (!fn) throw new Error(`unexpected API call ${method}`);
          return (fn as (...a: unknown[]) => Promise<Json>)(...args);
        },
    },
  ) as ApiClient;
  const code = await main(argv, {
    stdout: {
      write: (s: string) => {
        stdout += s;
      },
    },
    stderr: {
      write: (s: string) => {
        stderr += s;
      },
    },
    stdin: (async function* () {
      /* empty */
    })(),
    env: {},
    readFile: async () => {
      throw Object.assign(new Error('no'), { code: 'ENOENT' });
    },
    sleep: async () => undefined,
    makeClient: (opts) => {
      clientOptions.push(opts);
      return client;
    },
    ...extra,
  });
  return { code, stdout, stderr, calls, clientOptions };
}

// The CLI's options and the text of --help: one entry per option with its argument, meaning and default.
import { DEMO_ACCOUNTS } from '../demo-accounts.js';
import { MIN_PREFIX } from './ids.js';

export const OPTIONS = {
  endpoint: { type: 'string' },
  local: { type: 'boolean' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  interval: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  to: { type: 'string' },
  message: { type: 'string' },
  timeout: { type: 'string' },
  'no-restore': { type: 'boolean' },
  'request-id': { type: 'string' },
  wait: { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  status: { type: 'string' },
  certificate: { type: 'string' },
  batch: { type: 'string' },
  limit: { type: 'string' },
  all: { type: 'boolean' },
  'next-token': { type: 'string' },
  reason: { type: 'string' },
  'max-concurrency': { type: 'string' },
  manifest: { type: 'string' },
} as const;

/** What `--help` says of each option: its argument, meaning and default. */
const OPTION_HELP: Record<keyof typeof OPTIONS, [arg: string, text: string]> = {
  endpoint: ['<url>', "the deployed API (the stack's ServiceEndpoint); default: env CERT_TRANSFER_ENDPOINT"],
  local: [
    '',
    `the local cloud (npm start): API http://127.0.0.1:$LOCAL_API_PORT (default 3000), AWS endpoint :$LOCAL_AWS_PORT (default 4566); signs as ${DEMO_ACCOUNTS.source} unless AWS_ACCESS_KEY_ID or AWS_PROFILE is set`,
  ],
  region: ['<region>', "signing region; default: AWS_REGION, AWS_DEFAULT_REGION, the endpoint's region, us-east-1"],
  profile: ['<name>', 'AWS profile; default: the standard credential chain'],
  json: ['', 'machine-readable output on stdout; default: text'],
  interval: ['<time>', 'polling interval, e.g. 500ms, 2s; default: 500ms local, 2s deployed'],
  help: ['', 'this help'],
  version: ['', "the CLI's version"],
  to: ['<account>', 'the 12-digit target account (required)'],
  message: ['<text>', 'transferMessage the target sees, up to 128 characters; default: none'],
  timeout: ['<duration>', "how long the target has to decide, 60s to 360d; default: the stack's (7d)"],
  'no-restore': ['', 'leave the certificate detached and inactive if the transfer fails; default: restore it'],
  'request-id': ['<id>', 'idempotency key: the same id always names the same transfer; default: none'],
  wait: ['', 'follow it to the end; default: return at once'],
  'no-wait': ['', 'return once started; default: follow it with a progress bar'],
  status: ['<status>', 'only this status (REQUESTED … ACCEPTED, REJECTED, CANCELLED, EXPIRED, FAILED, RESTORE_FAILED); default: all'],
  certificate: ['<id>', 'only this certificate: its id or an unambiguous prefix; default: all'],
  batch: ['<batchId>', 'only the transfers of this batch (id or prefix); default: all'],
  limit: ['<n>', 'how many transfers, 1 to 10000; default: 20'],
  all: ['', 'every transfer, following every page; default: off'],
  'next-token': ['<token>', 'continue a previous listing; default: from the newest'],
  reason: ['<text>', 'why, recorded on the transfer; default: none'],
  'max-concurrency': ['<n>', 'transfers at a time, 1 to 100; default: derived from the IoT quotas (45 at AWS defaults)'],
  manifest: ['<s3://bucket/key|key>', "the ids are in this object of the stack's manifest bucket (output ManifestBucketName), up to 100000, instead of <file>; default: none (read <file>)"],
};

export type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

export const GLOBAL_OPTIONS = ['endpoint', 'local', 'region', 'profile', 'json', 'interval', 'help'];

/** What --help shows of a command. */
export interface HelpEntry {
  usage: string;
  summary: string;
  /** Shown by `cert-transfer <command> --help`. */
  examples: string[];
  /** What an option means for this command, where OPTION_HELP's general text does not fit. */
  optionHelp?: Partial<Record<keyof typeof OPTIONS, string>>;
  options: (keyof typeof OPTIONS)[];
}

/** `cert-transfer --help`: every command with its summary, the options of every command, ids, durations and exit codes. */
export function mainHelp(commands: Record<string, Pick<HelpEntry, 'summary'>>): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return `cert-transfer: move AWS IoT certificates to another account through the transfer API

Usage: cert-transfer <command> [arguments] [--endpoint <url> | --local] [--json]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Options for every command:
${optionLines(GLOBAL_OPTIONS)}

Ids: a transfer, batch or certificate id may be shortened to an unambiguous prefix (at least
${MIN_PREFIX} characters), looked up among the transfers.
Durations: 90s, 15m, 12h, 7d, 1h30m, or seconds.
Exit codes: 0 done (and ACCEPTED); 2 usage error; 3 API error or API unreachable;
4 the transfer (or one in the batch) ended other than ACCEPTED; 5 doctor found a problem; 1 internal error.

cert-transfer <command> --help shows the command's options, their defaults and examples.`;
}

function optionLines(names: readonly string[], own: HelpEntry['optionHelp'] = {}): string {
  const shown = names.map((n) => {
    const [arg, text] = OPTION_HELP[n as keyof typeof OPTIONS];
    return [`--${n}${arg ? ` ${arg}` : ''}`, own[n as keyof typeof OPTIONS] ?? text];
  });
  const width = Math.max(...shown.map(([flag]) => flag.length));
  return shown.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}

/** `cert-transfer <command> --help`: usage, options with their defaults, examples. */
export function commandHelp(c: HelpEntry): string {
  return [
    `Usage: cert-transfer ${c.usage} [--endpoint <url> | --local] [--json]`,
    '',
    `${c.summary}.`,
    ...(c.options.length ? ['', 'Options:', optionLines(c.options, c.optionHelp)] : []),
    '',
    'Options of every command:',
    optionLines(GLOBAL_OPTIONS.filter((o) => o !== 'help')),
    '',
    'Examples:',
    ...c.examples.map((e) => `  ${e.includes('cert-transfer ') ? e : `cert-transfer ${e}`}`),
  ].join('\n');
}

import { parseArgs } from 'node:util';
import { DEMO_ACCOUNTS } from '../src/demo-accounts.js';
import { startLocalCloud } from './cloud.js';
import { iotRealism } from './iot/flags.js';
import { MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS } from '../src/config.js';

/** `npm start`: the local cloud, until Ctrl-C. */
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    'aws-port': { type: 'string' },
    'api-port': { type: 'string' },
    'schedule-interval': { type: 'string' },
    'log-level': { type: 'string' },
    'iot-quotas': { type: 'string' },
    'no-throttle': { type: 'boolean' },
    'detach-propagation-ms': { type: 'string' },
    'iot-latency': { type: 'string' },
    'iot-faults': { type: 'string' },
    seed: { type: 'string' },
    'min-timeout-seconds': { type: 'string' },
    'no-iam': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm start -- [--data-dir DIR] [--aws-port 4566] [--api-port 3000] [--schedule-interval 5000] [--log-level WARN]

  --data-dir DIR          keep state across restarts (default: in memory)
  --aws-port, --api-port  ports (or env LOCAL_AWS_PORT, LOCAL_API_PORT)
  --schedule-interval MS  how often scheduled rules (the reconciler) fire (or env LOCAL_SCHEDULE_INTERVAL_MS)
  --log-level LEVEL       function log level: DEBUG, INFO, WARN, ERROR
  --no-throttle           lift the AWS default IoT quotas (default: on, ThrottlingException beyond; also --iot-quotas off)
  --detach-propagation-ms N|MIN-MAX
                          how long a DetachThingPrincipal takes to reach TransferCertificate (default 1000-3000, seeded; 0 = at once)
  --iot-latency MIN-MAX   delay every IoT call by MIN to MAX ms (default: none)
  --iot-faults RATE       fail this share of IoT calls with Throttling/ServiceUnavailable/InternalFailure (default: 0)
  --no-iam                let every function and state machine call anything (default: each is authorized against
                          its own role from the stack, and services against the functions' resource policies)
  --seed N                seed of the fault injection and the propagation jitter (default 1)
  --min-timeout-seconds N shortest timeoutSeconds accepted (default ${MIN_TIMEOUT_SECONDS}, as deployed); e.g. 5 to watch
                          an offer expire: a relaxation a deployment with default parameters refuses`);
  process.exit(0);
}

const started = Date.now();
const latency = values['iot-latency']?.match(/^(\d+)(?:-(\d+))?$/);
if (values['iot-latency'] && !latency) throw new Error('--iot-latency takes MIN-MAX in milliseconds, e.g. 20-60');
const faultRate = values['iot-faults'] === undefined ? 0 : Number(values['iot-faults']);
if (!(faultRate >= 0 && faultRate <= 1)) throw new Error('--iot-faults takes a rate from 0 to 1, e.g. 0.05');
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
const realism = iotRealism(values);
// Only this flag lowers the stack's floor: without it the local cloud refuses below 60 s, as a deployment does.
const minTimeout = values['min-timeout-seconds'];
if (minTimeout !== undefined && !(/^\d+$/.test(minTimeout) && Number(minTimeout) >= 1 && Number(minTimeout) <= MAX_TIMEOUT_SECONDS)) {
  throw new Error(`--min-timeout-seconds takes whole seconds from 1 to ${MAX_TIMEOUT_SECONDS}, e.g. 5`);
}
const cloud = await startLocalCloud({
  dataDir: values['data-dir'],
  awsPort: num(values['aws-port'] ?? process.env.LOCAL_AWS_PORT) ?? 4566,
  apiPort: num(values['api-port'] ?? process.env.LOCAL_API_PORT) ?? 3000,
  scheduleIntervalMs: num(values['schedule-interval'] ?? process.env.LOCAL_SCHEDULE_INTERVAL_MS) ?? 5000,
  logLevel: (values['log-level'] ?? process.env.LOCAL_LOG_LEVEL ?? 'WARN') as 'WARN',
  prettyLogs: true,
  iam: !values['no-iam'],
  sourceParams: minTimeout === undefined ? undefined : { minTimeoutSeconds: minTimeout },
  iot: {
    quotas: realism.quotas,
    detachPropagationMs: realism.detachPropagationMs,
    seed: realism.seed,
    latencyMs: latency ? { min: Number(latency[1]), max: Number(latency[2] ?? latency[1]) } : undefined,
    faults: faultRate > 0 ? { rate: faultRate, seed: Number(values.seed ?? 1) } : undefined,
  },
});

const seconds = ((Date.now() - started) / 1000).toFixed(1);
// The ports as bound (a port of 0 picks a free one): what the exports in the banner must say.
const apiPort = new URL(cloud.apiUrl).port;
const awsPort = new URL(cloud.awsUrl).port;
// The banner says when the floor of timeoutSeconds is not the deployed one.
const timeoutFloor =
  minTimeout === undefined
    ? ''
    : Number(minTimeout) < MIN_TIMEOUT_SECONDS
      ? `  Relaxed        timeoutSeconds from ${minTimeout} s (--min-timeout-seconds); a deployment with default parameters refuses below ${MIN_TIMEOUT_SECONDS}\n`
      : `  Stricter       timeoutSeconds from ${minTimeout} s (--min-timeout-seconds), as a stack deployed with --param minTimeoutSeconds=${minTimeout}\n`;
console.log(`
Local cloud ready in ${seconds}s${values['data-dir'] ? ` (data in ${values['data-dir']})` : ' (in memory)'}

  AWS endpoint   ${cloud.awsUrl}   IoT, Step Functions, EventBridge, DynamoDB, SNS
  Transfer API   ${cloud.apiUrl}   /transfers, /transfer-batches (SigV4, AWS_IAM; docs/openapi.yaml)
  Web console    ${cloud.apiUrl}/console
  IoT as AWS     ${realism.banner}
  IAM            ${values['no-iam'] ? 'OFF (--no-iam): every call is allowed, unlike AWS' : 'each function and state machine as its own role from the stack; Lambda resource policies checked'}
${timeoutFloor}
  Accounts (access key id = account id, any secret, region ${cloud.region})
    ${DEMO_ACCOUNTS.source}  source: the transfer service
    ${DEMO_ACCOUNTS.autoAccept}  target kit, auto-accept (setAsActive)
    ${DEMO_ACCOUNTS.human}  target kit, notify-only: decide by hand
    ${DEMO_ACCOUNTS.stranger}  on no allow-list

  Try it, in another terminal (the exports make cert-transfer --local and npm run demo use these ports)
    export LOCAL_API_PORT=${apiPort} LOCAL_AWS_PORT=${awsPort}
    export AWS_ACCESS_KEY_ID=${DEMO_ACCOUNTS.source} AWS_SECRET_ACCESS_KEY=x AWS_REGION=${cloud.region} AWS_DEFAULT_REGION=${cloud.region}
    npx cert-transfer doctor --local
    id=$(aws --endpoint-url ${cloud.awsUrl} iot create-keys-and-certificate --set-as-active --query certificateId --output text)
    npx cert-transfer start $id --to ${DEMO_ACCOUNTS.autoAccept} --local --wait
    id=$(aws --endpoint-url ${cloud.awsUrl} iot create-keys-and-certificate --set-as-active --query certificateId --output text)
    npx cert-transfer start $id --to ${DEMO_ACCOUNTS.human} --local
    AWS_ACCESS_KEY_ID=${DEMO_ACCOUNTS.human} aws --endpoint-url ${cloud.awsUrl} iot accept-certificate-transfer --certificate-id $id
    npx cert-transfer list --local
    npm run demo

Ctrl-C to stop.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  await cloud.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
if (values['data-dir']) setInterval(() => cloud.save(), 10_000).unref();

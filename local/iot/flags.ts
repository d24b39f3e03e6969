/**
 * `npm start` flags that make IoT behave as AWS does by default: the default quotas (`--no-throttle`
 * lifts them) and asynchronous detach propagation (`--detach-propagation-ms`), with the banner line.
 */
import { AWS_DEFAULT_IOT_QUOTAS, type IotQuotas } from './quotas.js';
import { AWS_DETACH_PROPAGATION_MS, describePropagation, parsePropagation, type PropagationSpec } from './propagation.js';

export interface IotRealismFlags {
  /** `aws` (default) or `off`. */
  'iot-quotas'?: string;
  'no-throttle'?: boolean;
  /** `N` or `MIN-MAX` ms; default AWS_DETACH_PROPAGATION_MS; `0` = at once. */
  'detach-propagation-ms'?: string;
  seed?: string;
}

export interface IotRealism {
  quotas: IotQuotas | undefined;
  detachPropagationMs: PropagationSpec;
  seed: number;
  /** One line for the start-up banner. */
  banner: string;
}

/** The IoT model options `npm start` runs with, from its flags. */
export function iotRealism(flags: IotRealismFlags): IotRealism {
  const quotasFlag = flags['iot-quotas']?.trim().toLowerCase();
  if (quotasFlag !== undefined && quotasFlag !== 'aws' && quotasFlag !== 'off') throw new Error(`--iot-quotas takes aws (the default) or off, not "${flags['iot-quotas']}"`);
  if (flags['no-throttle'] && quotasFlag === 'aws') throw new Error('--no-throttle and --iot-quotas aws contradict each other');
  const throttle = !flags['no-throttle'] && quotasFlag !== 'off';
  const detachPropagationMs = flags['detach-propagation-ms'] === undefined ? { ...AWS_DETACH_PROPAGATION_MS } : parsePropagation(flags['detach-propagation-ms']);
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed takes an integer, not "${flags.seed}"`);
  const quotasText = throttle ? 'AWS default quotas, ThrottlingException beyond (--no-throttle to lift)' : 'no quotas (--no-throttle): AWS would throttle';
  const delay = describePropagation(detachPropagationMs);
  const propagationText = `${delay === 'at once' ? 'detaches propagate at once' : `a detach takes ${delay} to propagate`} (--detach-propagation-ms)`;
  return { quotas: throttle ? AWS_DEFAULT_IOT_QUOTAS : undefined, detachPropagationMs, seed, banner: `${quotasText}; ${propagationText}` };
}

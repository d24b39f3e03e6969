import { createHash, randomBytes } from 'node:crypto';
import { DEMO_ACCOUNTS } from '../../src/demo-accounts.js';

/** A certificate id as IoT makes them: 64 lowercase hex characters. */
export function certId(seed?: string): string {
  return createHash('sha256')
    .update(seed ?? randomBytes(16))
    .digest('hex');
}

export function certArn(id: string, account: string = DEMO_ACCOUNTS.source): string {
  return `arn:aws:iot:us-east-1:${account}:cert/${id}`;
}

import { createHash, randomBytes } from 'node:crypto';

/** A certificate id as IoT makes them: 64 lowercase hex characters. */
export function certId(seed?: string): string {
  return createHash('sha256').update(seed ?? randomBytes(16)).digest('hex');
}

export function certArn(id: string, account = '111111111111'): string {
  return `arn:aws:iot:us-east-1:${account}:cert/${id}`;
}

// S3's general purpose bucket naming rules, and the name CloudFormation gives a bucket whose
// template sets no BucketName: `<stack name>-<logical id>-<random>`, lower-cased, at most 63 characters.
import { createHash } from 'node:crypto';

export const MIN_BUCKET_NAME = 3;
export const MAX_BUCKET_NAME = 63;

/** Why `name` is not a valid bucket name, or undefined when it is. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < MIN_BUCKET_NAME || name.length > MAX_BUCKET_NAME) return `must be between ${MIN_BUCKET_NAME} and ${MAX_BUCKET_NAME} characters long`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'can consist only of lowercase letters, numbers, dots (.), and hyphens (-)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or number';
  if (name.includes('..')) return 'must not contain two adjacent periods';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be formatted as an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'must not use a reserved prefix or suffix';
  return undefined;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * CloudFormation's generated name for `logicalId` in stack `stackName` (`<service>-<stage>`): the suffix is
 * derived from account, region, stack and logical id (not random) so that a restarted local cloud keeps its
 * buckets. A name that would pass 63 characters loses the middle of `<stack>-<logical id>`, keeping both ends.
 */
export function generatedBucketName(stackName: string, logicalId: string, account: string, region: string): string {
  const digest = createHash('sha256').update(`${account}\n${region}\n${stackName}\n${logicalId}`).digest();
  const suffix = [...digest.subarray(0, 12)].map((b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
  const room = MAX_BUCKET_NAME - suffix.length - 1;
  let head = `${stackName}-${logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (head.length > room) {
    const start = Math.floor((room - 1) / 2);
    head = `${head.slice(0, start)}-${head.slice(head.length - (room - 1 - start))}`;
  }
  head = head.replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
  return `${head}-${suffix}`;
}

// A local S3 behind the edge, and the clients we did not write that drive it: the JS SDK
// (as a Lambda reads a manifest: path-style, endpoint = the edge), boto3 and the AWS CLI.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { startEdge, type EdgeGate } from '../../../local/edge/server.js';
import { createS3Provider, S3Model } from '../../../local/s3/service.js';

export const OWNER = '111111111111';
export const STRANGER = '444444444444';
export const REGION = 'us-east-1';

export interface LocalS3 {
  url: string;
  model: S3Model;
  /** An SDK client for `account` (path-style, as the product's Lambda builds it). */
  client(account?: string, extra?: Partial<ConstructorParameters<typeof S3Client>[0]>): S3Client;
  close(): Promise<void>;
}

export async function startS3(gate?: EdgeGate): Promise<LocalS3> {
  const model = new S3Model();
  const edge = await startEdge([createS3Provider(model)], 0, '127.0.0.1', gate);
  const clients: S3Client[] = [];
  return {
    url: edge.url,
    model,
    client(account = OWNER, extra = {}) {
      const c = new S3Client({ endpoint: edge.url, region: REGION, forcePathStyle: true, credentials: { accessKeyId: account, secretAccessKey: 'x' }, maxAttempts: 1, ...extra });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.destroy();
      await edge.close();
    },
  };
}

/** A caught rejection, for asserting on what the client surfaced. */
export async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number }; Code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to be refused');
}

/**
 * Runs a boto3 snippet against the endpoint: `s3` (path-style, account `account`) and `ClientError` are
 * in scope, `argv` holds `args`; the snippet sets `out`, printed as JSON.
 */
export async function boto3<T>(url: string, snippet: string, args: string[] = [], account = OWNER): Promise<T> {
  const script = `
import json, sys, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
argv = sys.argv[3:]
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='${REGION}', aws_access_key_id=sys.argv[2], aws_secret_access_key='x',
                  config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
out = None
${snippet}
print(json.dumps(out, default=str))
`;
  // Asynchronously: the endpoint answers from this process.
  const { stdout } = await promisify(execFile)('python3', ['-c', script, url, account, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as T;
}

/**
 * The wire-level contract between the edge router (one port for every AWS
 * service, like LocalStack's edge) and each emulated service's protocol layer.
 */
export interface AwsRequest {
  method: string;
  /** Raw path as received, still percent-encoded. */
  rawPath: string;
  /** Decoded path segments are the protocol layer's business; this is the path without the query. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** Signing name from the SigV4 credential scope (iot, execute-api, states, events, dynamodb …). */
  service: string;
  /** Account id: by the LocalStack convention a 12-digit access key id is the account. */
  account: string;
  region: string;
  accessKeyId: string;
}

export interface AwsResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface ServiceProvider {
  /** Service name used in logs and in the 501 message. */
  readonly name: string;
  /** SigV4 signing names routed to this provider. */
  readonly signingNames: readonly string[];
  handle(req: AwsRequest): Promise<AwsResponse>;
}

/** An AWS error with its wire name and HTTP status; protocol layers serialize it. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

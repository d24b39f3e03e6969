import { S3Client } from '@aws-sdk/client-s3';
import { config } from '../config.js';

// Path-style addressing (`/<bucket>/<key>`) only where an endpoint is given (the local cloud, one
// host for every service); on AWS the SDK's virtual-hosted default.
export const s3 = /* @__PURE__ */ new S3Client({ maxAttempts: 4, forcePathStyle: Boolean(config.awsEndpointUrl) });

import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { s3 } from '../clients/s3.js';
import { config } from '../config.js';
import { awsErrorName, ValidationError } from '../errors.js';
import { IdListError, parseIdList } from '../id-list.js';
import { MAX_BATCH_SIZE } from '../validation.js';
import type { ManifestRef } from './types.js';

/** A manifest as read: its ids, and the ETag of the object version they came from (what the batch records). */
export interface ManifestContents {
  certificateIds: string[];
  etag?: string;
}

/** 100,000 ids of 64 characters and a line break are 6.5 MB; comments and CRLFs get room, a larger object is refused unread. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

const uri = (m: ManifestRef) => `s3://${m.bucket}/${m.key}`;

/**
 * The certificate ids a manifest lists (the CLI's file format: one or more a
 * line, `#` comments), read with GetObject. Every problem is the caller's and a
 * 400 naming the field: no such object, one the service may not read, too
 * large, not a list of ids, a repeat, more than {@link MAX_BATCH_SIZE}.
 */
export async function readManifest(manifest: ManifestRef): Promise<ManifestContents> {
  const object = await getManifestObject(manifest);
  if ((object.ContentLength ?? 0) > MAX_MANIFEST_BYTES) {
    object.Body?.transformToWebStream()
      .cancel()
      .catch(() => undefined);
    throw new ValidationError('manifest', `manifest ${uri(manifest)} is ${object.ContentLength} bytes; a manifest is at most ${MAX_MANIFEST_BYTES} bytes (${MAX_BATCH_SIZE} ids)`);
  }
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  let ids: string[];
  try {
    ids = parseIdList(text);
  } catch (err) {
    if (!(err instanceof IdListError)) throw err;
    throw new ValidationError('manifest', `manifest ${err.in(uri(manifest))}`);
  }
  if (ids.length > MAX_BATCH_SIZE) throw new ValidationError('manifest', `manifest ${uri(manifest)} lists ${ids.length} certificates; a batch holds at most ${MAX_BATCH_SIZE}: split it`);
  return { certificateIds: ids, etag: object.ETag };
}

/** GetObject, with S3's answers that are the caller's doing as 400s naming the field. */
async function getManifestObject(manifest: ManifestRef): Promise<GetObjectCommandOutput> {
  try {
    return await s3.send(new GetObjectCommand({ Bucket: manifest.bucket, Key: manifest.key }));
  } catch (err) {
    switch (awsErrorName(err)) {
      case 'NoSuchKey':
        throw new ValidationError('manifest.key', `manifest.key names no object: ${uri(manifest)} does not exist; upload the list of ids first (aws s3 cp ids.txt ${uri(manifest)})`);
      case 'NoSuchBucket':
        throw new ValidationError('manifest.bucket', `manifest.bucket ${manifest.bucket} does not exist`);
      case 'AccessDenied':
      case 'KMS.AccessDeniedException':
        throw new ValidationError(
          'manifest.key',
          `manifest.key names an object the service may not read: ${uri(manifest)} (AccessDenied): upload it to the stack's manifest bucket without a KMS key of your own`,
        );
      default:
        throw err;
    }
  }
}

/** The manifest a request names, in the one bucket this deployment reads. */
export function manifestOf(input: { bucket?: string | null; key: string }): ManifestRef {
  const bucket = config.manifestBucket;
  if (!bucket) throw new ValidationError('manifest', 'this deployment has no manifest bucket: list certificateIds, or give a filter');
  if (input.bucket && input.bucket !== bucket) throw new ValidationError('manifest.bucket', `manifest.bucket must be this deployment's manifest bucket ${bucket} (its role reads no other)`);
  return { bucket, key: input.key };
}

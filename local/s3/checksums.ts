// The additional checksums S3 verifies on upload (`x-amz-checksum-<algorithm>`, base64 of the
// big-endian digest). CRC32 is node:zlib's (Node ≥ 20.15); CRC32C and CRC64NVME, which Node
// lacks, are the reflected table-driven CRCs (Castagnoli 0x82F63B78, NVMe 0x9A6C9329AC4BC9B5).
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Digest length in bytes: a value of another length is malformed. */
export const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

function crc32Table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CRC32 = crc32Table(0xedb88320);
const CRC32C = crc32Table(0x82f63b78);

function crc32With(table: Uint32Array, data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-64/NVME's table as high and low 32-bit halves, so the loop runs on numbers, not BigInts. */
const CRC64 = (() => {
  const poly = 0x9a6c9329ac4bc9b5n;
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    hi[i] = Number(c >> 32n);
    lo[i] = Number(c & 0xffffffffn);
  }
  return { hi, lo };
})();

function crc64nvme(data: Uint8Array): Buffer {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    const idx = (lo ^ data[i]) & 0xff;
    lo = (CRC64.lo[idx] ^ ((lo >>> 8) | (hi << 24))) >>> 0;
    hi = (CRC64.hi[idx] ^ (hi >>> 8)) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
  out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
  return out;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** The digest S3 would compute, base64 as it appears in `x-amz-checksum-<algorithm>`. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Buffer): string {
  switch (algorithm) {
    case 'crc32':
      return u32(zlibCrc32 ? zlibCrc32(data) : crc32With(CRC32, data)).toString('base64');
    case 'crc32c':
      return u32(crc32With(CRC32C, data)).toString('base64');
    case 'crc64nvme':
      return crc64nvme(data).toString('base64');
    case 'sha1':
    case 'sha256':
      return createHash(algorithm).update(data).digest('base64');
  }
}

export const md5 = (data: Buffer) => createHash('md5').update(data).digest();
export const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

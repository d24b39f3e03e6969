// The entries of a .zip file (name, compressed and uncompressed size), read from its central
// directory: how big each function's code is once Lambda unpacks it. No dependency, no unzip.
import { readFileSync } from 'node:fs';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

/** @returns {{ name: string, compressedSize: number, size: number }[]} */
export function zipEntries(file) {
  const buf = readFileSync(file);
  // The end-of-central-directory record: 22 bytes, plus a comment of up to 65,535.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file}: not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== CENTRAL) throw new Error(`${file}: broken central directory at entry ${n}`);
    const compressedSize = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    entries.push({ name: buf.toString('utf8', at + 46, at + 46 + nameLength), compressedSize, size });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Bytes of code (every .js, .mjs and .cjs file) in a function's zip, unpacked. */
export const codeBytes = (file) =>
  zipEntries(file)
    .filter((e) => /\.[cm]?js$/.test(e.name))
    .reduce((sum, e) => sum + e.size, 0);

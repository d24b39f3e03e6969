/**
 * IPv4 and IPv6 addresses and CIDR blocks as integers, for the `cidr` operator of event
 * patterns. Only what the operator needs: parse an address, parse a block, test membership.
 */

export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface CidrBlock {
  version: 4 | 6;
  network: bigint;
  mask: bigint;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const words: number[] = [];
  const tailWords: number[] = [];
  const pushGroups = (list: string[], target: number[]): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i];
      if (g.includes('.') && i === list.length - 1) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return false;
        target.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        target.push(parseInt(g, 16));
      } else {
        return false;
      }
    }
    return true;
  };
  if (!pushGroups(groups(halves[0]), words) || !pushGroups(halves.length === 2 ? groups(halves[1]) : [], tailWords)) return undefined;
  const missing = 8 - words.length - tailWords.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...words, ...new Array<number>(missing).fill(0), ...tailWords];
  return all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/**
 * "10.0.0.0/24" or "2001:db8::/32", checked as event-ruler's CIDR class checks it (its
 * messages are what EventBridge answers). Returns the block, or the reason it is malformed.
 */
export function parseCidr(source: string): CidrBlock | string {
  const slashed = source.split('/');
  if (slashed.length !== 2) return "Malformed CIDR, one '/' required";
  const [addr, bitsText] = slashed;
  if (!/^-?\d+$/.test(bitsText)) return 'Malformed CIDR, mask bits must be an integer';
  const bits = Number(bitsText);
  if (bits < 0) return 'Malformed CIDR, mask bits must not be negative';
  const ip = parseIp(addr);
  if (!ip) return `Nonstandard IP address: ${addr}`;
  if (ip.version === 4 && bits > 31) return 'IPv4 mask bits must be < 32';
  if (ip.version === 6 && bits > 127) return 'IPv6 mask bits must be < 128';
  const width = ip.version === 4 ? 32 : 128;
  const full = (1n << BigInt(width)) - 1n;
  const mask = bits === 0 ? 0n : (full << BigInt(width - bits)) & full;
  return { version: ip.version, network: ip.value & mask, mask };
}

export function inCidr(block: CidrBlock, text: string): boolean {
  const ip = parseIp(text);
  return ip !== undefined && ip.version === block.version && (ip.value & block.mask) === block.network;
}

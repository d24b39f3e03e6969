// Task tokens: minted for `.waitForTaskToken` tasks and checked by SendTask*, self-authenticating so
// that a forged token is told apart from a genuine one whose task is gone.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Task tokens: opaque, unguessable, and self-authenticating so that a forged or
 * mangled token is told apart from a genuine one whose task is gone.
 *
 * Layout (base64url): version(1) | minted-at ms (8) | random (16) | HMAC-SHA256 truncated (16).
 * 41 bytes → 55 characters, far below the 2,048-character limit. Nothing in it
 * names the account, the execution or the state.
 */
const VERSION = 1;
const BODY = 1 + 8 + 16;
const MAC = 16;

export type TokenCheck = { ok: true; mintedAt: number } | { ok: false };

export class TaskTokens {
  readonly secret: Buffer;

  constructor(secret?: Buffer) {
    this.secret = secret ?? randomBytes(32);
  }

  mint(now: number): string {
    const body = Buffer.alloc(BODY);
    body.writeUInt8(VERSION, 0);
    body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 1);
    randomBytes(16).copy(body, 9);
    return Buffer.concat([body, this.mac(body)]).toString('base64url');
  }

  /** True when the token was minted with this secret (in this or an earlier life of the model). */
  check(token: string): TokenCheck {
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) return { ok: false };
    const raw = Buffer.from(token, 'base64url');
    if (raw.length !== BODY + MAC || raw.readUInt8(0) !== VERSION) return { ok: false };
    const body = raw.subarray(0, BODY);
    if (!timingSafeEqual(this.mac(body), raw.subarray(BODY))) return { ok: false };
    return { ok: true, mintedAt: Number(raw.readBigUInt64BE(1)) };
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(body).digest().subarray(0, MAC);
  }
}

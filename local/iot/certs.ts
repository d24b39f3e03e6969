/**
 * Real X.509 material for the IoT emulator: device key pairs, certificates signed by a local stand-in
 * for the AWS IoT CA, and PEM parsing. Knows nothing of accounts or HTTP.
 */
import './reflect-shim.js';
import { createHash, createPublicKey, generateKeyPair, randomBytes, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';

type SubtleCryptoKeyPair = { publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey };

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const generateKeyPairAsync = promisify(generateKeyPair);

export type KeyAlgorithm = 'rsa' | 'ec';

export interface DeviceKeyPair {
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as AWS returns it. */
  publicKeyPem: string;
  /** PKCS#1 PEM for RSA (`-----BEGIN RSA PRIVATE KEY-----`) like AWS; SEC1 PEM for EC. */
  privateKeyPem: string;
  /** SPKI DER, what the certificate embeds. */
  spki: Buffer;
}

/** AWS IoT's issuer is one OU attribute holding the whole string (a known quirk of its CA). */
const AWS_ISSUER: x509.JsonName = [{ '2.5.4.11': ['Amazon Web Services O=Amazon.com Inc. L=Seattle ST=Washington C=US'] }];
const AWS_SUBJECT: x509.JsonName = [{ '2.5.4.3': ['AWS IoT Certificate'] }];
/** Certificates issued by CreateKeysAndCertificate expire at the end of 2049. */
const AWS_NOT_AFTER = new Date(Date.UTC(2049, 11, 31, 23, 59, 59));
const RSA_SIGNING = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

/** Generates one device key pair off the main thread (libuv pool). */
export async function generateDeviceKeyPair(algorithm: KeyAlgorithm): Promise<DeviceKeyPair> {
  const { publicKey, privateKey } =
    algorithm === 'rsa'
      ? await generateKeyPairAsync('rsa', {
          modulusLength: 2048,
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        })
      : await generateKeyPairAsync('ec', {
          namedCurve: 'prime256v1',
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'sec1', format: 'pem' },
        });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey, spki: createPublicKey(publicKey).export({ type: 'spki', format: 'der' }) };
}

/**
 * Where device keys come from. RSA-2048 generation costs 60–150 ms of CPU,
 * so benchmarks creating thousands of certificates would crawl: with
 * `poolSize > 0` the first `poolSize` RSA keys are generated and then reused
 * round-robin (every certificate is still unique: fresh serial number, so a
 * fresh DER and id). EC keys are cheap and always fresh; `poolSize: 0` makes
 * RSA keys always fresh too, exactly like AWS.
 */
export class KeySource {
  private readonly pool: Promise<DeviceKeyPair>[] = [];
  private next = 0;

  constructor(
    readonly algorithm: KeyAlgorithm,
    readonly poolSize: number,
  ) {}

  take(): Promise<DeviceKeyPair> {
    if (this.algorithm === 'ec' || this.poolSize <= 0) return generateDeviceKeyPair(this.algorithm);
    if (this.pool.length < this.poolSize) {
      const key = generateDeviceKeyPair(this.algorithm);
      this.pool.push(key);
      return key;
    }
    const key = this.pool[this.next % this.pool.length];
    this.next += 1;
    return key;
  }
}

interface Issuer {
  privateKey: webcrypto.CryptoKey;
  authorityKeyId: string;
}

let issuerPromise: Promise<Issuer> | undefined;

/** The local CA's RSA key, generated once per process (it is never exposed). */
function issuer(): Promise<Issuer> {
  issuerPromise ??= (async () => {
    const keys = (await webcrypto.subtle.generateKey({ ...RSA_SIGNING, publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }, false, ['sign', 'verify'])) as SubtleCryptoKeyPair;
    const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    return { privateKey: keys.privateKey, authorityKeyId: keyIdentifier(spki) };
  })();
  return issuerPromise;
}

/** RFC 5280 method 1 would hash only the key bits; any stable SHA-1 of the key serves as an identifier. */
function keyIdentifier(spki: Buffer): string {
  return createHash('sha1').update(spki).digest('hex');
}

/** Issues a device certificate for `key`, shaped like the ones AWS IoT issues. */
export async function issueDeviceCertificate(key: DeviceKeyPair, now: Date): Promise<string> {
  const ca = await issuer();
  const serial = randomBytes(20);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive and without a leading zero byte
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    issuer: AWS_ISSUER,
    subject: AWS_SUBJECT,
    // AWS backdates notBefore a little to absorb device clock skew.
    notBefore: new Date(Math.floor(now.getTime() / 1000) * 1000 - 120_000),
    notAfter: AWS_NOT_AFTER,
    signingAlgorithm: RSA_SIGNING,
    publicKey: key.spki,
    signingKey: ca.privateKey as unknown as x509.X509CertificateCreateWithKeyParams['signingKey'],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.SubjectKeyIdentifierExtension(keyIdentifier(key.spki)),
      new x509.AuthorityKeyIdentifierExtension(ca.authorityKeyId),
    ],
  });
  return toPem(Buffer.from(cert.rawData));
}

export interface ParsedCertificate {
  /** Lower-case hex SHA-256 of the DER: the IoT certificate id. */
  certificateId: string;
  /** Normalised PEM (64-column base64, trailing newline). */
  pem: string;
  notBefore: Date;
  notAfter: Date;
}

/** Parses one PEM certificate; throws (any error) when it is not one. */
export function parseCertificatePem(pem: string): ParsedCertificate {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks || blocks.length !== 1) throw new Error('expected exactly one PEM certificate');
  const cert = new x509.X509Certificate(blocks[0]);
  const der = Buffer.from(cert.rawData);
  return { certificateId: certificateIdOf(der), pem: toPem(der), notBefore: cert.notBefore, notAfter: cert.notAfter };
}

export function certificateIdOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

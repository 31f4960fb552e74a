// Building blocks for the sandbox PKI: key pairs, certificates and the "bundle" unit that
// make-sandbox-certs.ts generates, records in its manifest and renews. Each e-ID simulator owns one
// bundle under certs/bundles/, so adding an upstream never touches another upstream's keys.
import { generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 825;
export const DAY_MS = 86_400_000;

const generateKeyPair = promisify(generateKeyPairCb);

export interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

export async function rsaKeyPair(): Promise<{ privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string }> {
  const { privateKey } = await generateKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), keyPem: privateKey };
}

/**
 * A certificate serial: 16 random bytes, unique without bookkeeping (RFC 5280 allows up to 20 octets),
 * written so that its DER INTEGER is positive and minimal. forge writes the hex as given (a leading "0"
 * nibble becomes a 0x00 octet) and removes at most one leading zero octet, so a serial whose random bytes
 * start with 0x00 would come out as 00 0x.. — padding OpenSSL refuses ("illegal padding"), which made one
 * certificate in about 512 unreadable. Top bit clear (positive, no sign octet), next bit set (never a
 * leading zero octet): always 16 octets, 126 random bits.
 */
export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}

export interface CertSpec {
  commonName: string;
  validityDays: number;
  issuer?: Issued;
  extensions: object[];
  /** Extra subject attributes after C and O (e.g. serialNumber for an HSA-id, givenName, surname). */
  subjectExtra?: forge.pki.CertificateField[];
  /** Replaces the default "Sandbox - not for production" organisation. */
  organization?: string;
  /** Overrides the validity window (tests make expired certificates this way). */
  notBefore?: Date;
  notAfter?: Date;
}

export async function issue(spec: CertSpec): Promise<Issued> {
  const pair = await rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pair.publicKey;
  cert.serialNumber = serialNumber();
  const now = Date.now();
  // Backdated an hour so a peer whose clock runs slightly behind still accepts a fresh certificate.
  cert.validity.notBefore = spec.notBefore ?? new Date(now - 3_600_000);
  cert.validity.notAfter = spec.notAfter ?? new Date(now + spec.validityDays * DAY_MS);
  const subject: forge.pki.CertificateField[] = [
    { shortName: 'C', value: 'SE' },
    { shortName: 'O', value: spec.organization ?? 'Sandbox - not for production' },
    { shortName: 'CN', value: spec.commonName },
    ...(spec.subjectExtra ?? []),
  ];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : subject);
  const authorityKeyId = spec.issuer
    ? [{ name: 'authorityKeyIdentifier', keyIdentifier: spec.issuer.cert.generateSubjectKeyIdentifier().getBytes() }]
    : [];
  cert.setExtensions([...spec.extensions, { name: 'subjectKeyIdentifier' }, ...authorityKeyId]);
  cert.sign(spec.issuer ? spec.issuer.key : pair.privateKey, forge.md.sha256.create());
  return { cert, key: pair.privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: pair.keyPem };
}

export const caExtensions = (): object[] => [
  { name: 'basicConstraints', cA: true, critical: true },
  { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
];

export const leafExtensions = (usage: 'serverAuth' | 'clientAuth', altNames: object[] = []): object[] => [
  { name: 'basicConstraints', cA: false, critical: true },
  { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  { name: 'extKeyUsage', [usage]: true },
  ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
];

/** SAN for a TLS server certificate on this machine. */
export const localhostNames = (): object[] => [
  { type: 2, value: 'localhost' },
  { type: 7, ip: '127.0.0.1' },
  { type: 7, ip: '::1' },
];

/** PKCS#12 with AES-256 rather than forge's 3DES default: OpenSSL 3 reads it without the legacy provider. */
export function pkcs12(leaf: Issued, chain: Issued[], passphrase: string, friendlyName: string): Uint8Array {
  const p12 = forge.pkcs12.toPkcs12Asn1(leaf.key, [leaf.cert, ...chain.map((c) => c.cert)], passphrase, { algorithm: 'aes256', friendlyName });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

/** One unit of generation: its files are made together, so a key never ends up beside another key's certificate. */
export interface Bundle<K extends string = string> {
  name: string;
  /** Logical name -> file name inside the sandbox directory. */
  files: Record<K, string>;
  /** Logical names of PEM certificates to check for expiry on reuse. */
  certificates: NoInfer<K>[];
  generate(passphrase: string): Promise<Record<NoInfer<K>, string | Uint8Array>>;
}

/** Lets TypeScript infer the logical file names, so `certs.<bundle>.<name>` is type-checked. */
export const defineBundle = <K extends string>(bundle: Bundle<K>): Bundle<K> => bundle;

/** Absolute paths of one bundle's files. */
export type BundlePaths<B> = B extends Bundle<infer K> ? Record<K, string> : never;

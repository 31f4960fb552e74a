// One X.509 certificate, read into what path validation and the SITHS profile checks need
// (RFC 5280 section 4.1). The structure is read by @peculiar/x509 (src/federation/mtls/library.ts);
// Node's X509Certificate (OpenSSL) gates the input, checks signatures and holds the public key, since
// it does so synchronously and the verifier runs on the TLS hot path.
import { createHash, X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension, BasicConstraintsExtension, CertificatePolicyExtension, ExtendedKeyUsageExtension,
  KeyUsageFlags, KeyUsagesExtension, Name, PemConverter, SubjectKeyIdentifierExtension, X509Certificate,
} from './library.ts';

/** Anything that is not the certificate structure we expect. Carries no input bytes, so it is safe to log. */
export class CertificateFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateFormatError';
  }
}

export type KeyUsageBit = keyof typeof KeyUsageFlags;

const KEY_USAGE_BITS: readonly KeyUsageBit[] = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement',
  'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
];

export interface DistinguishedName {
  /** The Name in DER. */
  der: Buffer;
  /** Attribute type (OID) and text, in encoded order (most general first). */
  attributes: ReadonlyArray<{ oid: string; value: string }>;
  /** RFC 4514 text (most specific first), for logs of CA names and for errors. */
  text: string;
  /** Comparison key: attribute types and values, case and inner whitespace folded (RFC 5280 section 7.1, simplified). */
  key: string;
}

// The library names a few attribute types itself; everything else it gives as the OID.
const LIBRARY_TYPE_OIDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6', DC: '0.9.2342.19200300.100.1.25',
  E: '1.2.840.113549.1.9.1', G: '2.5.4.42', I: '2.5.4.43', SN: '2.5.4.4', T: '2.5.4.12',
};
// RFC 4514 and OpenSSL's short names, for the text form.
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title', '2.5.4.42': 'GN', '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress', '0.9.2342.19200300.100.1.25': 'DC',
};

const fold = (value: string): string => value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
const escape4514 = (value: string): string =>
  value.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');

export function readName(name: Name): DistinguishedName {
  const rdns = name.toJSON().map((rdn) => Object.entries(rdn).flatMap(([type, values]) =>
    values.map((value) => ({ oid: LIBRARY_TYPE_OIDS[type] ?? type, value }))));
  const text = [...rdns].reverse()
    .map((rdn) => rdn.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${escape4514(a.value)}`).join('+'))
    .join(',');
  const key = rdns.map((rdn) => rdn.map((a) => `${a.oid}=${fold(a.value)}`).sort().join('+')).join('/');
  return { der: Buffer.from(name.toArrayBuffer()), attributes: rdns.flat(), text, key };
}

export const sameName = (a: DistinguishedName, b: DistinguishedName): boolean => a.der.equals(b.der) || a.key === b.key;

/** Every value of one attribute type, in encoded order. */
export const nameValues = (name: DistinguishedName, oid: string): string[] =>
  name.attributes.filter((a) => a.oid === oid).map((a) => a.value);

/** Normalises a serial number written in hex (any case, optional colons or sign padding) to upper-case hex, the form X509Certificate.serialNumber prints. */
export function normalizeSerialHex(hex: string): string {
  let clean = hex.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean)) throw new CertificateFormatError('serial number: not hex');
  if (clean.length % 2) clean = `0${clean}`;
  while (clean.length > 2 && clean.startsWith('00')) clean = clean.slice(2);
  return clean.toUpperCase();
}

/**
 * The DER inside each PEM block with this label ("CERTIFICATE", "X509 CRL"). Whitespace anywhere in the
 * base64 body is dropped: TLS proxies hand the PEM over with its line breaks turned into spaces or
 * tabs (nginx's older $ssl_client_cert), which the library's strict PEM reader refuses.
 */
export function pemBlocks(text: string, label: string): Buffer[] {
  const out: Buffer[] = [];
  for (const match of text.matchAll(new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g'))) {
    const body = (match[1] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new CertificateFormatError(`PEM ${label}: not readable`);
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

export const toPem = (der: Uint8Array, label: string): string => `${PemConverter.encode(Buffer.from(der), label).replace(/\r\n/g, '\n')}\n`;

export interface CertificateExtension {
  oid: string;
  critical: boolean;
}

export interface CertificateInfo {
  der: Buffer;
  /** SHA-256 of the DER, hex: the certificate's identity when comparing two of them. */
  fingerprint: string;
  /** Upper-case hex, as X509Certificate.serialNumber prints it. */
  serialNumberHex: string;
  signatureAlgorithm: string;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  extensions: readonly CertificateExtension[];
  basicConstraints?: { cA: boolean; pathLenConstraint?: number };
  /** Undefined when the extension is absent. */
  keyUsage?: Set<KeyUsageBit>;
  /** Undefined when the extension is absent. */
  extKeyUsage?: string[];
  /** Policy OIDs; undefined when the extension is absent. */
  certificatePolicies?: string[];
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
  publicKey: KeyObject;
  x509: NodeCertificate;
}

/** The library's certificate, with the two signature algorithm fields it keeps to itself. */
class ReadCertificate extends X509Certificate {
  get signatureAlgorithms(): { outer: string; inner: string } {
    return { outer: this.asn.signatureAlgorithm.algorithm, inner: this.asn.tbsCertificate.signature.algorithm };
  }
}

// Reading a certificate with the library costs milliseconds, an order more than the checks on it; the
// same cards and CAs come back all day, and what is read depends on the bytes alone (every time-bound
// decision is the pipeline's), so recent readings are kept by the DER's hash.
const READ_CACHE_SIZE = 512;
const readCache = new Map<string, CertificateInfo>();

/** Reads a DER certificate; throws CertificateFormatError when it is not one. */
export function readCertificate(der: Buffer): CertificateInfo {
  const fingerprint = createHash('sha256').update(der).digest('hex');
  const known = readCache.get(fingerprint);
  if (known) {
    // Most recently used last, so the oldest reading is the one dropped.
    readCache.delete(fingerprint);
    readCache.set(fingerprint, known);
    return known;
  }
  const info = readUncached(Buffer.from(der), fingerprint);
  readCache.set(fingerprint, info);
  for (const oldest of readCache.keys()) {
    if (readCache.size <= READ_CACHE_SIZE) break;
    readCache.delete(oldest);
  }
  return info;
}

function readUncached(der: Buffer, fingerprint: string): CertificateInfo {
  let x509: NodeCertificate;
  let cert: ReadCertificate;
  try {
    x509 = new NodeCertificate(der);
    cert = new ReadCertificate(new Uint8Array(der));
  } catch {
    throw new CertificateFormatError('certificate: not parseable');
  }
  try {
    return describe(der, fingerprint, x509, cert);
  } catch (err) {
    if (err instanceof CertificateFormatError) throw err;
    throw new CertificateFormatError('certificate: a field is not readable');
  }
}

function describe(der: Buffer, fingerprint: string, x509: NodeCertificate, cert: ReadCertificate): CertificateInfo {
  const { outer, inner } = cert.signatureAlgorithms;
  if (outer !== inner) throw new CertificateFormatError('certificate: signature algorithms differ');
  const extensions = cert.extensions.map((e) => ({ oid: e.type, critical: e.critical }));
  const seen = new Set<string>();
  for (const { oid } of extensions) {
    // RFC 5280 section 4.2: an extension type appears at most once.
    if (seen.has(oid)) throw new CertificateFormatError(`certificate: extension ${oid} twice`);
    seen.add(oid);
  }
  const info: CertificateInfo = {
    der,
    fingerprint,
    serialNumberHex: normalizeSerialHex(x509.serialNumber),
    signatureAlgorithm: outer,
    issuer: readName(cert.issuerName),
    subject: readName(cert.subjectName),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    extensions,
    publicKey: x509.publicKey,
    x509,
  };
  const bc = cert.getExtension(BasicConstraintsExtension);
  if (bc) info.basicConstraints = bc.pathLength === undefined ? { cA: bc.ca } : { cA: bc.ca, pathLenConstraint: bc.pathLength };
  const ku = cert.getExtension(KeyUsagesExtension);
  if (ku) info.keyUsage = new Set(KEY_USAGE_BITS.filter((bit) => ku.usages & KeyUsageFlags[bit]));
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  if (eku) info.extKeyUsage = eku.usages.map(String);
  const policies = cert.getExtension(CertificatePolicyExtension);
  if (policies) info.certificatePolicies = [...policies.policies];
  const ski = cert.getExtension(SubjectKeyIdentifierExtension);
  if (ski) info.subjectKeyIdentifier = ski.keyId.toLowerCase();
  const aki = cert.getExtension(AuthorityKeyIdentifierExtension);
  if (aki?.keyId) info.authorityKeyIdentifier = aki.keyId.toLowerCase();
  return info;
}

/**
 * Signature algorithms accepted on card certificates, their CAs and CRLs, with the digest for
 * node:crypto. SHA-1 and MD5 are absent on purpose; RSASSA-PSS is absent because nothing here needs its parameters.
 */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13': 'sha512', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': 'sha512', // ecdsa-with-SHA512
};

// One X.509 certificate, read into what path validation and the SITHS profile checks need
// (RFC 5280 section 4.1). Node's X509Certificate (OpenSSL) checks signatures and holds the public key;
// the fields are read with forge's ASN.1 parser, which, unlike forge.pki, does not care about the key type.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import {
  DerError, OID, Type, elements, firstElementBytes, fromBinary, isContext, isUniversal, parseDer, primitive, readBoolean,
  readExtensions, readName, readOid, readSerialHex, readSmallInteger, readTime, type DistinguishedName, type Extension,
} from './asn1.ts';

export type KeyUsageBit =
  | 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement'
  | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';

const KEY_USAGE_BITS: KeyUsageBit[] = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement',
  'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
];

export interface CertificateInfo {
  der: Buffer;
  /** SHA-256 of the DER, hex: the certificate's identity when comparing two of them. */
  fingerprint: string;
  version: number;
  serialNumberHex: string;
  signatureAlgorithm: string;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  extensions: Map<string, Extension>;
  basicConstraints?: { cA: boolean; pathLenConstraint?: number };
  /** Undefined when the extension is absent. */
  keyUsage?: Set<KeyUsageBit>;
  /** Undefined when the extension is absent. */
  extKeyUsage?: string[];
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
  publicKey: KeyObject;
  x509: X509Certificate;
}

/** Reads a DER certificate; throws DerError when it is not one. */
export function readCertificate(der: Buffer): CertificateInfo {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw new DerError('certificate: not parseable');
  }
  firstElementBytes(der, 'certificate');
  const [tbs, signatureAlgorithm, signature, ...rest] = elements(parseDer(der, 'certificate'), 'certificate');
  if (rest.length) throw new DerError('certificate: trailing fields');
  primitive(signature, Type.BITSTRING, 'certificate signature');
  const fields = elements(tbs, 'tbsCertificate');
  let i = 0;
  let version = 1;
  if (isContext(fields[0], 0)) {
    version = readSmallInteger(elements(fields[0], 'version', null)[0], 'version') + 1;
    i += 1;
  }
  const serialNumberHex = readSerialHex(fields[i++], 'serialNumber');
  const innerAlgorithm = readOid(elements(fields[i++], 'signature')[0], 'signature');
  const issuer = readName(fields[i++], 'issuer');
  const validity = elements(fields[i++], 'validity');
  const notBefore = readTime(validity[0], 'notBefore');
  const notAfter = readTime(validity[1], 'notAfter');
  const subject = readName(fields[i++], 'subject');
  elements(fields[i++], 'subjectPublicKeyInfo');
  let extensions = new Map<string, Extension>();
  for (const field of fields.slice(i)) {
    if (isContext(field, 3)) extensions = readExtensions(elements(field, 'extensions', null)[0], 'extensions');
    else if (!isContext(field, 1) && !isContext(field, 2)) throw new DerError('tbsCertificate: unexpected field');
  }
  const outerAlgorithm = readOid(elements(signatureAlgorithm, 'signatureAlgorithm')[0], 'signatureAlgorithm');
  if (outerAlgorithm !== innerAlgorithm) throw new DerError('certificate: signature algorithms differ');

  const info: CertificateInfo = {
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    version,
    serialNumberHex,
    signatureAlgorithm: outerAlgorithm,
    issuer,
    subject,
    notBefore,
    notAfter,
    extensions,
    publicKey: x509.publicKey,
    x509,
  };
  const bc = extensions.get(OID.basicConstraints);
  if (bc) info.basicConstraints = readBasicConstraints(bc.value);
  const ku = extensions.get(OID.keyUsage);
  if (ku) info.keyUsage = readKeyUsage(ku.value);
  const eku = extensions.get(OID.extKeyUsage);
  if (eku) info.extKeyUsage = elements(parseDer(eku.value, 'extKeyUsage'), 'extKeyUsage').map((n) => readOid(n, 'extKeyUsage'));
  const ski = extensions.get(OID.subjectKeyIdentifier);
  if (ski) info.subjectKeyIdentifier = fromBinary(primitive(parseDer(ski.value, 'subjectKeyIdentifier'), Type.OCTETSTRING, 'subjectKeyIdentifier')).toString('hex');
  const aki = extensions.get(OID.authorityKeyIdentifier);
  if (aki) {
    const keyId = readAuthorityKeyIdentifier(aki.value);
    if (keyId) info.authorityKeyIdentifier = keyId;
  }
  return info;
}

function readBasicConstraints(value: Buffer): { cA: boolean; pathLenConstraint?: number } {
  const parts = elements(parseDer(value, 'basicConstraints'), 'basicConstraints');
  let cA = false;
  let next = 0;
  if (isUniversal(parts[0], Type.BOOLEAN)) {
    cA = readBoolean(parts[0], 'basicConstraints');
    next = 1;
  }
  const out: { cA: boolean; pathLenConstraint?: number } = { cA };
  if (parts[next]) out.pathLenConstraint = readSmallInteger(parts[next], 'pathLenConstraint');
  return out;
}

/** KeyUsage ::= BIT STRING, bit 0 (digitalSignature) the most significant bit of the first octet. */
export function readKeyUsage(value: Buffer): Set<KeyUsageBit> {
  const bits = fromBinary(primitive(parseDer(value, 'keyUsage'), Type.BITSTRING, 'keyUsage'));
  const out = new Set<KeyUsageBit>();
  if (bits.length < 1 || bits[0]! > 7) throw new DerError('keyUsage: bad BIT STRING');
  KEY_USAGE_BITS.forEach((name, bit) => {
    const byte = bits[1 + (bit >> 3)];
    if (byte !== undefined && byte & (0x80 >> (bit & 7))) out.add(name);
  });
  return out;
}

/** The keyIdentifier ([0] IMPLICIT OCTET STRING) of an AuthorityKeyIdentifier, hex. */
export function readAuthorityKeyIdentifier(value: Buffer): string | undefined {
  const parts = elements(parseDer(value, 'authorityKeyIdentifier'), 'authorityKeyIdentifier');
  const keyId = parts.find((p) => isContext(p, 0));
  if (!keyId) return undefined;
  if (keyId.constructed || typeof keyId.value !== 'string') throw new DerError('authorityKeyIdentifier: bad keyIdentifier');
  return fromBinary(keyId.value).toString('hex');
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

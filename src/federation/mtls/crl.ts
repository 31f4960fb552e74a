// X.509 v2 certificate revocation lists (RFC 5280 section 5): built with forge.asn1 and signed with
// forge for the sandbox, and parsed for the card-certificate verifier. forge has no CRL support of its
// own, so both directions follow the ASN.1 module of RFC 5280 directly:
//
//   CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
//   TBSCertList ::= SEQUENCE { version INTEGER (v2 = 1) OPTIONAL, signature AlgorithmIdentifier,
//     issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
//     revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time,
//       crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
//     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import {
  Class, DerError, OID, Type, elements, encodeDer, extensionNode, firstElementBytes, fromBinary, isContext, isUniversal,
  parseDer, pemBlocks, primitive, readBigInteger, readExtensions, readName, readOid, readSerialHex, readSmallInteger,
  readTime, serialHexToDerBytes, timeNode, toPem, type Asn1, type DistinguishedName,
} from './asn1.ts';
import { SIGNATURE_ALGORITHMS, readAuthorityKeyIdentifier, readCertificate } from './x509.ts';

/** CRLReason (RFC 5280 section 5.3.1), by its ENUMERATED value. */
export const CRL_REASONS = [
  'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
  'cessationOfOperation', 'certificateHold', undefined, 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise',
] as const;
export type CrlReason = Exclude<(typeof CRL_REASONS)[number], undefined>;

export interface RevokedCertificate {
  /** Hex, any case; sign padding is removed. */
  serialNumberHex: string;
  revocationDate: Date;
  reason?: CrlReason;
}

export interface BuildCrlOptions {
  /** The CA that signs the CRL: its certificate (PEM or DER), whose subject becomes the CRL issuer. */
  issuerCertificate: string | Uint8Array;
  /** Its RSA private key (PEM or forge key). */
  issuerKey: string | forge.pki.rsa.PrivateKey;
  revoked: RevokedCertificate[];
  thisUpdate: Date;
  nextUpdate: Date;
  /** The cRLNumber extension, increasing with each CRL the CA issues (RFC 5280 section 5.2.3). */
  crlNumber: bigint | number;
}

export interface BuiltCrl {
  der: Buffer;
  /** PEM with the "X509 CRL" label, as OpenSSL writes it. */
  pem: string;
}

const { create } = forge.asn1;
const seq = (value: Asn1[]): Asn1 => create(Class.UNIVERSAL, Type.SEQUENCE, true, value);

function bigintDerBytes(value: bigint): string {
  if (value < 0n) throw new RangeError('crlNumber must not be negative');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return forge.util.hexToBytes(hex);
}

/** Builds and signs a v2 CRL with sha256WithRSAEncryption, the authorityKeyIdentifier and cRLNumber extensions. */
export function buildCrl(options: BuildCrlOptions): BuiltCrl {
  const issuerDer = toDer(options.issuerCertificate, 'CERTIFICATE');
  const issuer = readCertificate(issuerDer);
  const key = typeof options.issuerKey === 'string'
    ? forge.pki.privateKeyFromPem(options.issuerKey) as forge.pki.rsa.PrivateKey
    : options.issuerKey;
  if (!(options.nextUpdate > options.thisUpdate)) throw new RangeError('nextUpdate must be after thisUpdate');

  const algorithm = seq([
    create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(OID.sha256WithRSAEncryption).getBytes()),
    create(Class.UNIVERSAL, Type.NULL, false, ''),
  ]);
  const entries = options.revoked.map((entry) => seq([
    create(Class.UNIVERSAL, Type.INTEGER, false, serialHexToDerBytes(entry.serialNumberHex)),
    timeNode(entry.revocationDate),
    ...(entry.reason === undefined ? [] : [seq([
      extensionNode(OID.reasonCode, false, create(Class.UNIVERSAL, Type.ENUMERATED, false, String.fromCharCode(CRL_REASONS.indexOf(entry.reason)))),
    ])]),
  ]));
  const keyId = issuer.subjectKeyIdentifier;
  const crlExtensions = [
    ...(keyId ? [extensionNode(OID.authorityKeyIdentifier, false, seq([
      create(Class.CONTEXT_SPECIFIC, 0, false, forge.util.hexToBytes(keyId)),
    ]))] : []),
    extensionNode(OID.cRLNumber, false, create(Class.UNIVERSAL, Type.INTEGER, false, bigintDerBytes(BigInt(options.crlNumber)))),
  ];
  const tbs = seq([
    create(Class.UNIVERSAL, Type.INTEGER, false, '\x01'),
    algorithm,
    parseDer(issuer.subject.der, 'issuer'),
    timeNode(options.thisUpdate),
    timeNode(options.nextUpdate),
    // An empty list is left out rather than encoded empty (RFC 5280 section 5.1.2.6).
    ...(entries.length ? [seq(entries)] : []),
    create(Class.CONTEXT_SPECIFIC, 0, true, [seq(crlExtensions)]),
  ]);
  const md = forge.md.sha256.create();
  md.update(forge.asn1.toDer(tbs).getBytes());
  const signature = key.sign(md);
  const der = encodeDer(seq([tbs, algorithm, create(Class.UNIVERSAL, Type.BITSTRING, false, `\x00${signature}`)]));
  return { der, pem: crlToPem(der) };
}

export const crlToPem = (der: Uint8Array): string => toPem(der, 'X509 CRL');

/** A CRL that cannot be used: not DER, not a v1/v2 CRL, or with a critical extension this code does not process. */
export class CrlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrlFormatError';
  }
}

export interface RevocationEntry {
  revocationDate: Date;
  reason?: CrlReason;
}

export interface ParsedCrl {
  der: Buffer;
  /** The signed bytes (tbsCertList) exactly as received. */
  tbs: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  version: 1 | 2;
  issuer: DistinguishedName;
  thisUpdate: Date;
  nextUpdate?: Date;
  crlNumber?: bigint;
  /** keyIdentifier of the authorityKeyIdentifier extension, hex. */
  authorityKeyIdentifier?: string;
  /** Serial number (upper-case hex, as X509Certificate.serialNumber) -> entry. */
  revoked: Map<string, RevocationEntry>;
}

// CRL extensions this code understands; any other critical one makes the CRL unusable (RFC 5280 section 5.2).
// deltaCRLIndicator and issuingDistributionPoint are always critical and change what the list covers: refused.
const KNOWN_CRL_EXTENSIONS = new Set<string>([OID.cRLNumber, OID.authorityKeyIdentifier]);
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([OID.reasonCode, OID.invalidityDate]);

/** Parses a CRL in DER or PEM ("X509 CRL"). Structure only: the signature is checked by `crlSignedBy`. */
export function parseCrl(input: string | Uint8Array): ParsedCrl {
  try {
    return parse(toDer(input, 'X509 CRL'));
  } catch (err) {
    if (err instanceof CrlFormatError) throw err;
    throw new CrlFormatError(err instanceof DerError ? err.message : 'CRL: not parseable');
  }
}

function parse(der: Buffer): ParsedCrl {
  const tbsBytes = firstElementBytes(der, 'CRL');
  const [tbs, signatureAlgorithm, signatureValue, ...rest] = elements(parseDer(der, 'CRL'), 'CRL');
  if (rest.length) throw new CrlFormatError('CRL: trailing fields');
  const fields = elements(tbs, 'tbsCertList');
  let i = 0;
  let version: 1 | 2 = 1;
  if (isUniversal(fields[0], Type.INTEGER)) {
    if (readSmallInteger(fields[0], 'version') !== 1) throw new CrlFormatError('CRL: unknown version');
    version = 2;
    i += 1;
  }
  const innerAlgorithm = readOid(elements(fields[i++], 'signature')[0], 'signature');
  const issuer = readName(fields[i++], 'issuer');
  const thisUpdate = readTime(fields[i++], 'thisUpdate');
  const crl: ParsedCrl = {
    der,
    tbs: tbsBytes,
    signatureAlgorithm: readOid(elements(signatureAlgorithm, 'signatureAlgorithm')[0], 'signatureAlgorithm'),
    signature: Buffer.alloc(0),
    version,
    issuer,
    thisUpdate,
    revoked: new Map(),
  };
  if (crl.signatureAlgorithm !== innerAlgorithm) throw new CrlFormatError('CRL: signature algorithms differ');
  const bits = fromBinary(primitive(signatureValue, Type.BITSTRING, 'signatureValue'));
  if (bits[0] !== 0) throw new CrlFormatError('CRL: signature is not whole octets');
  crl.signature = bits.subarray(1);

  if (isUniversal(fields[i], Type.UTCTIME) || isUniversal(fields[i], Type.GENERALIZEDTIME)) crl.nextUpdate = readTime(fields[i++], 'nextUpdate');
  if (isUniversal(fields[i], Type.SEQUENCE)) {
    for (const entry of elements(fields[i++], 'revokedCertificates')) {
      const [serial, date, extensions, ...more] = elements(entry, 'revokedCertificate');
      if (more.length) throw new CrlFormatError('CRL: bad entry');
      const revoked: RevocationEntry = { revocationDate: readTime(date, 'revocationDate') };
      if (extensions) {
        if (version !== 2) throw new CrlFormatError('CRL: entry extensions in a v1 CRL');
        for (const [oid, ext] of readExtensions(extensions, 'crlEntryExtensions')) {
          if (ext.critical && !KNOWN_ENTRY_EXTENSIONS.has(oid)) throw new CrlFormatError(`CRL: unsupported critical entry extension ${oid}`);
          if (oid === OID.reasonCode) {
            const code = primitive(parseDer(ext.value, 'reasonCode'), Type.ENUMERATED, 'reasonCode');
            const reason = code.length === 1 ? CRL_REASONS[code.charCodeAt(0)] : undefined;
            if (reason === undefined) throw new CrlFormatError('CRL: bad reasonCode');
            revoked.reason = reason;
          }
        }
      }
      // A serial listed twice keeps its first entry; either way it is revoked.
      const key = readSerialHex(serial, 'userCertificate');
      if (!crl.revoked.has(key)) crl.revoked.set(key, revoked);
    }
  }
  if (isContext(fields[i], 0)) {
    if (version !== 2) throw new CrlFormatError('CRL: extensions in a v1 CRL');
    for (const [oid, ext] of readExtensions(elements(fields[i++], 'crlExtensions', null)[0], 'crlExtensions')) {
      if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(oid)) throw new CrlFormatError(`CRL: unsupported critical extension ${oid}`);
      if (oid === OID.cRLNumber) crl.crlNumber = readBigInteger(parseDer(ext.value, 'cRLNumber'), 'cRLNumber');
      if (oid === OID.authorityKeyIdentifier) {
        const keyId = readAuthorityKeyIdentifier(ext.value);
        if (keyId) crl.authorityKeyIdentifier = keyId;
      }
    }
  }
  if (i !== fields.length) throw new CrlFormatError('CRL: unexpected field');
  return crl;
}

/** Whether the CRL's signature verifies with this public key, under an accepted algorithm. */
export function crlSignedBy(crl: ParsedCrl, publicKey: KeyObject): boolean {
  const digest = SIGNATURE_ALGORITHMS[crl.signatureAlgorithm];
  if (!digest) return false;
  try {
    return verifySignature(digest, crl.tbs, publicKey, crl.signature);
  } catch {
    return false;
  }
}

/** PEM (any text with the label) or DER bytes -> DER; a Buffer or string that holds PEM text is read as PEM. */
function toDer(input: string | Uint8Array, label: string): Buffer {
  const text = typeof input === 'string' ? input : looksLikePem(input) ? Buffer.from(input).toString('latin1') : undefined;
  if (text === undefined) return Buffer.from(input as Uint8Array);
  const blocks = pemBlocks(text, label);
  if (blocks.length !== 1) throw new DerError(`expected one PEM ${label}`);
  return blocks[0]!;
}

const looksLikePem = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');

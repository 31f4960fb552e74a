// X.509 v2 certificate revocation lists (RFC 5280 section 5): read for the card-certificate verifier
// with @peculiar/x509, and built for the sandbox with its schema layer (@peculiar/asn1-x509), signed by
// node:crypto. Both directions are synchronous, so a CRL swap or a sign-in never waits on WebCrypto.
import { createPrivateKey, sign, verify as verifySignature, type KeyObject } from 'node:crypto';
import { AsnConvert, AsnIntegerBigIntConverter, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AuthorityKeyIdentifier, CRLNumber, CRLReason, Certificate, CertificateList, Extension, KeyIdentifier,
  RevokedCertificate as RevokedCertificateSchema, TBSCertList, Time, Version, id_ce_authorityKeyIdentifier, id_ce_cRLNumber, id_ce_cRLReasons,
} from '@peculiar/asn1-x509';
import type forge from 'node-forge';
import { AuthorityKeyIdentifierExtension, X509Crl } from './library.ts';
import { OID } from './oids.ts';
import {
  CertificateFormatError, normalizeSerialHex, pemBlocks, readCertificate, readName, toPem, SIGNATURE_ALGORITHMS,
  type DistinguishedName,
} from './x509.ts';

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

const extension = (extnID: string, value: object): Extension =>
  new Extension({ extnID, critical: false, extnValue: new OctetString(AsnConvert.serialize(value)) });

/** The content octets of the INTEGER holding this serial: hex, with a sign octet where the top bit is set. */
function serialContent(hex: string): ArrayBuffer {
  let clean = normalizeSerialHex(hex).toLowerCase();
  if (Number.parseInt(clean.slice(0, 2), 16) >= 0x80) clean = `00${clean}`;
  const bytes = Buffer.from(clean, 'hex');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/** Builds and signs a v2 CRL with sha256WithRSAEncryption, the authorityKeyIdentifier and cRLNumber extensions. */
export function buildCrl(options: BuildCrlOptions): BuiltCrl {
  const issuerDer = toDer(options.issuerCertificate, 'CERTIFICATE');
  const issuer = readCertificate(issuerDer);
  const key = typeof options.issuerKey === 'string'
    ? createPrivateKey(options.issuerKey)
    : createPrivateKey({ key: { kty: 'RSA', ...rsaJwk(options.issuerKey) }, format: 'jwk' });
  if (!(options.nextUpdate > options.thisUpdate)) throw new RangeError('nextUpdate must be after thisUpdate');
  const crlNumber = BigInt(options.crlNumber);
  if (crlNumber < 0n) throw new RangeError('crlNumber must not be negative');

  const algorithm = new AlgorithmIdentifier({ algorithm: OID.sha256WithRSAEncryption, parameters: null });
  const crlExtensions = [
    ...(issuer.subjectKeyIdentifier
      ? [extension(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(Buffer.from(issuer.subjectKeyIdentifier, 'hex')) }))]
      : []),
    new Extension({ extnID: id_ce_cRLNumber, critical: false, extnValue: new OctetString(AsnIntegerBigIntConverter.toASN(crlNumber).toBER()) }),
  ];
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: algorithm,
    issuer: AsnConvert.parse(issuerDer, Certificate).tbsCertificate.subject,
    thisUpdate: new Time(options.thisUpdate),
    nextUpdate: new Time(options.nextUpdate),
    crlExtensions,
  });
  // An empty list is left out rather than encoded empty (RFC 5280 section 5.1.2.6).
  if (options.revoked.length) {
    tbs.revokedCertificates = options.revoked.map((entry) => new RevokedCertificateSchema({
      userCertificate: serialContent(entry.serialNumberHex),
      revocationDate: new Time(entry.revocationDate),
      ...(entry.reason === undefined ? {} : { crlEntryExtensions: [extension(id_ce_cRLReasons, new CRLReason(CRL_REASONS.indexOf(entry.reason)))] }),
    }));
  }
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, key);
  const der = Buffer.from(AsnConvert.serialize(new CertificateList({
    tbsCertList: tbs,
    signatureAlgorithm: algorithm,
    signature: new Uint8Array(signature).buffer,
  })));
  return { der, pem: crlToPem(der) };
}

function rsaJwk(key: forge.pki.rsa.PrivateKey): Record<string, string> {
  const b64 = (n: forge.jsbn.BigInteger): string => {
    let hex = n.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    return Buffer.from(hex, 'hex').toString('base64url');
  };
  return { n: b64(key.n), e: b64(key.e), d: b64(key.d), p: b64(key.p), q: b64(key.q), dp: b64(key.dP), dq: b64(key.dQ), qi: b64(key.qInv) };
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

/** The library's CRL, with the parts it keeps to itself: the signed bytes as received, both algorithm fields. */
class ReadCrl extends X509Crl {
  get signed(): { tbs: ArrayBuffer; outerAlgorithm: string; innerAlgorithm: string; length: number } {
    return {
      tbs: this.asn.tbsCertListRaw ?? AsnConvert.serialize(this.asn.tbsCertList),
      outerAlgorithm: this.asn.signatureAlgorithm.algorithm,
      innerAlgorithm: this.asn.tbsCertList.signature.algorithm,
      // The length of the one DER value the library read; anything after it is trailing data.
      length: AsnConvert.serialize(this.asn).byteLength,
    };
  }
}

/** Parses a CRL in DER or PEM ("X509 CRL"). Structure only: the signature is checked by `crlSignedBy`. */
export function parseCrl(input: string | Uint8Array): ParsedCrl {
  try {
    return parse(toDer(input, 'X509 CRL'));
  } catch (err) {
    if (err instanceof CrlFormatError) throw err;
    throw new CrlFormatError(err instanceof CertificateFormatError ? err.message : 'CRL: not parseable');
  }
}

function parse(der: Buffer): ParsedCrl {
  const crl = new ReadCrl(new Uint8Array(der));
  const signed = crl.signed;
  if (signed.length !== der.length) throw new CrlFormatError('CRL: trailing data');
  if (signed.outerAlgorithm !== signed.innerAlgorithm) throw new CrlFormatError('CRL: signature algorithms differ');
  const version = crl.version === undefined ? 1 : crl.version === Version.v2 ? 2 : undefined;
  if (version === undefined) throw new CrlFormatError('CRL: unknown version');

  const parsed: ParsedCrl = {
    der,
    tbs: Buffer.from(signed.tbs),
    signatureAlgorithm: signed.outerAlgorithm,
    signature: Buffer.from(crl.signature),
    version,
    issuer: readName(crl.issuerName),
    thisUpdate: crl.thisUpdate,
    revoked: new Map(),
  };
  if (crl.nextUpdate) parsed.nextUpdate = crl.nextUpdate;

  for (const entry of crl.entries) {
    const revoked: RevocationEntry = { revocationDate: entry.revocationDate };
    if (entry.extensions.length && version !== 2) throw new CrlFormatError('CRL: entry extensions in a v1 CRL');
    for (const ext of entry.extensions) {
      if (ext.critical && !KNOWN_ENTRY_EXTENSIONS.has(ext.type)) throw new CrlFormatError(`CRL: unsupported critical entry extension ${ext.type}`);
    }
    if (entry.reason !== undefined) {
      const reason = CRL_REASONS[entry.reason];
      if (reason === undefined) throw new CrlFormatError('CRL: bad reasonCode');
      revoked.reason = reason;
    }
    // A serial listed twice keeps its first entry; either way it is revoked.
    const key = normalizeSerialHex(entry.serialNumber);
    if (!parsed.revoked.has(key)) parsed.revoked.set(key, revoked);
  }

  if (crl.extensions.length && version !== 2) throw new CrlFormatError('CRL: extensions in a v1 CRL');
  for (const ext of crl.extensions) {
    if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(ext.type)) throw new CrlFormatError(`CRL: unsupported critical extension ${ext.type}`);
    if (ext.type === OID.cRLNumber) {
      const number = BigInt(AsnConvert.parse(ext.value, CRLNumber).value);
      if (number < 0n) throw new CrlFormatError('CRL: bad cRLNumber');
      parsed.crlNumber = number;
    }
    if (ext instanceof AuthorityKeyIdentifierExtension && ext.keyId) parsed.authorityKeyIdentifier = ext.keyId.toLowerCase();
  }
  return parsed;
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
  const [block, ...more] = pemBlocks(text, label);
  if (!block || more.length) throw new CrlFormatError(`expected one PEM ${label}`);
  return block;
}

const looksLikePem = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');

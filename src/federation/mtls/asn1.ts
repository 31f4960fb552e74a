// DER reading for the card-certificate checks: node-forge's ASN.1 parser plus the few typed readers
// X.509 certificates and CRLs need (names, times, integers, strings, extensions), and PEM framing.
// forge builds and parses ASN.1 but has no CRL support and only reads certificates with RSA keys, so
// certificates and CRLs are read here field by field (RFC 5280 sections 4.1 and 5.1).
import forge from 'node-forge';

export type Asn1 = forge.asn1.Asn1;

/** Anything that is not the DER structure we expect. Carries no input bytes, so it is safe to log. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export const { Class, Type } = forge.asn1;
/** Universal tags forge's type declarations leave out. */
export const TAG = {
  NUMERICSTRING: 18,
  T61STRING: 20,
  VISIBLESTRING: 26,
  UNIVERSALSTRING: 28,
} as const;

interface FromDerOptions { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean }
// The declarations only know the old boolean form; the options object is what forge reads.
const fromDer = forge.asn1.fromDer as unknown as (bytes: string, options: FromDerOptions) => Asn1;

export const toBinary = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('binary');
export const fromBinary = (binary: string): Buffer => Buffer.from(binary, 'binary');

/** Parses one complete DER value. Bit strings stay opaque (forge would otherwise guess at their content). */
export function parseDer(der: Uint8Array, what: string): Asn1 {
  try {
    return fromDer(toBinary(der), { strict: true, parseAllBytes: true, decodeBitStrings: false });
  } catch {
    throw new DerError(`${what}: not DER`);
  }
}

export const encodeDer = (node: Asn1): Buffer => fromBinary(forge.asn1.toDer(node).getBytes());

export function isUniversal(node: Asn1 | undefined, type: number): node is Asn1 {
  return node !== undefined && node.tagClass === Class.UNIVERSAL && node.type === type;
}

export function isContext(node: Asn1 | undefined, tag: number): node is Asn1 {
  return node !== undefined && node.tagClass === Class.CONTEXT_SPECIFIC && node.type === tag;
}

/** The elements of a SEQUENCE, a SET, or (type null) any constructed value such as an explicit context tag. */
export function elements(node: Asn1 | undefined, what: string, type: number | null = Type.SEQUENCE): Asn1[] {
  if (!node || !node.constructed || !Array.isArray(node.value)) throw new DerError(`${what}: expected a constructed value`);
  if (type !== null && !isUniversal(node, type)) throw new DerError(`${what}: unexpected tag`);
  return node.value;
}

/** The content octets of a primitive value of the given universal type. */
export function primitive(node: Asn1 | undefined, type: number, what: string): string {
  if (!isUniversal(node, type) || node.constructed || typeof node.value !== 'string') throw new DerError(`${what}: expected tag ${type}`);
  return node.value;
}

export function readOid(node: Asn1 | undefined, what: string): string {
  return forge.asn1.derToOid(primitive(node, Type.OID, what));
}

export function readBoolean(node: Asn1 | undefined, what: string): boolean {
  const value = primitive(node, Type.BOOLEAN, what);
  if (value.length !== 1) throw new DerError(`${what}: bad BOOLEAN`);
  return value !== '\x00';
}

/** A small non-negative INTEGER (versions, path lengths). */
export function readSmallInteger(node: Asn1 | undefined, what: string): number {
  const value = primitive(node, Type.INTEGER, what);
  if (value.length === 0 || value.length > 4 || value.charCodeAt(0) >= 0x80) throw new DerError(`${what}: bad INTEGER`);
  return forge.asn1.derToInteger(value);
}

/** An INTEGER of any size as a non-negative bigint (CRL numbers). */
export function readBigInteger(node: Asn1 | undefined, what: string): bigint {
  const value = primitive(node, Type.INTEGER, what);
  if (value.length === 0 || value.charCodeAt(0) >= 0x80) throw new DerError(`${what}: bad INTEGER`);
  return BigInt(`0x${fromBinary(value).toString('hex')}`);
}

/**
 * A certificate serial number as upper-case hex without sign padding: the form
 * `X509Certificate.serialNumber` and OpenSSL print, so serials from either side compare equal.
 */
export function readSerialHex(node: Asn1 | undefined, what: string): string {
  const value = primitive(node, Type.INTEGER, what);
  if (value.length === 0 || value.length > 21) throw new DerError(`${what}: bad serial number`);
  return normalizeSerialHex(fromBinary(value).toString('hex'));
}

/** Normalises a serial number written in hex (any case, optional colons or sign padding). */
export function normalizeSerialHex(hex: string): string {
  let clean = hex.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean)) throw new DerError('serial number: not hex');
  if (clean.length % 2) clean = `0${clean}`;
  while (clean.length > 2 && clean.startsWith('00')) clean = clean.slice(2);
  return clean.toUpperCase();
}

/** The DER content octets of an INTEGER holding this serial (sign byte added where needed). */
export function serialHexToDerBytes(hex: string): string {
  let clean = normalizeSerialHex(hex).toLowerCase();
  if (Number.parseInt(clean.slice(0, 2), 16) >= 0x80) clean = `00${clean}`;
  return forge.util.hexToBytes(clean);
}

const UTC_TIME = /^\d{12}Z$/;
const GENERALIZED_TIME = /^\d{14}Z$/;

/** UTCTime or GeneralizedTime, in the strict forms RFC 5280 section 4.1.2.5 allows (seconds, Zulu). */
export function readTime(node: Asn1 | undefined, what: string): Date {
  if (isUniversal(node, Type.UTCTIME) && typeof node.value === 'string' && UTC_TIME.test(node.value)) {
    return forge.asn1.utcTimeToDate(node.value);
  }
  if (isUniversal(node, Type.GENERALIZEDTIME) && typeof node.value === 'string' && GENERALIZED_TIME.test(node.value)) {
    return forge.asn1.generalizedTimeToDate(node.value);
  }
  throw new DerError(`${what}: bad time`);
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
export function timeNode(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? forge.asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, forge.asn1.dateToUtcTime(date))
    : forge.asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, forge.asn1.dateToGeneralizedTime(date));
}

/** The text of a directory string, by its tag; undefined for types that are not text. */
export function readString(node: Asn1 | undefined): string | undefined {
  if (!node || node.tagClass !== Class.UNIVERSAL || node.constructed || typeof node.value !== 'string') return undefined;
  const bytes = fromBinary(node.value);
  switch (node.type as number) {
    case Type.UTF8:
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    case Type.PRINTABLESTRING:
    case Type.IA5STRING:
    case TAG.NUMERICSTRING:
    case TAG.VISIBLESTRING:
    case TAG.T61STRING:
      return bytes.toString('latin1');
    case Type.BMPSTRING: {
      if (bytes.length % 2) return undefined;
      let out = '';
      for (let i = 0; i < bytes.length; i += 2) out += String.fromCharCode(bytes.readUInt16BE(i));
      return out;
    }
    case TAG.UNIVERSALSTRING: {
      if (bytes.length % 4) return undefined;
      let out = '';
      for (let i = 0; i < bytes.length; i += 4) out += String.fromCodePoint(bytes.readUInt32BE(i));
      return out;
    }
    default:
      return undefined;
  }
}

export const OID = {
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  state: '2.5.4.8',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  organizationIdentifier: '2.5.4.97',
  emailAddress: '1.2.840.113549.1.9.1',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  freshestCRL: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
} as const;

const SHORT_NAMES: Record<string, string> = {
  [OID.commonName]: 'CN',
  [OID.surname]: 'SN',
  [OID.serialNumber]: 'serialNumber',
  [OID.country]: 'C',
  [OID.locality]: 'L',
  [OID.state]: 'ST',
  [OID.organization]: 'O',
  [OID.organizationalUnit]: 'OU',
  [OID.title]: 'title',
  [OID.givenName]: 'GN',
  [OID.organizationIdentifier]: 'organizationIdentifier',
  [OID.emailAddress]: 'emailAddress',
};

export interface NameAttribute {
  oid: string;
  /** The decoded text; undefined when the value is not a string type. */
  value: string | undefined;
}

export interface DistinguishedName {
  /** The Name exactly as encoded. */
  der: Buffer;
  /** Relative distinguished names in encoded order (most general first). */
  rdns: NameAttribute[][];
  /** RFC 4514 text (most specific first), for logs of CA names and for errors. */
  text: string;
  /** Comparison key: attribute types and values, case and inner whitespace folded (RFC 5280 section 7.1, simplified). */
  key: string;
}

const fold = (value: string): string => value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
const escape4514 = (value: string): string =>
  value.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');

export function readName(node: Asn1 | undefined, what: string): DistinguishedName {
  const rdns = elements(node, what).map((rdn) => {
    const attributes = elements(rdn, what, Type.SET).map((atv) => {
      const [type, value, ...rest] = elements(atv, what);
      if (!value || rest.length) throw new DerError(`${what}: bad attribute`);
      return { oid: readOid(type, what), value: readString(value), raw: value };
    });
    if (attributes.length === 0) throw new DerError(`${what}: empty RDN`);
    return attributes;
  });
  const text = [...rdns].reverse()
    .map((rdn) => rdn.map((a) => `${SHORT_NAMES[a.oid] ?? a.oid}=${a.value === undefined ? `#${encodeDer(a.raw).toString('hex')}` : escape4514(a.value)}`).join('+'))
    .join(',');
  const key = rdns
    .map((rdn) => rdn.map((a) => `${a.oid}=${a.value === undefined ? `#${encodeDer(a.raw).toString('hex')}` : fold(a.value)}`).sort().join('+'))
    .join('/');
  return {
    der: encodeDer(node as Asn1),
    rdns: rdns.map((rdn) => rdn.map(({ oid, value }) => ({ oid, value }))),
    text,
    key,
  };
}

export const sameName = (a: DistinguishedName, b: DistinguishedName): boolean => a.der.equals(b.der) || a.key === b.key;

/** Every value of one attribute type, in encoded order. */
export const nameValues = (name: DistinguishedName, oid: string): Array<string | undefined> =>
  name.rdns.flat().filter((a) => a.oid === oid).map((a) => a.value);

export interface Extension {
  critical: boolean;
  /** The extnValue's content: the extension's own DER. */
  value: Buffer;
}

/** Extensions ::= SEQUENCE OF Extension; a type that appears twice is refused (RFC 5280 section 4.2). */
export function readExtensions(node: Asn1 | undefined, what: string): Map<string, Extension> {
  const out = new Map<string, Extension>();
  for (const ext of elements(node, what)) {
    const parts = elements(ext, what);
    const oid = readOid(parts[0], what);
    let critical = false;
    let valueNode = parts[1];
    if (parts.length === 3) {
      critical = readBoolean(parts[1], what);
      valueNode = parts[2];
    } else if (parts.length !== 2) {
      throw new DerError(`${what}: bad extension`);
    }
    if (out.has(oid)) throw new DerError(`${what}: extension ${oid} twice`);
    out.set(oid, { critical, value: fromBinary(primitive(valueNode, Type.OCTETSTRING, what)) });
  }
  return out;
}

/** Builds one Extension. */
export function extensionNode(oid: string, critical: boolean, value: Asn1): Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    forge.asn1.create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(oid).getBytes()),
    ...(critical ? [forge.asn1.create(Class.UNIVERSAL, Type.BOOLEAN, false, '\xff')] : []),
    forge.asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, forge.asn1.toDer(value).getBytes()),
  ]);
}

/**
 * The exact bytes of the first element inside an outer SEQUENCE: the to-be-signed part of a
 * certificate or CRL. Signatures are checked over these bytes, never over a re-encoding.
 */
export function firstElementBytes(der: Buffer, what: string): Buffer {
  const outer = tlv(der, 0, what);
  if (der[0] !== 0x30 || outer.end !== der.length) throw new DerError(`${what}: not one SEQUENCE`);
  const inner = tlv(der, outer.contentStart, what);
  return der.subarray(outer.contentStart, inner.end);
}

function tlv(der: Buffer, offset: number, what: string): { contentStart: number; end: number } {
  if (offset + 2 > der.length) throw new DerError(`${what}: truncated`);
  if ((der[offset]! & 0x1f) === 0x1f) throw new DerError(`${what}: long tags are not used here`);
  const first = der[offset + 1]!;
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > der.length) throw new DerError(`${what}: bad length`);
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + der[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new DerError(`${what}: truncated`);
  return { contentStart, end };
}

/** The DER inside each PEM block with this label ("CERTIFICATE", "X509 CRL"). */
export function pemBlocks(text: string, label: string): Buffer[] {
  const out: Buffer[] = [];
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  for (const match of text.matchAll(re)) {
    const body = (match[1] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new DerError(`PEM ${label}: bad base64`);
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

export function toPem(der: Uint8Array, label: string): string {
  const body = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

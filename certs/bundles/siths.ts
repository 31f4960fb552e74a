// SITHS: a sandbox PKI shaped like SITHS e-id, for signing staff in with a card certificate over
// TLS client authentication (src/federation/mtls/).
//
//   Sandbox SITHS Root CA v1 (self-signed, pathLen unrestricted)
//   └── Sandbox SITHS e-id Person ID 3 CA v1 (issuing CA, pathLen 0, signs the cards and the CRL)
//       ├── a card for each staff persona (sara, tomas)            -> accepted
//       ├── an old card of sara, listed on the CRL                 -> revoked
//       └── an old card of tomas whose validity has ended          -> expired
//   Sandbox unknown root CA (not in any trust list)
//   └── a card with sara's identity                                -> unknown_ca
//   Sandbox SITHS card listener CA -> localhost: the TLS server certificate of the card listener
//
// Card certificates follow the SITHS e-id authentication ("function") certificate where it matters:
// subject C=SE, O=<organisation>, CN=<given name> <surname>, givenName, surname and serialNumber=<HSA-id>
// (UTF8String names, so Sjöström stays Sjöström); keyUsage digitalSignature (critical); extKeyUsage
// clientAuth; a CRL distribution point. The card's other certificate (with the personnummer) is not
// made: the gateway signs staff in by HSA-id.
//
// The CRL: the issuing CA's, v2, with the revoked card's serial, cRLNumber and authorityKeyIdentifier,
// thisUpdate an hour back and nextUpdate CRL_VALIDITY_DAYS (7) ahead. The verifier refuses every card
// once nextUpdate has passed (fail closed), and the bundle itself is renewed only when a certificate
// nears its end, so the sandbox must re-sign the CRL: `renewSithsCrl(certs.siths)` writes a new one
// (next cRLNumber, same entries) when the current one is less than two days from nextUpdate. Call it
// at start and before each scheduled CRL reload.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import forge from 'node-forge';
import {
  CA_VALIDITY_DAYS, DAY_MS, LEAF_VALIDITY_DAYS, caExtensions, defineBundle, issue, leafExtensions, localhostNames, pkcs12,
  rsaKeyPair, serialNumber, type Issued,
} from '../pki.ts';
import { buildCrl, parseCrl, type RevokedCertificate } from '../../src/federation/mtls/crl.ts';

export const SITHS_ROOT_CA_NAME = 'Sandbox SITHS Root CA v1';
export const SITHS_ISSUING_CA_NAME = 'Sandbox SITHS e-id Person ID 3 CA v1';
export const SITHS_UNKNOWN_CA_NAME = 'Sandbox unknown root CA (not SITHS)';
/** Days from thisUpdate to nextUpdate of the sandbox CRL. */
export const CRL_VALIDITY_DAYS = 7;
/** Where a real deployment would publish the CRL; named in the cards' CRL distribution point, never fetched. */
export const SANDBOX_CRL_URL = 'http://crl.siths.sandbox.invalid/person-id-3-ca-v1.crl';

interface StaffPersona {
  id: string;
  givenName: string;
  surname: string;
  hsaId: string;
  orgName: string;
}

async function staffPersona(id: string): Promise<StaffPersona> {
  const personas = JSON.parse(await readFile(new URL('../../config/sandbox/personas.json', import.meta.url), 'utf8')) as { staff?: StaffPersona[] };
  const persona = personas.staff?.find((p) => p.id === id);
  if (!persona) throw new Error(`sandbox certificates: no staff persona ${id} in config/sandbox/personas.json`);
  return persona;
}

// forge's declarations type valueTagClass as an asn1.Class; the value it reads is the universal tag.
const UTF8 = forge.asn1.Type.UTF8 as unknown as forge.asn1.Class;

export interface CardHolder {
  givenName: string;
  surname: string;
  /** Goes into the subject serialNumber attribute: an HSA-id on a real function certificate. */
  hsaId: string;
  orgName: string;
}

/** The subject of a SITHS-like card certificate. */
export const cardSubject = (holder: CardHolder): forge.pki.CertificateField[] => [
  { shortName: 'C', value: 'SE' },
  { shortName: 'O', value: holder.orgName, valueTagClass: UTF8 },
  { shortName: 'CN', value: `${holder.givenName} ${holder.surname}`, valueTagClass: UTF8 },
  { name: 'givenName', value: holder.givenName, valueTagClass: UTF8 },
  { name: 'surname', value: holder.surname, valueTagClass: UTF8 },
  { name: 'serialNumber', value: holder.hsaId },
];

/** The extensions of a card's authentication certificate. */
export const cardExtensions = (issuer: Issued): object[] => [
  { name: 'basicConstraints', cA: false, critical: true },
  { name: 'keyUsage', digitalSignature: true, critical: true },
  { name: 'extKeyUsage', clientAuth: true },
  { name: 'cRLDistributionPoints', altNames: [{ type: 6, value: SANDBOX_CRL_URL }] },
  { name: 'subjectKeyIdentifier' },
  { name: 'authorityKeyIdentifier', keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() },
];

export interface CardSpec {
  issuer: Issued;
  holder: CardHolder;
  notBefore?: Date;
  notAfter?: Date;
  /** Replaces cardExtensions(issuer) (tests make server-only or CA certificates this way). */
  extensions?: object[];
}

/**
 * Issues a card certificate. Like pki.ts's issue(), but with the names as UTF8String: issue() writes
 * every name as PrintableString, which cannot hold å, ä or ö.
 */
export async function issueCard(spec: CardSpec): Promise<Issued> {
  const pair = await rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pair.publicKey;
  cert.serialNumber = serialNumber();
  const now = Date.now();
  cert.validity.notBefore = spec.notBefore ?? new Date(now - 3_600_000);
  cert.validity.notAfter = spec.notAfter ?? new Date(now + LEAF_VALIDITY_DAYS * DAY_MS);
  cert.setSubject(cardSubject(spec.holder));
  cert.setIssuer(issuerAttributes(spec.issuer));
  cert.setExtensions(spec.extensions ?? cardExtensions(spec.issuer));
  cert.sign(spec.issuer.key, forge.md.sha256.create());
  return { cert, key: pair.privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: pair.keyPem };
}

/**
 * The issuer's subject, ready for setIssuer. forge keeps a parsed UTF8String as its raw UTF-8 bytes but
 * encodes the value again on output, so a name read from a file would come out double-encoded; decoding
 * first makes both kinds of issuer (made here, or read with loadIssued) come out as their own bytes.
 */
function issuerAttributes(issuer: Issued): forge.pki.CertificateField[] {
  return issuer.cert.subject.attributes.map((attr) => {
    if (attr.valueTagClass !== UTF8 || typeof attr.value !== 'string') return attr;
    try {
      return { ...attr, value: forge.util.decodeUtf8(attr.value) };
    } catch {
      return attr; // already text (a certificate made in this process)
    }
  });
}

/** A CA from its files, to issue more certificates or CRLs with (the tests and renewSithsCrl do). */
export function loadIssued(certPem: string, keyPem: string): Issued {
  return {
    cert: forge.pki.certificateFromPem(certPem),
    key: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    certPem,
    keyPem,
  };
}

const holderOf = (p: StaffPersona): CardHolder => ({ givenName: p.givenName, surname: p.surname, hsaId: p.hsaId, orgName: p.orgName });

export const sithsBundle = defineBundle({
  name: 'siths',
  files: {
    rootCaCert: 'siths-root-ca.crt',
    rootCaKey: 'siths-root-ca.key',
    issuingCaCert: 'siths-person-id-ca.crt',
    issuingCaKey: 'siths-person-id-ca.key',
    caBundle: 'siths-ca-bundle.pem',
    crl: 'siths-person-id-ca.crl',
    crlPem: 'siths-person-id-ca.crl.pem',
    saraCert: 'siths-card-sara.crt',
    saraKey: 'siths-card-sara.key',
    saraP12: 'siths-card-sara.p12',
    tomasCert: 'siths-card-tomas.crt',
    tomasKey: 'siths-card-tomas.key',
    tomasP12: 'siths-card-tomas.p12',
    revokedCert: 'siths-card-sara-revoked.crt',
    revokedKey: 'siths-card-sara-revoked.key',
    revokedP12: 'siths-card-sara-revoked.p12',
    expiredCert: 'siths-card-tomas-expired.crt',
    expiredKey: 'siths-card-tomas-expired.key',
    expiredP12: 'siths-card-tomas-expired.p12',
    unknownCaCert: 'siths-unknown-root-ca.crt',
    unknownCert: 'siths-card-unknown-ca.crt',
    unknownKey: 'siths-card-unknown-ca.key',
    unknownP12: 'siths-card-unknown-ca.p12',
    listenerCaCert: 'siths-listener-ca.crt',
    listenerCert: 'siths-listener.crt',
    listenerKey: 'siths-listener.key',
  },
  // The expired card is left out on purpose: it is expired from the start, and listing it would make
  // every start regenerate the bundle.
  certificates: [
    'rootCaCert', 'issuingCaCert', 'saraCert', 'tomasCert', 'revokedCert', 'unknownCaCert', 'unknownCert',
    'listenerCaCert', 'listenerCert',
  ],
  async generate(passphrase) {
    const [sara, tomas] = await Promise.all([staffPersona('sara'), staffPersona('tomas')]);
    const now = Date.now();
    const [root, unknownRoot, listenerCa] = await Promise.all([
      issue({ commonName: SITHS_ROOT_CA_NAME, validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
      issue({ commonName: SITHS_UNKNOWN_CA_NAME, validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
      issue({ commonName: 'Sandbox SITHS card listener TLS CA', validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
    ]);
    const issuing = await issue({
      commonName: SITHS_ISSUING_CA_NAME,
      validityDays: CA_VALIDITY_DAYS,
      issuer: root,
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    const [saraCard, tomasCard, revokedCard, expiredCard, unknownCard, listener] = await Promise.all([
      issueCard({ issuer: issuing, holder: holderOf(sara) }),
      issueCard({ issuer: issuing, holder: holderOf(tomas) }),
      // Sara's previous card: still inside its validity, replaced and revoked a month ago.
      issueCard({ issuer: issuing, holder: holderOf(sara), notBefore: new Date(now - 400 * DAY_MS), notAfter: new Date(now + (LEAF_VALIDITY_DAYS - 400) * DAY_MS) }),
      // Tomas's previous card: ran out a month ago; never revoked.
      issueCard({ issuer: issuing, holder: holderOf(tomas), notBefore: new Date(now - (LEAF_VALIDITY_DAYS + 30) * DAY_MS), notAfter: new Date(now - 30 * DAY_MS) }),
      issueCard({ issuer: unknownRoot, holder: holderOf(sara) }),
      issue({ commonName: 'localhost', validityDays: LEAF_VALIDITY_DAYS, issuer: listenerCa, extensions: leafExtensions('serverAuth', localhostNames()) }),
    ]);
    const crl = buildCrl({
      issuerCertificate: issuing.certPem,
      issuerKey: issuing.key,
      revoked: [{ serialNumberHex: revokedCard.cert.serialNumber, revocationDate: new Date(now - 30 * DAY_MS), reason: 'superseded' }],
      thisUpdate: new Date(now - 3_600_000),
      nextUpdate: new Date(now + CRL_VALIDITY_DAYS * DAY_MS),
      crlNumber: 1,
    });
    return {
      rootCaCert: root.certPem,
      rootCaKey: root.keyPem,
      issuingCaCert: issuing.certPem,
      issuingCaKey: issuing.keyPem,
      caBundle: issuing.certPem + root.certPem,
      crl: crl.der,
      crlPem: crl.pem,
      saraCert: saraCard.certPem,
      saraKey: saraCard.keyPem,
      saraP12: pkcs12(saraCard, [issuing], passphrase, 'SITHS sandbox: Sara'),
      tomasCert: tomasCard.certPem,
      tomasKey: tomasCard.keyPem,
      tomasP12: pkcs12(tomasCard, [issuing], passphrase, 'SITHS sandbox: Tomas'),
      revokedCert: revokedCard.certPem,
      revokedKey: revokedCard.keyPem,
      revokedP12: pkcs12(revokedCard, [issuing], passphrase, 'SITHS sandbox: Sara (revoked card)'),
      expiredCert: expiredCard.certPem,
      expiredKey: expiredCard.keyPem,
      expiredP12: pkcs12(expiredCard, [issuing], passphrase, 'SITHS sandbox: Tomas (expired card)'),
      unknownCaCert: unknownRoot.certPem,
      unknownCert: unknownCard.certPem,
      unknownKey: unknownCard.keyPem,
      unknownP12: pkcs12(unknownCard, [unknownRoot], passphrase, 'SITHS sandbox: unknown CA'),
      listenerCaCert: listenerCa.certPem,
      listenerCert: listener.certPem,
      listenerKey: listener.keyPem,
    };
  },
});

/** The files renewSithsCrl reads and writes (a subset of `certs.siths`). */
export interface SithsCrlPaths {
  issuingCaCert: string;
  issuingCaKey: string;
  revokedCert: string;
  crl: string;
  crlPem: string;
}

/** Renew when the CRL in place is closer than this to its nextUpdate. */
export const CRL_RENEW_BEFORE_MS = 2 * DAY_MS;

/**
 * Re-signs the sandbox CRL when it is missing, unreadable or within `renewBeforeMs` of nextUpdate:
 * next cRLNumber, the same entries (the revoked card always among them), a new 7-day window from `now`.
 * Writes the DER and PEM files atomically. Sandbox only: production CRLs come from the CA.
 */
export async function renewSithsCrl(
  paths: SithsCrlPaths,
  options: { now?: Date; renewBeforeMs?: number } = {},
): Promise<{ renewed: boolean; crlNumber: bigint; nextUpdate: Date }> {
  const now = options.now ?? new Date();
  const renewBefore = options.renewBeforeMs ?? CRL_RENEW_BEFORE_MS;
  // A missing or unreadable CRL is simply made again.
  const current = await readFile(paths.crl).then((der) => parseCrl(der)).catch(() => undefined);
  if (current?.nextUpdate && current.nextUpdate.getTime() - now.getTime() > renewBefore) {
    return { renewed: false, crlNumber: current.crlNumber ?? 0n, nextUpdate: current.nextUpdate };
  }
  const [caPem, keyPem, revokedPem] = await Promise.all([
    readFile(paths.issuingCaCert, 'utf8'), readFile(paths.issuingCaKey, 'utf8'), readFile(paths.revokedCert, 'utf8'),
  ]);
  const revoked: RevokedCertificate[] = [...(current?.revoked ?? new Map())].map(([serialNumberHex, entry]) => ({
    serialNumberHex,
    revocationDate: entry.revocationDate,
    ...(entry.reason ? { reason: entry.reason } : {}),
  }));
  const revokedSerial = forge.pki.certificateFromPem(revokedPem).serialNumber;
  if (!current || !revoked.some((r) => BigInt(`0x${r.serialNumberHex}`) === BigInt(`0x${revokedSerial}`))) {
    revoked.push({ serialNumberHex: revokedSerial, revocationDate: new Date(now.getTime() - DAY_MS), reason: 'superseded' });
  }
  const crlNumber = (current?.crlNumber ?? 0n) + 1n;
  const nextUpdate = new Date(now.getTime() + CRL_VALIDITY_DAYS * DAY_MS);
  const crl = buildCrl({
    issuerCertificate: caPem,
    issuerKey: keyPem,
    revoked,
    thisUpdate: new Date(now.getTime() - 3_600_000),
    nextUpdate,
    crlNumber,
  });
  await Promise.all([writeAtomic(paths.crl, crl.der), writeAtomic(paths.crlPem, crl.pem)]);
  return { renewed: true, crlNumber, nextUpdate };
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode: 0o644 });
  await rename(tmp, path);
}

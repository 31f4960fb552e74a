// The SITHS card-certificate decision (docs/architecture.md, the one decision primitive): is this TLS client
// certificate a SITHS e-id card certificate a member of staff can sign in with, and who is it? Every
// step is a named check on src/decision.ts, run at the injected clock's time:
//
//   decode the card and the chain -> path to a configured CA (every signature) -> validity (every link)
//   -> CA constraints and path length -> critical extensions -> client-auth usage -> HSA-id -> identity
//   -> the card's CRL (present, signed by the issuer, current) -> the card not revoked -> no CA revoked
//
// The library (@peculiar/x509, via x509.ts and crl.ts) only reads the structures; what SITHS requires of
// them (key usage, HSA-id, path length, CRL freshness) is decided here. Revocation is by CRL only
// (SITHS publishes CRLs; OCSP is not used) and fails closed. Refusals carry reason codes only, never
// the subject's name or HSA-id.
import { checksFor, Pipeline, Refusal, refuse } from '../../decision.ts';
import { CERTIFICATE_ERROR_REASONS, CertificateError, type CertificateErrorReason } from './certificateError.ts';
import { toCertificateDer } from './certificateInput.ts';
import type { ParsedCrl } from './crl.ts';
import { OID } from './oids.ts';
import { CertificateFormatError, SIGNATURE_ALGORITHMS, nameValues, readCertificate, sameName, type CertificateInfo } from './x509.ts';

/** The card decision's reasons: the CertificateError reasons callers already know. */
export const CARD_REASONS = CERTIFICATE_ERROR_REASONS;
export type CardReason = CertificateErrorReason;

/** Who a verified card certificate names. `serialNumberHex` is the certificate's serial, not the HSA-id. */
export interface StaffCertificateIdentity {
  /** From the subject serialNumber attribute, e.g. SE2321000016-A1B2. */
  hsaId: string;
  givenName?: string;
  surname?: string;
  commonName: string;
  organizationName?: string;
  /** Upper-case hex, the form X509Certificate.serialNumber prints. */
  serialNumberHex: string;
  /** The issuing CA's name (RFC 4514). */
  issuer: string;
  notAfter: Date;
}

export type CertificateSource = string | Uint8Array;

/** What one verification starts from: the card certificate and the chain the client sent (untrusted). */
export interface CardInput {
  certificate: CertificateSource;
  chain: readonly CertificateSource[];
}

/** What every check is given besides the state. */
export interface CardDeps {
  /** The configured SITHS CAs: each one a trust anchor. */
  anchors: readonly CertificateInfo[];
  crls: readonly ParsedCrl[];
  /** The clock's time for this verification, ms. */
  now: number;
  requireClientAuthEku: boolean;
  /** Whether this CA's key verifies the CRL's signature (the verifier remembers the answer per CRL and key). */
  crlSignedBy: (crl: ParsedCrl, issuer: CertificateInfo) => boolean;
}

/** From the card to a configured CA: the card, its issuer, then any CAs above, the anchor (or the root above it) last. */
export type CardPath = readonly [CertificateInfo, CertificateInfo, ...CertificateInfo[]];

/**
 * HSA-id: country code, the organisation number of the issuing organisation (10 digits, or 12 with the
 * "16" prefix), '-', and a local suffix; at most 31 characters. A personnummer (the card's other
 * certificate carries one) never matches.
 */
const HSA_ID = /^[A-Z]{2}(?:16)?\d{10}-[A-Za-z0-9]{1,19}$/;
export const isHsaId = (value: string | undefined): value is string => value !== undefined && value.length <= 31 && HSA_ID.test(value);

/** Longest path from the card to an anchor: card, issuing CA, root, and room for one more CA. */
export const MAX_PATH_LENGTH = 5;
/** A CRL signed moments ago by a clock slightly ahead is still usable. Only thisUpdate gets this leeway. */
export const CRL_THIS_UPDATE_LEEWAY_MS = 5 * 60_000;

// Critical extensions path validation may pass over: they are processed here, or (certificatePolicies,
// subjectAltName) do not change the outcome when no policy is required and the identity comes from the subject.
const HANDLED_CRITICAL = new Set<string>([
  OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.subjectAltName, OID.certificatePolicies,
  OID.subjectKeyIdentifier, OID.authorityKeyIdentifier,
]);

const { check } = checksFor<CardReason, CardDeps>();

/** One certificate from any accepted encoding; not a certificate (or not one the library reads) is malformed. */
function decode(input: CertificateSource, detail: string): CertificateInfo | Refusal<CardReason> {
  try {
    return readCertificate(toCertificateDer(input));
  } catch (err) {
    if (err instanceof CertificateError) return refuse(err.reason, err.detail);
    if (err instanceof CertificateFormatError) return refuse('malformed', detail);
    throw err;
  }
}

export const decodeCard = check('decode_card', (s: CardInput) => {
  const card = decode(s.certificate, 'certificate');
  return card instanceof Refusal ? card : { card };
});

export const decodeChain = check('decode_chain', (s: CardInput) => {
  const presented: CertificateInfo[] = [];
  for (const source of s.chain) {
    const cert = decode(source, 'chain');
    if (cert instanceof Refusal) return cert;
    presented.push(cert);
  }
  return { presented };
});

const selfIssued = (cert: CertificateInfo): boolean => sameName(cert.subject, cert.issuer);

/** Name chaining plus, when both sides carry them, the key identifiers (RFC 5280 section 4.2.1.1). */
const couldHaveIssued = (issuer: CertificateInfo, cert: CertificateInfo): boolean =>
  sameName(issuer.subject, cert.issuer)
  && (!cert.authorityKeyIdentifier || !issuer.subjectKeyIdentifier || cert.authorityKeyIdentifier === issuer.subjectKeyIdentifier);

function signedBy(cert: CertificateInfo, issuer: CertificateInfo): boolean {
  if (!SIGNATURE_ALGORITHMS[cert.signatureAlgorithm]) return false;
  try {
    return cert.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * From the card up to a configured CA: at each step the issuer is looked for among the configured CAs
 * first, then among the certificates the client sent, and must verify the signature. Once a configured
 * CA is reached the path ends, after climbing any further configured CAs (so the root's validity is
 * checked too).
 */
export const buildPath = check('build_path', (s: { card: CertificateInfo; presented: readonly CertificateInfo[] }, deps) => {
  const { card } = s;
  if (selfIssued(card)) return refuse('unknown_ca', 'self_signed');
  const isAnchor = (cert: CertificateInfo): boolean => deps.anchors.some((a) => a.fingerprint === cert.fingerprint);
  const hints = s.presented.filter((p) => !isAnchor(p));
  const cas: CertificateInfo[] = [];
  let anchored = false;
  for (let current = card; !(anchored && selfIssued(current));) {
    const pool = anchored ? deps.anchors : [...deps.anchors, ...hints];
    const candidates = pool.filter((c) => c.fingerprint !== current.fingerprint && couldHaveIssued(c, current));
    const issuer = candidates.find((c) => signedBy(current, c));
    if (!issuer) {
      if (anchored) break;
      if (!candidates.length) return refuse('unknown_ca', cas.length ? 'untrusted_root' : 'no_issuer');
      return refuse('bad_signature', cas.length ? 'ca' : undefined);
    }
    if (issuer.fingerprint === card.fingerprint || cas.some((c) => c.fingerprint === issuer.fingerprint)) return refuse('unknown_ca', 'loop');
    if (1 + cas.length >= MAX_PATH_LENGTH) return refuse('unknown_ca', 'path_too_long');
    cas.push(issuer);
    anchored ||= isAnchor(issuer);
    current = issuer;
  }
  const [issuer, ...above] = cas;
  // The loop ends only once a configured CA is on the path, so there is an issuer; this is for the types.
  if (!issuer) return refuse('unknown_ca', 'no_issuer');
  const path: CardPath = [card, issuer, ...above];
  return { path, issuer };
});

/** Every certificate on the path is inside its validity window at the clock's time. */
export const validity = check('validity', (s: { path: CardPath }, deps) => {
  for (const [index, cert] of s.path.entries()) {
    const detail = index === 0 ? undefined : 'ca';
    if (deps.now < cert.notBefore.getTime()) return refuse('not_yet_valid', detail);
    if (deps.now > cert.notAfter.getTime()) return refuse('expired', detail);
  }
  return undefined;
});

/** Each issuer is a CA allowed to sign certificates, and no CA's path length constraint is exceeded. */
export const caConstraints = check('ca_constraints', (s: { path: CardPath }) => {
  for (const [index, cert] of s.path.entries()) {
    if (index === 0) continue;
    if (!cert.basicConstraints?.cA) return refuse('unknown_ca', 'issuer_not_ca');
    if (cert.keyUsage && !cert.keyUsage.has('keyCertSign')) return refuse('unknown_ca', 'issuer_not_cert_signer');
    // Intermediate CAs below this one (the card does not count).
    const limit = cert.basicConstraints.pathLenConstraint;
    if (limit !== undefined && index - 1 > limit) return refuse('unknown_ca', 'path_length');
  }
  return undefined;
});

/** A critical extension this code does not process makes the certificate unusable (RFC 5280 section 4.2). */
export const criticalExtensions = check('critical_extensions', (s: { path: CardPath }) => {
  for (const [index, cert] of s.path.entries()) {
    if (cert.extensions.some((e) => e.critical && !HANDLED_CRITICAL.has(e.oid))) {
      return refuse(index === 0 ? 'malformed' : 'unknown_ca', 'unsupported_critical_extension');
    }
  }
  return undefined;
});

/** The card certificate is an end-entity certificate for signing in: digitalSignature and clientAuth. */
export const clientAuthUsage = check('client_auth_usage', (s: { card: CertificateInfo }, deps) => {
  const { card } = s;
  if (card.basicConstraints?.cA) return refuse('key_usage', 'ca_certificate');
  if (!card.keyUsage?.has('digitalSignature')) return refuse('key_usage', 'no_digital_signature');
  const eku = card.extKeyUsage;
  if (deps.requireClientAuthEku) {
    if (!eku?.includes(OID.clientAuth)) return refuse('key_usage', 'no_client_auth');
  } else if (eku && !eku.includes(OID.clientAuth) && !eku.includes(OID.anyExtendedKeyUsage)) {
    // Without the requirement an absent EKU passes, but one that lists other purposes still does not.
    return refuse('key_usage', 'no_client_auth');
  }
  return undefined;
});

/** Exactly one subject serialNumber, and it is an HSA-id (not the personnummer of the card's other certificate). */
export const hsaId = check('hsa_id', (s: { card: CertificateInfo }) => {
  const [value, ...more] = nameValues(s.card.subject, OID.serialNumber);
  if (more.length) return refuse('no_hsa_id', 'several');
  return isHsaId(value) ? { hsaId: value } : 'no_hsa_id';
});

/** The names the sign-in shows and the claims carry; exactly one common name. */
export const identity = check('identity', (s: { card: CertificateInfo; issuer: CertificateInfo; hsaId: string }) => {
  const { card } = s;
  const [commonName, ...more] = nameValues(card.subject, OID.commonName);
  if (!commonName || more.length) return refuse('malformed', 'common_name');
  const identity: StaffCertificateIdentity = {
    hsaId: s.hsaId,
    commonName,
    serialNumberHex: card.serialNumberHex,
    issuer: s.issuer.subject.text,
    notAfter: card.notAfter,
  };
  const [givenName] = nameValues(card.subject, OID.givenName);
  const [surname] = nameValues(card.subject, OID.surname);
  const [organizationName] = nameValues(card.subject, OID.organization);
  if (givenName) identity.givenName = givenName;
  if (surname) identity.surname = surname;
  if (organizationName) identity.organizationName = organizationName;
  return { identity };
});

/** CRLs in this CA's name (and, when both carry them, with its key identifier). */
const crlsOf = (issuer: CertificateInfo, crls: readonly ParsedCrl[]): ParsedCrl[] =>
  crls.filter((crl) => sameName(crl.issuer, issuer.subject)
    && (!crl.authorityKeyIdentifier || !issuer.subjectKeyIdentifier || crl.authorityKeyIdentifier === issuer.subjectKeyIdentifier));

/** Of a CA's CRLs, those its key signed; none, or a CA that may not sign CRLs, is crl_bad_signature. */
function signedCrls(issuer: CertificateInfo, named: readonly ParsedCrl[], deps: CardDeps): ParsedCrl[] | Refusal<CardReason> {
  const signed = named.filter((crl) => deps.crlSignedBy(crl, issuer));
  if (!signed.length) return refuse('crl_bad_signature');
  if (issuer.keyUsage && !issuer.keyUsage.has('cRLSign')) return refuse('crl_bad_signature', 'issuer_not_crl_signer');
  return signed;
}

/** The newest started CRL (highest cRLNumber, then latest thisUpdate), and it is not past its nextUpdate. */
function currentCrl(signed: readonly ParsedCrl[], now: number): ParsedCrl | Refusal<CardReason> {
  const started = signed.filter((crl) => crl.thisUpdate.getTime() <= now + CRL_THIS_UPDATE_LEEWAY_MS);
  const [first, ...rest] = started;
  if (!first) return refuse('crl_expired', 'not_yet_valid');
  const newest = rest.reduce((best, crl) => {
    const a = best.crlNumber ?? -1n;
    const b = crl.crlNumber ?? -1n;
    return b > a || (b === a && crl.thisUpdate > best.thisUpdate) ? crl : best;
  }, first);
  if (!newest.nextUpdate) return refuse('crl_expired', 'no_next_update');
  if (now > newest.nextUpdate.getTime()) return refuse('crl_expired');
  return newest;
}

/** A CRL of the card's issuer is loaded: without one no card is accepted (fail closed). */
export const cardCrlPresent = check('card_crl_present', (s: { issuer: CertificateInfo }, deps) => {
  const issuerCrls = crlsOf(s.issuer, deps.crls);
  return issuerCrls.length ? { issuerCrls } : 'crl_missing';
});

/** At least one of them is signed by the issuer's key, and the issuer may sign CRLs. */
export const cardCrlSignature = check('card_crl_signature', (s: { issuer: CertificateInfo; issuerCrls: readonly ParsedCrl[] }, deps) => {
  const signed = signedCrls(s.issuer, s.issuerCrls, deps);
  return signed instanceof Refusal ? signed : { signedCrls: signed };
});

/** The newest of those is current at the clock's time (the SITHS CRL freshness rule). */
export const cardCrlCurrent = check('card_crl_current', (s: { signedCrls: readonly ParsedCrl[] }, deps) => {
  const cardCrl = currentCrl(s.signedCrls, deps.now);
  return cardCrl instanceof Refusal ? cardCrl : { cardCrl };
});

export const cardNotRevoked = check('card_not_revoked', (s: { card: CertificateInfo; cardCrl: ParsedCrl }) =>
  s.cardCrl.revoked.has(s.card.serialNumberHex) ? 'revoked' : undefined);

/** Each CA on the path against its own issuer's CRL when one is loaded (a root's ARL is optional), which must then be signed and current. */
export const casNotRevoked = check('cas_not_revoked', (s: { path: CardPath }, deps) => {
  const [, ...cas] = s.path;
  for (const [index, ca] of cas.entries()) {
    const above = cas[index + 1];
    if (!above) break;
    const named = crlsOf(above, deps.crls);
    if (!named.length) continue;
    const signed = signedCrls(above, named, deps);
    if (signed instanceof Refusal) return signed;
    const crl = currentCrl(signed, deps.now);
    if (crl instanceof Refusal) return crl;
    if (crl.revoked.has(ca.serialNumberHex)) return refuse('revoked', 'ca');
  }
  return undefined;
});

export const cardPipeline = Pipeline.of<CardInput, CardReason, CardDeps>()
  .then(decodeCard)
  .then(decodeChain)
  .then(buildPath)
  .then(validity)
  .then(caConstraints)
  .then(criticalExtensions)
  .then(clientAuthUsage)
  .then(hsaId)
  .then(identity)
  .then(cardCrlPresent)
  .then(cardCrlSignature)
  .then(cardCrlCurrent)
  .then(cardNotRevoked)
  .then(casNotRevoked);

/** Names of the checks, in the order they run (for documentation and tests). */
export const CARD_CHECKS = cardPipeline.names;

// SITHS card sign-in, the verification core: is this TLS client certificate a SITHS e-id card
// certificate we can sign a member of staff in with, and who is it? The TLS layer (the gateway's card
// listener, or a proxy) only hands over the certificate; every decision is made here, at the injected
// clock's time, as an ordered list of named checks that each stop with one reason code:
//
//   decode -> path (to a configured CA, every signature) -> validity (every link) -> CA constraints
//   -> critical extensions -> client-auth usage -> HSA-id -> revocation (CRL signed by the issuer, current)
//
// Revocation is by CRL only (SITHS publishes CRLs; OCSP is not used here) and fails closed: no CRL for
// the card's issuer, a CRL past nextUpdate or one whose signature does not verify refuses every card.
// Nothing here logs; errors carry reason codes only, never the subject's name or HSA-id.
import type { Clock } from '../../clock.ts';
import { DerError, OID, nameValues, pemBlocks, sameName } from './asn1.ts';
import { CertificateError } from './certificateError.ts';
import { toCertificateDer } from './certificateInput.ts';
import { CrlFormatError, crlSignedBy, parseCrl, type ParsedCrl } from './crl.ts';
import { SIGNATURE_ALGORITHMS, readCertificate, type CertificateInfo } from './x509.ts';

export { CertificateError, CERTIFICATE_ERROR_REASONS, isCertificateError, type CertificateErrorReason } from './certificateError.ts';
export { certificateFromHeader, fromPeerCertificate, toCertificateDer } from './certificateInput.ts';
export { CrlFormatError } from './crl.ts';

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

export interface SithsVerifierOptions {
  /** PEM of the SITHS root and issuing CAs (one certificate or several per string). Each one is a trust anchor. */
  trustedCaPems: string[];
  /** CRLs of the issuing CAs (and optionally of the root), PEM "X509 CRL" or DER. */
  crls: Array<string | Uint8Array>;
  clock: Clock;
  /** Require the clientAuth extended key usage on the card certificate (default true). */
  requireClientAuthEku?: boolean;
}

export interface CrlStatus {
  issuer: string;
  crlNumber?: string;
  thisUpdate: Date;
  nextUpdate?: Date;
  revokedCount: number;
  /** Signed by a configured CA with that name. */
  signatureValid: boolean;
  /** Started and not past nextUpdate at the clock's time. */
  current: boolean;
}

/**
 * HSA-id: country code, the organisation number of the issuing organisation (10 digits, or 12 with the
 * "16" prefix), '-', and a local suffix; at most 31 characters. A personnummer (the card's other
 * certificate carries one) never matches.
 */
const HSA_ID = /^[A-Z]{2}(?:16)?\d{10}-[A-Za-z0-9]{1,19}$/;
export const isHsaId = (value: string | undefined): value is string => value !== undefined && value.length <= 31 && HSA_ID.test(value);

/** Longest path from the card to an anchor: card, issuing CA, root, and room for one more CA. */
const MAX_PATH_LENGTH = 5;
/** A CRL signed moments ago by a clock slightly ahead is still usable. Only thisUpdate gets this leeway. */
const CRL_THIS_UPDATE_LEEWAY_MS = 5 * 60_000;
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

// Critical extensions path validation may pass over: they are processed here, or (certificatePolicies,
// subjectAltName) do not change the outcome when no policy is required and the identity comes from the subject.
const HANDLED_CRITICAL = new Set<string>([
  OID.basicConstraints, OID.keyUsage, OID.extKeyUsage, OID.subjectAltName, OID.certificatePolicies,
  OID.subjectKeyIdentifier, OID.authorityKeyIdentifier,
]);

interface Context {
  leaf: CertificateInfo;
  /** Card first, the anchor last. */
  path: CertificateInfo[];
  now: number;
  requireClientAuthEku: boolean;
}

type Check = (ctx: Context) => void;

/** Every certificate on the path is inside its validity window at the clock's time. */
const checkValidity: Check = ({ path, now }) => {
  path.forEach((cert, index) => {
    const detail = index === 0 ? undefined : 'ca';
    if (now < cert.notBefore.getTime()) throw new CertificateError('not_yet_valid', detail);
    if (now > cert.notAfter.getTime()) throw new CertificateError('expired', detail);
  });
};

/** Each issuer is a CA allowed to sign certificates, and no path length constraint is exceeded. */
const checkCaConstraints: Check = ({ path }) => {
  path.forEach((cert, index) => {
    if (index === 0) return;
    if (!cert.basicConstraints?.cA) throw new CertificateError('unknown_ca', 'issuer_not_ca');
    if (cert.keyUsage && !cert.keyUsage.has('keyCertSign')) throw new CertificateError('unknown_ca', 'issuer_not_cert_signer');
    // Intermediate CAs below this one (the card does not count).
    const below = index - 1;
    const limit = cert.basicConstraints.pathLenConstraint;
    if (limit !== undefined && below > limit) throw new CertificateError('unknown_ca', 'path_length');
  });
};

/** A critical extension this code does not process makes the certificate unusable (RFC 5280 section 4.2). */
const checkCriticalExtensions: Check = ({ path }) => {
  path.forEach((cert, index) => {
    for (const [oid, ext] of cert.extensions) {
      if (ext.critical && !HANDLED_CRITICAL.has(oid)) {
        throw new CertificateError(index === 0 ? 'malformed' : 'unknown_ca', 'unsupported_critical_extension');
      }
    }
  });
};

/** The card certificate is an end-entity certificate for signing in: digitalSignature and clientAuth. */
const checkClientAuthUsage: Check = ({ leaf, requireClientAuthEku }) => {
  if (leaf.basicConstraints?.cA) throw new CertificateError('key_usage', 'ca_certificate');
  if (!leaf.keyUsage?.has('digitalSignature')) throw new CertificateError('key_usage', 'no_digital_signature');
  const eku = leaf.extKeyUsage;
  if (requireClientAuthEku) {
    if (!eku?.includes(OID.clientAuth)) throw new CertificateError('key_usage', 'no_client_auth');
  } else if (eku && !eku.includes(OID.clientAuth) && !eku.includes(ANY_EXTENDED_KEY_USAGE)) {
    // Without the requirement an absent EKU passes, but one that lists other purposes still does not.
    throw new CertificateError('key_usage', 'no_client_auth');
  }
};

const CHECKS: readonly Check[] = [checkValidity, checkCaConstraints, checkCriticalExtensions, checkClientAuthUsage];

function readIdentity(leaf: CertificateInfo, issuer: CertificateInfo): StaffCertificateIdentity {
  const serials = nameValues(leaf.subject, OID.serialNumber);
  const hsaId = serials[0];
  if (serials.length !== 1 || !isHsaId(hsaId)) throw new CertificateError('no_hsa_id', serials.length > 1 ? 'several' : undefined);
  const commonNames = nameValues(leaf.subject, OID.commonName);
  const commonName = commonNames[0];
  if (commonNames.length !== 1 || !commonName) throw new CertificateError('malformed', 'common_name');
  const identity: StaffCertificateIdentity = {
    hsaId,
    commonName,
    serialNumberHex: leaf.serialNumberHex,
    issuer: issuer.subject.text,
    notAfter: leaf.notAfter,
  };
  const givenName = nameValues(leaf.subject, OID.givenName)[0];
  const surname = nameValues(leaf.subject, OID.surname)[0];
  const organizationName = nameValues(leaf.subject, OID.organization)[0];
  if (givenName) identity.givenName = givenName;
  if (surname) identity.surname = surname;
  if (organizationName) identity.organizationName = organizationName;
  return identity;
}

function decode(input: string | Uint8Array, detail: string): CertificateInfo {
  const der = toCertificateDer(input);
  try {
    return readCertificate(der);
  } catch (err) {
    if (err instanceof DerError) throw new CertificateError('malformed', detail);
    throw err;
  }
}

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

export class SithsCertificateVerifier {
  readonly #anchors: CertificateInfo[];
  readonly #clock: Clock;
  readonly #requireClientAuthEku: boolean;
  #crls: ParsedCrl[] = [];
  // A CRL's signature is checked once per issuing key, not on every sign-in (SITHS CRLs are large).
  readonly #crlSignatures = new WeakMap<ParsedCrl, Map<string, boolean>>();

  constructor(options: SithsVerifierOptions) {
    const anchors: CertificateInfo[] = [];
    options.trustedCaPems.forEach((pem, index) => {
      const blocks = pemBlocks(pem, 'CERTIFICATE');
      if (!blocks.length) throw new TypeError(`trustedCaPems[${index}]: no PEM certificate`);
      for (const der of blocks) {
        let cert: CertificateInfo;
        try {
          cert = readCertificate(der);
        } catch {
          throw new TypeError(`trustedCaPems[${index}]: not a readable certificate`);
        }
        if (!cert.basicConstraints?.cA) throw new TypeError(`trustedCaPems[${index}]: ${cert.subject.text} is not a CA certificate`);
        if (!anchors.some((a) => a.fingerprint === cert.fingerprint)) anchors.push(cert);
      }
    });
    if (!anchors.length) throw new TypeError('trustedCaPems: no SITHS CA configured');
    this.#anchors = anchors;
    this.#clock = options.clock;
    this.#requireClientAuthEku = options.requireClientAuthEku ?? true;
    this.setCrls(options.crls);
  }

  /**
   * Replaces the CRLs (call it after re-reading the CRL files on a schedule). All or nothing: when one
   * cannot be parsed, CrlFormatError is thrown and the CRLs in use stay as they were.
   */
  setCrls(crls: Array<string | Uint8Array>): void {
    this.#crls = crls.map((crl, index) => {
      try {
        return parseCrl(crl);
      } catch (err) {
        throw new CrlFormatError(`crls[${index}]: ${err instanceof Error ? err.message : 'not parseable'}`);
      }
    });
  }

  /** What is loaded, for readiness checks and metrics (CA names and dates only). */
  crlStatus(): CrlStatus[] {
    const now = this.#clock.now();
    return this.#crls.map((crl) => {
      const status: CrlStatus = {
        issuer: crl.issuer.text,
        thisUpdate: crl.thisUpdate,
        revokedCount: crl.revoked.size,
        signatureValid: this.#anchors.some((ca) => sameName(ca.subject, crl.issuer) && this.#crlSignedBy(crl, ca)),
        current: crl.thisUpdate.getTime() <= now + CRL_THIS_UPDATE_LEEWAY_MS && crl.nextUpdate !== undefined && now <= crl.nextUpdate.getTime(),
      };
      if (crl.crlNumber !== undefined) status.crlNumber = crl.crlNumber.toString();
      if (crl.nextUpdate) status.nextUpdate = crl.nextUpdate;
      return status;
    });
  }

  /**
   * Verifies a card certificate (DER, PEM, or a proxy header's URL-encoded PEM / base64 DER) with the
   * chain the client sent, if any (untrusted: only used to find a path to a configured CA).
   * Returns the identity, or throws CertificateError with the reason.
   */
  verify(certificate: string | Uint8Array, chain: Array<string | Uint8Array> = []): StaffCertificateIdentity {
    const leaf = decode(certificate, 'certificate');
    const presented = chain.map((c) => decode(c, 'chain'));
    const now = this.#clock.now();
    const path = this.#buildPath(leaf, presented);
    const ctx: Context = { leaf, path, now, requireClientAuthEku: this.#requireClientAuthEku };
    for (const check of CHECKS) check(ctx);
    const identity = readIdentity(leaf, path[1]!);
    this.#checkRevocation(path, now);
    return identity;
  }

  /**
   * From the card up to a configured CA: at each step the issuer is looked for among the configured CAs
   * first, then among the certificates the client sent, and must verify the signature. Once a
   * configured CA is reached the path ends, after climbing any further configured CAs (so the root's
   * validity is checked too).
   */
  #buildPath(leaf: CertificateInfo, presented: CertificateInfo[]): CertificateInfo[] {
    if (selfIssued(leaf)) throw new CertificateError('unknown_ca', 'self_signed');
    const path = [leaf];
    let anchored = false;
    for (let current = leaf; ;) {
      if (anchored && selfIssued(current)) return path;
      const pool = anchored ? this.#anchors : [...this.#anchors, ...presented.filter((p) => !this.#isAnchor(p))];
      const candidates = pool.filter((c) => c.fingerprint !== current.fingerprint && couldHaveIssued(c, current));
      const issuer = candidates.find((c) => signedBy(current, c));
      if (!issuer) {
        if (anchored) return path;
        if (!candidates.length) throw new CertificateError('unknown_ca', path.length === 1 ? 'no_issuer' : 'untrusted_root');
        throw new CertificateError('bad_signature', path.length === 1 ? undefined : 'ca');
      }
      if (path.some((p) => p.fingerprint === issuer.fingerprint)) throw new CertificateError('unknown_ca', 'loop');
      if (path.length >= MAX_PATH_LENGTH) throw new CertificateError('unknown_ca', 'path_too_long');
      path.push(issuer);
      anchored ||= this.#isAnchor(issuer);
      current = issuer;
    }
  }

  #isAnchor(cert: CertificateInfo): boolean {
    return this.#anchors.some((a) => a.fingerprint === cert.fingerprint);
  }

  /**
   * The card against its issuer's CRL (required), and each CA on the path against its own issuer's CRL
   * when one is loaded (a root's ARL is optional).
   */
  #checkRevocation(path: CertificateInfo[], now: number): void {
    for (let index = 0; index + 1 < path.length; index += 1) {
      const cert = path[index]!;
      const crl = this.#currentCrl(path[index + 1]!, now, index === 0);
      if (crl?.revoked.has(cert.serialNumberHex)) throw new CertificateError('revoked', index === 0 ? undefined : 'ca');
    }
  }

  #currentCrl(issuer: CertificateInfo, now: number, required: boolean): ParsedCrl | undefined {
    const named = this.#crls.filter((crl) => sameName(crl.issuer, issuer.subject)
      && (!crl.authorityKeyIdentifier || !issuer.subjectKeyIdentifier || crl.authorityKeyIdentifier === issuer.subjectKeyIdentifier));
    if (!named.length) {
      if (required) throw new CertificateError('crl_missing');
      return undefined;
    }
    const signed = named.filter((crl) => this.#crlSignedBy(crl, issuer));
    if (!signed.length) throw new CertificateError('crl_bad_signature');
    if (issuer.keyUsage && !issuer.keyUsage.has('cRLSign')) throw new CertificateError('crl_bad_signature', 'issuer_not_crl_signer');
    const started = signed.filter((crl) => crl.thisUpdate.getTime() <= now + CRL_THIS_UPDATE_LEEWAY_MS);
    if (!started.length) throw new CertificateError('crl_expired', 'not_yet_valid');
    // The newest: highest cRLNumber, then latest thisUpdate.
    const newest = started.reduce((best, crl) => {
      const a = best.crlNumber ?? -1n;
      const b = crl.crlNumber ?? -1n;
      return b > a || (b === a && crl.thisUpdate > best.thisUpdate) ? crl : best;
    });
    if (!newest.nextUpdate) throw new CertificateError('crl_expired', 'no_next_update');
    if (now > newest.nextUpdate.getTime()) throw new CertificateError('crl_expired');
    return newest;
  }

  #crlSignedBy(crl: ParsedCrl, issuer: CertificateInfo): boolean {
    let byIssuer = this.#crlSignatures.get(crl);
    if (!byIssuer) {
      byIssuer = new Map();
      this.#crlSignatures.set(crl, byIssuer);
    }
    let valid = byIssuer.get(issuer.fingerprint);
    if (valid === undefined) {
      valid = crlSignedBy(crl, issuer.publicKey);
      byIssuer.set(issuer.fingerprint, valid);
    }
    return valid;
  }
}

// SITHS card sign-in, the verifier the card endpoints hold: the configured CAs, the CRLs in use (swapped
// by the CRL reloader), the clock. The decision itself is the pipeline of named checks in
// cardChecks.ts; `verify` runs it and turns its verdict into the identity or a CertificateError, so
// callers keep one shape. Nothing here logs; errors carry reason codes only.
import type { Clock } from '../../clock.ts';
import type { Verdict } from '../../decision.ts';
import { CertificateError } from './certificateError.ts';
import {
  CRL_THIS_UPDATE_LEEWAY_MS, cardPipeline, type CardDeps, type CardInput, type CardReason, type CertificateSource,
  type StaffCertificateIdentity,
} from './cardChecks.ts';
import { CrlFormatError, crlSignedBy, parseCrl, type ParsedCrl } from './crl.ts';
import { pemBlocks, readCertificate, sameName, type CertificateInfo } from './x509.ts';

export { CertificateError, CERTIFICATE_ERROR_REASONS, isCertificateError, type CertificateErrorReason } from './certificateError.ts';
export { certificateFromHeader, fromPeerCertificate, toCertificateDer } from './certificateInput.ts';
export { CrlFormatError } from './crl.ts';
export { CARD_CHECKS, CARD_REASONS, isHsaId, type CardReason, type StaffCertificateIdentity } from './cardChecks.ts';

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

/** What the card pipeline establishes when every check passes. */
export type CardVerdict = Verdict<CardInput & { identity: StaffCertificateIdentity }, CardReason>;

export class SithsCertificateVerifier {
  readonly #anchors: CertificateInfo[];
  readonly #clock: Clock;
  readonly #requireClientAuthEku: boolean;
  #crls: ParsedCrl[] = [];
  // A CRL's signature is checked once per issuing key, not on every sign-in (SITHS CRLs are large).
  readonly #crlSignatures = new WeakMap<ParsedCrl, Map<string, boolean>>();
  readonly #crlSignedBy = (crl: ParsedCrl, issuer: CertificateInfo): boolean => {
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
  };

  constructor(options: SithsVerifierOptions) {
    const anchors: CertificateInfo[] = [];
    options.trustedCaPems.forEach((pem, index) => {
      let blocks: Buffer[];
      try {
        blocks = pemBlocks(pem, 'CERTIFICATE');
      } catch {
        blocks = [];
      }
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

  /** The pipeline's verdict for a card and the chain the client sent: which check refused, and why. */
  decide(certificate: CertificateSource, chain: readonly CertificateSource[] = []): CardVerdict {
    const deps: CardDeps = {
      anchors: this.#anchors,
      crls: this.#crls,
      now: this.#clock.now(),
      requireClientAuthEku: this.#requireClientAuthEku,
      crlSignedBy: this.#crlSignedBy,
    };
    return cardPipeline.runSync({ certificate, chain }, deps);
  }

  /**
   * Verifies a card certificate (DER, PEM, or a proxy header's URL-encoded PEM / base64 DER) with the
   * chain the client sent, if any (untrusted: only used to find a path to a configured CA).
   * Returns the identity, or throws CertificateError with the reason.
   */
  verify(certificate: CertificateSource, chain: readonly CertificateSource[] = []): StaffCertificateIdentity {
    const verdict = this.decide(certificate, chain);
    if (!verdict.ok) throw new CertificateError(verdict.reason, verdict.detail);
    return verdict.state.identity;
  }
}

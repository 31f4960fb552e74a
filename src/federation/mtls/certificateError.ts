// Why a card certificate was refused: one reason code per check, safe to log and to show (it never
// holds a name, HSA-id, personnummer or certificate bytes), plus an optional finer detail code.

export const CERTIFICATE_ERROR_REASONS = [
  /** Not a certificate in any accepted encoding, or a field that breaks RFC 5280. */
  'malformed',
  /** No path to a configured SITHS CA (unknown issuer, untrusted root, an issuer that is not a CA). */
  'unknown_ca',
  /** The issuer's key does not verify a signature on the path, or the algorithm is not accepted. */
  'bad_signature',
  'not_yet_valid',
  'expired',
  /** Listed on the issuer's CRL. */
  'revoked',
  /** No CRL loaded for the certificate's issuer. */
  'crl_missing',
  /** The issuer's CRL is past nextUpdate (or has none, or starts in the future): fail closed. */
  'crl_expired',
  /** A CRL names the issuer but its signature does not verify with the issuer's key. */
  'crl_bad_signature',
  /** Not a client-authentication certificate: no digitalSignature, no clientAuth EKU, or a CA certificate. */
  'key_usage',
  /** The subject serialNumber is missing or is not an HSA-id (e.g. the card's personnummer certificate). */
  'no_hsa_id',
] as const;

export type CertificateErrorReason = (typeof CERTIFICATE_ERROR_REASONS)[number];

export class CertificateError extends Error {
  readonly reason: CertificateErrorReason;
  /** A finer, fixed code (e.g. `ca` when a CA on the path expired); never personal data. */
  readonly detail: string | undefined;

  constructor(reason: CertificateErrorReason, detail?: string) {
    super(detail ? `card certificate refused: ${reason} (${detail})` : `card certificate refused: ${reason}`);
    this.name = 'CertificateError';
    this.reason = reason;
    this.detail = detail;
  }
}

export const isCertificateError = (err: unknown): err is CertificateError => err instanceof CertificateError;

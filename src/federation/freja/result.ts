// Freja eID's signed result: getOneResult's `details` is a compact JWS (RS256, the signing
// certificate named by its SHA-1 thumbprint in `x5t`). The outer JSON of the answer is only what the
// TLS connection says; the gateway believes nothing about a person until these checks, in this
// order, have passed. Each stops the result with its own reason code (a pipeline on src/decision.ts).
import { createHash, X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importX509, type CryptoKey } from 'jose';
import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import { checksFor, Pipeline } from '../../decision.ts';

/** Reason codes, in the order the checks run. */
export type ResultRejection =
  | 'jws_malformed'
  | 'jws_alg_not_allowed'
  | 'jws_unknown_key'
  | 'jws_key_not_valid_now'
  | 'jws_signature_invalid'
  | 'payload_malformed'
  | 'authref_mismatch'
  | 'status_mismatch';

export class ResultRejected extends Error {
  readonly reason: ResultRejection;
  constructor(reason: ResultRejection) {
    super(`Freja eID result refused: ${reason}`);
    this.name = 'ResultRejected';
    this.reason = reason;
  }
}

/** The signed statement, as far as the gateway reads it (other fields are ignored). */
const detailsSchema = z.object({
  authRef: z.string().min(1).max(200),
  status: z.string().min(1).max(50),
  userInfoType: z.string().max(50).optional(),
  userInfo: z.string().max(2000).optional(),
  minRegistrationLevel: z.string().max(20).optional(),
  requestedAttributes: z.object({
    basicUserInfo: z.object({ name: z.string().max(200), surname: z.string().max(200) }).optional(),
    ssn: z.object({ ssn: z.string().max(50), country: z.string().max(2) }).optional(),
    registrationLevel: z.string().max(20).optional(),
  }).loose().optional(),
  timestamp: z.number().int().optional(),
});

export type ResultDetails = z.infer<typeof detailsSchema>;

export interface TrustedKey {
  key: CryptoKey;
  notBefore: number;
  notAfter: number;
}

/**
 * Freja's result-signing certificates, each pinned by itself (not by a CA): a result is accepted only
 * when its `x5t` names one of these and its signature verifies with that certificate's key.
 */
export class SigningCertificates {
  readonly #byThumbprint: Map<string, TrustedKey>;

  private constructor(byThumbprint: Map<string, TrustedKey>) {
    this.#byThumbprint = byThumbprint;
  }

  static async fromPem(pems: string[]): Promise<SigningCertificates> {
    const map = new Map<string, TrustedKey>();
    for (const pem of pems) {
      const cert = new X509Certificate(pem);
      map.set(x5tOf(cert), {
        key: await importX509(cert.toString(), 'RS256'),
        notBefore: Date.parse(cert.validFrom),
        notAfter: Date.parse(cert.validTo),
      });
    }
    if (map.size === 0) throw new Error('Freja eID: no signing certificate configured (freja.signingCertFiles); results could not be verified');
    return new SigningCertificates(map);
  }

  get size(): number {
    return this.#byThumbprint.size;
  }

  lookup(x5t: string): TrustedKey | undefined {
    return this.#byThumbprint.get(x5t);
  }
}

/** The JWS `x5t` of a certificate: base64url SHA-1 of its DER (RFC 7515, 4.1.7). */
export function x5tOf(cert: X509Certificate): string {
  return createHash('sha1').update(cert.raw).digest('base64url');
}

export interface ResultInput {
  jws: string;
  expected: { authRef: string; status: string };
}

export interface ResultDeps {
  trusted: SigningCertificates;
  clock: Clock;
}

const { check, asyncCheck } = checksFor<ResultRejection, ResultDeps>();

export const headerReadable = check('header_readable', (s: ResultInput) => {
  try {
    const header: { alg?: string; x5t?: string } = decodeProtectedHeader(s.jws);
    return { header };
  } catch {
    return 'jws_malformed';
  }
});

// RS256 only: Freja signs with RS256, and accepting anything else (`none`, HS256 keyed with a
// certificate) is how JWS verifiers get fooled.
export const algorithmAllowed = check('algorithm_allowed', (s: { header: { alg?: string } }) => (s.header.alg === 'RS256' ? undefined : 'jws_alg_not_allowed'));

export const keyKnown = check('key_known', (s: { header: { x5t?: string } }, d) => {
  const trustedKey = typeof s.header.x5t === 'string' ? d.trusted.lookup(s.header.x5t) : undefined;
  return trustedKey ? { trustedKey } : 'jws_unknown_key';
});

export const keyValidNow = check('key_valid_now', (s: { trustedKey: TrustedKey }, d) => {
  const now = d.clock.now();
  return now < s.trustedKey.notBefore || now > s.trustedKey.notAfter ? 'jws_key_not_valid_now' : undefined;
});

export const signatureValid = asyncCheck('signature_valid', async (s: ResultInput & { trustedKey: TrustedKey }) => {
  try {
    const { payload } = await compactVerify(s.jws, s.trustedKey.key, { algorithms: ['RS256'] });
    return { payload };
  } catch {
    return 'jws_signature_invalid';
  }
});

export const payloadReadable = check('payload_readable', (s: { payload: Uint8Array }) => {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(s.payload));
  } catch {
    return 'payload_malformed';
  }
  const parsed = detailsSchema.safeParse(json);
  return parsed.success ? { details: parsed.data } : 'payload_malformed';
});

// A genuine result for another transaction (someone else's, replayed) must not finish this one.
export const authRefMatches = check('authref_matches', (s: ResultInput & { details: ResultDetails }) => (s.details.authRef === s.expected.authRef ? undefined : 'authref_mismatch'));
export const statusMatches = check('status_matches', (s: ResultInput & { details: ResultDetails }) => (s.details.status === s.expected.status ? undefined : 'status_mismatch'));

export const resultChecks = Pipeline.of<ResultInput, ResultRejection, ResultDeps>()
  .then(headerReadable)
  .then(algorithmAllowed)
  .then(keyKnown)
  .then(keyValidNow)
  .then(signatureValid)
  .then(payloadReadable)
  .then(authRefMatches)
  .then(statusMatches);

/** Names of the checks, in the order they run. */
export const RESULT_CHECKS = resultChecks.names;

/**
 * Verifies `details` and that it speaks of the transaction we asked about and says what the outer
 * answer says. Throws ResultRejected; never returns anything unverified.
 */
export async function verifyResultDetails(
  jws: string,
  expected: { authRef: string; status: string },
  trusted: SigningCertificates,
  clock: Clock,
): Promise<ResultDetails> {
  const verdict = await resultChecks.run({ jws, expected }, { trusted, clock });
  if (!verdict.ok) throw new ResultRejected(verdict.reason);
  return verdict.state.details;
}

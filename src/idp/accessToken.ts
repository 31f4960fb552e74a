// Access-token checks for the gateway's own resource endpoints (the admin API, the policy decision
// point): is this a live token issued here, and does the caller prove possession of the key it is
// bound to? oidc-provider does this for /me only, so resource routes get the same rules here
// (RFC 9449 §7 for DPoP; RFC 8705 §3 for certificate-bound tokens), as pipelines of named checks on
// the decision primitive (src/decision.ts), each failing with one reason code. Tokens are opaque and
// looked up in the store, so a revoked or expired token fails at once on every instance.
import { createHash, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, errors as joseErrors, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { HotStore } from '../store/hotStore.ts';
import { checksFor, Pipeline, refuse } from '../decision.ts';

export const ACCESS_TOKEN_ERROR_REASONS = [
  'token_missing',
  'token_malformed',
  'token_inactive',
  'dpop_missing',
  'dpop_invalid',
  'dpop_stale',
  'dpop_mismatch',
  'dpop_replayed',
  'dpop_key_mismatch',
  'certificate_missing',
  'certificate_mismatch',
  'unbound_token',
] as const;
export type AccessTokenErrorReason = (typeof ACCESS_TOKEN_ERROR_REASONS)[number];

export class AccessTokenError extends Error {
  readonly reason: AccessTokenErrorReason;
  /** 401 always: RFC 6750 / RFC 9449 ask for a challenge, never a 403, for a bad token or proof. */
  readonly status = 401;
  constructor(reason: AccessTokenErrorReason, message: string) {
    super(message);
    this.name = 'AccessTokenError';
    this.reason = reason;
  }
}

/** The request as the resource endpoint saw it. `url` is absolute, as the client addressed it. */
export interface ResourceRequest {
  method: string;
  url: string;
  authorization?: string | undefined;
  dpop?: string | undefined;
  /** The client certificate (PEM or DER) for certificate-bound tokens, when TLS is terminated before us. */
  clientCertificate?: string | Buffer | undefined;
}

export interface VerifiedAccessToken {
  jti: string;
  kind: 'AccessToken' | 'ClientCredentials';
  clientId: string;
  /** The signed-in person's account id; absent for client-credentials tokens. */
  accountId?: string;
  scope: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** RFC 9449 key thumbprint the token is bound to. */
  jkt?: string;
  /** RFC 8705 certificate thumbprint the token is bound to. */
  x5t?: string;
  /** RFC 9396 details as requested and stored with the token (the live ones are the gate's business). */
  authorizationDetails?: unknown[];
  grantId?: string;
  /** The gateway session (oidc-provider's session uid) the token was issued in; absent for client credentials. */
  sessionUid?: string;
  /** RFC 8693 §4.1: who acts for the subject (a guardian, an agent), by their pairwise id; absent when the citizen acts. */
  act?: { sub: string };
  /** The token itself, for the caller that must look it up again (never log it). */
  value: string;
}

export interface AccessTokenDeps {
  store: HotStore;
  clock: Clock;
  /** Signing algorithms accepted for DPoP proofs. */
  algorithms?: string[];
  /** Seconds a proof's iat may differ from now (RFC 9449 §11.1 leaves it to the server). */
  proofWindowSeconds?: number;
}

const DEFAULT_ALGS = ['PS256', 'ES256', 'EdDSA'];
const MAX_TOKEN_LENGTH = 4096;

export interface StoredToken {
  jti: string;
  kind: string;
  clientId: string;
  accountId?: string;
  scope?: string;
  exp?: number;
  jkt?: string;
  'x5t#S256'?: string;
  rar?: unknown[];
  grantId?: string;
  sessionUid?: string;
  /** oidc-provider's extraTokenClaims (src/citizens/representation/: `act`). */
  extra?: { act?: { sub?: unknown } };
  isValid?: boolean;
}

export interface AccessTokenInput {
  request: ResourceRequest;
}

/** What the checks are given besides the state: the store and clock, and where tokens are looked up. */
export interface AccessTokenCheckDeps extends AccessTokenDeps {
  provider: Provider;
}

const { check, asyncCheck } = checksFor<AccessTokenErrorReason, AccessTokenCheckDeps>();

/** Reads `Authorization: DPoP <token>` (or Bearer for certificate-bound tokens). */
export const authorizationRead = check('authorization_read', (s: AccessTokenInput) => {
  const header = s.request.authorization;
  if (!header) return refuse('token_missing', 'no access token in the Authorization header');
  const match = /^(DPoP|Bearer) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
  const [, scheme, value] = match ?? [];
  if (!scheme || !value || value.length > MAX_TOKEN_LENGTH) return refuse('token_malformed', 'the Authorization header is not "DPoP <token>"');
  return { scheme: scheme.toLowerCase() === 'dpop' ? 'dpop' as const : 'bearer' as const, value };
});

/** Active in the store: opaque tokens, so a revoked or expired one fails at once on every instance. */
export const tokenActive = asyncCheck('token_active', async (s: { value: string }, d) => {
  const token = ((await d.provider.AccessToken.find(s.value)) ?? (await d.provider.ClientCredentials.find(s.value))) as unknown as StoredToken | undefined;
  if (!token || token.isValid === false) return refuse('token_inactive', 'the access token is not active');
  return { token };
});

/** Sender-constrained: a bearer-only token is refused (FAPI 2.0 §5.3.2.1). */
export const senderConstrained = check('sender_constrained', (s: { scheme: 'dpop' | 'bearer'; token: StoredToken }) => {
  if (s.token.jkt) return s.scheme === 'dpop' ? { binding: 'dpop' as const } : refuse('dpop_missing', 'this token is DPoP-bound: use the DPoP authorization scheme');
  if (s.token['x5t#S256']) return { binding: 'certificate' as const };
  return refuse('unbound_token', 'the gateway accepts only sender-constrained tokens');
});

export const accessTokenChecks = Pipeline.of<AccessTokenInput, AccessTokenErrorReason, AccessTokenCheckDeps>()
  .then(authorizationRead)
  .then(tokenActive)
  .then(senderConstrained);

type BoundToken = AccessTokenInput & { value: string; token: StoredToken };

/** htu compares without query and fragment (RFC 9449 §4.3, check 9). */
function sameHtu(htu: unknown, url: string): boolean {
  if (typeof htu !== 'string') return false;
  const a = URL.parse(htu);
  const b = URL.parse(url);
  if (!a || !b) return false;
  a.search = '';
  a.hash = '';
  b.search = '';
  b.hash = '';
  return a.href === b.href;
}

/** Evicts the oldest entry of a bounded cache (Maps iterate in insertion order). */
function bounded<V>(cache: Map<string, V>, id: string, value: V): V {
  if (cache.size >= PROOF_KEY_CACHE) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(id, value);
  return value;
}

// Imported proof keys by (alg, JWK): a client proves with the same key for the life of its token, and
// importing the key is a good part of a proof's verification cost (issue 4, the PDP's throughput).
// EmbeddedJWK's checks depend only on these two, so a cached answer is the same answer.
const proofKeys = new Map<string, Promise<CryptoKey>>();
const PROOF_KEY_CACHE = 10_000;
const embeddedKey: typeof EmbeddedJWK = (header, token) => {
  const id = `${String(header?.alg)}|${JSON.stringify(header?.jwk ?? null)}`;
  const cached = proofKeys.get(id);
  if (cached) return cached;
  const key = EmbeddedJWK(header, token) as Promise<CryptoKey>;
  key.catch(() => proofKeys.delete(id));
  return bounded(proofKeys, id, key);
};

// Thumbprints of proof keys, for the same reason: a client's every proof carries the same JWK.
const thumbprints = new Map<string, Promise<string>>();
function thumbprintOf(jwk: JWK): Promise<string> {
  const id = JSON.stringify(jwk);
  const cached = thumbprints.get(id);
  if (cached) return cached;
  const thumbprint = calculateJwkThumbprint(jwk);
  thumbprint.catch(() => thumbprints.delete(id));
  return bounded(thumbprints, id, thumbprint);
}

interface Proof {
  payload: Record<string, unknown>;
  jwk: JWK;
}

export const proofPresent = check('dpop_proof_present', (s: AccessTokenInput) => {
  const proof = s.request.dpop;
  return proof ? { proof } : refuse('dpop_missing', 'this token is DPoP-bound: send a DPoP proof');
});

export const proofSignature = asyncCheck('dpop_proof_signature', async (s: { proof: string }, d) => {
  try {
    const verified = await jwtVerify(s.proof, embeddedKey, { algorithms: d.algorithms ?? DEFAULT_ALGS, typ: 'dpop+jwt' });
    const verifiedProof: Proof = { payload: verified.payload as Record<string, unknown>, jwk: verified.protectedHeader.jwk as JWK };
    return { verifiedProof };
  } catch (err) {
    const why = err instanceof joseErrors.JOSEError ? err.code : 'unparseable';
    return refuse('dpop_invalid', `the DPoP proof does not verify (${why})`);
  }
});

export const proofClaims = check('dpop_proof_claims', (s: { verifiedProof: Proof }) => {
  const { jti, iat } = s.verifiedProof.payload;
  if (typeof jti !== 'string' || !jti || jti.length > 256) return refuse('dpop_invalid', 'the DPoP proof has no jti');
  if (typeof iat !== 'number') return refuse('dpop_invalid', 'the DPoP proof has no iat');
  return { proofJti: jti, proofIat: iat };
});

export const proofRecent = check('dpop_proof_recent', (s: { proofIat: number }, d) => {
  const now = Math.floor(d.clock.now() / 1000);
  return Math.abs(now - s.proofIat) > (d.proofWindowSeconds ?? 60) ? refuse('dpop_stale', 'the DPoP proof is not recent') : undefined;
});

export const proofForRequest = check('dpop_proof_for_request', (s: BoundToken & { verifiedProof: Proof }) => {
  const { htm, htu, ath } = s.verifiedProof.payload;
  if (htm !== s.request.method.toUpperCase()) return refuse('dpop_mismatch', 'the DPoP proof is for another HTTP method');
  if (!sameHtu(htu, s.request.url)) return refuse('dpop_mismatch', 'the DPoP proof is for another URL');
  if (ath !== createHash('sha256').update(s.value).digest('base64url')) return refuse('dpop_mismatch', 'the DPoP proof is for another access token');
  return undefined;
});

export const proofKeyBound = asyncCheck('dpop_proof_key_bound', async (s: BoundToken & { verifiedProof: Proof }) => {
  const thumbprint = await thumbprintOf(s.verifiedProof.jwk);
  return thumbprint === s.token.jkt ? { thumbprint } : refuse('dpop_key_mismatch', 'the DPoP proof is signed with a key the token is not bound to');
});

// One use per proof: a captured request cannot be replayed within the window (the store is shared,
// so this holds across instances).
export const proofUnused = asyncCheck('dpop_proof_unused', async (s: { thumbprint: string; proofJti: string }, d) => {
  const window = d.proofWindowSeconds ?? 60;
  const fresh = await d.store.setIfAbsent(`dpop:rs:${s.thumbprint}:${s.proofJti}`, '1', 2 * window + 1);
  return fresh ? undefined : refuse('dpop_replayed', 'the DPoP proof was used before');
});

/** RFC 9449 §7: the proof of possession for a DPoP-bound token. */
export const dpopChecks = Pipeline.of<BoundToken, AccessTokenErrorReason, AccessTokenCheckDeps>()
  .then(proofPresent)
  .then(proofSignature)
  .then(proofClaims)
  .then(proofRecent)
  .then(proofForRequest)
  .then(proofKeyBound)
  .then(proofUnused);

export const certificatePresented = check('certificate_presented', (s: AccessTokenInput) => {
  if (!s.request.clientCertificate) return refuse('certificate_missing', 'this token is bound to a client certificate: present it');
  try {
    const cert = new X509Certificate(s.request.clientCertificate);
    return { certificateThumbprint: createHash('sha256').update(cert.raw).digest('base64url') };
  } catch {
    return refuse('certificate_missing', 'the client certificate cannot be read');
  }
});

export const certificateBound = check('certificate_bound', (s: { token: StoredToken; certificateThumbprint: string }) =>
  (s.certificateThumbprint === s.token['x5t#S256'] ? undefined : refuse('certificate_mismatch', 'the token is bound to another certificate')));

/** RFC 8705 §3: the proof of possession for a certificate-bound token. */
export const certificateChecks = Pipeline.of<BoundToken, AccessTokenErrorReason, AccessTokenCheckDeps>()
  .then(certificatePresented)
  .then(certificateBound);

/** The checks in the order they run: the token, then the proof its binding asks for. */
export const ACCESS_TOKEN_CHECKS = { token: accessTokenChecks.names, dpop: dpopChecks.names, certificate: certificateChecks.names };

const refusal = (verdict: { reason: AccessTokenErrorReason; detail?: string }): AccessTokenError =>
  new AccessTokenError(verdict.reason, verdict.detail ?? verdict.reason);

/**
 * Checks, in order: a token is present and well-formed; it is active in the store; it is
 * sender-constrained (a bearer-only token is refused: FAPI 2.0 §5.3.2.1); the proof of possession
 * (DPoP proof or client certificate) matches it. Throws AccessTokenError with the first failing reason.
 */
export async function verifyAccessToken(provider: Provider, request: ResourceRequest, deps: AccessTokenDeps): Promise<VerifiedAccessToken> {
  const d: AccessTokenCheckDeps = { ...deps, provider };
  const base = await accessTokenChecks.run({ request }, d);
  if (!base.ok) throw refusal(base);
  const { token, value, binding } = base.state;
  const proof = await (binding === 'dpop' ? dpopChecks : certificateChecks).run({ request, token, value }, d);
  if (!proof.ok) throw refusal(proof);
  return {
    jti: token.jti,
    kind: token.kind === 'ClientCredentials' ? 'ClientCredentials' : 'AccessToken',
    clientId: token.clientId,
    ...(token.accountId ? { accountId: token.accountId } : {}),
    scope: token.scope ?? '',
    expiresAt: token.exp ?? 0,
    ...(token.jkt ? { jkt: token.jkt } : {}),
    ...(token['x5t#S256'] ? { x5t: token['x5t#S256'] } : {}),
    ...(token.rar ? { authorizationDetails: token.rar } : {}),
    ...(token.grantId ? { grantId: token.grantId } : {}),
    ...(token.sessionUid ? { sessionUid: token.sessionUid } : {}),
    ...(typeof token.extra?.act?.sub === 'string' ? { act: { sub: token.extra.act.sub } } : {}),
    value,
  };
}

/** The WWW-Authenticate challenge for a refusal (RFC 9449 §7.1). */
export function challengeFor(err: AccessTokenError, algorithms: string[] = DEFAULT_ALGS): string {
  const error = err.reason.startsWith('dpop_') && err.reason !== 'dpop_missing' && err.reason !== 'dpop_key_mismatch' ? 'invalid_dpop_proof' : 'invalid_token';
  return `DPoP error="${error}", error_description="${err.message.replace(/"/g, "'")}", algs="${algorithms.join(' ')}"`;
}

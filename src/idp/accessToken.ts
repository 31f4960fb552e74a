// Access-token checks for the gateway's own resource endpoints (the admin API, the policy decision
// point): is this a live token issued here, and does the caller prove possession of the key it is
// bound to? oidc-provider does this for /me only, so resource routes get the same rules here
// (RFC 9449 §7 for DPoP; RFC 8705 §3 for certificate-bound tokens), as pipelines of named checks on
// the decision primitive (src/decision.ts), each failing with one reason code. Tokens are opaque and
// looked up in the store, so a revoked or expired token fails at once on every instance.
import { createHash, X509Certificate } from 'node:crypto';
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { HotStore } from '../store/hotStore.ts';
import { checksFor, Pipeline, refuse, type Refusal } from '../decision.ts';
import { ProofSignatureError, thumbprintOf, verifyProofJws } from './proofSignature.ts';

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
  /** Store reads and writes verifyAccessToken started before the checks ran (see lookAhead). */
  ahead?: LookAhead;
}

/**
 * The store round trips of one verification, started together so they share one trip to Redis (the
 * client pipelines what is sent in one turn) instead of three in a row: the token's lookup (as an
 * access token and as a client-credentials token, both at once) and, once the proof's own checks pass,
 * its single-use mark. The checks still run in their order and each awaits only what it reads, so every
 * refusal and its reason are what they were; the one difference is that a proof whose token then fails
 * (inactive, or bound to another key) has had its jti used up — a proof is for one request only, and
 * its ath binds it to that one token, so nothing could have used it again anyway.
 */
export interface LookAhead {
  token?: { value: string; found: Promise<StoredToken | undefined> };
  signature?: { proof: string; outcome: Refusal<AccessTokenErrorReason> | { verifiedProof: Proof } };
  replay?: { key: string; fresh: Promise<boolean> };
}

/** Both token kinds at once (an opaque value says nothing of its kind); an access token wins. */
function findToken(provider: Provider, value: string): Promise<StoredToken | undefined> {
  return Promise.all([provider.AccessToken.find(value), provider.ClientCredentials.find(value)])
    .then(([access, cc]) => (access ?? cc) as unknown as StoredToken | undefined);
}

/** A promise whose rejection is read later, if at all: not an unhandled rejection meanwhile. */
function started<T>(work: Promise<T>): Promise<T> {
  work.catch(() => undefined);
  return work;
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
  const ahead = d.ahead?.token;
  const token = await (ahead?.value === s.value ? ahead.found : findToken(d.provider, s.value));
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

interface Proof {
  payload: Record<string, unknown>;
  jwk: JWK;
}

export const proofPresent = check('dpop_proof_present', (s: AccessTokenInput) => {
  const proof = s.request.dpop;
  return proof ? { proof } : refuse('dpop_missing', 'this token is DPoP-bound: send a DPoP proof');
});

/** The proof's signature with its embedded key, synchronously on node:crypto (src/idp/proofSignature.ts). */
function verifySignature(proof: string, d: AccessTokenCheckDeps): Refusal<AccessTokenErrorReason> | { verifiedProof: Proof } {
  try {
    const verified = verifyProofJws(proof, { algorithms: d.algorithms ?? DEFAULT_ALGS, typ: 'dpop+jwt' });
    return { verifiedProof: { payload: verified.payload, jwk: verified.jwk } };
  } catch (err) {
    const why = err instanceof ProofSignatureError ? err.code : 'unparseable';
    return refuse('dpop_invalid', `the DPoP proof does not verify (${why})`);
  }
}

export const proofSignature = check('dpop_proof_signature', (s: { proof: string }, d) => {
  const ahead = d.ahead?.signature;
  return ahead?.proof === s.proof ? ahead.outcome : verifySignature(s.proof, d);
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

export const proofForRequest = check('dpop_proof_for_request', (s: AccessTokenInput & { value: string; verifiedProof: Proof }) => {
  const { htm, htu, ath } = s.verifiedProof.payload;
  if (htm !== s.request.method.toUpperCase()) return refuse('dpop_mismatch', 'the DPoP proof is for another HTTP method');
  if (!sameHtu(htu, s.request.url)) return refuse('dpop_mismatch', 'the DPoP proof is for another URL');
  if (ath !== createHash('sha256').update(s.value).digest('base64url')) return refuse('dpop_mismatch', 'the DPoP proof is for another access token');
  return undefined;
});

export const proofKeyBound = check('dpop_proof_key_bound', (s: BoundToken & { verifiedProof: Proof }) => {
  const thumbprint = thumbprintOf(s.verifiedProof.jwk);
  return thumbprint === s.token.jkt ? { thumbprint } : refuse('dpop_key_mismatch', 'the DPoP proof is signed with a key the token is not bound to');
});

// One use per proof: a captured request cannot be replayed within the window (the store is shared,
// so this holds across instances).
const replayKey = (thumbprint: string, jti: string) => `dpop:rs:${thumbprint}:${jti}`;
const markUsed = (key: string, d: AccessTokenDeps) => d.store.setIfAbsent(key, '1', 2 * (d.proofWindowSeconds ?? 60) + 1);

export const proofUnused = asyncCheck('dpop_proof_unused', async (s: { thumbprint: string; proofJti: string }, d) => {
  const key = replayKey(s.thumbprint, s.proofJti);
  const ahead = d.ahead?.replay;
  const fresh = await (ahead?.key === key ? ahead.fresh : markUsed(key, d));
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
  lookAhead(request, d);
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

/** The proof's checks that need no stored token, run ahead of the token lookup (lookAhead). */
const proofAhead = Pipeline.of<AccessTokenInput & { value: string }, AccessTokenErrorReason, AccessTokenCheckDeps>()
  .then(proofPresent)
  .then(proofSignature)
  .then(proofClaims)
  .then(proofRecent)
  .then(proofForRequest);

/**
 * Starts the store round trips of a verification at once (see LookAhead): the token lookup, and —
 * when a DPoP proof passes every check that does not need the stored token — its single-use mark.
 * The signature's outcome is kept in `d.ahead`, so the proof is verified once.
 */
function lookAhead(request: ResourceRequest, d: AccessTokenCheckDeps): void {
  const read = authorizationRead.run({ request }, d);
  if (!read || typeof read !== 'object' || !('value' in read)) return;
  const ahead: LookAhead = { token: { value: read.value, found: started(findToken(d.provider, read.value)) } };
  d.ahead = ahead;
  if (read.scheme !== 'dpop' || !request.dpop) return;
  ahead.signature = { proof: request.dpop, outcome: verifySignature(request.dpop, d) };
  const proof = proofAhead.runSync({ request, value: read.value }, d);
  if (proof.ok) {
    const key = replayKey(thumbprintOf(proof.state.verifiedProof.jwk), proof.state.proofJti);
    ahead.replay = { key, fresh: started(markUsed(key, d)) };
  }
}

/** The WWW-Authenticate challenge for a refusal (RFC 9449 §7.1). */
export function challengeFor(err: AccessTokenError, algorithms: string[] = DEFAULT_ALGS): string {
  const error = err.reason.startsWith('dpop_') && err.reason !== 'dpop_missing' && err.reason !== 'dpop_key_mismatch' ? 'invalid_dpop_proof' : 'invalid_token';
  return `DPoP error="${error}", error_description="${err.message.replace(/"/g, "'")}", algs="${algorithms.join(' ')}"`;
}

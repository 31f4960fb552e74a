// Access-token checks for the gateway's own resource endpoints (the admin API, the policy decision
// point): is this a live token issued here, and does the caller prove possession of the key it is
// bound to? oidc-provider does this for /me only, so resource routes get the same rules here
// (RFC 9449 §7 for DPoP; RFC 8705 §3 for certificate-bound tokens), as an ordered list of checks that
// each fail with one reason code. Tokens are opaque and looked up in the store, so a revoked or
// expired token fails at once on every instance.
import { createHash, X509Certificate } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, errors as joseErrors, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { HotStore } from '../store/hotStore.ts';

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

interface StoredToken {
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
  isValid?: boolean;
}

/** Reads `Authorization: DPoP <token>` (or Bearer for certificate-bound tokens). */
function readAuthorization(header: string | undefined): { scheme: 'dpop' | 'bearer'; token: string } {
  if (!header) throw new AccessTokenError('token_missing', 'no access token in the Authorization header');
  const [, scheme, token] = /^(DPoP|Bearer) ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim()) ?? [];
  if (!scheme || !token || token.length > MAX_TOKEN_LENGTH) throw new AccessTokenError('token_malformed', 'the Authorization header is not "DPoP <token>"');
  return { scheme: scheme.toLowerCase() as 'dpop' | 'bearer', token };
}

async function findToken(provider: Provider, value: string): Promise<StoredToken> {
  const token = ((await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value))) as unknown as StoredToken | undefined;
  if (!token || token.isValid === false) throw new AccessTokenError('token_inactive', 'the access token is not active');
  return token;
}

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

// Imported proof keys by (alg, JWK): a client proves with the same key for the life of its token, and
// importing the key is a good part of a proof's verification cost (issue 4, the PDP's throughput).
// EmbeddedJWK's checks depend only on these two, so a cached answer is the same answer.
const proofKeys = new Map<string, Promise<CryptoKey>>();
const PROOF_KEY_CACHE = 10_000;
/** Makes room in a cache full at PROOF_KEY_CACHE by dropping its oldest entry (a Map keeps insertion order). */
function makeRoom(cache: Map<string, unknown>): void {
  if (cache.size < PROOF_KEY_CACHE) return;
  const oldest = cache.keys().next();
  if (!oldest.done) cache.delete(oldest.value);
}
const embeddedKey: typeof EmbeddedJWK = (header, token) => {
  const id = `${String(header?.alg)}|${JSON.stringify(header?.jwk ?? null)}`;
  let key = proofKeys.get(id);
  if (!key) {
    key = EmbeddedJWK(header, token) as Promise<CryptoKey>;
    key.catch(() => proofKeys.delete(id));
    makeRoom(proofKeys);
    proofKeys.set(id, key);
  }
  return key;
};

// Thumbprints of proof keys, for the same reason: a client's every proof carries the same JWK.
const thumbprints = new Map<string, Promise<string>>();
function thumbprintOf(jwk: JWK): Promise<string> {
  const id = JSON.stringify(jwk);
  let thumbprint = thumbprints.get(id);
  if (!thumbprint) {
    thumbprint = calculateJwkThumbprint(jwk);
    thumbprint.catch(() => thumbprints.delete(id));
    makeRoom(thumbprints);
    thumbprints.set(id, thumbprint);
  }
  return thumbprint;
}

async function checkDpop(request: ResourceRequest, token: StoredToken, value: string, deps: AccessTokenDeps): Promise<void> {
  const proof = request.dpop;
  if (!proof) throw new AccessTokenError('dpop_missing', 'this token is DPoP-bound: send a DPoP proof');
  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(proof, embeddedKey, { algorithms: deps.algorithms ?? DEFAULT_ALGS, typ: 'dpop+jwt' });
    payload = verified.payload as Record<string, unknown>;
    jwk = verified.protectedHeader.jwk as JWK;
  } catch (err) {
    const why = err instanceof joseErrors.JOSEError ? err.code : 'unparseable';
    throw new AccessTokenError('dpop_invalid', `the DPoP proof does not verify (${why})`);
  }
  if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) throw new AccessTokenError('dpop_invalid', 'the DPoP proof has no jti');
  if (typeof payload.iat !== 'number') throw new AccessTokenError('dpop_invalid', 'the DPoP proof has no iat');
  const window = deps.proofWindowSeconds ?? 60;
  const now = Math.floor(deps.clock.now() / 1000);
  if (Math.abs(now - payload.iat) > window) throw new AccessTokenError('dpop_stale', 'the DPoP proof is not recent');
  if (payload.htm !== request.method.toUpperCase()) throw new AccessTokenError('dpop_mismatch', 'the DPoP proof is for another HTTP method');
  if (!sameHtu(payload.htu, request.url)) throw new AccessTokenError('dpop_mismatch', 'the DPoP proof is for another URL');
  const ath = createHash('sha256').update(value).digest('base64url');
  if (payload.ath !== ath) throw new AccessTokenError('dpop_mismatch', 'the DPoP proof is for another access token');
  const thumbprint = await thumbprintOf(jwk);
  if (thumbprint !== token.jkt) throw new AccessTokenError('dpop_key_mismatch', 'the DPoP proof is signed with a key the token is not bound to');
  // One use per proof: a captured request cannot be replayed within the window (the store is shared,
  // so this holds across instances).
  const fresh = await deps.store.setIfAbsent(`dpop:rs:${thumbprint}:${payload.jti}`, '1', 2 * window + 1);
  if (!fresh) throw new AccessTokenError('dpop_replayed', 'the DPoP proof was used before');
}

function checkCertificate(request: ResourceRequest, token: StoredToken): void {
  if (!request.clientCertificate) throw new AccessTokenError('certificate_missing', 'this token is bound to a client certificate: present it');
  let thumbprint: string;
  try {
    const cert = new X509Certificate(request.clientCertificate);
    thumbprint = createHash('sha256').update(cert.raw).digest('base64url');
  } catch {
    throw new AccessTokenError('certificate_missing', 'the client certificate cannot be read');
  }
  if (thumbprint !== token['x5t#S256']) throw new AccessTokenError('certificate_mismatch', 'the token is bound to another certificate');
}

/**
 * Checks, in order: a token is present and well-formed; it is active in the store; it is
 * sender-constrained (a bearer-only token is refused: FAPI 2.0 §5.3.2.1); the proof of possession
 * (DPoP proof or client certificate) matches it. Throws AccessTokenError with the first failing reason.
 */
export async function verifyAccessToken(provider: Provider, request: ResourceRequest, deps: AccessTokenDeps): Promise<VerifiedAccessToken> {
  const { scheme, token: value } = readAuthorization(request.authorization);
  const token = await findToken(provider, value);
  if (token.jkt) {
    if (scheme !== 'dpop') throw new AccessTokenError('dpop_missing', 'this token is DPoP-bound: use the DPoP authorization scheme');
    await checkDpop(request, token, value, deps);
  } else if (token['x5t#S256']) {
    checkCertificate(request, token);
  } else {
    throw new AccessTokenError('unbound_token', 'the gateway accepts only sender-constrained tokens');
  }
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
    value,
  };
}

/** The WWW-Authenticate challenge for a refusal (RFC 9449 §7.1). */
export function challengeFor(err: AccessTokenError, algorithms: string[] = DEFAULT_ALGS): string {
  const error = err.reason.startsWith('dpop_') && err.reason !== 'dpop_missing' && err.reason !== 'dpop_key_mismatch' ? 'invalid_dpop_proof' : 'invalid_token';
  return `DPoP error="${error}", error_description="${err.message.replace(/"/g, "'")}", algs="${algorithms.join(' ')}"`;
}

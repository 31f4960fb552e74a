// The decision assertion: what an upstream data API is told about a permit, signed by the gateway so
// that nothing else can say it. A compact JWS (typ `decision+jwt`) bound to the one HTTP request it
// permits — method, path and canonical query — and to the target (controller, data set, action, the
// citizen's pseudonym), the product and its client_id, the decision id (`jti`), valid for a few
// seconds, addressed (`aud`) to the data API. The built-in PEP sends it in the `Gateway-Decision`
// header; /pdp/v1/auth-request returns it in the same header for nginx/Envoy to pass on.
//
// Signed with the gateway's own signing key, the one oidc-provider publishes at /jwks (the first ES256
// key, else the first key of the JWKS): an upstream needs no key of its own to trust the gateway, only
// the JWKS it already can fetch, and a key rotation of the JWKS rotates this too (`kid` in the header).
// Explicit typing (RFC 8725 §3.11) keeps it apart from the ID tokens signed with the same key: a
// verifier demands typ `decision+jwt`, which no ID token or JWT access token carries, and an ID token
// verifier demands an `aud` of a client, which this never carries.
//
// Signing is synchronous node:crypto on a KeyObject made once: the decision path is hot, and an ES256
// signature with a cached key costs tens of microseconds, without jose's per-call key import and promise.
import { createLocalJWKSet, jwtVerify, errors, type JWK, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock.ts';
import { asKeySet, preferredSigningKey } from '../idp/keys.ts';
import { asBuffer, type Signer, type SigningKeySet } from '../idp/keys/signer.ts';
import type { Permit } from './pdp.ts';
import { canonicalQuery } from './routeTable.ts';

export const DECISION_ASSERTION_TYPE = 'decision+jwt';
/** The request header an upstream reads the assertion from (the auth-request answer carries it too). */
export const DECISION_ASSERTION_HEADER = 'gateway-decision';

/** The request a permit is for, as the upstream will receive it. */
export interface PermittedRequest {
  method: string;
  /** The path as sent on the request line (not decoded). */
  path: string;
  /** The query, raw or canonical (it is canonicalised here). */
  query: string;
  /** The data API's identity (`aud`). */
  audience: string;
}

export interface DecisionAssertionClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  /** The decision id: the decision audit's record, and the PDP answer's `decisionId`. */
  jti: string;
  method: string;
  path: string;
  /** canonicalQuery() of the request's query; '' when there is none. */
  query: string;
  controller: string;
  dataset: string;
  action: string;
  /** The gateway's pseudonym of the citizen (never the personnummer). */
  citizen_pseudonym: string;
  /** The product's registry id. */
  product: string;
  client_id: string;
  /**
   * True for a citizen with protected identity, or one the population register could not vouch for:
   * the data API must not release their address or contact (docs/security-model.md, "Protected identity").
   */
  protected_identity: boolean;
}

/** The key that signs decisions: the gateway's preferred signing key (src/idp/keys.ts). */
export const assertionKey = preferredSigningKey;

const b64url = (text: string) => Buffer.from(text).toString('base64url');

export class DecisionSigner {
  readonly #keys: SigningKeySet;
  /** The encoded header of the signer last used: made again only when a rotation changes the key. */
  #header: { signer: Signer; encoded: string } | undefined;
  readonly #issuer: string;
  readonly #lifetimeSeconds: number;
  readonly #clock: Clock;

  /** `jwks`: the gateway's key set (its active key signs), or a private JWKS (its preferred key signs). */
  constructor(o: { jwks: { keys: JWK[] } | SigningKeySet; issuer: string; lifetimeSeconds: number; clock: Clock }) {
    this.#keys = asKeySet(o.jwks);
    this.#issuer = o.issuer;
    this.#lifetimeSeconds = o.lifetimeSeconds;
    this.#clock = o.clock;
  }

  /** The claims of the assertion for a permit and the request it permits. */
  claims(permit: Permit, request: PermittedRequest): DecisionAssertionClaims {
    const iat = Math.floor(this.#clock.now() / 1000);
    const o = permit.obligations;
    return {
      iss: this.#issuer,
      aud: request.audience,
      iat,
      exp: iat + this.#lifetimeSeconds,
      jti: permit.id,
      method: request.method.toUpperCase(),
      path: request.path,
      query: canonicalQuery(request.query),
      controller: o.controller,
      dataset: o.dataset,
      action: o.action,
      citizen_pseudonym: o.citizenPseudonym,
      product: o.product,
      client_id: o.clientId,
      // Only a register's "not protected" clears it; a permit that does not say counts as protected.
      protected_identity: o.protectedIdentity !== false,
      // Someone acting for the citizen (RFC 8693 §4.1 style): the data API sees who, and by what relation.
      ...(o.actor ? { act: { pseudonym: o.actor.pseudonym, relation: o.actor.relation } } : {}),
    };
  }

  sign(permit: Permit, request: PermittedRequest): string {
    const signer = this.#keys.active();
    if (this.#header?.signer !== signer) {
      this.#header = { signer, encoded: b64url(JSON.stringify({ alg: signer.alg, kid: signer.kid, typ: DECISION_ASSERTION_TYPE })) };
    }
    const input = `${this.#header.encoded}.${b64url(JSON.stringify(this.claims(permit, request)))}`;
    return `${input}.${asBuffer(signer.sign(Buffer.from(input))).toString('base64url')}`;
  }
}

/** Why an upstream refuses a request: no assertion, a bad one, or one for another request or API. */
export type AssertionProblem = 'assertion_missing' | 'assertion_invalid' | 'assertion_expired' | 'assertion_mismatch' | 'assertion_replayed';

export class AssertionRefused extends Error {
  readonly problem: AssertionProblem;
  constructor(problem: AssertionProblem, detail: string) {
    super(detail);
    this.problem = problem;
  }
}

export interface ReceivedRequest {
  method: string;
  /** The path as received on the request line (not decoded). */
  path: string;
  /** The raw query as received (without `?`). */
  query: string;
}

/**
 * How an upstream verifies the assertion — the reference the sandbox's data APIs use. Signature against
 * the gateway's JWKS (here a local copy; a real data API uses createRemoteJWKSet on `<issuer>/jwks`),
 * typ, iss, aud, exp; then the request it arrived with must be the request it was issued for. The
 * claims are returned so the API serves exactly the controller and data set they name.
 */
export class DecisionVerifier {
  readonly #keys: JWTVerifyGetKey;
  readonly #issuer: string;
  readonly #audience: string;
  readonly #clock: Clock;
  /** jti -> exp (ms): an assertion is used once; kept only until it would have expired anyway. */
  readonly #used = new Map<string, number>();

  constructor(o: { jwks: JSONWebKeySet | JWTVerifyGetKey; issuer: string; audience: string; clock: Clock }) {
    this.#keys = typeof o.jwks === 'function' ? o.jwks : createLocalJWKSet(o.jwks);
    this.#issuer = o.issuer;
    this.#audience = o.audience;
    this.#clock = o.clock;
  }

  async verify(token: string | undefined, request: ReceivedRequest): Promise<DecisionAssertionClaims> {
    if (!token) throw new AssertionRefused('assertion_missing', `no ${DECISION_ASSERTION_HEADER} header: only the gateway's enforcement point may call this API`);
    let claims: DecisionAssertionClaims;
    try {
      const verified = await jwtVerify<DecisionAssertionClaims>(token, this.#keys, {
        typ: DECISION_ASSERTION_TYPE,
        issuer: this.#issuer,
        audience: this.#audience,
        algorithms: ['ES256', 'PS256', 'EdDSA'],
        currentDate: new Date(this.#clock.now()),
        requiredClaims: ['iat', 'exp', 'jti'],
        // A few seconds' validity: a longer-lived assertion is not one the gateway issues.
        maxTokenAge: '60s',
      });
      claims = verified.payload as DecisionAssertionClaims;
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AssertionRefused('assertion_expired', 'the decision assertion has expired');
      throw new AssertionRefused('assertion_invalid', `the decision assertion does not verify (${(err as { code?: string }).code ?? 'malformed'})`);
    }
    const mismatch = (['method', 'path', 'query'] as const).find((k) => {
      const received = k === 'method' ? request.method.toUpperCase() : k === 'query' ? canonicalQuery(request.query) : request.path;
      return claims[k] !== received;
    });
    if (mismatch) throw new AssertionRefused('assertion_mismatch', `the decision assertion was issued for another request (${mismatch})`);
    const now = this.#clock.now();
    for (const [jti, exp] of this.#used) {
      if (exp > now) break;
      this.#used.delete(jti);
    }
    if (this.#used.has(claims.jti)) throw new AssertionRefused('assertion_replayed', 'the decision assertion has been used already');
    this.#used.set(claims.jti, claims.exp * 1000);
    return claims;
  }
}

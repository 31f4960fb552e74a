// The shared session's reuse decision (issue 11 item 1): may the browser's existing gateway session
// sign the person in to this product without a new sign-in? One pipeline on the decision primitive,
// run by oidc-provider's login prompt (src/idp/provider.ts) for every authorization request. The
// session is oidc-provider's own Session in the hot store (Redis in production), so every instance and
// every product sees the same one; what this adds is that a session knows whom it is for.
//
// A session is reused only when
//   - its e-ID method has the audience the product serves: a staff method (SITHS card, SITHS IdP) never
//     signs anyone in to a citizen product, nor a citizen method to a staff product; a product that
//     allows both (the sandbox's demo app) reuses a session only where the person already chose it
//     for that product, or a jump ticket vouches for it — never silently across audiences;
//   - the method is one the product allows;
//   - its level meets what the request needs (acr_values, never below the product's minimum);
//   - it is younger than the request's max_age.
// Otherwise the person signs in again with a method the product allows. Under prompt=none the refusal
// is the OIDC Core error: login_required where a new sign-in is needed, interaction_required where
// only a confirmation is (the mixed-audience case).
import { checksFor, Pipeline, refuse, type Verdict } from '../../decision.ts';
import type { Config } from '../../config.ts';
import { loaRank, neededLoa } from '../loa.ts';

export const SESSION_REUSE_REASONS = [
  'no_session',
  'jump_refused',
  'max_age_exceeded',
  'method_unknown',
  'wrong_audience',
  'audience_unconfirmed',
  'method_not_allowed',
  'level_too_low',
] as const;
export type SessionReuseReason = (typeof SESSION_REUSE_REASONS)[number];

export type Audience = 'citizen' | 'staff';
export type Providers = Config['loa']['providers'];

/** What the session holds, as oidc-provider keeps it. */
export interface SessionFacts {
  accountId?: string | undefined;
  acr?: string | undefined;
  amr?: string[] | undefined;
  /** Seconds since the epoch of the sign-in (oidc-provider's loginTs). */
  loginTs?: number | undefined;
  /** The clients the session has signed in to (oidc-provider's session.authorizations). */
  clients: readonly string[];
}

/** What the request asks for, and who asks. */
export interface ReuseRequest {
  clientId: string;
  /** The upstreams (loa.providers keys) the product allows. */
  authnMethods: readonly string[];
  minimumAcr?: string | undefined;
  acrValues?: string | undefined;
  /** max_age in seconds, when the request gave one. */
  maxAge?: number | undefined;
  /** Seconds since the epoch, from the one clock. */
  now: number;
}

/**
 * A jump ticket's word on this request (issue 11 item 3; made by the jump module): `accepted` when a
 * valid ticket bound to this session, source and target came with the request, `refused` when one
 * came and did not hold. No ticket: undefined.
 */
export type JumpVerdict = { accepted: true } | { accepted: false; reason: string };

export interface ReuseInput {
  session: SessionFacts;
  request: ReuseRequest;
  jump?: JumpVerdict | undefined;
}

export interface ReuseContext {
  providers: Providers;
}

const { check } = checksFor<SessionReuseReason, ReuseContext>();

/**
 * The clients a session has really signed in to: those holding a grant in oidc-provider's
 * session.authorizations. (Merely asking oidc-provider for a client's grant id adds an empty entry.)
 */
export function signedInClients(authorizations: Record<string, unknown> | undefined): string[] {
  return Object.entries(authorizations ?? {})
    .filter(([, a]) => typeof a === 'object' && a !== null && typeof (a as { grantId?: unknown }).grantId === 'string')
    .map(([id]) => id);
}

/** The audiences a product serves: those of the methods it allows. */
export function productAudiences(authnMethods: readonly string[], providers: Providers): Set<Audience> {
  return new Set(authnMethods.flatMap((m) => {
    const entry = providers[m];
    return entry ? [entry.audience] : [];
  }));
}

/** The upstream (loa.providers key) a session's amr names; amr values are the providers' own. */
export function upstreamOf(amr: readonly string[] | undefined, providers: Providers): string | undefined {
  const method = amr?.[0];
  if (!method || amr.length !== 1) return undefined;
  return Object.entries(providers).find(([, p]) => p.amr === method)?.[0];
}

export const sessionExists = check('session_exists', (s: ReuseInput) => {
  const { accountId, amr } = s.session;
  return accountId && amr?.length ? { accountId } : 'no_session';
});

/** A jump ticket that did not hold refuses; one that held lets a mixed-audience product reuse the session. */
export const jumpTicket = check('jump_ticket', (s: ReuseInput) => {
  if (!s.jump) return { jumped: false };
  return s.jump.accepted ? { jumped: true } : refuse('jump_refused', s.jump.reason);
});

export const freshEnough = check('fresh_enough', (s: ReuseInput) => {
  const { maxAge, now } = s.request;
  if (maxAge === undefined) return undefined;
  const loginTs = s.session.loginTs;
  return loginTs !== undefined && now - loginTs <= maxAge ? undefined : 'max_age_exceeded';
});

export const methodKnown = check('method_known', (s: ReuseInput, ctx) => {
  const upstream = upstreamOf(s.session.amr, ctx.providers);
  const entry = upstream ? ctx.providers[upstream] : undefined;
  return upstream && entry ? { upstream, sessionAudience: entry.audience as Audience } : 'method_unknown';
});

export const audienceMatches = check('audience_matches', (s: ReuseInput & { upstream: string; sessionAudience: Audience; jumped: boolean }, ctx) => {
  const audiences = productAudiences(s.request.authnMethods, ctx.providers);
  if (!audiences.has(s.sessionAudience)) return refuse('wrong_audience', `${s.sessionAudience} session, ${[...audiences].join('+') || 'no'} product`);
  // A product for both citizens and staff: the session is reused only where the person already used
  // it for this product (or a jump ticket vouches for it), never carried over from another product.
  if (audiences.size > 1 && !s.jumped && !s.session.clients.includes(s.request.clientId)) return refuse('audience_unconfirmed', s.sessionAudience);
  return undefined;
});

export const methodAllowed = check('method_allowed', (s: ReuseInput & { upstream: string }) =>
  (s.request.authnMethods.includes(s.upstream) ? undefined : refuse('method_not_allowed', s.upstream)));

export const levelSufficient = check('level_sufficient', (s: ReuseInput) => {
  const needed = neededLoa(s.request.acrValues, s.request.minimumAcr);
  return loaRank(s.session.acr) >= needed ? undefined : 'level_too_low';
});

export const sessionReuse = Pipeline.of<ReuseInput, SessionReuseReason, ReuseContext>()
  .then(sessionExists)
  .then(jumpTicket)
  .then(freshEnough)
  .then(methodKnown)
  .then(audienceMatches)
  .then(methodAllowed)
  .then(levelSufficient);

/** Names of the reuse checks, in the order they run (for documentation and tests). */
export const SESSION_REUSE_CHECKS = sessionReuse.names;

export type ReuseVerdict = Verdict<ReuseInput, SessionReuseReason>;

export function decideReuse(input: ReuseInput, ctx: ReuseContext): ReuseVerdict {
  return sessionReuse.runSync(input, ctx);
}

/**
 * The OIDC Core §3.1.2.6 error a refusal answers under prompt=none: a confirmation is interaction,
 * everything else needs a new sign-in.
 */
export function promptNoneError(reason: SessionReuseReason): 'login_required' | 'interaction_required' {
  return reason === 'audience_unconfirmed' ? 'interaction_required' : 'login_required';
}

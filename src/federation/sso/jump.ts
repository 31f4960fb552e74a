// The jump decision (docs/sso.md, "Jumps"; docs/domain.md rule 4): may the citizen signed in at the
// source product move to the target product without signing in again? Only where the target is a
// product the gate lets through now, the deep link is one it registered, the session is for its kind
// of user and at its level, and every controller that approved it trusts the session's e-ID and level
// for jumps (its jump policy). A pipeline of the decision primitive (JUMP_CHECKS); every refusal has
// a reason code the citizen's page puts in words.
import { checksFor, Pipeline, refuse } from '../../decision.ts';
import type { Config } from '../../config.ts';
import type { Product, JumpPolicy } from '../../whitelist/model.ts';
import type { GateResult } from '../../whitelist/tokenGate.ts';
import { loaRank } from '../loa.ts';

export const JUMP_REASONS = [
  'no_session', 'source_refused', 'target_refused', 'target_no_jump_entry', 'same_product', 'deep_link_invalid',
  'deep_link_not_registered', 'wrong_audience', 'method_not_allowed', 'step_up_required', 'no_jump_policy', 'upstream_not_accepted',
  'level_below_policy',
] as const;
export type JumpReason = (typeof JUMP_REASONS)[number];

/** The gateway session the source's token was issued in, as the jump needs it. */
export interface JumpSession {
  uid: string;
  accountId: string;
  acr: string;
  amr: string[];
  loginTs: number;
}

export interface JumpInput {
  /** The verified caller: the source product's client and, for a person's token, its account and session. */
  caller: { clientId: string; accountId?: string | undefined; sessionUid?: string | undefined };
  /** The target's client_id. */
  target: string;
  deepLink: string;
}

export interface JumpDeps {
  /** The token gate's answer for a client id (the same run for the whole request). */
  gate(clientId: string): Promise<GateResult>;
  /** The live gateway session by uid, or undefined (ended, expired). */
  session(uid: string): Promise<Omit<JumpSession, 'uid'> | undefined>;
  /** Jump policies by controller id, from the same registry snapshot as the gate. */
  jumpPolicies(): Promise<ReadonlyMap<string, JumpPolicy>>;
  providers: Config['loa']['providers'];
}

const { check, asyncCheck } = checksFor<JumpReason, JumpDeps>();

/** The upstream (loa.providers key) a session was made with, from its amr. */
export function upstreamOf(providers: Config['loa']['providers'], amr: readonly string[]): string | undefined {
  const method = amr[0];
  if (!method) return undefined;
  return Object.entries(providers).find(([, p]) => p.amr === method)?.[0];
}

/** A person's token from a live session of the same person: a client-credentials token cannot jump. */
export const sourceSession = asyncCheck('source_session', async (s: JumpInput, d) => {
  const { accountId, sessionUid } = s.caller;
  if (!accountId || !sessionUid) return refuse('no_session', 'the token was not issued in a citizen\'s sign-in');
  const found = await d.session(sessionUid);
  if (!found || found.accountId !== accountId || !found.acr || !found.amr.length) return refuse('no_session', 'the sign-in the token was issued in has ended');
  const upstream = upstreamOf(d.providers, found.amr);
  if (!upstream) return refuse('no_session', 'the session was made with no configured upstream');
  return { session: { uid: sessionUid, ...found }, upstream };
});

export const sourcePassesGate = asyncCheck('source_passes_gate', async (s: JumpInput, d) => {
  const result = await d.gate(s.caller.clientId);
  return result.ok ? { sourceProduct: result.product } : refuse('source_refused', `the source product is refused by the token gate (${result.reason})`);
});

/** The target is a product the gate lets through now; its live controllers are the ones asked. */
export const targetPassesGate = asyncCheck('target_passes_gate', async (s: JumpInput, d) => {
  const result = await d.gate(s.target);
  if (!result.ok) return refuse('target_refused', `the target product is refused by the token gate (${result.reason})`);
  const controllers = [...new Set(result.live.approvals.map((a) => a.controllerId))].sort();
  return { targetProduct: result.product, controllersAsked: controllers };
});

export const notSameProduct = check('not_same_product', (s: { sourceProduct: Product; targetProduct: Product }) =>
  (s.sourceProduct.id === s.targetProduct.id ? refuse('same_product', 'a product does not jump to itself') : undefined));

export const targetTakesJumps = check('target_takes_jumps', (s: { targetProduct: Product }) => {
  const entry = s.targetProduct.client.initiateLoginUri;
  return entry ? { jumpEntry: entry } : refuse('target_no_jump_entry', 'the target registered no jump entry (initiateLoginUri)');
});

/**
 * The deep link is an absolute https (sandbox: the registered http loopback) URL with no credentials
 * and no fragment, and it is one of the target's jump URIs: equal to one, or under a registered
 * prefix ("https://app.example.se/booking/*") on the same origin. Compared as parsed URLs, so
 * "https://app.example.se@evil.example/" or "/../" tricks do not match.
 */
export function deepLinkMatches(deepLink: string, registered: readonly string[]): 'ok' | 'invalid' | 'not_registered' {
  if (deepLink.length > 2000 || deepLink.includes('#') || /[\s\\]/.test(deepLink)) return 'invalid';
  const url = URL.parse(deepLink);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return 'invalid';
  const href = url.href;
  for (const entry of registered) {
    const prefix = entry.endsWith('*');
    const base = URL.parse(prefix ? entry.slice(0, -1) : entry);
    if (!base) continue;
    if (!prefix && href === base.href) return 'ok';
    if (prefix && url.origin === base.origin && href.startsWith(base.href)) return 'ok';
  }
  return 'not_registered';
}

export const deepLinkRegistered = check('deep_link_registered', (s: JumpInput & { targetProduct: Product }) => {
  const answer = deepLinkMatches(s.deepLink, s.targetProduct.client.jumpUris ?? []);
  if (answer === 'invalid') return refuse('deep_link_invalid', 'the deep link is not an absolute http(s) URL without credentials and fragment');
  if (answer === 'not_registered') return refuse('deep_link_not_registered', 'the deep link is not among the target\'s jump URIs');
  return undefined;
});

/** A staff session never signs anyone into a citizen product, nor the reverse. */
export const audienceMatches = check('audience_matches', (s: { upstream: string; targetProduct: Product }, d) => {
  const audience = d.providers[s.upstream]?.audience;
  const targets = new Set(s.targetProduct.authnMethods.map((m) => d.providers[m]?.audience));
  return audience && targets.has(audience) ? undefined : refuse('wrong_audience', `a ${audience ?? 'unknown'} session cannot sign in to this product`);
});

/** A jump reuses the session, so the target's own rule holds too: it allows the session's e-ID. */
export const targetAllowsMethod = check('target_allows_method', (s: { upstream: string; targetProduct: Product }) =>
  (s.targetProduct.authnMethods.includes(s.upstream) ? undefined : refuse('method_not_allowed', `the target does not allow ${s.upstream} sign-in`)));

export const levelMeetsTarget = check('level_meets_target', (s: { session: JumpSession; targetProduct: Product }) =>
  (loaRank(s.session.acr) >= loaRank(s.targetProduct.minimumAcr) ? undefined : refuse('step_up_required', 'the session\'s level is below the target\'s minimum')));

/** Every controller behind the target trusts the session's e-ID and level for jumps; none without a policy. */
export const controllersAccept = asyncCheck('controllers_accept_session', async (s: { session: JumpSession; upstream: string; controllersAsked: string[] }, d) => {
  const policies = await d.jumpPolicies();
  for (const controllerId of s.controllersAsked) {
    const policy = policies.get(controllerId);
    const facts = { refusedBy: controllerId };
    if (!policy) return refuse('no_jump_policy', `${controllerId} has no jump policy`, facts);
    if (!policy.acceptedUpstreams.includes(s.upstream)) return refuse('upstream_not_accepted', `${controllerId} does not accept ${s.upstream} sessions for jumps`, facts);
    if (loaRank(s.session.acr) < loaRank(policy.minimumAcr)) return refuse('level_below_policy', `${controllerId} needs a higher level for jumps`, facts);
  }
  return undefined;
});

export const jumpChecks = Pipeline.of<JumpInput, JumpReason, JumpDeps>()
  .then(sourceSession)
  .then(sourcePassesGate)
  .then(targetPassesGate)
  .then(notSameProduct)
  .then(targetTakesJumps)
  .then(deepLinkRegistered)
  .then(audienceMatches)
  .then(targetAllowsMethod)
  .then(levelMeetsTarget)
  .then(controllersAccept);

export const JUMP_CHECKS = jumpChecks.names;

/**
 * What a refused citizen may sign in with at the target instead: the target's own methods that every
 * controller asked accepts for jumps, at the highest of the levels they and the target need. Empty when
 * nothing fits (the refusal page then offers the target's ordinary sign-in).
 */
export function acceptedInstead(target: Product, controllers: readonly string[], policies: ReadonlyMap<string, JumpPolicy>, providers: Config['loa']['providers']): { upstreams: string[]; minimumAcr: string | undefined } {
  let minimumAcr = target.minimumAcr;
  let upstreams = target.authnMethods.filter((m) => providers[m]);
  for (const id of controllers) {
    const policy = policies.get(id);
    if (!policy) continue;
    upstreams = upstreams.filter((m) => policy.acceptedUpstreams.includes(m));
    if (loaRank(policy.minimumAcr) > loaRank(minimumAcr)) minimumAcr = policy.minimumAcr;
  }
  const rank = loaRank(minimumAcr);
  return { upstreams: upstreams.filter((m) => loaRank(providers[m]?.acr) >= rank), minimumAcr };
}

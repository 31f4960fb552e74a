// Each session reuse check on its own (src/federation/sso/session.ts), the pipeline's order, and the
// OIDC Core error each refusal answers under prompt=none.
import test from 'ava';
import { Pipeline } from '../../../src/decision.ts';
import { loadConfig } from '../../../src/config.ts';
import { LOA } from '../../../src/idp/claims.ts';
import {
  SESSION_REUSE_CHECKS, SESSION_REUSE_REASONS, sessionReuse, decideReuse, promptNoneError, productAudiences, upstreamOf, signedInClients,
  sessionExists, jumpTicket, freshEnough, methodKnown, audienceMatches, methodAllowed, levelSufficient,
  type ReuseInput, type SessionReuseReason,
} from '../../../src/federation/sso/session.ts';

const providers = loadConfig({ env: {}, overrides: {} }).loa.providers;
const ctx = { providers };
const NOW = 1_800_000_000;

const input = (over: { session?: Partial<ReuseInput['session']>; request?: Partial<ReuseInput['request']>; jump?: ReuseInput['jump'] } = {}): ReuseInput => ({
  session: { accountId: 'acc', acr: LOA.loa3, amr: ['bankid'], loginTs: NOW - 60, clients: ['other-app'], ...over.session },
  request: { clientId: 'citizen-app', authnMethods: ['bankid', 'freja'], now: NOW, ...over.request },
  ...(over.jump ? { jump: over.jump } : {}),
});

const refusal = (verdict: ReturnType<typeof decideReuse>) => (verdict.ok ? undefined : { check: verdict.check, reason: verdict.reason });

test('the checks run in this order, each exported, every reason listed once', (t) => {
  t.deepEqual(SESSION_REUSE_CHECKS, ['session_exists', 'jump_ticket', 'fresh_enough', 'method_known', 'audience_matches', 'method_allowed', 'level_sufficient']);
  t.deepEqual([sessionExists, jumpTicket, freshEnough, methodKnown, audienceMatches, methodAllowed, levelSufficient].map((c) => c.name), sessionReuse.names);
  t.is(new Set(SESSION_REUSE_REASONS).size, SESSION_REUSE_REASONS.length);
});

test('a citizen BankID session at loa3 is reused for another citizen product', (t) => {
  t.true(decideReuse(input(), ctx).ok);
});

test('session_exists: no account or no method is no session', (t) => {
  t.like(refusal(decideReuse(input({ session: { accountId: undefined } }), ctx)), { check: 'session_exists', reason: 'no_session' });
  t.like(refusal(decideReuse(input({ session: { amr: [] } }), ctx)), { reason: 'no_session' });
});

test('jump_ticket: a ticket that did not hold refuses; one that held lets a mixed product reuse the session', (t) => {
  t.like(refusal(decideReuse(input({ jump: { accepted: false, reason: 'ticket_replayed' } }), ctx)), { check: 'jump_ticket', reason: 'jump_refused' });
  const mixed = { authnMethods: ['bankid', 'siths-saml'] };
  t.like(refusal(decideReuse(input({ request: mixed }), ctx)), { reason: 'audience_unconfirmed' });
  t.true(decideReuse(input({ request: mixed, jump: { accepted: true } }), ctx).ok);
});

test('fresh_enough: max_age against the sign-in time', (t) => {
  t.true(decideReuse(input({ request: { maxAge: 60 } }), ctx).ok);
  t.like(refusal(decideReuse(input({ request: { maxAge: 59 } }), ctx)), { check: 'fresh_enough', reason: 'max_age_exceeded' });
  t.like(refusal(decideReuse(input({ request: { maxAge: 3600 }, session: { loginTs: undefined } }), ctx)), { reason: 'max_age_exceeded' });
});

test('method_known: an amr no upstream names, or several, is refused', (t) => {
  t.like(refusal(decideReuse(input({ session: { amr: ['pwd'] } }), ctx)), { check: 'method_known', reason: 'method_unknown' });
  t.like(refusal(decideReuse(input({ session: { amr: ['bankid', 'freja'] } }), ctx)), { reason: 'method_unknown' });
});

test('audience_matches: staff sessions never reach citizen products, nor citizen sessions staff products', (t) => {
  for (const staff of ['siths-saml', 'siths-card']) {
    t.like(refusal(decideReuse(input({ session: { amr: [staff] }, request: { authnMethods: ['bankid', 'freja', 'portal-saml'] } }), ctx)), { check: 'audience_matches', reason: 'wrong_audience' }, staff);
  }
  t.like(refusal(decideReuse(input({ request: { clientId: 'staff-app', authnMethods: ['siths-saml', 'siths-card'] } }), ctx)), { reason: 'wrong_audience' });
  t.true(decideReuse(input({ session: { amr: ['siths-card'] }, request: { authnMethods: ['siths-saml', 'siths-card'] } }), ctx).ok, 'staff to staff');
});

test('audience_matches: a product for both reuses only a session already used for it', (t) => {
  const mixed = { clientId: 'demo', authnMethods: ['bankid', 'siths-saml'] };
  t.like(refusal(decideReuse(input({ request: mixed }), ctx)), { check: 'audience_matches', reason: 'audience_unconfirmed' });
  t.true(decideReuse(input({ request: mixed, session: { clients: ['demo'] } }), ctx).ok);
  t.like(refusal(decideReuse(input({ request: mixed, session: { amr: ['siths-saml'] } }), ctx)), { reason: 'audience_unconfirmed' }, 'staff into a mixed product: the same');
});

test('method_allowed: the session\'s method must be one the product allows', (t) => {
  t.like(refusal(decideReuse(input({ request: { authnMethods: ['freja'] } }), ctx)), { check: 'method_allowed', reason: 'method_not_allowed' });
});

test('level_sufficient: acr_values and the product minimum', (t) => {
  t.like(refusal(decideReuse(input({ request: { acrValues: LOA.loa4 } }), ctx)), { check: 'level_sufficient', reason: 'level_too_low' });
  t.like(refusal(decideReuse(input({ request: { minimumAcr: LOA.loa4 } }), ctx)), { reason: 'level_too_low' });
  t.true(decideReuse(input({ request: { acrValues: `${LOA.loa2} ${LOA.loa4}` } }), ctx).ok, 'the lowest requested level decides');
  t.like(refusal(decideReuse(input({ session: { acr: LOA.loa2, amr: ['freja'] }, request: { acrValues: LOA.loa3 } }), ctx)), { reason: 'level_too_low' }, 'Freja EXTENDED (loa2) for a loa3 request');
});

test('prompt=none: a confirmation is interaction_required, everything else login_required', (t) => {
  const expected: Record<SessionReuseReason, 'login_required' | 'interaction_required'> = {
    no_session: 'login_required', jump_refused: 'login_required', max_age_exceeded: 'login_required', method_unknown: 'login_required',
    wrong_audience: 'login_required', audience_unconfirmed: 'interaction_required', method_not_allowed: 'login_required', level_too_low: 'login_required',
  };
  for (const reason of SESSION_REUSE_REASONS) t.is(promptNoneError(reason), expected[reason], reason);
});

test('helpers: audiences of a product, the upstream of an amr, clients that hold a grant', (t) => {
  t.deepEqual([...productAudiences(['bankid', 'siths-card', 'nope'], providers)].sort(), ['citizen', 'staff']);
  t.is(upstreamOf(['portal-saml'], providers), 'portal-saml');
  t.is(upstreamOf(undefined, providers), undefined);
  t.deepEqual(signedInClients({ a: { grantId: 'g', sid: 's' }, b: {}, c: { sid: 's' } }), ['a']);
  t.deepEqual(signedInClients(undefined), []);
});

test('a check alone refuses only for its own reason', (t) => {
  const only = Pipeline.of<ReuseInput, SessionReuseReason, typeof ctx>().then(levelSufficient);
  t.true(only.runSync(input({ session: { amr: ['pwd'] } }), ctx).ok, 'level alone does not look at the method');
});

// Each check of the jump decision (JUMP_CHECKS) and of the jump ticket (TICKET_CHECKS) on its own,
// with fake dependencies: what it passes, what it refuses and with which reason.
import test from 'ava';
import { ManualClock } from '../../../src/clock.ts';
import { defaultDatasets, loadConfig } from '../../../src/config.ts';
import { LOA } from '../../../src/idp/claims.ts';
import { MemoryStore } from '../../../src/store/memoryStore.ts';
import type { Product } from '../../../src/whitelist/model.ts';
import type { GateResult } from '../../../src/whitelist/tokenGate.ts';
import {
  JUMP_CHECKS, acceptedInstead, audienceMatches, controllersAccept, deepLinkMatches, deepLinkRegistered, jumpChecks, levelMeetsTarget,
  notSameProduct, sourcePassesGate, sourceSession, targetAllowsMethod, targetPassesGate, targetTakesJumps, upstreamOf, type JumpDeps,
} from '../../../src/federation/sso/jump.ts';
import { JumpTickets, TICKET_CHECKS, ticketKey } from '../../../src/federation/sso/jumpTickets.ts';
import { jumpPolicy } from './jumpFixture.ts';
import { product } from '../../whitelist/snapshotFixture.ts';

const providers = loadConfig({ env: {}, overrides: {} }).loa.providers;
const target: Product = product('target', {
  authnMethods: ['bankid', 'freja'],
  client: { ...product('t').client, clientId: 'target-client', initiateLoginUri: 'https://t.example/jump', jumpUris: ['https://t.example/home', 'https://t.example/booking/*'] },
});
const session = { uid: 'u1', accountId: 'a1', acr: LOA.loa3, amr: ['bankid'], loginTs: 1 };
const live = (controllers: string[]) => ({ product: target, approvals: controllers.map((controllerId) => ({ controllerId })), lapses: [] }) as unknown as Extract<GateResult, { ok: true }>['live'];

function deps(over: Partial<JumpDeps> = {}): JumpDeps {
  return {
    gate: async (id) => (id === 'target-client' ? { ok: true, product: target, live: live(['region-a']) } : id === 'source-client'
      ? { ok: true, product: product('source'), live: live([]) } : { ok: false, check: 'product_known', reason: 'product_unknown' }),
    session: async (uid) => (uid === 'u1' ? { accountId: 'a1', acr: LOA.loa3, amr: ['bankid'], loginTs: 1 } : undefined),
    jumpPolicies: async () => new Map([['region-a', jumpPolicy('region-a', ['bankid'])]]),
    providers,
    ...over,
  };
}
const refusal = (outcome: unknown) => (outcome && typeof outcome === 'object' && 'reason' in outcome ? (outcome as { reason: string }).reason : outcome);

test('the checks run in the documented order', (t) => {
  t.deepEqual(JUMP_CHECKS, ['source_session', 'source_passes_gate', 'target_passes_gate', 'not_same_product', 'target_takes_jumps', 'deep_link_registered',
    'audience_matches', 'target_allows_method', 'level_meets_target', 'controllers_accept_session']);
  t.deepEqual(TICKET_CHECKS.interaction, ['ticket_present', 'ticket_well_formed', 'ticket_authentic', 'ticket_known', 'ticket_fresh', 'ticket_for_client', 'ticket_for_session', 'ticket_consumed']);
  t.deepEqual(TICKET_CHECKS.par, TICKET_CHECKS.interaction.slice(0, 6));
});

test('source_session: a person\'s token from a live session of the same person', async (t) => {
  const d = deps();
  const input = (caller: object) => ({ caller: { clientId: 'source-client', ...caller }, target: 'target-client', deepLink: 'x' });
  t.is(refusal(await sourceSession.run(input({}), d)), 'no_session');
  t.is(refusal(await sourceSession.run(input({ accountId: 'a1', sessionUid: 'gone' }), d)), 'no_session');
  t.is(refusal(await sourceSession.run(input({ accountId: 'someone-else', sessionUid: 'u1' }), d)), 'no_session');
  t.deepEqual(await sourceSession.run(input({ accountId: 'a1', sessionUid: 'u1' }), d), { session, upstream: 'bankid' });
});

test('source_passes_gate and target_passes_gate: refused products are named by reason; the controllers asked come from the live approvals', async (t) => {
  const d = deps();
  t.is(refusal(await sourcePassesGate.run({ caller: { clientId: 'nope' }, target: 'x', deepLink: 'x' }, d)), 'source_refused');
  t.is(refusal(await targetPassesGate.run({ caller: { clientId: 'source-client' }, target: 'nope', deepLink: 'x' }, d)), 'target_refused');
  t.deepEqual(await targetPassesGate.run({ caller: { clientId: 'source-client' }, target: 'target-client', deepLink: 'x' }, d), { targetProduct: target, controllersAsked: ['region-a'] });
});

test('not_same_product and target_takes_jumps', (t) => {
  t.is(refusal(notSameProduct.run({ sourceProduct: target, targetProduct: target }, deps())), 'same_product');
  t.is(notSameProduct.run({ sourceProduct: product('other'), targetProduct: target }, deps()), undefined);
  t.is(refusal(targetTakesJumps.run({ targetProduct: product('no-entry') }, deps())), 'target_no_jump_entry');
  t.deepEqual(targetTakesJumps.run({ targetProduct: target }, deps()), { jumpEntry: 'https://t.example/jump' });
});

test('deep links: exact or under a prefix on the same origin; no credentials, fragments, other origins or tricks', (t) => {
  const registered = ['https://t.example/home', 'https://t.example/booking/*'];
  t.is(deepLinkMatches('https://t.example/home', registered), 'ok');
  t.is(deepLinkMatches('https://t.example/booking/42?view=x', registered), 'ok');
  t.is(deepLinkMatches('https://t.example/home/', registered), 'not_registered');
  t.is(deepLinkMatches('https://t.example/booking', registered), 'not_registered');
  t.is(deepLinkMatches('https://t.example/booking/../admin', registered), 'not_registered');
  t.is(deepLinkMatches('https://t.example.evil/booking/1', registered), 'not_registered');
  t.is(deepLinkMatches('http://t.example/home', registered), 'not_registered');
  t.is(deepLinkMatches('https://u:p@t.example/home', registered), 'invalid');
  t.is(deepLinkMatches('https://t.example/home#x', registered), 'invalid');
  t.is(deepLinkMatches('javascript:alert(1)', registered), 'invalid');
  t.is(deepLinkMatches('/home', registered), 'invalid');
  t.is(deepLinkMatches('https://t.example\\@evil/home', registered), 'invalid');
  t.is(refusal(deepLinkRegistered.run({ caller: { clientId: 'c' }, target: 't', deepLink: 'https://evil.example/', targetProduct: target }, deps())), 'deep_link_not_registered');
});

test('audience_matches, target_allows_method, level_meets_target', (t) => {
  const d = deps();
  t.is(refusal(audienceMatches.run({ upstream: 'siths-card', targetProduct: target }, d)), 'wrong_audience');
  t.is(audienceMatches.run({ upstream: 'bankid', targetProduct: target }, d), undefined);
  t.is(refusal(targetAllowsMethod.run({ upstream: 'portal-saml', targetProduct: target }, d)), 'method_not_allowed');
  t.is(targetAllowsMethod.run({ upstream: 'freja', targetProduct: target }, d), undefined);
  t.is(refusal(levelMeetsTarget.run({ session: { ...session, acr: LOA.loa2 }, targetProduct: { ...target, minimumAcr: LOA.loa3 } }, d)), 'step_up_required');
  t.is(levelMeetsTarget.run({ session, targetProduct: { ...target, minimumAcr: LOA.loa3 } }, d), undefined);
});

test('controllers_accept_session: every controller asked, none without a policy, the upstream and the level', async (t) => {
  const policies = new Map([['region-a', jumpPolicy('region-a', ['bankid', 'freja'])], ['kommun-b', jumpPolicy('kommun-b', ['bankid'], LOA.loa4)]]);
  const d = deps({ jumpPolicies: async () => policies });
  t.is(await controllersAccept.run({ session, upstream: 'bankid', controllersAsked: ['region-a'] }, d), undefined);
  t.is(refusal(await controllersAccept.run({ session, upstream: 'bankid', controllersAsked: ['region-a', 'kommun-b'] }, d)), 'level_below_policy');
  t.is(refusal(await controllersAccept.run({ session, upstream: 'freja', controllersAsked: ['kommun-b'] }, d)), 'upstream_not_accepted');
  t.is(refusal(await controllersAccept.run({ session, upstream: 'bankid', controllersAsked: ['vardbolaget'] }, d)), 'no_jump_policy');
  t.deepEqual(acceptedInstead(target, ['region-a', 'kommun-b'], policies, providers), { upstreams: [], minimumAcr: LOA.loa4 });
  t.deepEqual(acceptedInstead(target, ['region-a'], policies, providers), { upstreams: ['bankid', 'freja'], minimumAcr: LOA.loa3 });
  t.is(upstreamOf(providers, ['freja']), 'freja');
  t.is(upstreamOf(providers, []), undefined);
});

test('the whole pipeline permits a good jump', async (t) => {
  const verdict = await jumpChecks.run({ caller: { clientId: 'source-client', accountId: 'a1', sessionUid: 'u1' }, target: 'target-client', deepLink: 'https://t.example/booking/1' }, deps());
  t.true(verdict.ok);
  t.true(defaultDatasets.length > 0);
});

test('tickets: issued, peeked at PAR, used once for the right client and session; tampered, unknown, expired and replayed each say so', async (t) => {
  const clock = new ManualClock(Date.parse('2026-06-01T12:00:00Z'));
  const tickets = new JumpTickets({ store: new MemoryStore(clock), clock, key: ticketKey('k'.repeat(40)) }, 60);
  const binding = { sessionUid: 'u1', accountId: 'a1', acr: LOA.loa3, amr: ['bankid'], loginTs: 1, sourceClientId: 's', targetClientId: 't', deepLink: 'https://t.example/home' };
  const ticket = await tickets.issue(binding);
  t.regex(ticket, /^jt1\.[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}$/);
  const reason = async (p: Promise<{ ok: boolean; reason?: string }>) => { const v = await p; return v.ok ? 'ok' : v.reason; };
  t.is(await reason(tickets.peek({ ticket, clientId: 't' })), 'ok');
  t.is(await reason(tickets.peek({ ticket: undefined, clientId: 't' })), 'ticket_missing');
  t.is(await reason(tickets.peek({ ticket: 'x.y.z', clientId: 't' })), 'ticket_malformed');
  t.is(await reason(tickets.peek({ ticket: `${ticket.slice(0, -2)}${ticket.endsWith('AA') ? 'BB' : 'AA'}`, clientId: 't' })), 'ticket_tampered');
  const [, , mac] = ticket.split('.');
  t.is(await reason(tickets.peek({ ticket: `jt1.${'A'.repeat(32)}.${mac}`, clientId: 't' })), 'ticket_tampered');
  t.is(await reason(tickets.peek({ ticket, clientId: 'other' })), 'ticket_foreign_client');
  t.is(await reason(tickets.accept({ ticket, clientId: 't', sessionUid: 'u2' })), 'ticket_foreign_session');
  t.is(await reason(tickets.accept({ ticket, clientId: 't' })), 'ticket_foreign_session');
  t.is(await reason(tickets.accept({ ticket, clientId: 't', sessionUid: 'u1' })), 'ok');
  t.is(await reason(tickets.accept({ ticket, clientId: 't', sessionUid: 'u1' })), 'ticket_replayed');
  t.is(await reason(tickets.peek({ ticket, clientId: 't' })), 'ticket_replayed');
  const late = await tickets.issue(binding);
  clock.advance(61_000);
  t.is(await reason(tickets.accept({ ticket: late, clientId: 't', sessionUid: 'u1' })), 'ticket_expired');
  const other = new JumpTickets({ store: new MemoryStore(clock), clock, key: ticketKey('o'.repeat(40)) });
  t.is(await reason(other.peek({ ticket: late, clientId: 't' })), 'ticket_tampered', 'another gateway\'s key does not verify it');
});

test('registering jump URIs: a prefix ends in "/*" with no query; the redirect URI rules hold', async (t) => {
  const { jumpUriProblem, productClientProblems } = await import('../../../src/whitelist/clientMetadata.ts');
  t.is(jumpUriProblem('https://t.example/booking/*', false), undefined);
  t.is(jumpUriProblem('https://t.example/home', false), undefined);
  t.truthy(jumpUriProblem('https://t.example*', false));
  t.truthy(jumpUriProblem('https://t.example/booking*', false));
  t.truthy(jumpUriProblem('https://t.example/?q=1*', false));
  t.truthy(jumpUriProblem('http://t.example/home', false));
  t.is(jumpUriProblem('http://localhost:3000/sandbox/apps/region/', true), undefined);
  t.truthy(jumpUriProblem('https://t.example/home#x', false));
  const base = { ...product('x').client, jwks: undefined, jwksUri: 'https://t.example/jwks' };
  const problems = await productClientProblems({ ...base, jumpUris: ['https://t.example/*'] }, false);
  t.true(problems.some((p) => p.path === 'client.initiateLoginUri'), 'jump URIs need a jump entry');
  t.deepEqual(await productClientProblems({ ...base, jumpUris: ['https://t.example/*'], initiateLoginUri: 'https://t.example/jump' }, false), []);
});

// POST /sso/jump end to end over HTTP: a citizen signed in at the region app with BankID jumps to the
// portal and to the municipal app with no page at all; each ID token names the same e-ID, level and
// auth_time, and the pairwise subs differ. Refusals (a controller that does not take the session's
// e-ID, a deep link outside the target's URIs, a token with no session) and ticket attacks (tampered,
// expired, replayed, foreign) are each a 4xx with a reason, never a 500.
import test from 'ava';
import type { Gateway } from '../../../src/gateway.ts';
import { LOA } from '../../../src/idp/claims.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { browserThroughBankId, pushAuthorization } from '../../helpers/signIn.ts';
import { TestRegistry, clientCredentialsToken, proof } from '../../scopes/pdpFixture.ts';
import {
  ANNA, UserAgent, enterTarget, jump, jumpPolicy, jumpSnapshot, makeApp, redeem, rpOf, type App, type SignedIn,
} from './jumpFixture.ts';

/** Real time, moved forward where a test says so (the BankID simulator's polling needs time to pass). */
const clock = {
  offset: 0,
  now() { return Date.now() + this.offset; },
  advance(ms: number) { this.offset += ms; },
};
let gw: Gateway;
let apps: Record<App['name'], App>;
let registry: TestRegistry;

test.before(async () => {
  apps = {
    region: await makeApp('region', ['bankid', 'freja']),
    municipal: await makeApp('municipal', ['bankid', 'freja']),
    portal: await makeApp('portal', ['portal-saml', 'bankid', 'freja']),
  };
  registry = new TestRegistry(jumpSnapshot(apps, [
    jumpPolicy('region-a', ['bankid', 'freja', 'portal-saml']),
    jumpPolicy('kommun-b', ['bankid', 'portal-saml']),
  ]));
  gw = await startTestGateway({ registry, clock });
});

test.after.always(async () => {
  await gw?.close();
});

/** Anna signs in at the region app with BankID (simulator), as the first sign-in of this browser. */
async function signInAtRegion(ua = new UserAgent(gw.url)): Promise<{ ua: UserAgent; region: SignedIn }> {
  const rp = await rpOf(gw, apps.region);
  const started = await pushAuthorization(rp);
  const callback = await browserThroughBankId(gw, started.url, ANNA, apps.region.client.config.redirect_uris[0]!, ua);
  return { ua, region: await redeem(rp, started, callback) };
}

test.serial('a jump signs the citizen in at the portal and the municipal app with no page: same e-ID, level and auth_time, other subs', async (t) => {
  const { ua, region } = await signInAtRegion();
  const seen = [region.claims];
  for (const target of [apps.portal, apps.municipal]) {
    const answer = await jump(gw, region, { target: target.client.config.client_id, target_link_uri: `${target.origin}/booking/42` });
    t.is(answer.status, 200, JSON.stringify(answer.body));
    const entry = new URL(answer.body.redirect_to!);
    t.is(entry.origin + entry.pathname, `${target.origin}/jump`);
    t.is(entry.searchParams.get('target_link_uri'), `${target.origin}/booking/42`);
    t.is(entry.searchParams.get('iss'), gw.url);
    const rp = await rpOf(gw, target);
    const entered = await enterTarget(gw, ua, target, rp, answer.body.redirect_to!);
    t.truthy(entered.res, JSON.stringify(entered.parError));
    // Straight back to the target with a code: no login page, no consent page.
    t.truthy(entered.res!.location?.startsWith(`${target.origin}/cb?`), `${entered.res!.status} ${entered.res!.url} ${entered.res!.text.replace(/<style[^]*<\/style>/, "").replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 600)}`);
    const signedIn = await redeem(rp, entered.started!, new URL(entered.res!.location!));
    seen.push(signedIn.claims);
  }
  const [r, p, m] = seen;
  for (const other of [p, m]) {
    t.is(other!.acr, r!.acr);
    t.deepEqual(other!.amr, r!.amr);
    t.is(other!.auth_time, r!.auth_time);
    t.is(other!['https://id.oidc.se/claim/authnProvider'], r!['https://id.oidc.se/claim/authnProvider']);
    t.is(other!['https://id.oidc.se/claim/personalIdentityNumber'], ANNA);
  }
  t.is(new Set(seen.map((c) => c!.sub)).size, 3, 'pairwise subs differ per product');
});

test.serial('a ticket is single use: the same ticket again is refused at PAR as replayed', async (t) => {
  const { ua, region } = await signInAtRegion();
  const answer = await jump(gw, region, { target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` });
  const rp = await rpOf(gw, apps.municipal);
  const first = await enterTarget(gw, ua, apps.municipal, rp, answer.body.redirect_to!);
  t.truthy(first.res?.location?.startsWith(`${apps.municipal.origin}/cb?`));
  const again = await enterTarget(gw, ua, apps.municipal, rp, answer.body.redirect_to!);
  t.is(again.parError?.error, 'invalid_request');
  t.regex(again.parError?.error_description ?? '', /ticket_replayed/);
});

test.serial('a tampered ticket is refused at PAR with its reason', async (t) => {
  const { ua, region } = await signInAtRegion();
  const answer = await jump(gw, region, { target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` });
  const entry = new URL(answer.body.redirect_to!);
  const ticket = entry.searchParams.get('jump_ticket')!;
  const last = ticket.at(-1) === 'A' ? 'B' : 'A';
  entry.searchParams.set('jump_ticket', `${ticket.slice(0, -1)}${last}`);
  const entered = await enterTarget(gw, ua, apps.municipal, await rpOf(gw, apps.municipal), entry.href);
  t.is(entered.parError?.error, 'invalid_request');
  t.regex(entered.parError?.error_description ?? '', /ticket_tampered/);
  entry.searchParams.set('jump_ticket', 'not-a-ticket');
  const garbage = await enterTarget(gw, ua, apps.municipal, await rpOf(gw, apps.municipal), entry.href);
  t.regex(garbage.parError?.error_description ?? '', /ticket_malformed/);
});

test.serial('a ticket for another product is refused at that product\'s PAR', async (t) => {
  const { ua, region } = await signInAtRegion();
  const answer = await jump(gw, region, { target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` });
  const entered = await enterTarget(gw, ua, apps.portal, await rpOf(gw, apps.portal), answer.body.redirect_to!);
  t.is(entered.parError?.error, 'invalid_request');
  t.regex(entered.parError?.error_description ?? '', /ticket_foreign_client/);
});

test.serial('a ticket carried to another browser is refused at the interaction with a 400 and the method choice, and is spent', async (t) => {
  const { region } = await signInAtRegion();
  const answer = await jump(gw, region, { target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` });
  const rp = await rpOf(gw, apps.municipal);
  const stranger = new UserAgent(gw.url);
  const entered = await enterTarget(gw, stranger, apps.municipal, rp, answer.body.redirect_to!);
  t.is(entered.res?.status, 400);
  t.regex(entered.res?.text ?? '', /hör till en annan inloggning|belongs to another sign-in/);
  t.regex(entered.res?.text ?? '', /bankid\/start/, 'the ordinary method choice is offered');
});

test.serial('an expired ticket is refused with its reason', async (t) => {
  const { ua, region } = await signInAtRegion();
  const answer = await jump(gw, region, { target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` });
  clock.advance(61_000);
  try {
    const entered = await enterTarget(gw, ua, apps.municipal, await rpOf(gw, apps.municipal), answer.body.redirect_to!);
    t.is(entered.parError?.error, 'invalid_request');
    t.regex(entered.parError?.error_description ?? '', /ticket_expired/);
  } finally {
    clock.advance(-61_000);
  }
});

test.serial('a deep link outside the target\'s registered URIs is refused, and so are tricks that only look inside', async (t) => {
  const { region } = await signInAtRegion();
  const target = apps.municipal.client.config.client_id;
  for (const link of [
    'https://evil.example/booking/1',
    `${apps.municipal.origin}/admin`,
    `${apps.municipal.origin}/booking`,
    `https://user@municipal.example.test/booking/1`,
    `${apps.municipal.origin}/booking/1#frag`,
    `${apps.municipal.origin}.evil.example/booking/1`,
    'javascript:alert(1)',
  ]) {
    const answer = await jump(gw, region, { target, target_link_uri: link });
    t.is(answer.status, 403, link);
    t.true(['deep_link_not_registered', 'deep_link_invalid'].includes(answer.body.reason!), `${link}: ${answer.body.reason}`);
  }
});

test.serial('a jump without a citizen\'s session (a client-credentials token) is refused with a reason; a bad body is a 400; no token a 401', async (t) => {
  const holder = await clientCredentialsToken(gw, apps.region.client);
  {
    const url = `${gw.url}/sso/jump`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, 'POST', url, holder.token, clock.now()) },
      body: JSON.stringify({ target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` }),
    });
    t.is(res.status, 401);
    t.is((await res.json() as { reason: string }).reason, 'no_session');
  }
  const none = await fetch(`${gw.url}/sso/jump`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.is(none.status, 401);
  t.is((await none.json() as { type: string }).type, 'urn:gateway:problem:token_missing');
  const { region } = await signInAtRegion();
  const bad = await jump(gw, region, { target: 'x', target_link_uri: 5 });
  t.is(bad.status, 400);
});

test.serial('a session the region app\'s token no longer has (signed out) cannot jump', async (t) => {
  const { ua, region } = await signInAtRegion();
  // The browser's session ends (the cookie's session is destroyed at the gateway).
  const sessionCookie = ua.cookieHeader();
  t.true(sessionCookie.includes('_session'));
  const sessions = await gw.provider.Session.findByUid((await gw.provider.AccessToken.find(region.tokens.access_token))!.sessionUid!);
  await sessions!.destroy();
  const answer = await jump(gw, region, { target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` });
  // The token ended with the session it was issued in (oidc-provider binds them).
  t.is(answer.status, 401);
  t.true(['urn:gateway:problem:token_inactive', 'urn:gateway:problem:no_session'].includes(answer.body.type!), answer.body.type);
});

test.serial('a controller that does not take the session\'s e-ID refuses the jump, and the citizen is told why and offered a method it takes', async (t) => {
  const before = registry.current;
  registry.current = { ...before, jumpPolicies: [jumpPolicy('region-a', ['bankid']), jumpPolicy('kommun-b', ['portal-saml'])] };
  await gw.registry?.announce('test');
  try {
    const { region } = await signInAtRegion();
    const answer = await jump(gw, region, { target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` });
    t.is(answer.status, 403);
    t.is(answer.body.reason, 'upstream_not_accepted');
    const page = await fetch(answer.body.refusal_uri!, { headers: { 'accept-language': 'sv' } });
    t.is(page.status, 403);
    const text = await page.text();
    t.regex(text, /godtar inte den e-legitimation/);
    // The municipal app's own methods are BankID and Freja; its controller takes neither for jumps.
    t.notRegex(text, /id="sign-in-instead"[^>]*>[^<]*BankID/);
    // A controller without a policy refuses all jumps.
    registry.current = { ...before, jumpPolicies: [jumpPolicy('region-a', ['bankid'])] };
    await gw.registry?.announce('test');
    const none = await jump(gw, region, { target: apps.municipal.client.config.client_id, target_link_uri: `${apps.municipal.origin}/home` });
    t.is(none.body.reason, 'no_jump_policy');
  } finally {
    registry.current = before;
    await gw.registry?.announce('test');
  }
});

test.serial('launch context travels as a reference only the target resolves, with its own token, for the same citizen', async (t) => {
  const { ua, region } = await signInAtRegion();
  const answer = await jump(gw, region, { target: apps.portal.client.config.client_id, target_link_uri: `${apps.portal.origin}/booking/7`, launch: { booking: 'B-7' } });
  t.is(answer.status, 200);
  const entry = new URL(answer.body.redirect_to!);
  const ref = entry.searchParams.get('launch')!;
  t.regex(ref, /^[A-Za-z0-9_-]{32}$/);
  t.false(entry.href.includes('B-7'), 'the context itself is not in the URL');
  t.false(entry.href.includes(ANNA));
  const rp = await rpOf(gw, apps.portal);
  const entered = await enterTarget(gw, ua, apps.portal, rp, answer.body.redirect_to!);
  const portal = await redeem(rp, entered.started!, new URL(entered.res!.location!));
  const read = async (who: SignedIn) => {
    const url = `${gw.url}/sso/launch/${ref}`;
    const res = await fetch(url, { headers: { authorization: `DPoP ${who.tokens.access_token}`, dpop: await proof(who.rp.dpopKeys, 'GET', url, who.tokens.access_token, clock.now()) } });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  const mine = await read(portal);
  t.is(mine.status, 200);
  t.deepEqual(mine.body.context, { booking: 'B-7' });
  const theirs = await read(region);
  t.is(theirs.status, 403);
  const unknown = await fetch(`${gw.url}/sso/launch/${'x'.repeat(32)}`);
  t.is(unknown.status, 401);
});

test.serial('the jump refusal page for an unknown reference is a 404 page', async (t) => {
  const res = await fetch(`${gw.url}/sso/jump/refused/${'a'.repeat(32)}`);
  t.is(res.status, 404);
  const bad = await fetch(`${gw.url}/sso/jump/refused/..%2F..`);
  t.true(bad.status === 404);
  t.is(LOA.loa3.length > 0, true);
});

// Portal -> app (issue 11 item 2), as the protocol sees it: a product that allows the national portal's
// login first sends a passive AuthnRequest (IsPassive="true") to the portal IdP. With a session at the
// portal, the citizen is signed in with no page (and, once consented, straight back to the app); without
// one, the IdP's NoPassive answer brings the normal method choice, with no error. Products that do not
// allow the portal, and requests that ask for a fresh sign-in, never go there.
import test from 'ava';
import { inflateRawSync } from 'node:zlib';
import * as oidc from 'openid-client';
import type { Gateway } from '../../../src/gateway.ts';
import { SE } from '../../../src/idp/claims.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization } from '../../helpers/signIn.ts';
import { UserAgent } from '../../helpers/userAgent.ts';

const REDIRECT = 'https://portal-app.example.test/cb';
const OTHER = 'https://bankid-app.example.test/cb';
let gw: Gateway;
let app: TestClient;
let bankidOnly: TestClient;

test.before(async () => {
  app = await makeTestClient('portal-app', REDIRECT, { client_name: 'Regionappen', authn_methods: ['bankid', 'portal-saml'] });
  bankidOnly = await makeTestClient('bankid-app', OTHER, { authn_methods: ['bankid'] });
  gw = await startTestGateway({ clients: [app.config, bankidOnly.config], overrides: { sessions: { rememberConsent: true } } });
});

test.after.always(async () => {
  await gw?.close();
});

/** Signs the browser in at the portal itself (the simulated IdP's own session). */
async function portalSession(ua: UserAgent, persona = 'anna'): Promise<void> {
  const res = await ua.request('/sandbox/saml/idp/portal/session', { json: { persona, level: 'loa3' }, headers: { accept: 'application/json' } });
  if (res.status !== 200) throw new Error(`portal session: ${res.status} ${res.text}`);
}

/** Follows the sign-in step by step, recording every URL the browser is sent to. */
async function walk(ua: UserAgent, start: string, stop: string) {
  const seen: string[] = [];
  const original = ua.request.bind(ua);
  ua.request = async (url, init) => {
    seen.push(new URL(url, gw.url).href);
    return original(url, init);
  };
  try {
    return { res: await ua.follow(start, {}, (u) => u.startsWith(stop)), seen };
  } finally {
    ua.request = original;
  }
}

const passiveIn = (url: string): boolean => {
  const request = new URL(url).searchParams.get('SAMLRequest');
  return Boolean(request && /IsPassive="true"/.test(inflateRawSync(Buffer.from(request, 'base64')).toString('utf8')));
};

test.serial('without a portal session: one passive request, NoPassive, then the method choice with no error', async (t) => {
  const ua = new UserAgent(gw.url);
  const rp = await discoverRp(gw, app);
  const auth = await pushAuthorization(rp);
  const { res, seen } = await walk(ua, auth.url.href, REDIRECT);
  const toIdp = seen.filter((u) => u.includes('/sandbox/saml/idp/portal/sso'));
  t.is(toIdp.length, 1, 'one request to the portal IdP');
  t.true(passiveIn(toIdp[0]!), 'sent with IsPassive="true"');
  t.true(seen.some((u) => u.endsWith('/saml/acs')), 'the IdP answered (NoPassive)');
  t.is(res.status, 200);
  t.regex(res.url, /\/interaction\/[^/]+$/);
  t.regex(res.text, /id="method-bankid"/);
  t.regex(res.text, /id="method-portal-saml"/, 'the portal is still offered, now with its page');
  t.notRegex(res.text, /class="message error"/, 'no error for a NoPassive');
  // Reloading the login page does not go to the portal again.
  const again = await walk(ua, res.url, REDIRECT);
  t.false(again.seen.some((u) => u.includes('/sandbox/saml/idp/')), 'tried once per sign-in');
});

test.serial('with a portal session: signed in with no method choice; once consented, straight back to the app', async (t) => {
  const ua = new UserAgent(gw.url);
  await portalSession(ua);
  const rp = await discoverRp(gw, app);
  const first = await pushAuthorization(rp);
  const { res, seen } = await walk(ua, first.url.href, REDIRECT);
  t.true(passiveIn(seen.find((u) => u.includes('/portal/sso'))!), 'the portal answered a passive request');
  t.regex(res.text, /action="\/interaction\/[^/]+\/consent"/, 'the first time: only the consent');
  t.regex(res.text, /Inloggad som <strong>Anna Andersson<\/strong> med den nationella portalens inloggning/);
  const done = await ua.follow(`/interaction/${res.url.split('/').pop()!}/consent`, { form: {} }, (u) => u.startsWith(REDIRECT));
  const tokens = await oidc.authorizationCodeGrant(rp.config, new URL(done.location!), { pkceCodeVerifier: first.verifier, expectedState: first.state }, undefined, { DPoP: rp.dpop });
  t.is(tokens.claims()![SE.personalIdentityNumber], '198003121236');
  t.is(tokens.claims()![SE.authnProvider], 'https://portal.example.se/idp');

  // Another browser with only a portal session: the whole sign-in is redirects and the IdP's
  // self-submitting answer — no page for the citizen at all.
  const other = new UserAgent(gw.url);
  await portalSession(other);
  const second = await pushAuthorization(rp);
  const silent = await walk(other, second.url.href, REDIRECT);
  t.truthy(silent.res.location?.startsWith(REDIRECT), 'back at the app');
  t.truthy(new URL(silent.res.location!).searchParams.get('code'));
  t.true(passiveIn(silent.seen.find((u) => u.includes('/portal/sso'))!));
});

test.serial('a product without the portal, and a request for a fresh sign-in, never go to the portal', async (t) => {
  const ua = new UserAgent(gw.url);
  await portalSession(ua);
  const rpOther = await discoverRp(gw, bankidOnly);
  const plain = await walk(ua, (await pushAuthorization(rpOther)).url.href, OTHER);
  t.false(plain.seen.some((u) => u.includes('/sandbox/saml/idp/')));
  const rp = await discoverRp(gw, app);
  const fresh = await walk(ua, (await pushAuthorization(rp, { prompt: 'login' })).url.href, REDIRECT);
  t.false(fresh.seen.some((u) => u.includes('/sandbox/saml/idp/')), 'prompt=login');
  t.regex(fresh.res.text, /id="method-portal-saml"/);
});

test('the simulated portal IdP keeps its own sessions: a second non-passive request is answered from it, ForceAuthn is not', async (t) => {
  const portal = gw.sandboxSaml!.idps.find((i) => i.id === 'portal')!;
  const cookie = portal.startSession(portal.findPersona('anna')!, portal.levels[0]!);
  const request = { id: '_r1', classRefs: [] };
  t.truthy(portal.sessionFor(cookie, request));
  t.is(portal.sessionFor(cookie, { ...request, forceAuthn: true }), undefined);
  t.is(portal.sessionFor('unknown', request), undefined);
  t.is(portal.sessionFor(cookie, { ...request, classRefs: ['http://id.elegnamnden.se/loa/1.0/loa4'] }), undefined, 'a session below the level asked for does not answer');
  const noPassive = Buffer.from(portal.respond({ ...request, passive: true }, { noPassive: true })).toString('utf8');
  t.regex(noPassive, /status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:NoPassive"/);
});

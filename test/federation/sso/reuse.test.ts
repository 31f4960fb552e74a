// The shared session across products, end to end (issue 11 item 1): a staff session never signs anyone
// in to a citizen product nor the reverse; a citizen session signs the same citizen in to another
// citizen product with no new sign-in; reuse honours acr_values, max_age and the product's methods;
// prompt=none answers login_required / interaction_required / consent_required as OIDC Core says; every
// login and consent page says who is signed in and with what, and the shared-login notice lists the
// services that share the session.
import test from 'ava';
import * as oidc from 'openid-client';
import type { Gateway } from '../../../src/gateway.ts';
import { SE, LOA } from '../../../src/idp/claims.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId, browserThroughSaml, type Rp } from '../../helpers/signIn.ts';
import { UserAgent, type UaResponse } from '../../helpers/userAgent.ts';

const ANNA = '198003121236';
const redirect = (id: string) => `https://${id}.example.test/cb`;
let gw: Gateway;
const clients: Record<string, TestClient> = {};

test.before(async () => {
  const make = async (id: string, extra: Parameters<typeof makeTestClient>[2]) => {
    clients[id] = await makeTestClient(id, redirect(id), extra);
  };
  await make('citizen-a', { client_name: 'Appen A', authn_methods: ['bankid', 'freja'] });
  await make('citizen-b', { client_name: 'Appen B', authn_methods: ['bankid', 'freja'] });
  await make('citizen-freja', { client_name: 'Frejaappen', authn_methods: ['freja'] });
  await make('staff-app', {
    client_name: 'Personalappen', authn_methods: ['siths-saml'], scope: `openid profile ${SE.naturalPersonOrgIdScope} ${SE.naturalPersonNumberScope}`,
  });
  await make('mixed-app', { client_name: 'Blandappen', authn_methods: ['bankid', 'siths-saml'] });
  gw = await startTestGateway({ clients: Object.values(clients).map((c) => c.config) });
});

test.after.always(async () => {
  await gw?.close();
});

const leaves = (id: string) => (u: string) => u.startsWith(redirect(id));

async function citizenSession(id = 'citizen-a'): Promise<UserAgent> {
  const ua = new UserAgent(gw.url);
  const rp = await discoverRp(gw, clients[id]!);
  const auth = await pushAuthorization(rp);
  await browserThroughBankId(gw, auth.url, ANNA, redirect(id), ua);
  return ua;
}

async function staffSession(): Promise<UserAgent> {
  const ua = new UserAgent(gw.url);
  const rp = await discoverRp(gw, clients['staff-app']!);
  const auth = await pushAuthorization(rp, { scope: `openid profile ${SE.naturalPersonOrgIdScope}` });
  await browserThroughSaml(gw, auth.url, 'siths-saml', 'sara', redirect('staff-app'), { ua });
  return ua;
}

/** An authorization request at `id` in this browser, followed until a page or the client's redirect. */
async function authorize(ua: UserAgent, id: string, params: Record<string, string> = {}): Promise<{ res: UaResponse; rp: Rp; auth: Awaited<ReturnType<typeof pushAuthorization>> }> {
  const rp = await discoverRp(gw, clients[id]!);
  const auth = await pushAuthorization(rp, params);
  return { res: await ua.follow(auth.url.href, {}, leaves(id)), rp, auth };
}

const isLoginPage = (res: UaResponse) => res.status === 200 && /\/interaction\/[^/]+$/.test(res.url) && res.text.includes('id="method-');
const errorOf = (res: UaResponse) => (res.location ? new URL(res.location).searchParams.get('error') : null);

test('a staff SITHS session is not reused for a citizen product: the method choice, saying who is signed in and why not', async (t) => {
  const ua = await staffSession();
  const { res } = await authorize(ua, 'citizen-a');
  t.true(isLoginPage(res), 'the citizen app asks for a sign-in');
  t.regex(res.text, /id="method-bankid"/);
  t.notRegex(res.text, /id="method-siths-saml"/, 'no staff method offered to a citizen app');
  t.regex(res.text, /id="signed-in-as"[^]*Inloggad som <strong>Sara Sjöström<\/strong> med SITHS eID/);
  t.regex(res.text, /id="not-you"[^>]*>Inte du\? Logga ut/);
  t.regex(res.text, /id="session-not-used"[^>]*>[^<]*gäller inte den här appen/);
  const none = await authorize(ua, 'citizen-a', { prompt: 'none' });
  t.is(errorOf(none.res), 'login_required', 'prompt=none: a new sign-in is needed');
});

test('a citizen session is not reused for a staff product', async (t) => {
  const ua = await citizenSession();
  const { res } = await authorize(ua, 'staff-app', { scope: `openid profile ${SE.naturalPersonOrgIdScope}` });
  t.true(isLoginPage(res));
  t.regex(res.text, /id="method-siths-saml"/);
  t.notRegex(res.text, /id="method-bankid"/);
  t.regex(res.text, /Inloggad som <strong>Anna Andersson<\/strong> med BankID/);
  const none = await authorize(ua, 'staff-app', { prompt: 'none', scope: `openid profile ${SE.naturalPersonOrgIdScope}` });
  t.is(errorOf(none.res), 'login_required');
});

test('a citizen session signs the citizen in to another citizen product with no new sign-in; the consent page says who', async (t) => {
  const ua = await citizenSession();
  const none = await authorize(ua, 'citizen-b', { prompt: 'none' });
  t.is(errorOf(none.res), 'consent_required', 'signed in already; only the consent for B is missing');
  const { res, rp, auth } = await authorize(ua, 'citizen-b');
  t.false(isLoginPage(res), 'no method choice');
  t.regex(res.text, /action="\/interaction\/[^/]+\/consent"/, 'the consent page');
  t.regex(res.text, /Inloggad som <strong>Anna Andersson<\/strong> med BankID/);
  const uid = res.url.split('/').pop()!;
  const done = await ua.follow(`/interaction/${uid}/consent`, { form: {} }, leaves('citizen-b'));
  const tokens = await oidc.authorizationCodeGrant(rp.config, new URL(done.location!), { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  t.is(tokens.claims()![SE.personalIdentityNumber], ANNA, 'the same citizen');
  t.is(tokens.claims()!.acr, LOA.loa3);
  // Now prompt=none at B succeeds silently.
  const again = await authorize(ua, 'citizen-b', { prompt: 'none' });
  t.truthy(again.res.location && new URL(again.res.location).searchParams.get('code'), 'prompt=none answers a code');
});

test('reuse honours acr_values: a loa3 session is not enough for loa4 (step-up), and prompt=none says login_required', async (t) => {
  const ua = await citizenSession();
  const { res } = await authorize(ua, 'citizen-b', { acr_values: LOA.loa4 });
  t.is(res.status, 200);
  t.regex(res.url, /\/interaction\/[^/]+$/, 'the login page, not a silent sign-in');
  t.regex(res.text, /starkare inloggning/);
  const none = await authorize(ua, 'citizen-b', { acr_values: LOA.loa4, prompt: 'none' });
  t.is(errorOf(none.res), 'login_required');
});

test('reuse honours the product\'s methods: a BankID session does not sign in to a Freja-only product', async (t) => {
  const ua = await citizenSession();
  const { res } = await authorize(ua, 'citizen-freja');
  t.true(isLoginPage(res));
  t.regex(res.text, /godtar inte e-legitimationen du loggade in med/);
  t.is(errorOf((await authorize(ua, 'citizen-freja', { prompt: 'none' })).res), 'login_required');
});

test('reuse honours max_age: an older session signs in again', async (t) => {
  const ua = await citizenSession();
  await new Promise((r) => setTimeout(r, 2100));
  const { res } = await authorize(ua, 'citizen-a', { max_age: '1' });
  t.true(isLoginPage(res));
  t.is(errorOf((await authorize(ua, 'citizen-a', { max_age: '1', prompt: 'none' })).res), 'login_required');
  const fresh = await authorize(ua, 'citizen-a', { max_age: '3600', prompt: 'none' });
  t.truthy(fresh.res.location && new URL(fresh.res.location).searchParams.get('code'), 'a younger session than max_age is reused');
});

test('a product for citizens and staff never takes a session over from another product: the choice, and interaction_required', async (t) => {
  const ua = await citizenSession();
  const none = await authorize(ua, 'mixed-app', { prompt: 'none' });
  t.is(errorOf(none.res), 'interaction_required', 'only a confirmation is missing, not a sign-in');
  const { res } = await authorize(ua, 'mixed-app');
  t.true(isLoginPage(res));
  t.regex(res.text, /både privatpersoner och personal/);
  // The shared-login notice: which services share the session, and one button to sign out of all.
  t.regex(res.text, /id="shared-login"[^]*Du är inloggad via den gemensamma inloggningen/);
  t.regex(res.text, /id="shared-services"><li>Appen A<\/li><\/ul>/);
  t.regex(res.text, /id="sign-out-all"[^>]*>Logga ut från alla/);
});

test('in English too', async (t) => {
  const ua = await staffSession();
  const { res } = await authorize(ua, 'citizen-a', { ui_locales: 'en' });
  t.regex(res.text, /Signed in as <strong>Sara Sjöström<\/strong> with SITHS eID/);
  t.regex(res.text, /Not you\? Sign out/);
});

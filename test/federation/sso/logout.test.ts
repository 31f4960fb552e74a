// Single logout end to end (issue 11 item 5): RP-initiated logout at one product ends the shared
// session everywhere — every product the session signed in to gets a signed back-channel logout token
// (verified here against the gateway's /jwks, as a product would), a receiver that fails is retried,
// each outcome is recorded; a session that came from the national portal's IdP also ends there (SAML
// Single Logout: the simulated IdP receives a signed LogoutRequest and answers); the citizen lands on a
// page naming where they were signed out, with a way back to the app. Bad input is a 4xx, never a 500.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';
import type { Gateway } from '../../../src/gateway.ts';
import { BACKCHANNEL_EVENT } from '../../../src/federation/sso/backchannel.ts';
import { productClientProblems } from '../../../src/whitelist/clientMetadata.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId, browserThroughSaml } from '../../helpers/signIn.ts';
import { UserAgent, type UaResponse } from '../../helpers/userAgent.ts';

const ANNA = '198003121236';
const redirect = (id: string) => `https://${id}.example.test/cb`;
const BYE = 'https://app-a.example.test/bye';

/** A product's back-channel logout endpoint: records what it is sent; `failFirst` answers 500 that many times. */
class Receiver {
  readonly tokens = new Map<string, string[]>();
  readonly attempts = new Map<string, number>();
  readonly failFirst = new Map<string, number>();
  server: Server = createServer((req, res) => {
    const client = (req.url ?? '').split('/').pop() ?? '';
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const n = (this.attempts.get(client) ?? 0) + 1;
      this.attempts.set(client, n);
      if (n <= (this.failFirst.get(client) ?? 0)) {
        res.writeHead(500).end();
        return;
      }
      const token = new URLSearchParams(body).get('logout_token');
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded' || !token) {
        res.writeHead(400).end();
        return;
      }
      this.tokens.set(client, [...(this.tokens.get(client) ?? []), token]);
      res.writeHead(200).end();
    });
  });

  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async waitFor(client: string, count = 1): Promise<string[]> {
    for (let i = 0; i < 200; i += 1) {
      const got = this.tokens.get(client) ?? [];
      if (got.length >= count) return got;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no logout token for ${client}`);
  }
}

let gw: Gateway;
const receiver = new Receiver();
const clients: Record<string, TestClient> = {};

test.before(async () => {
  await receiver.start();
  const apps: Array<[string, string, Parameters<typeof makeTestClient>[2]]> = [
    ['app-a', 'Appen A', { post_logout_redirect_uris: [BYE] }],
    ['app-b', 'Appen B', {}],
    ['app-c', 'Appen C', {}],
    ['app-quiet', 'Tysta appen', { backchannel_logout_uri: undefined }],
  ];
  for (const [id, name, extra] of apps) {
    clients[id] = await makeTestClient(id, redirect(id), {
      client_name: name, authn_methods: ['bankid', 'portal-saml'], backchannel_logout_uri: `${receiver.url}/bcl/${id}`, ...extra,
    });
  }
  gw = await startTestGateway({
    clients: Object.values(clients).map((c) => c.config),
    overrides: { sessions: { backchannel: { retryBaseMs: 20, attempts: 3, timeoutMs: 2000 } } },
  });
});

test.after.always(async () => {
  await gw?.close();
  receiver.server.close();
});

const leaves = (id: string) => (u: string) => u.startsWith(redirect(id));

/** Signs in at `id` in this browser (the method given, or the session reused with one consent), and answers the ID token. */
async function signIn(ua: UserAgent, id: string, how: 'bankid' | 'portal' | 'reuse'): Promise<string> {
  const rp = await discoverRp(gw, clients[id]!);
  const auth = await pushAuthorization(rp);
  let callback: URL;
  if (how === 'bankid') callback = await browserThroughBankId(gw, auth.url, ANNA, redirect(id), ua);
  else if (how === 'portal') callback = await browserThroughSaml(gw, auth.url, 'portal-saml', 'anna', redirect(id), { ua });
  else {
    let res = await ua.follow(auth.url.href, {}, leaves(id));
    if (!res.location) res = await ua.follow(`/interaction/${res.url.split('/').pop()!}/consent`, { form: {} }, leaves(id));
    callback = new URL(res.location!);
  }
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  return tokens.id_token!;
}

/** RP-initiated logout: the prompt, then its one button (logout=yes). Answers the confirm's response. */
async function logout(ua: UserAgent, idToken: string, extra: Record<string, string> = {}): Promise<{ prompt: UaResponse; confirmed: UaResponse }> {
  const query = new URLSearchParams({ id_token_hint: idToken, ...extra });
  const prompt = await ua.request(`/session/end?${query}`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(prompt.text)?.[1];
  if (prompt.status !== 200 || !xsrf) throw new Error(`no logout prompt: ${prompt.status}`);
  const confirmed = await ua.request('/session/end/confirm', { form: { xsrf, logout: 'yes' } });
  return { prompt, confirmed };
}

const verifyLogoutToken = (token: string, clientId: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(`${gw.url}/jwks`)), { issuer: gw.url, audience: clientId, typ: 'logout+jwt', algorithms: ['ES256'] });

test.serial('logout at one product ends the session everywhere: verified logout tokens to every product it signed in to; the page says where', async (t) => {
  const ua = new UserAgent(gw.url);
  const idA = await signIn(ua, 'app-a', 'bankid');
  const idB = await signIn(ua, 'app-b', 'reuse');
  const idQuiet = await signIn(ua, 'app-quiet', 'reuse');
  t.truthy(decodeJwt(idA).sid, 'the ID token carries sid');
  t.truthy(decodeJwt(idQuiet).sub);

  const { prompt, confirmed } = await logout(ua, idA, { post_logout_redirect_uri: BYE, state: 'st-1' });
  t.regex(prompt.text, /id="logout-services"><li>Appen A<\/li><li>Appen B<\/li><li>Tysta appen<\/li><\/ul>/, 'the prompt names every service');
  t.is(confirmed.status, 303);
  t.is(confirmed.location, `${BYE}?state=st-1`, 'back to the app\'s post_logout_redirect_uri, with its state');

  for (const [id, idToken] of [['app-a', idA], ['app-b', idB]] as const) {
    const [token] = await receiver.waitFor(id);
    const { payload, protectedHeader } = await verifyLogoutToken(token!, id);
    t.is(protectedHeader.typ, 'logout+jwt');
    t.deepEqual(payload.events, { [BACKCHANNEL_EVENT]: {} });
    t.is(payload.sid, decodeJwt(idToken).sid, `${id}: the sid of its ID token`);
    t.is(payload.sub, decodeJwt(idToken).sub, `${id}: its pairwise sub`);
    t.is(payload.nonce, undefined, 'a logout token never carries a nonce');
    t.truthy(payload.jti);
    await t.throwsAsync(verifyLogoutToken(token!, id === 'app-a' ? 'app-b' : 'app-a'), undefined, 'addressed to its product only');
  }
  t.false(receiver.tokens.has('app-quiet'), 'no logout token to a product without backchannel_logout_uri');
  t.false(receiver.tokens.has('app-c'), 'nor to a product the session never signed in to');
  t.like((await gw.backchannel.outcomes('app-b'))[0], { clientId: 'app-b', outcome: 'delivered', attempts: 1, lastStatus: 200 });

  // The session is gone: prompt=none at B now needs a sign-in.
  const rpB = await discoverRp(gw, clients['app-b']!);
  const none = await ua.follow((await pushAuthorization(rpB, { prompt: 'none' })).url.href, {}, leaves('app-b'));
  t.is(new URL(none.location!).searchParams.get('error'), 'login_required');
});

test.serial('a receiver that fails is retried with back-off, and the outcome is recorded; without a post_logout_redirect_uri the page says where', async (t) => {
  receiver.failFirst.set('app-c', 2);
  const ua = new UserAgent(gw.url);
  const idC = await signIn(ua, 'app-c', 'bankid');
  await signIn(ua, 'app-b', 'reuse');
  const { confirmed } = await logout(ua, idC);
  t.regex(confirmed.location ?? '', /\/sso\/signed-out\/[A-Za-z0-9_-]+$/);
  const page = await ua.request(confirmed.location!);
  t.is(page.status, 200);
  t.regex(page.text, /id="signed-out-services"><li>Appen C<\/li><li>Appen B<\/li><\/ul>/);
  const [token] = await receiver.waitFor('app-c');
  t.is(receiver.attempts.get('app-c'), 3, 'two failures, then delivered');
  t.is((await verifyLogoutToken(token!, 'app-c')).payload.sid, decodeJwt(idC).sid);
  let outcome;
  for (let i = 0; i < 100 && outcome?.outcome !== 'delivered'; i += 1) {
    outcome = (await gw.backchannel.outcomes('app-c')).at(-1);
    if (outcome?.outcome !== 'delivered') await new Promise((r) => setTimeout(r, 20));
  }
  t.like(outcome, { outcome: 'delivered', attempts: 3, lastStatus: 200 });
});

test.serial('a receiver that never answers is given up after the configured attempts: recorded as failed', async (t) => {
  receiver.failFirst.set('app-a', 99);
  receiver.attempts.delete('app-a');
  const ua = new UserAgent(gw.url);
  const idA = await signIn(ua, 'app-a', 'bankid');
  await logout(ua, idA);
  let outcome;
  for (let i = 0; i < 200 && outcome?.outcome !== 'failed'; i += 1) {
    outcome = (await gw.backchannel.outcomes('app-a')).at(-1);
    if (outcome?.outcome !== 'failed') await new Promise((r) => setTimeout(r, 20));
  }
  t.like(outcome, { outcome: 'failed', attempts: 3, lastStatus: 500 });
  t.is(receiver.attempts.get('app-a'), 3);
  receiver.failFirst.delete('app-a');
});

test.serial('a session from the national portal also ends there: the portal IdP receives a signed LogoutRequest and confirms', async (t) => {
  const portal = gw.sandboxSaml!.idps.find((i) => i.id === 'portal')!;
  const before = portal.logoutRequests.length;
  const ua = new UserAgent(gw.url);
  const idB = await signIn(ua, 'app-b', 'portal');
  const { confirmed } = await logout(ua, idB);
  t.is(confirmed.status, 303);
  t.true(confirmed.location!.startsWith(`${gw.url}/sandbox/saml/idp/portal/slo?SAMLRequest=`), 'to the IdP with a LogoutRequest (HTTP-Redirect)');
  t.regex(confirmed.location!, /&SigAlg=[^&]+&Signature=/, 'signed');
  const idpPage = await ua.request(confirmed.location!);
  t.is(idpPage.status, 200, 'the IdP accepts the signed request');
  t.is(portal.logoutRequests.length, before + 1, 'the portal IdP received it');
  t.truthy(portal.logoutRequests.at(-1)?.sessionIndex, 'naming the session it made');
  const logouts = await (await fetch(`${gw.url}/sandbox/saml/idp/portal/logouts`)).json() as { logoutRequests: unknown[] };
  t.is(logouts.logoutRequests.length, before + 1);

  // The IdP's LogoutResponse (HTTP-POST) is cross-site in real life: a fresh user agent posts it.
  const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(idpPage.text)?.[1];
  t.truthy(samlResponse);
  const acs = await new UserAgent(gw.url).request('/saml/slo', { form: { SAMLResponse: samlResponse! }, headers: { origin: 'https://idp.example.test' } });
  t.is(acs.status, 303);
  const page = await ua.request(acs.location!);
  t.regex(page.text, /id="portal-signed-out"/);
  t.regex(page.text, /<li>Appen B<\/li>/);
  await receiver.waitFor('app-b', 2);

  // The same LogoutResponse again, and one altered: refused with a reason, never a 500.
  const replay = await new UserAgent(gw.url).request('/saml/slo', { form: { SAMLResponse: samlResponse! } });
  t.is(replay.status, 400);
  t.regex(replay.text, /unknown_logout_request/);
  const xml = Buffer.from(samlResponse!, 'base64').toString('utf8').replace(/InResponseTo="[^"]+"/, 'InResponseTo="_other"');
  const tampered = await new UserAgent(gw.url).request('/saml/slo', { form: { SAMLResponse: Buffer.from(xml).toString('base64') } });
  t.is(tampered.status, 400);
});

test('bad logout input is a 4xx with a reason, never a 500', async (t) => {
  const ua = new UserAgent(gw.url);
  for (const [what, res] of [
    ['garbage LogoutResponse', await ua.request('/saml/slo', { form: { SAMLResponse: '!!!' } })],
    ['not a LogoutResponse', await ua.request('/saml/slo', { form: { SAMLResponse: Buffer.from('<a/>').toString('base64') } })],
    ['no LogoutResponse', await ua.request('/saml/slo', { form: {} })],
    ['logout confirm without its xsrf', await ua.request('/session/end/confirm', { form: { logout: 'yes' } })],
    ['a bogus id_token_hint', await ua.request('/session/end?id_token_hint=a.b.c')],
    ['an unknown signed-out page', await ua.request('/sso/signed-out/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')],
    ['a LogoutRequest the portal IdP cannot verify', await ua.request('/sandbox/saml/idp/portal/slo?SAMLRequest=abc&SigAlg=x&Signature=y')],
  ] as const) {
    t.true(res.status >= 400 && res.status < 500, `${what}: ${res.status}`);
  }
});

test('a product\'s back-channel logout URI is checked when it is registered', async (t) => {
  const base = { clientId: 'x', redirectUris: ['https://x.example/cb'], postLogoutRedirectUris: [], tokenEndpointAuthMethod: 'tls_client_auth' as const, tlsClientAuthSubjectDn: 'CN=x', grantTypes: ['authorization_code' as const], scope: 'openid' };
  t.deepEqual(await productClientProblems({ ...base, backchannelLogoutUri: 'https://x.example/logout' }, false), []);
  for (const bad of ['http://x.example/logout', 'https://x.example/logout#frag', 'https://u:p@x.example/logout', 'not a url']) {
    const problems = await productClientProblems({ ...base, backchannelLogoutUri: bad }, false);
    t.is(problems[0]?.path, 'client.backchannelLogoutUri', bad);
  }
  t.deepEqual(await productClientProblems({ ...base, backchannelLogoutUri: 'http://localhost:4000/logout' }, true), [], 'http to loopback in the sandbox');
});

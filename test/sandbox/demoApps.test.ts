// The sandbox's shared sign-in demo over HTTP: the seeded portal, region app and municipal app are
// products of the registry with jump policies; a citizen signs in once at the region app, jumps with
// a launch context, and signs out at the municipal app; the region app receives and shows a verified
// back-channel logout token. A logout token for an unknown sid, a forged one, one with a nonce and a
// replayed one are each a 400 with a reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { SignJWT, importJWK, type JWK, generateKeyPair, createLocalJWKSet, exportJWK } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import { verifyLogoutToken } from '../../src/sandbox/demoApps.ts';
import { systemClock } from '../../src/clock.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { browserThroughBankId, browserThroughFreja } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';

const ANNA = '198003121236';
let gw: Gateway;

test.before(async () => {
  gw = await startTestGateway();
});
test.after.always(async () => {
  await gw?.close();
});

const apps = (id: string) => `${gw.url}/sandbox/apps/${id}`;

async function gatewayKey(): Promise<{ key: CryptoKey; kid: string }> {
  const jwks = JSON.parse(readFileSync(join(gw.config.sandboxDir, 'keys', 'jwks.json'), 'utf8')) as { keys: JWK[] };
  const jwk = jwks.keys.find((k) => k.alg === 'ES256' || k.crv === 'P-256') ?? jwks.keys[0]!;
  return { key: await importJWK(jwk, jwk.alg ?? 'ES256') as CryptoKey, kid: jwk.kid! };
}

async function logoutToken(claims: Record<string, unknown>, aud: string, signer?: { key: CryptoKey; kid: string }, alg = 'ES256') {
  const { key, kid } = signer ?? await gatewayKey();
  return new SignJWT({ events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg, kid, typ: 'logout+jwt' }).setIssuer(gw.url).setAudience(aud).setIssuedAt().sign(key);
}

const postLogout = async (app: string, token: string) => {
  const res = await fetch(`${apps(app)}/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });
  return { status: res.status, body: await res.json().catch(() => ({})) as { error_description?: string } };
};

test.serial('the seeded demo apps: sign in once at the region app, jump to the municipal app with a booking, sign out there, the region app records the back-channel logout', async (t) => {
  const ua = new UserAgent(gw.url);
  const start = await ua.request(`${apps('region')}/login`, { form: {} });
  t.truthy(start.location);
  const callback = await browserThroughBankId(gw, new URL(start.location!), ANNA, `${apps('region')}/callback`, ua);
  const landed = await ua.follow(callback.href, {}, () => false);
  t.is(landed.status, 200, landed.text.slice(0, 300));
  t.regex(landed.text, /id="id-token-claims"/);
  const regionSid = /data-claim="sid">([^<]+)</.exec(landed.text)?.[1];
  t.truthy(regionSid, 'the ID token names the session (back-channel logout)');

  const jumped = await ua.request(`${apps('region')}/go`, { form: { to: 'municipal', booking: 'B-1001' }, headers: { origin: gw.url } });
  t.is(jumped.status, 302, jumped.text.slice(0, 300));
  t.truthy(jumped.location?.startsWith(`${apps('municipal')}/jump-entry?`));
  const atMunicipal = await ua.follow(jumped.location!, {}, () => false);
  t.is(atMunicipal.status, 200, atMunicipal.text.slice(0, 500));
  t.is(new URL(atMunicipal.url).pathname, '/sandbox/apps/municipal/booking/B-1001');
  t.regex(atMunicipal.text, /id="launch-context"[^]*B-1001/);
  t.regex(atMunicipal.text, new RegExp(ANNA));
  t.notRegex(atMunicipal.text, /bankid\/start/, 'no sign-in page on the way');

  // Sign out at the municipal app: RP-initiated logout at the gateway, confirmed by the citizen.
  const out = await ua.request(`${apps('municipal')}/logout`, { form: {} });
  t.truthy(out.location?.includes('/session/end'));
  const prompt = await ua.follow(out.location!, {}, () => false);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(prompt.text)?.[1];
  t.truthy(xsrf, prompt.text.slice(0, 400));
  const action = /action="([^"]+)"/.exec(prompt.text)?.[1] ?? '/session/end/confirm';
  const confirmed = await ua.follow(action, { form: { xsrf: xsrf!, logout: 'yes' }, headers: { origin: gw.url } }, () => false);
  t.is(confirmed.status, 200);
  // Delivery is asynchronous (and retried): wait for the logout list itself to name the sid — the page
  // shows the sid among the ID token's claims too, so a bare match would stop before the token came.
  const listed = new RegExp(`id="backchannel-logouts"[^]*data-sid="${regionSid}"`);
  let region = '';
  for (let i = 0; i < 150 && !listed.test(region); i += 1) {
    region = (await ua.request(`${apps('region')}/`)).text;
    if (!listed.test(region)) await new Promise((r) => setTimeout(r, 100));
  }
  t.regex(region, new RegExp(`id="backchannel-logouts"[^]*data-sid="${regionSid}"`), 'the region app shows the verified logout token');
  t.regex(region, /id="sign-in"/, 'and its session is gone');
});

test.serial('a jump from a Freja EXTENDED (loa2) session to the municipal app is refused in words, with a sign-in the controller accepts; with BankID it then succeeds', async (t) => {
  const ua = new UserAgent(gw.url);
  const start = await ua.request(`${apps('region')}/login`, { form: {} });
  const callback = await browserThroughFreja(gw, new URL(start.location!), ANNA, `${apps('region')}/callback`, { registrationLevel: 'EXTENDED' }, ua);
  const landed = await ua.follow(callback.href, {}, () => false);
  t.regex(landed.text, /data-claim="acr">http:\/\/id.elegnamnden.se\/loa\/1.0\/loa2</);

  const jumped = await ua.request(`${apps('region')}/go`, { form: { to: 'municipal' } });
  t.truthy(jumped.location?.startsWith(`${gw.url}/sso/jump/refused/`), jumped.location);
  const refused = await ua.request(jumped.location!, { headers: { 'accept-language': 'sv' } });
  t.is(refused.status, 403);
  t.regex(refused.text, /data-reason="level_below_policy"/);
  t.regex(refused.text, /kräver en högre tillitsnivå/);
  t.regex(refused.text, /id="accepted-methods"[^<]*BankID/);
  const signIn = /id="sign-in-instead" href="([^"]+)"/.exec(refused.text)?.[1]?.replaceAll('&amp;', '&');
  t.truthy(signIn);
  const entry = new URL(signIn!);
  t.is(entry.pathname, '/sandbox/apps/municipal/jump-entry');
  t.is(entry.searchParams.get('prompt'), 'login');
  t.is(entry.searchParams.get('acr_values'), 'http://id.elegnamnden.se/loa/1.0/loa3');

  // The offered sign-in: the municipal app's own request, a fresh login at loa3 with BankID.
  const started = await ua.request(signIn!);
  t.truthy(started.location);
  const back = await browserThroughBankId(gw, new URL(started.location!), ANNA, `${apps('municipal')}/callback`, ua);
  const municipal = await ua.follow(back.href, {}, () => false);
  t.is(municipal.status, 200);
  t.regex(municipal.text, /data-claim="acr">http:\/\/id.elegnamnden.se\/loa\/1.0\/loa3</);
  t.regex(municipal.text, /data-claim="https:\/\/id.oidc.se\/claim\/authnProvider">https:\/\/www.bankid.com</);

  // Now the session is BankID at loa3: the jump to the portal goes through.
  const again = await ua.request(`${apps('municipal')}/go`, { form: { to: 'portal' } });
  t.truthy(again.location?.startsWith(`${apps('portal')}/jump-entry?`), again.location);
  const portal = await ua.follow(again.location!, {}, () => false);
  t.is(new URL(portal.url).pathname, '/sandbox/apps/portal/');
  t.regex(portal.text, /data-claim="acr">http:\/\/id.elegnamnden.se\/loa\/1.0\/loa3</);
});

test.serial('a logout token for an unknown sid, or one that is forged, has a nonce or is replayed, is a 400 with a reason', async (t) => {
  const aud = 'sandbox-region-app';
  const unknown = await postLogout('region', await logoutToken({ sid: 'no-such-sid' }, aud));
  t.is(unknown.status, 400);
  t.is(unknown.body.error_description, 'unknown sid');
  const nonce = await postLogout('region', await logoutToken({ sid: 's1', nonce: 'n' }, aud));
  t.is(nonce.status, 400);
  t.regex(nonce.body.error_description ?? '', /nonce/);
  const { privateKey } = await generateKeyPair('ES256');
  const forged = await postLogout('region', await logoutToken({ sid: 's1' }, aud, { key: privateKey, kid: (await gatewayKey()).kid }));
  t.is(forged.status, 400);
  t.regex(forged.body.error_description ?? '', /does not verify/);
  const foreign = await postLogout('region', await logoutToken({ sid: 's1' }, 'sandbox-municipal-app'));
  t.is(foreign.status, 400);
  const noSid = await postLogout('region', await logoutToken({}, aud));
  t.regex(noSid.body.error_description ?? '', /no sid/);
  const empty = await fetch(`${apps('region')}/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  t.is(empty.status, 400);
  const token = await logoutToken({ sid: 'no-such-sid' }, aud);
  await postLogout('region', token);
  const again = await postLogout('region', token);
  t.regex(again.body.error_description ?? '', /replayed/);
});

test('verifyLogoutToken: the event is required, and a token signed by the issuer verifies', async (t) => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] });
  const d = { issuer: 'https://gw.example', clientId: 'c', jwks, clock: systemClock };
  const sign = (claims: Record<string, unknown>) => new SignJWT({ jti: 'j', ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k' })
    .setIssuer('https://gw.example').setAudience('c').setIssuedAt().sign(privateKey);
  t.deepEqual(await verifyLogoutToken(await sign({ sid: 's', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }), d), { ok: true, sid: 's', jti: 'j' });
  t.false((await verifyLogoutToken(await sign({ sid: 's', events: {} }), d)).ok);
  t.false((await verifyLogoutToken(await sign({ sid: 's' }), d)).ok);
  t.false((await verifyLogoutToken(42, d)).ok);
});

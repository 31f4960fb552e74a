// Freja eID sign-in end to end, with openid-client as the relying party: the Swedish profile claims,
// the registration level becoming the acr, one account per personnummer across e-IDs, the messages
// for each outcome, cancelling at Freja, and (against a Freja that misbehaves, reached through the
// production configuration path) the gateway's own refusal of a level below what the client needs.
import { Writable } from 'node:stream';
import test from 'ava';
import * as oidc from 'openid-client';
import { ManualClock } from '../../../src/clock.ts';
import type { Gateway } from '../../../src/gateway.ts';
import { createLogger } from '../../../src/log.ts';
import { SE, LOA } from '../../../src/idp/claims.ts';
import { startFrejaSimulator, type FrejaSimulator } from '../../../src/federation/freja/simulator/server.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId, browserThroughFreja, type Rp } from '../../helpers/signIn.ts';
import { UserAgent } from '../../helpers/userAgent.ts';
import { anna, bertil, personas, serveRouter, tempCerts } from './fixtures.ts';

const REDIRECT = 'https://freja-app.example.test/cb';
const STRICT_REDIRECT = 'https://strict.example.test/cb';

let gw: Gateway;
let client: TestClient;
let bankIdOnly: TestClient;
const lines: string[] = [];

// A second gateway, configured as production would be (baseUrl, pfxFile, caFile, signingCertFiles),
// pointed at a simulator that lets anyone approve whatever minRegistrationLevel says.
let lax: FrejaSimulator;
let laxApp: { url: string; close: () => Promise<void> };
let configured: Gateway;
let strict: TestClient;

test.before(async () => {
  client = await makeTestClient('freja-rp', REDIRECT);
  bankIdOnly = await makeTestClient('bankid-only-rp', 'https://bankid-only.example.test/cb', { authn_methods: ['bankid'] });
  strict = await makeTestClient('freja-strict-rp', STRICT_REDIRECT, { minimum_acr: LOA.loa3 });
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  gw = await startTestGateway({ clients: [client.config, bankIdOnly.config], logger: createLogger({ level: 'debug', destination: sink }) });

  const certs = await tempCerts();
  lax = await startFrejaSimulator({ port: 0, certs, personas, clock: new ManualClock(Date.now()), enforceMinRegistrationLevel: false });
  laxApp = await serveRouter(lax.appRouter());
  configured = await startTestGateway({
    clients: [client.config, strict.config],
    overrides: {
      freja: {
        baseUrl: lax.url,
        pfxFile: certs.freja.rpP12,
        passphrase: certs.passphrase,
        caFile: certs.freja.serverCaCert,
        signingCertFiles: [certs.freja.signingCert],
        pollIntervalMs: 100,
        timeoutMs: 3000,
      },
    },
  });
});

test.after.always(async () => {
  await gw?.close();
  await configured?.close();
  await laxApp?.close();
  await lax?.close();
});

async function signIn(g: Gateway, rp: Rp, personalNumber: string, level: 'PLUS' | 'EXTENDED' = 'PLUS', params: Record<string, string> = {}, appUrl?: string) {
  const auth = await pushAuthorization(rp, params);
  const callback = await browserThroughFreja(g, auth.url, personalNumber, rp.client.config.redirect_uris[0]!, { registrationLevel: level, ...(appUrl ? { appUrl } : {}) });
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  return { tokens, claims: tokens.claims()! };
}

test('Freja eID+ (PLUS) sign-in: personalIdentityNumber, acr loa3, authnProvider https://frejaeid.com; nothing personal logged', async (t) => {
  const rp = await discoverRp(gw, client);
  const { tokens, claims } = await signIn(gw, rp, anna.personalNumber, 'PLUS');
  t.is(claims[SE.personalIdentityNumber], anna.personalNumber);
  t.is(claims.given_name, anna.givenName);
  t.is(claims.family_name, anna.surname);
  t.is(claims.acr, LOA.loa3);
  t.is(claims[SE.authnProvider], 'https://frejaeid.com');
  const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub, { DPoP: rp.dpop });
  t.is(userinfo[SE.personalIdentityNumber], anna.personalNumber);

  const log = lines.join('');
  t.regex(log, /sign-in completed/);
  t.regex(log, /"upstream":"freja"/);
  for (const p of personas.citizens) {
    t.false(log.includes(p.personalNumber.slice(2)), `no personnummer of ${p.id} in the log`);
    t.false(log.includes(p.surname), `no surname of ${p.id} in the log`);
  }
  t.false(log.includes(tokens.access_token));
});

test('an EXTENDED registration signs in at loa2 when the client asks for no more', async (t) => {
  const rp = await discoverRp(gw, client);
  const { claims } = await signIn(gw, rp, bertil.personalNumber, 'EXTENDED');
  t.is(claims.acr, LOA.loa2);
  t.is(claims[SE.personalIdentityNumber], bertil.personalNumber);
});

test('the same citizen with BankID and then Freja eID is one account: the same sub for the same client', async (t) => {
  const rp = await discoverRp(gw, client);
  const viaBankId = await (async () => {
    const auth = await pushAuthorization(rp);
    const callback = await browserThroughBankId(gw, auth.url, anna.personalNumber, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
    return tokens.claims()!;
  })();
  const viaFreja = (await signIn(gw, rp, anna.personalNumber, 'PLUS')).claims;
  t.is(viaBankId[SE.authnProvider], 'https://www.bankid.com');
  t.is(viaFreja[SE.authnProvider], 'https://frejaeid.com');
  t.is(viaFreja.sub, viaBankId.sub);
  const other = (await signIn(gw, rp, bertil.personalNumber, 'PLUS')).claims;
  t.not(other.sub, viaFreja.sub, 'another person, another sub');
});

async function startTransaction(g: Gateway, mode: 'qr' | 'autostart', params: Record<string, string> = {}, c = client) {
  const rp = await discoverRp(g, c);
  const auth = await pushAuthorization(rp, { ui_locales: 'en', ...params });
  const ua = new UserAgent(g.url);
  const login = await ua.follow(auth.url.href);
  const uid = login.url.split('/').pop()!;
  const page = await ua.request(`/interaction/${uid}/freja/start`, { form: { mode } });
  return { ua, uid, page };
}

interface StatusBody { status: string; message: { code: string; text: string }; qr?: string; qrSvg?: string; redirectTo?: string }

async function settle(ua: UserAgent, uid: string): Promise<StatusBody> {
  for (let i = 0; i < 40; i += 1) {
    const s = JSON.parse((await ua.request(`/interaction/${uid}/freja/status?lang=en`)).text) as StatusBody;
    if (s.status !== 'pending') return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('still pending');
}

test('QR mode: the page shows the QR code of frejaeid://bindUserToTransaction and the status says to scan it', async (t) => {
  const { ua, uid, page } = await startTransaction(gw, 'qr');
  t.is(page.status, 200);
  t.regex(page.text, /<svg/);
  t.regex(page.text, /frejaeid:\/\/bindUserToTransaction\?transactionReference=/);
  const s = JSON.parse((await ua.request(`/interaction/${uid}/freja/status?lang=en`)).text) as StatusBody;
  t.is(s.status, 'pending');
  t.is(s.message.code, 'scanQr');
  t.regex(s.qr!, /^frejaeid:\/\/bindUserToTransaction\?transactionReference=[A-Za-z0-9_-]+$/);
  // The tester scans it with the simulated app: the request is shown, then approved.
  const opened = await ua.request('/sandbox/freja/app/complete', { json: { qr: s.qr, personalNumber: anna.personalNumber, registrationLevel: 'PLUS', outcome: 'open' }, headers: { accept: 'application/json' } });
  t.is(opened.status, 200, opened.text);
  let waiting: StatusBody | undefined;
  for (let i = 0; i < 20 && waiting?.message.code !== 'confirmInApp'; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    waiting = JSON.parse((await ua.request(`/interaction/${uid}/freja/status?lang=en`)).text) as StatusBody;
  }
  t.is(waiting?.message.code, 'confirmInApp');
  t.is(waiting?.message.text, 'Confirm the sign-in in the Freja eID app.');
  await ua.request('/sandbox/freja/app/complete', { json: { qr: s.qr, personalNumber: anna.personalNumber, registrationLevel: 'PLUS', outcome: 'approve' }, headers: { accept: 'application/json' } });
  const done = await settle(ua, uid);
  t.is(done.status, 'complete');
  t.truthy(done.redirectTo);
});

for (const [outcome, code, text] of [
  ['reject', 'rejected', /declined/],
  ['cancel', 'canceled', /cancelled in the Freja eID app/],
  ['expire', 'expired', /ran out/],
] as const) {
  test(`the app's ${outcome}: the person reads "${code}" and nobody is signed in`, async (t) => {
    const { ua, uid, page } = await startTransaction(gw, 'autostart');
    const authRef = decodeURIComponent(/transactionReference=([^&"]+)/.exec(page.text)![1]!);
    t.regex(page.text, /Open the Freja eID app on this device/);
    const app = await ua.request('/sandbox/freja/app/complete', { json: { authRef, personalNumber: anna.personalNumber, registrationLevel: 'PLUS', outcome }, headers: { accept: 'application/json' } });
    t.is(app.status, 200, app.text);
    const s = await settle(ua, uid);
    t.is(s.status, 'failed');
    t.is(s.message.code, code);
    t.regex(s.message.text, text);
    t.is(s.redirectTo, undefined);
  });
}

test('Freja is asked for the registration level the request needs: EXTENDED by default, PLUS for acr loa3', async (t) => {
  const plain = await startTransaction(gw, 'autostart');
  const loa3 = await startTransaction(gw, 'autostart', { acr_values: LOA.loa3 });
  const ref = (page: string) => decodeURIComponent(/transactionReference=([^&"]+)/.exec(page)![1]!);
  const pending = gw.sandboxFreja!;
  t.truthy(pending);
  // The sandbox app refuses an EXTENDED person for the loa3 request, as Freja would.
  const refused = await plain.ua.request('/sandbox/freja/app/complete', { json: { authRef: ref(loa3.page.text), personalNumber: anna.personalNumber, registrationLevel: 'EXTENDED', outcome: 'approve' }, headers: { accept: 'application/json' } });
  t.is(refused.status, 409);
  t.regex(refused.text, /at least PLUS/);
  const accepted = await plain.ua.request('/sandbox/freja/app/complete', { json: { authRef: ref(plain.page.text), personalNumber: anna.personalNumber, registrationLevel: 'EXTENDED', outcome: 'approve' }, headers: { accept: 'application/json' } });
  t.is(accepted.status, 200, 'the plain request accepts EXTENDED');
});

test.serial('cancelling at the gateway cancels the transaction at Freja; aborting the sign-in does too', async (t) => {
  for (const path of ['freja/cancel', 'abort']) {
    const { ua, uid } = await startTransaction(gw, 'autostart');
    const before = gw.sandboxFreja!.pendingTransactions();
    t.true(before >= 1);
    const res = await ua.request(`/interaction/${uid}/${path}`, { form: {} });
    t.is(res.status, 303, path);
    t.is(gw.sandboxFreja!.pendingTransactions(), before - 1, `${path} cancelled the transaction`);
  }
});

test('the status of someone else\'s interaction is not readable without its cookie', async (t) => {
  const { uid } = await startTransaction(gw, 'qr');
  const res = await new UserAgent(gw.url).request(`/interaction/${uid}/freja/status`);
  t.is(res.status, 400);
  t.false(res.text.includes('transactionReference'));
});

test('configuration only: a gateway pointed at a Freja REST API by baseUrl, pfxFile, caFile and signingCertFiles signs in', async (t) => {
  t.is(configured.sandboxFreja, undefined, 'no simulator started');
  const rp = await discoverRp(configured, client);
  const { claims } = await signIn(configured, rp, anna.personalNumber, 'PLUS', {}, laxApp.url);
  t.is(claims.acr, LOA.loa3);
  t.is(claims[SE.authnProvider], 'https://frejaeid.com');
});

test('a client requiring loa3 refuses an EXTENDED result, even when Freja approves it, with a clear message', async (t) => {
  const { ua, uid, page } = await startTransaction(configured, 'autostart', {}, strict);
  const authRef = decodeURIComponent(/transactionReference=([^&"]+)/.exec(page.text)![1]!);
  t.is(lax.transactions.get(authRef)!.minRegistrationLevel, 'PLUS', 'Freja was asked for PLUS');
  const app = await fetch(`${laxApp.url}/sandbox/freja/app/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ authRef, personalNumber: anna.personalNumber, registrationLevel: 'EXTENDED', outcome: 'approve' }),
  });
  t.is(app.status, 200, 'this Freja lets an EXTENDED user approve');
  const s = await settle(ua, uid);
  t.is(s.status, 'failed');
  t.is(s.message.code, 'level_too_low');
  t.is(s.message.text, 'The e-ID you used does not meet the level of assurance the app requires. Choose another method.');
  t.is(s.redirectTo, undefined);
});

test('without JavaScript: "I have identified myself" asks Freja once and continues to consent after approval', async (t) => {
  const { ua, uid, page } = await startTransaction(gw, 'autostart');
  const authRef = decodeURIComponent(/transactionReference=([^&"]+)/.exec(page.text)![1]!);
  t.regex(page.text, /<noscript><button type="submit">I have identified myself/);
  const early = await ua.request(`/interaction/${uid}/freja/check`, { form: {} });
  t.is(early.status, 200, 'still waiting: the wait page again');
  t.regex(early.text, /Freja eID/);
  await ua.request('/sandbox/freja/app/complete', { json: { authRef, personalNumber: anna.personalNumber, registrationLevel: 'PLUS', outcome: 'approve' }, headers: { accept: 'application/json' } });
  await new Promise((r) => setTimeout(r, 150)); // one poll interval
  const done = await ua.request(`/interaction/${uid}/freja/check`, { form: {} });
  t.is(done.status, 303);
  t.truthy(done.location);
});

test.serial('a client that does not allow Freja eID is neither offered it nor able to start it', async (t) => {
  const rp = await discoverRp(gw, bankIdOnly);
  const auth = await pushAuthorization(rp);
  const ua = new UserAgent(gw.url);
  const login = await ua.follow(auth.url.href);
  t.false(login.text.includes('method-freja'));
  t.true(login.text.includes('method-bankid'));
  const uid = login.url.split('/').pop()!;
  const before = gw.sandboxFreja!.pendingTransactions();
  const res = await ua.request(`/interaction/${uid}/freja/start`, { form: { mode: 'qr' } });
  t.is(res.status, 403);
  t.regex(res.text, /inte den inloggningsmetoden|does not allow that sign-in method/);
  t.false(res.text.includes('transactionReference'));
  t.is(gw.sandboxFreja!.pendingTransactions(), before, 'no transaction was started');
});

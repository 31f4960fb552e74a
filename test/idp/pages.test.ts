// The citizen pages through HTTP: the method list shows only the product's audience, in plain words,
// grouped when a product serves both; on a phone the same-device start comes first; the BankID wait
// page hides the QR code once the app has the order and, after a failure, offers only "start again";
// the language the app asked for (ui_locales) holds on every page; the logout prompt's cancel keeps the
// session; and a finished interaction's page (the browser's Back) names the app and links back to it.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { browserThroughBankId, discoverRp, pushAuthorization } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';

const STAFF = ['siths-saml', 'siths-card'];
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

let gw: Gateway;
let citizenApp: TestClient;
let mixedApp: TestClient;
let staffApp: TestClient;

test.before(async () => {
  citizenApp = await makeTestClient('pages-citizen', 'https://citizen.example.test/cb', { authn_methods: ['bankid', 'freja', 'portal-saml'], post_logout_redirect_uris: ['https://citizen.example.test/'] });
  mixedApp = await makeTestClient('pages-mixed', 'https://mixed.example.test/cb', { authn_methods: ['bankid', 'freja', 'siths-saml', 'siths-card'] });
  staffApp = await makeTestClient('pages-staff', 'https://staff.example.test/cb', { authn_methods: STAFF });
  gw = await startTestGateway({ clients: [citizenApp.config, mixedApp.config, staffApp.config] });
});
test.after.always(async () => gw?.close());

async function loginPage(client: TestClient, params: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp, params);
  const ua = new UserAgent(gw.url);
  const first = await ua.follow(auth.url.href, { headers }, () => false);
  // The redirects on the way carry no headers of their own: the page itself is asked for with them.
  const res = Object.keys(headers).length ? await ua.request(first.url, { headers }) : first;
  const offered = [...res.text.matchAll(/id="method-([a-z-]+)"/g)].map((m) => m[1]);
  return { res, ua, offered, uid: res.url.split('/').pop() ?? '', auth };
}

test('the method list of a citizen product has no staff method, and a staff product\'s has no citizen e-ID', async (t) => {
  const citizen = await loginPage(citizenApp);
  t.deepEqual(citizen.offered.filter((m) => STAFF.includes(m ?? '')), []);
  t.true(citizen.offered.includes('bankid'));
  t.notRegex(citizen.res.text, /SITHS/);
  t.notRegex(citizen.res.text, /arbetar i vård och omsorg/, 'no staff heading for a citizen app');
  const staff = await loginPage(staffApp);
  t.deepEqual(staff.offered.sort(), [...STAFF].sort());
  t.notRegex(staff.res.text, /BankID|Freja/);
});

test('the method list speaks plain words: the e-ID\'s own name and how safe it is, no "tillitsnivå" or acr jargon', async (t) => {
  const { res } = await loginPage(citizenApp);
  t.regex(res.text, /<h3>BankID<\/h3>/);
  t.regex(res.text, /<h3>Freja eID<\/h3>/);
  t.regex(res.text, /Hög säkerhet/);
  t.notRegex(res.text, /Tillitsnivå|loa\/1\.0|LoA/);
  const en = await loginPage(citizenApp, { ui_locales: 'en' });
  t.regex(en.res.text, /High security/);
  t.notRegex(en.res.text, /Level of assurance/);
});

test('a product for citizens and staff alike groups its methods under who they are for', async (t) => {
  const { res } = await loginPage(mixedApp);
  const citizens = res.text.indexOf('id="audience-citizen"');
  const staff = res.text.indexOf('id="audience-staff"');
  t.true(citizens > 0 && staff > citizens);
  t.true(res.text.indexOf('id="method-bankid"') > citizens && res.text.indexOf('id="method-bankid"') < staff);
  t.true(res.text.indexOf('id="method-siths-card"') > staff);
});

test('on a phone the same-device start comes first; on a computer the QR code does', async (t) => {
  const firstButton = (html: string) => /id="method-bankid"[\s\S]*?<button type="submit" name="mode" value="([a-z]+)"/.exec(html)?.[1];
  t.is(firstButton((await loginPage(citizenApp, {}, { 'user-agent': IPHONE })).res.text), 'autostart');
  t.is(firstButton((await loginPage(citizenApp, {}, { 'user-agent': DESKTOP })).res.text), 'qr');
});

test('the BankID QR page explains how to scan; once the app has the order the QR code is gone and the message says what to do', async (t) => {
  const { ua, uid } = await loginPage(citizenApp);
  const wait = await ua.request(`/interaction/${uid}/bankid/start`, { form: { mode: 'qr' } });
  t.regex(wait.text, /id="scan-steps"/);
  t.regex(wait.text, /QR-symbolen/);
  t.regex(wait.text, /id="switch-mode"/, 'the same-device start is one click away');
  const qr = /<code id="qr-text">([^<]+)<\/code>/.exec(wait.text)?.[1];
  t.truthy(qr);
  const app = await ua.request('/sandbox/bankid/app/complete', { json: { qr, personalNumber: '198003121236', outcome: 'userSign' }, headers: { accept: 'application/json' } });
  t.is(app.status, 200, app.text);
  let body: { status?: string; opened?: boolean; qrSvg?: string; message?: { code: string } } = {};
  for (let i = 0; i < 40 && !body.opened; i += 1) {
    body = JSON.parse((await ua.request(`/interaction/${uid}/bankid/status`, { headers: { accept: 'application/json' } })).text) as typeof body;
    if (!body.opened) await new Promise((r) => setTimeout(r, 100));
  }
  t.true(body.opened);
  t.is(body.message?.code, 'RFA9');
  t.is(body.qrSvg, undefined, 'no QR code once scanned');
  const again = await ua.request(`/interaction/${uid}/bankid/wait?mode=qr`);
  t.is(again.status, 200);
  t.notRegex(again.text, /id="qr"/);
  t.regex(again.text, /säkerhetskod/);
});

test('after a failed order there is one way on (start again): no QR code, no "open BankID" for the dead order', async (t) => {
  const { ua, uid } = await loginPage(citizenApp);
  const wait = await ua.request(`/interaction/${uid}/bankid/start`, { form: { mode: 'autostart' } });
  const token = decodeURIComponent(/autostarttoken=([^&"]+)/.exec(wait.text)?.[1] ?? '');
  await ua.request('/sandbox/bankid/app/complete', { json: { autoStartToken: token, personalNumber: '198003121236', outcome: 'userCancel' }, headers: { accept: 'application/json' } });
  let page = '';
  for (let i = 0; i < 40; i += 1) {
    page = (await ua.request(`/interaction/${uid}/bankid/check`, { form: {} })).text;
    if (/id="retry" >/.test(page) || /class="message error"/.test(page)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.regex(page, /class="message error"/);
  t.notRegex(page, /id="launch"/, 'no button that opens the dead order');
  t.notRegex(page, /id="qr"/);
  t.notRegex(page, /id="switch-mode"/);
  t.regex(page, /<form method="post" action="[^"]+\/bankid\/start" id="retry" >/, 'start again is shown');
});

test('ui_locales=en holds against a Swedish browser: method choice, wait page, consent, and the page after the sign-in', async (t) => {
  const sv = { 'accept-language': 'sv-SE,sv;q=0.9' };
  const { ua, uid, res } = await loginPage(citizenApp, { ui_locales: 'en' }, sv);
  t.regex(res.text, /<html lang="en"/);
  const wait = await ua.request(`/interaction/${uid}/bankid/start`, { form: { mode: 'qr' }, headers: sv });
  t.regex(wait.text, /<html lang="en"/);
  t.regex(wait.text, /Sign in with BankID/);
  // Back to a finished interaction (its cookie still in the browser): English, with the way back.
  await ua.request(`/interaction/${uid}/bankid/cancel`, { form: {}, headers: sv });
  const abort = await ua.follow(`/interaction/${uid}/abort`, { form: {}, headers: sv }, (u) => u.startsWith('https://citizen.example.test/'));
  t.regex(abort.location ?? '', /error=access_denied/);
  const back = await ua.request(`/interaction/${uid}`, { headers: sv });
  t.is(back.status, 400);
  t.regex(back.text, /<html lang="en"/);
  t.regex(back.text, /id="back" href="https:\/\/citizen\.example\.test\/">Back to Test app pages-citizen</);
});

test('after the code reached the app, the sign-in\'s page (Back) says so and links back to the app instead of a raw error', async (t) => {
  const rp = await discoverRp(gw, citizenApp);
  const auth = await pushAuthorization(rp);
  const ua = new UserAgent(gw.url);
  let consentUrl = '';
  const code = await browserThroughBankId(gw, auth.url, '198003121236', citizenApp.config.redirect_uris[0] ?? '', ua, (_page, url) => { consentUrl = url; });
  t.truthy(code.searchParams.get('code'));
  const back = await ua.request(consentUrl);
  t.is(back.status, 400);
  t.is(back.headers.get('cache-control'), 'no-store', 'never from the cache');
  t.regex(back.text, /<code id="error-code">interaction_expired<\/code>/);
  t.regex(back.text, /id="back" href="https:\/\/citizen\.example\.test\/"/);
  t.regex(back.text, /<html lang="sv"/);

  // Sign-out: the prompt's cancel goes back to the app without submitting the form, and the session holds.
  const prompt = await ua.request(`/session/end?client_id=${citizenApp.config.client_id}&ui_locales=en`);
  t.is(prompt.status, 200);
  t.regex(prompt.text, /<html lang="en"/);
  t.regex(prompt.text, /<a class="button secondary" id="logout-cancel" href="https:\/\/citizen\.example\.test\/">Cancel – I want to stay signed in<\/a>/);
  const next = await pushAuthorization(rp);
  const reused = await ua.follow(next.url.href, {}, (u) => u.startsWith('https://citizen.example.test/'));
  t.regex(reused.location ?? '', /^https:\/\/citizen\.example\.test\/cb\?code=/, 'still signed in: no login page');
});

// The login page's BankID steps against the simulator: every outcome reaches the person as BankID's
// recommended message, and giving up cancels the order at BankID.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';

let gw: Gateway;
let client: TestClient;
test.before(async () => {
  client = await makeTestClient('bankid-login-rp', 'https://bl.example.test/cb');
  gw = await startTestGateway({ clients: [client.config] });
});
test.after.always(async () => gw?.close());

async function startOrder(mode: 'qr' | 'autostart', lang = 'sv') {
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp, { ui_locales: lang });
  const ua = new UserAgent(gw.url);
  const login = await ua.follow(auth.url.href);
  const uid = login.url.split('/').pop()!;
  const page = await ua.request(`/interaction/${uid}/bankid/start`, { form: { mode } });
  return { ua, uid, page };
}

async function settle(ua: UserAgent, uid: string, lang = 'sv') {
  for (let i = 0; i < 40; i += 1) {
    const s = JSON.parse((await ua.request(`/interaction/${uid}/bankid/status?lang=${lang}`)).text) as { status: string; message: { code: string; text: string }; qr?: string; redirectTo?: string };
    if (s.status !== 'pending') return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('still pending');
}

for (const [outcome, code] of [['userCancel', 'RFA6'], ['startFailed', 'RFA17A'], ['expiredTransaction', 'RFA8']] as const) {
  test(`${outcome} shows ${code} and no sign-in happens`, async (t) => {
    const { ua, uid, page } = await startOrder('autostart');
    const token = decodeURIComponent(/autostarttoken=([^&"]+)/.exec(page.text)![1]!);
    const app = await ua.request('/sandbox/bankid/app/complete', { json: { autoStartToken: token, personalNumber: '198003121236', outcome }, headers: { accept: 'application/json' } });
    t.is(app.status, 200, app.text);
    const s = await settle(ua, uid);
    t.is(s.status, 'failed');
    t.is(s.message.code, code);
    t.is(s.redirectTo, undefined);
  });
}

test('QR mode: the page carries a QR code, the status gives a fresh QR each second, outstandingTransaction is RFA1', async (t) => {
  const { ua, uid, page } = await startOrder('qr', 'en');
  t.regex(page.text, /<svg/);
  const s1 = JSON.parse((await ua.request(`/interaction/${uid}/bankid/status?lang=en`)).text) as { qr: string; message: { code: string; text: string }; qrSvg: string };
  t.is(s1.message.code, 'RFA1');
  t.regex(s1.message.text, /BankID/);
  t.regex(s1.qrSvg, /^<svg/);
  await new Promise((r) => setTimeout(r, 1100));
  const s2 = JSON.parse((await ua.request(`/interaction/${uid}/bankid/status?lang=en`)).text) as { qr: string };
  t.not(s1.qr, s2.qr);
  t.is(s1.qr.split('.')[1], s2.qr.split('.')[1]);
  // The tester scans: the simulator accepts the current QR content.
  const app = await ua.request('/sandbox/bankid/app/complete', { json: { qr: s2.qr, personalNumber: '198003121236', outcome: 'complete' }, headers: { accept: 'application/json' } });
  t.is(app.status, 200, app.text);
  const done = await settle(ua, uid, 'en');
  t.is(done.status, 'complete');
  t.truthy(done.redirectTo);
});

test.serial('cancelling at the gateway cancels the order at BankID; aborting the sign-in does too', async (t) => {
  for (const path of ['bankid/cancel', 'abort']) {
    const { ua, uid } = await startOrder('autostart');
    const before = gw.sandboxBankId!.pendingOrders();
    t.true(before >= 1);
    const res = await ua.request(`/interaction/${uid}/${path}`, { form: {} });
    t.is(res.status, 303, path);
    t.is(gw.sandboxBankId!.pendingOrders(), before - 1, `${path} cancelled the order`);
  }
});

test('the status of someone else\'s interaction is not readable without its cookie', async (t) => {
  const { uid } = await startOrder('qr');
  const stranger = new UserAgent(gw.url);
  const res = await stranger.request(`/interaction/${uid}/bankid/status`);
  t.is(res.status, 400);
  t.false(res.text.includes('bankid.'), 'no QR content leaks');
});

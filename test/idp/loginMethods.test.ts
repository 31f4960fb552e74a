// The login page offers exactly the upstreams that the client allows and that reach the level of
// assurance this request needs (issue 5, item 7), in Swedish and English; a direct post to a method the
// page did not offer is refused too.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import { LOA } from '../../src/idp/claims.ts';

const ALL = ['bankid', 'freja', 'portal-saml', 'siths-saml', 'siths-card'];
let gw: Gateway;
let everything: TestClient;
let citizens: TestClient;
let staff: TestClient;
let strict: TestClient;

test.before(async () => {
  everything = await makeTestClient('methods-all', 'https://m.example.test/cb', { authn_methods: ALL });
  citizens = await makeTestClient('methods-citizen', 'https://m.example.test/cb', { authn_methods: ['bankid', 'freja', 'portal-saml'] });
  staff = await makeTestClient('methods-staff', 'https://m.example.test/cb', { authn_methods: ['siths-saml', 'siths-card'] });
  strict = await makeTestClient('methods-loa4', 'https://m.example.test/cb', { authn_methods: ['bankid', 'freja', 'portal-saml'], minimum_acr: LOA.loa4 });
  gw = await startTestGateway({ clients: [everything.config, citizens.config, staff.config, strict.config] });
});
test.after.always(async () => gw?.close());

async function loginPage(client: TestClient, params: Record<string, string> = {}) {
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp, params);
  const ua = new UserAgent(gw.url);
  const res = await ua.follow(auth.url.href, {}, () => false);
  const offered = [...res.text.matchAll(/id="method-([a-z-]+)"/g)].map((m) => m[1]);
  return { res, ua, offered, uid: res.url.split('/').pop()! };
}

test('every configured upstream is offered to a client that allows them all', async (t) => {
  const { offered } = await loginPage(everything);
  t.deepEqual([...offered].sort(), [...ALL].sort());
});

test('only the client\'s own methods are offered: citizen e-IDs to a citizen app, staff e-IDs to a staff app', async (t) => {
  t.deepEqual((await loginPage(citizens)).offered.sort(), ['bankid', 'freja', 'portal-saml']);
  t.deepEqual((await loginPage(staff)).offered.sort(), ['siths-card', 'siths-saml']);
});

test('acr_values loa4 leaves only the methods that can reach loa4; a product minimum does the same', async (t) => {
  t.deepEqual((await loginPage(citizens, { acr_values: LOA.loa4 })).offered, ['portal-saml']);
  t.deepEqual((await loginPage(strict)).offered, ['portal-saml']);
  t.deepEqual((await loginPage(strict, { acr_values: LOA.loa2 })).offered, ['portal-saml'], 'asking for less never goes below the product minimum');
  t.deepEqual((await loginPage(citizens, { acr_values: LOA.loa2 })).offered.sort(), ['bankid', 'freja', 'portal-saml']);
});

test('a method the page did not offer is refused when posted to directly', async (t) => {
  const { ua, uid } = await loginPage(strict);
  const res = await ua.request(`/interaction/${uid}/bankid/start`, { form: { mode: 'qr' } });
  t.is(res.status, 403);
  const staffOnly = await loginPage(staff);
  const freja = await staffOnly.ua.request(`/interaction/${staffOnly.uid}/freja/start`, { form: { mode: 'qr' } });
  t.is(freja.status, 403);
});

test('the page is in Swedish by default and in English on request', async (t) => {
  const sv = await loginPage(citizens);
  t.regex(sv.res.text, /<html lang="sv"/);
  t.regex(sv.res.text, /Logga in/);
  const en = await loginPage(citizens, { ui_locales: 'en' });
  t.regex(en.res.text, /<html lang="en"/);
  t.regex(en.res.text, /Sign in/);
});

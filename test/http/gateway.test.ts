// The assembled gateway: each path has one owner and one error shape, and pages speak the language
// the person chose or their browser prefers.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';

let gw: Gateway;
let client: TestClient;
test.before(async () => {
  client = await makeTestClient('assembly-rp', 'https://assembly.example.test/cb');
  gw = await startTestGateway({ clients: [client.config] });
});
test.after.always(async () => gw?.close());

const langOf = async (path: string, headers: Record<string, string>): Promise<string | undefined> =>
  /<html lang="([a-z]+)"/.exec(await (await fetch(`${gw.url}${path}`, { headers })).text())?.[1];

test('the landing page follows Accept-Language by q-value', async (t) => {
  t.is(await langOf('/', { 'accept-language': 'en;q=0.9, sv;q=0.8' }), 'en');
  t.is(await langOf('/', { 'accept-language': 'sv;q=0.1, en' }), 'en');
  t.is(await langOf('/', { 'accept-language': 'sv-SE, en;q=0.5' }), 'sv');
});

test('the language switch (?lang=) beats the browser', async (t) => {
  t.is(await langOf('/?lang=sv', { 'accept-language': 'en' }), 'sv');
  t.is(await langOf('/?lang=en', { 'accept-language': 'sv' }), 'en');
});

/** A browser at the login page of a fresh sign-in; the page path, without the query. */
async function atLoginPage(params: Record<string, string> = {}) {
  const auth = await pushAuthorization(await discoverRp(gw, client), params);
  const ua = new UserAgent(gw.url);
  const res = await ua.follow(auth.url.href, {}, () => false);
  return { ua, path: new URL(res.url).pathname };
}
const htmlLang = (text: string) => /<html lang="([a-z]+)"/.exec(text)?.[1];

test('the login page follows Accept-Language by q-value when the app names no ui_locales', async (t) => {
  const { ua, path } = await atLoginPage();
  t.is(htmlLang((await ua.request(path, { headers: { 'accept-language': 'en;q=0.9, sv;q=0.8' } })).text), 'en');
  t.is(htmlLang((await ua.request(path, { headers: { 'accept-language': 'sv;q=0.1, en' } })).text), 'en');
  t.is(htmlLang((await ua.request(path, { headers: { 'accept-language': 'en;q=0.2, sv' } })).text), 'sv');
});

test('the person\'s choice on the login page beats the app\'s ui_locales and the browser, and holds for the next page', async (t) => {
  const { ua, path } = await atLoginPage({ ui_locales: 'en' });
  const english = { 'accept-language': 'en' };
  t.is(htmlLang((await ua.request(path, { headers: english })).text), 'en');
  t.is(htmlLang((await ua.request(`${path}?lang=sv`, { headers: english })).text), 'sv');
  t.is(htmlLang((await ua.request(path, { headers: english })).text), 'sv', 'the choice is remembered (lang cookie)');
});

test('bad input to a gateway route is a problem+json 4xx', async (t) => {
  const res = await fetch(`${gw.url}/pdp/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"not json' });
  t.is(res.status, 400);
  t.regex(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  t.regex(((await res.json()) as { type: string }).type, /^urn:gateway:problem:/);
});

test('bad input to an OAuth endpoint is the RFC error', async (t) => {
  const res = await fetch(`${gw.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password' });
  t.is(res.status, 400);
  t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = await res.json() as Record<string, unknown>;
  t.is(typeof body.error, 'string');
  t.is(body.type, undefined);
});

test('an unknown gateway path under a module is a problem+json 404, and every answer carries a request id', async (t) => {
  const res = await fetch(`${gw.url}/sandbox/no-such-page`);
  t.is(res.status, 404);
  t.regex(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  t.truthy(res.headers.get('x-request-id'));
  t.truthy((await fetch(`${gw.url}/healthz`)).headers.get('x-request-id'));
});

test('a mount owns its paths as its routers match them: one trailing slash and any case still reach it', async (t) => {
  for (const path of ['/healthz', '/healthz/', '/HEALTHZ']) {
    const res = await fetch(`${gw.url}${path}`);
    t.is(res.status, 200, path);
    t.like(await res.json(), { status: 'ok' }, path);
  }
});

// The assembled gateway: each path has one owner and one error shape, and pages speak the language
// the person chose or their browser prefers.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';

let gw: Gateway;
test.before(async () => {
  gw = await startTestGateway();
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

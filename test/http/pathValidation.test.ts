// Issue 13, item 4: every path and query parameter is checked before use. A NUL or control byte
// (raw or percent-encoded) or a broken percent-encoding in any path is a 400, a NUL in any query a
// 400, an over-long path or query a 414 — in the owner's shape (the RFC error on OAuth endpoints,
// problem+json or a page elsewhere) — and ids of the wrong charset are refused by the route's own
// check (the interaction uid, the admin API's ids), never a 5xx.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { STAFF, callApi, staffToken, type Caller } from '../helpers/adminApi.ts';

let gw: Gateway;
let operator: Caller;

test.before(async () => {
  gw = await startTestGateway();
  operator = await staffToken(gw, STAFF.OLOF);
});
test.after.always(async () => gw?.close());

// Routes with path parameters, `{}` where the parameter goes.
const ROUTES = [
  '/interaction/{}', '/interaction/{}/abort', '/interaction/{}/bankid/status', '/interaction/{}/portal-saml/resume',
  '/sandbox/saml/idp/{}/metadata', '/sandbox/data/{}/bookings', '/admin/products/{}', '/admin/controllers/{}', '/admin/audit/{}/x',
  '/pep/data/{}/bookings', '/pdp/v1/auth-request/{}', '/siths/card/{}', '/auth/{}', '/token/{}', '/{}',
];
const HOSTILE = [
  { name: 'encoded NUL', value: 'a%00b', status: 400 },
  { name: 'encoded newline', value: 'a%0d%0ab', status: 400 },
  { name: 'encoded DEL', value: 'a%7Fb', status: 400 },
  { name: 'broken percent-encoding', value: '%E0%A4%A', status: 400 },
  { name: 'lone percent', value: 'a%', status: 400 },
  { name: 'over-long', value: 'x'.repeat(3000), status: 414 },
];

for (const route of ROUTES) {
  test(`hostile path parameters are refused before use: ${route}`, async (t) => {
    for (const h of HOSTILE) {
      const res = await fetch(`${gw.url}${route.replace('{}', h.value)}`, { redirect: 'manual' });
      const body = await res.text();
      t.is(res.status, h.status, `${h.name}: ${body.slice(0, 160)}`);
    }
  });
}

test('a NUL in a query is a 400 in the owner\'s shape; an over-long query a 414', async (t) => {
  const oauth = await fetch(`${gw.url}/auth?client_id=a%00b&response_type=code`, { headers: { accept: 'application/json' } });
  t.is(oauth.status, 400);
  t.is((await oauth.json() as { error: string }).error, 'invalid_request');
  const gateway = await fetch(`${gw.url}/interaction/abc?lang=sv%00`);
  t.is(gateway.status, 400);
  t.regex(gateway.headers.get('content-type') ?? '', /problem\+json/);
  const token = await fetch(`${gw.url}/token?x=%00`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  t.is(token.status, 400);
  const long = await fetch(`${gw.url}/pdp/v1/auth-request?q=${'x'.repeat(9000)}`);
  t.is(long.status, 414);
  // A well-formed query of the same routes still works.
  t.is((await fetch(`${gw.url}/.well-known/openid-configuration?x=1`)).status, 200);
});

test('the admin API checks its own path ids (after the token): hostile bytes are its validation_failed naming the parameter', async (t) => {
  for (const h of HOSTILE.filter((x) => x.status === 400)) {
    const res = await callApi(gw, operator, 'GET', `/admin/api/v1/products/${h.value}`);
    t.is(res.status, 400, h.name);
    t.is(res.body.type, 'urn:gateway:problem:validation_failed', h.name);
  }
  t.is((await callApi(gw, operator, 'GET', `/admin/api/v1/products/${'x'.repeat(3000)}`)).status, 414);
});

test('ids of the wrong charset are refused by the route\'s own check, not looked up', async (t) => {
  for (const uid of ['åäö', 'a.b', 'a%20b', 'x'.repeat(65), '%3Cscript%3E']) {
    const res = await fetch(`${gw.url}/interaction/${uid}`, { headers: { accept: 'text/html' } });
    t.is(res.status, 400, `interaction uid ${uid}`);
  }
  for (const id of ['%C3%A5%C3%A4%C3%B6', 'a.b', 'x'.repeat(200), '%3Cscript%3E', 'UPPER']) {
    const res = await callApi(gw, operator, 'GET', `/admin/api/v1/products/${id}`);
    t.is(res.status, 400, `admin id ${id}: ${JSON.stringify(res.body)}`);
    t.is(res.body.type, 'urn:gateway:problem:validation_failed');
  }
});

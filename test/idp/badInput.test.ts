// Malformed and hostile requests at every endpoint: an RFC error or a problem+json 4xx, never a 500,
// and the gateway keeps serving afterwards.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient } from '../helpers/gateway.ts';

let gw: Gateway;

test.before(async () => {
  const client = await makeTestClient('bad-input-rp', 'https://app.example.test/cb');
  gw = await startTestGateway({ clients: [client.config] });
});
test.after.always(async () => gw?.close());

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const json = { 'content-type': 'application/json' };

const cases: Case[] = [
  { name: 'token: empty', method: 'POST', path: '/token', headers: form, body: '' },
  { name: 'token: unknown grant', method: 'POST', path: '/token', headers: form, body: 'grant_type=password&username=a&password=b' },
  { name: 'token: JSON body', method: 'POST', path: '/token', headers: json, body: '{"grant_type":"client_credentials"}' },
  { name: 'token: garbage assertion', method: 'POST', path: '/token', headers: form, body: 'grant_type=client_credentials&client_id=bad-input-rp&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c' },
  { name: 'token: bad DPoP header', method: 'POST', path: '/token', headers: { ...form, dpop: 'not.a.jwt' }, body: 'grant_type=client_credentials' },
  { name: 'token: huge body', method: 'POST', path: '/token', headers: form, body: `a=${'x'.repeat(2_000_000)}` },
  { name: 'PAR: no client', method: 'POST', path: '/request', headers: form, body: 'response_type=code' },
  { name: 'PAR: bad percent-encoding', method: 'POST', path: '/request', headers: form, body: 'client_id=%E0%A4%A&x=%' },
  { name: 'auth: nothing', method: 'GET', path: '/auth' },
  { name: 'auth: unknown request_uri', method: 'GET', path: '/auth?client_id=bad-input-rp&request_uri=urn:ietf:params:oauth:request_uri:nope' },
  { name: 'auth: unknown client', method: 'GET', path: '/auth?client_id=nobody&response_type=code&scope=openid' },
  { name: 'auth: repeated params', method: 'GET', path: '/auth?client_id=a&client_id=b' },
  { name: 'userinfo: no token', method: 'GET', path: '/me' },
  { name: 'userinfo: malformed authorization', method: 'GET', path: '/me', headers: { authorization: 'DPoP' } },
  { name: 'userinfo: oversized token', method: 'GET', path: '/me', headers: { authorization: `Bearer ${'a'.repeat(12_000)}` } },
  { name: 'introspection: unauthenticated', method: 'POST', path: '/token/introspection', headers: form, body: 'token=abc' },
  { name: 'revocation: unauthenticated', method: 'POST', path: '/token/revocation', headers: form, body: 'token=abc' },
  { name: 'logout: bogus id_token_hint', method: 'GET', path: '/session/end?id_token_hint=a.b.c' },
  { name: 'interaction: unknown uid', method: 'GET', path: '/interaction/does-not-exist' },
  { name: 'interaction: path traversal', method: 'GET', path: '/interaction/..%2F..%2Fetc%2Fpasswd' },
  { name: 'interaction: consent without interaction', method: 'POST', path: '/interaction/x/consent', headers: form, body: '' },
  { name: 'interaction: cross-origin post', method: 'POST', path: '/interaction/x/abort', headers: { ...form, origin: 'https://evil.example' }, body: '' },
  { name: 'bankid status: unknown interaction', method: 'GET', path: '/interaction/x/bankid/status' },
  { name: 'bankid start: malformed JSON', method: 'POST', path: '/interaction/x/bankid/start', headers: json, body: '{"mode":' },
  { name: 'sandbox app: malformed JSON', method: 'POST', path: '/sandbox/bankid/app/complete', headers: json, body: '{"qr":' },
  { name: 'sandbox app: wrong types', method: 'POST', path: '/sandbox/bankid/app/complete', headers: json, body: '{"qr":5,"personalNumber":[],"outcome":{}}' },
  { name: 'sandbox app: huge body', method: 'POST', path: '/sandbox/bankid/app/complete', headers: json, body: JSON.stringify({ qr: 'x'.repeat(500_000) }) },
  { name: 'demo rp callback without session', method: 'GET', path: '/sandbox/rp/callback?code=x&state=y' },
  { name: 'unknown path', method: 'GET', path: '/nope' },
  { name: 'jwks: POST', method: 'POST', path: '/jwks', headers: form, body: '' },
];

for (const c of cases) {
  test(`bad input never 500s: ${c.name}`, async (t) => {
    const res = await fetch(`${gw.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body, redirect: 'manual' });
    const text = await res.text();
    t.true(res.status >= 300 && res.status < 500, `${c.method} ${c.path} -> ${res.status}: ${text.slice(0, 300)}`);
    t.false(/at .*\.(ts|js):\d+/.test(text), 'no stack trace in the answer');
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('json') && res.status >= 400) {
      const body = JSON.parse(text) as Record<string, unknown>;
      t.true('error' in body || 'type' in body || 'status' in body, 'an OAuth error or a problem document');
    }
  });
}

test('after all that, the gateway still serves', async (t) => {
  const res = await fetch(`${gw.url}/.well-known/openid-configuration`);
  t.is(res.status, 200);
  t.is((await fetch(`${gw.url}/healthz`)).status, 200);
  t.is((await fetch(`${gw.url}/readyz`)).status, 200);
});

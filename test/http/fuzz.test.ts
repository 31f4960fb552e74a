// Issue 13, item 4: generated malformed requests against a running sandbox gateway — PAR, /token,
// introspection, revocation, userinfo, /auth, the interaction routes, the PDP and its auth-request
// form, the PEP, the SAML ACS and the admin API (anonymous and with real operator and controller
// admin tokens, so ids, queries and bodies reach the validation behind the token check). Hostile
// values: NUL and control bytes, broken percent-encoding, over-long strings, path traversal, other
// scripts and emoji, wrong JSON types, injection-looking text. Not one may be answered 5xx, and
// the gateway must still serve afterwards.
//
// Seeded and bounded: FUZZ_RUNS requests (1,500 in `npm test`; FUZZ_RUNS=10000 for the full run),
// FUZZ_SEED to replay a run. A failure prints the requests that got a 5xx.
import test from 'ava';
import fc from 'fast-check';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import { makeTestClient, startTestGateway, type TestClient } from '../helpers/gateway.ts';
import { STAFF, clientCredentials, staffToken, type Caller } from '../helpers/adminApi.ts';
import { routes as adminRoutes } from '../../src/whitelist/api/routes.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261301);
/** Requests in flight at once: enough to interleave, few enough for a shared 2-core machine. */
const PARALLEL = 6;

let gw: Gateway;
let operator: Caller;
let admin: Caller;
let rp: TestClient;
let product: Caller;

test.before(async () => {
  rp = await makeTestClient('fuzz-rp', 'https://fuzz.example.test/cb', { grant_types: ['authorization_code', 'client_credentials'] });
  gw = await startTestGateway({ clients: [rp.config] });
  operator = await staffToken(gw, STAFF.OLOF);
  admin = await staffToken(gw, STAFF.SARA);
  product = await clientCredentials(gw, rp);
});
test.after.always(async () => gw?.close());

// --- hostile values -----------------------------------------------------------------------------

const nasty = fc.constantFrom(
  '', '\u0000', '%00', 'a%00b', '%', '%E0%A4%A', '%zz', '%C0%AF', '..', '../../etc/passwd', '..%2F..%2F', '%2e%2e%2f',
  '\r\n', '%0d%0aSet-Cookie:x=y', '\t', '\u007f', '\u202e', '\ufeff', '\ud83d\ude00', 'åäö', 'Ωмир中文', '<script>alert(1)</script>',
  "' OR 1=1 --", '${jndi:ldap://x}', '{{7*7}}', 'null', 'undefined', 'true', '0', '-1', '1e309', 'NaN', '[]', '{}', '[object Object]',
  '__proto__', 'constructor', 'region-sandbox', 'demo-rp', 'a'.repeat(300), 'x'.repeat(5000), '\u0000'.repeat(40),
);
const text = fc.oneof(
  { weight: 3, arbitrary: nasty },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,70}$/) },
);
/** A path segment as a client could send it: percent-encoded junk, or raw percent signs and dots. */
const segment = fc.oneof(
  { weight: 3, arbitrary: text.map((s) => encodeURIComponent(s)) },
  { weight: 1, arbitrary: fc.constantFrom('%00', '%', '%E0%A4%A', '..', '%2e%2e', '%ff%fe', 'a%00', '%c3%28', 'x'.repeat(3000)) },
);
const jsonValue = fc.oneof(
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: fc.dictionary(text, fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 })), { maxKeys: 6 }) },
);
/** A header value fetch can send (visible Latin-1 only), hostile in content. */
const headerValue = fc.oneof(
  fc.constantFrom('', 'DPoP', 'Bearer', 'DPoP a.b.c', 'Bearer %00', `DPoP ${'a'.repeat(9000)}`, 'Basic Og==', 'DPoP eyJ.eyJ.sig', 'DPoP  x'),
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
);
const formBody = (keys: string[]) => fc.dictionary(fc.oneof(fc.constantFrom(...keys), text), text, { maxKeys: 8 })
  .map((d) => Object.entries(d).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
const rawForm = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom('%', 'a=%E0%A4%A&b=%', '=&=&&', 'a'.repeat(100_000), '\u0000=\u0000', 'grant_type[]=x&grant_type[]=y', 'a[b][c][d][e][f]=1') },
);

// --- requests -----------------------------------------------------------------------------------

interface Req {
  target: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Sign the request with this caller's token and a fresh DPoP proof (the product's: its client_credentials token). */
  as?: 'operator' | 'admin' | 'product' | undefined;
  /** Add a real private_key_jwt client assertion to the form, so the request gets past client authentication. */
  clientAuth?: boolean;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };
const OAUTH_KEYS = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'grant_type', 'code', 'code_verifier', 'redirect_uri', 'refresh_token',
  'scope', 'resource', 'authorization_details', 'request', 'request_uri', 'response_type', 'code_challenge', 'code_challenge_method', 'state', 'nonce', 'token', 'token_type_hint', 'acr_values', 'prompt', 'max_age', 'ui_locales'];

/** Mostly absent: a junk header stops a request at its first check, before the rest is read. */
const rarely = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });
/** A well-formed request of the endpoint with some of its parameters dropped, replaced by hostile values or repeated. */
const mutated = (base: Record<string, string>) => fc.record({
  drop: fc.subarray(Object.keys(base), { maxLength: 2 }),
  override: fc.dictionary(fc.constantFrom(...Object.keys(base)), text, { maxKeys: 2 }),
  extra: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: formBody(OAUTH_KEYS) }),
}).map(({ drop, override, extra }) => {
  const fields = Object.entries({ ...base, ...override }).filter(([k]) => !drop.includes(k));
  const encoded = fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return extra ? `${encoded}&${extra}` : encoded;
});
const VERIFIER_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const BASES: Record<string, Record<string, string>> = {
  '/request': { response_type: 'code', scope: 'openid https://id.oidc.se/scope/naturalPersonNumber', redirect_uri: 'https://fuzz.example.test/cb', code_challenge: VERIFIER_CHALLENGE, code_challenge_method: 'S256', state: 'st', nonce: 'n' },
  '/token': { grant_type: 'client_credentials', scope: 'openid' },
  '/token/introspection': { token: 'opaque-token-value', token_type_hint: 'access_token' },
  '/token/revocation': { token: 'opaque-token-value', token_type_hint: 'refresh_token' },
};

const oauthForm = (target: string, path: string) => fc.record({
  body: fc.oneof({ weight: 3, arbitrary: mutated(BASES[path] ?? {}) }, { weight: 1, arbitrary: formBody(OAUTH_KEYS) }, { weight: 1, arbitrary: rawForm.filter((b): b is string => b !== null) }),
  dpop: rarely(headerValue),
  authorization: rarely(headerValue),
  json: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  clientAuth: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
}).map(({ body, dpop, authorization, json, clientAuth }): Req => ({
  target, method: 'POST', path, clientAuth: clientAuth && !json,
  headers: { ...(json ? JSON_TYPE : FORM), ...(dpop !== undefined ? { dpop } : {}), ...(authorization !== undefined ? { authorization } : {}) },
  body,
}));

const query = fc.dictionary(fc.oneof(fc.constantFrom(...OAUTH_KEYS, 'lang', 'citizen', 'ticket', 'limit', 'cursor', 'controllerId'), text), text, { maxKeys: 6 })
  .map((d) => Object.entries(d).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

const UPSTREAM_ROUTES = ['', '/abort', '/consent', '/bankid/start', '/bankid/status', '/bankid/check', '/bankid/cancel', '/freja/start', '/freja/status',
  '/portal-saml/start', '/portal-saml/resume', '/siths-saml/start', '/siths-saml/resume', '/siths-card/start', '/siths-card/resume'];

const ADMIN_RESOURCES = ['me', 'controllers', 'frameworks', 'products', 'certifications', 'approvals', 'roles', 'audit', 'suspensions'];
const ADMIN_ACTIONS = ['', '/policy', '/access', '/status', '/withdraw', '/revoke', '/limits', '/cohorts', '/report', '/lift'];

const valid = <T>(hostile: fc.Arbitrary<T>, ...good: T[]) => fc.oneof({ weight: 1, arbitrary: hostile }, { weight: 4, arbitrary: fc.constantFrom(...good) });
const pdpTarget = fc.record({
  controller: valid(text, 'region-sandbox', 'region-sandbox', 'sandvik-kommun'), dataset: valid(text, 'bookings', 'lab-results', 'lab-results'),
  citizen: valid(text, '197501012343', '197501012343', '191212121212'), action: valid(text, 'read', 'read', 'write'),
}, { requiredKeys: [] });

const requests: Record<string, fc.Arbitrary<Req>> = {
  par: oauthForm('PAR', '/request'),
  token: oauthForm('token', '/token'),
  introspection: oauthForm('introspection', '/token/introspection'),
  revocation: oauthForm('revocation', '/token/revocation'),
  userinfo: fc.record({ method: fc.constantFrom('GET', 'POST'), authorization: headerValue, dpop: fc.option(headerValue, { nil: undefined }), body: fc.option(formBody(['access_token']), { nil: undefined }) })
    .map(({ method, authorization, dpop, body }): Req => ({
      target: 'userinfo', method, path: '/me', headers: { authorization, ...(dpop !== undefined ? { dpop } : {}), ...(method === 'POST' ? FORM : {}) }, ...(method === 'POST' && body !== undefined ? { body } : {}),
    })),
  authorization: query.map((q): Req => ({ target: 'authorization', method: 'GET', path: `/auth?${q}`, headers: { accept: 'text/html' } })),
  interactions: fc.record({ uid: segment, route: fc.constantFrom(...UPSTREAM_ROUTES), method: fc.constantFrom('GET', 'POST'), q: query, body: fc.option(jsonValue, { nil: undefined }), json: fc.boolean(), cookie: fc.option(headerValue, { nil: undefined }) })
    .map(({ uid, route, method, q, body, json, cookie }): Req => ({
      target: 'interactions', method, path: `/interaction/${uid}${route}${q ? `?${q}` : ''}`,
      headers: { accept: json ? 'application/json' : 'text/html', ...(cookie ? { cookie: `_interaction=${cookie}` } : {}), ...(method === 'POST' ? (json ? JSON_TYPE : FORM) : {}) },
      ...(method === 'POST' && body !== undefined ? { body: json ? JSON.stringify(body) : `lang=${encodeURIComponent(JSON.stringify(body) ?? "")}` } : {}),
    })),
  pdp: fc.record({
    body: fc.oneof({ weight: 1, arbitrary: jsonValue.map((v) => JSON.stringify(v)) }, { weight: 4, arbitrary: pdpTarget.map((v) => JSON.stringify({ target: v })) }, { weight: 1, arbitrary: fc.constantFrom('{', '{"target":', '\u0000', 'x'.repeat(10_000)) }),
    authorization: headerValue, dpop: headerValue, signed: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  }).map(({ body, authorization, dpop, signed }): Req => ({ target: 'PDP', method: 'POST', path: '/pdp/v1/decide', headers: { ...JSON_TYPE, authorization, dpop }, body, as: signed ? 'product' : undefined })),
  authRequest: fc.record({ uri: fc.oneof(text, segment.map((s) => `/data/${s}/bookings?citizen=${s}`)), method: fc.option(fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE'), headerValue), { nil: undefined }), authorization: headerValue, suffix: fc.option(segment, { nil: undefined }) })
    .map(({ uri, method, authorization, suffix }): Req => ({
      target: 'PDP auth-request', method: 'GET', path: `/pdp/v1/auth-request${suffix !== undefined ? `/${suffix}` : ''}`,
      headers: { 'x-original-uri': uri.replace(/[^\x20-\x7e]/g, ''), ...(method !== undefined ? { 'x-original-method': method } : {}), authorization },
    })),
  pep: fc.record({ a: fc.oneof(segment, fc.constantFrom('region-sandbox', 'sandvik-kommun')), b: fc.oneof(segment, fc.constantFrom('bookings', 'lab-results')), q: query,
    method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'), authorization: headerValue, body: fc.option(jsonValue, { nil: undefined }), signed: fc.boolean(),
    citizen: fc.oneof(segment, fc.constantFrom('197501012343', '191212121212', '197501012343&citizen=191212121212', '')), direct: fc.boolean() })
    .map(({ a, b, q, method, authorization, body, signed, citizen, direct }): Req => ({
      target: direct ? 'sandbox data API' : 'PEP', method, path: `${direct ? '/sandbox' : '/pep'}/data/${a}/${b}?citizen=${citizen}${q ? `&${q}` : ''}`, headers: { authorization, ...JSON_TYPE }, as: signed ? 'product' : undefined,
      ...(method !== 'GET' && body !== undefined ? { body: JSON.stringify(body) } : {}),
    })),
  samlAcs: fc.record({ body: fc.oneof(formBody(['SAMLResponse', 'RelayState']), text.map((s) => `SAMLResponse=${encodeURIComponent(Buffer.from(`<samlp:Response ID="${s}"/>`).toString('base64'))}`), rawForm.filter((b): b is string => b !== null)), type: fc.constantFrom(FORM, JSON_TYPE, { 'content-type': 'text/xml' }) })
    .map(({ body, type }): Req => ({ target: 'SAML ACS', method: 'POST', path: '/saml/acs', headers: { ...type, accept: 'text/html' }, body })),
  admin: fc.record({
    route: fc.constantFrom(...adminRoutes), params: fc.array(fc.oneof(segment, fc.constantFrom('region-sandbox', 'demo-rp', 'sandvik-kommun')), { minLength: 2, maxLength: 2 }),
    q: query, body: fc.option(fc.oneof(jsonValue, fc.dictionary(fc.constantFrom('id', 'name', 'controllerId', 'productId', 'purpose', 'access', 'basis', 'status', 'members', 'limits', 'subject', 'role', 'scope', 'reason'), jsonValue, { maxKeys: 6 })), { nil: undefined }),
    ifMatch: fc.option(fc.oneof(headerValue, fc.constantFrom('"1"', '"0"', 'W/"2"', '"99999999999"')), { nil: undefined }),
    as: fc.constantFrom('operator' as const, 'admin' as const, 'operator' as const, undefined),
    unknown: fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ADMIN_RESOURCES), segment, fc.constantFrom(...ADMIN_ACTIONS)) }),
  }).map(({ route, params, q, body, ifMatch, as, unknown }): Req => {
    let i = 0;
    const path = unknown ? `/${unknown[0]}/${unknown[1]}${unknown[2]}` : route.path.replace(/\{\w+\}/g, () => params[i++] ?? 'x');
    const method = route.method.toUpperCase();
    return {
      target: 'admin API', method, as,
      path: `/admin/api/v1${path}${q ? `?${q}` : ''}`,
      headers: { ...(body !== undefined ? JSON_TYPE : {}), ...(ifMatch !== undefined ? { 'if-match': ifMatch } : {}) },
      ...(body !== undefined && method !== 'GET' && method !== 'DELETE' ? { body: JSON.stringify(body) } : {}),
    };
  }),
};

const anyRequest = fc.oneof(...Object.values(requests));

async function send(req: Req): Promise<number> {
  const url = `${gw.url}${req.path}`;
  const headers = { ...req.headers };
  const caller = req.as === 'operator' ? operator : req.as === 'admin' ? admin : req.as === 'product' ? product : undefined;
  if (caller) {
    headers.authorization = `DPoP ${caller.token}`;
    headers.dpop = await new SignJWT({ htm: req.method, htu: url.split('?')[0], jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(caller.token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(caller.keys.publicKey) }).sign(caller.keys.privateKey);
  }
  let body = req.body;
  if (req.clientAuth) {
    const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: rp.kid })
      .setIssuer(rp.config.client_id).setSubject(rp.config.client_id).setAudience(gw.url).setIssuedAt().setExpirationTime('60s').sign(rp.privateKey);
    const auth = new URLSearchParams({ client_id: rp.config.client_id, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
    body = body ? `${auth.toString()}&${body}` : auth.toString();
  }
  const res = await fetch(url, { method: req.method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
  await res.arrayBuffer();
  return res.status;
}

test(`fuzz: ${RUNS} malformed requests across the OAuth endpoints, interactions, PDP, PEP, SAML ACS and admin API get no 5xx`, async (t) => {
  t.timeout(Math.max(120_000, RUNS * 60));
  const samples = fc.sample(anyRequest, { seed: SEED, numRuns: RUNS });
  const byTarget = new Map<string, number>();
  const failures: Array<{ status: number; req: Req }> = [];
  const statuses = new Map<string, number>();
  for (let i = 0; i < samples.length; i += PARALLEL) {
    await Promise.all(samples.slice(i, i + PARALLEL).map(async (req) => {
      byTarget.set(req.target, (byTarget.get(req.target) ?? 0) + 1);
      const status = await send(req);
      const key = `${req.target} ${status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (status >= 500) failures.push({ status, req });
    }));
  }
  t.is(samples.length, RUNS);
  t.true(byTarget.size >= Object.keys(requests).length, 'every target was fuzzed');
  t.deepEqual(failures.slice(0, 10).map(({ status, req }) => `${status} ${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req.headers).slice(0, 150)} ${(req.body ?? '').slice(0, 200)}`), [],
    `${failures.length} of ${RUNS} answered 5xx (seed ${SEED})`);
  // Still serving, and still answering properly.
  t.is((await fetch(`${gw.url}/healthz`)).status, 200);
  t.is((await fetch(`${gw.url}/.well-known/openid-configuration`)).status, 200);
  t.log(`${RUNS} requests (seed ${SEED}), ${failures.length} answered 5xx; by target: ${JSON.stringify(Object.fromEntries(byTarget))}`);
  t.log(`answers: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
});

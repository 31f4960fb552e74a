// Upstreams trust only the signed decision (issue 13, item 1): what a data API behind the built-in PEP
// receives (an allow-list of the product's headers and one signed assertion, never the product's
// identity, forwarding or certificate claims), queries that could name a second citizen refused, the
// assertion verified against the gateway's published /jwks, and the sandbox's data APIs — the reference
// upstream — refusing anything without a valid assertion for exactly the request they receive.
import test from 'ava';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { caExtensions, issue, leafExtensions, localhostNames } from '../../certs/pki.ts';
import { UpstreamClient } from '../../src/scopes/upstreamClient.ts';
import { freePort } from '../helpers/net.ts';
import { SignJWT, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { loadSigningKeys } from '../../src/idp/keys.ts';
import { DecisionSigner, assertionKey, type DecisionAssertionClaims } from '../../src/scopes/decisionAssertion.ts';
import type { Permit } from '../../src/scopes/pdp.ts';
import { FORWARDED_REQUEST_HEADERS } from '../../src/scopes/http.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, memoryDb, productFor, proof, startPdpGateway, type Holder } from './pdpFixture.ts';

const AUDIENCE = 'https://records.region-a.example';
let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;
let api: Server;
let secureApi: TlsServer;
let holder: Holder;
let tlsFiles: { ca: string; cert: string; key: string };
const received: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
const [c1, c2, outsider] = citizens(3, 900) as [string, string, string];
const FORGED = '191212121212';

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/slow/')) return; // never answers
      if (req.url?.startsWith('/gzip/')) return res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"zipped":true}'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  const apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

  // A data API that accepts only the proxy's client certificate, issued by its own CA.
  const ca = await issue({ commonName: 'Data API test CA', validityDays: 1, extensions: caExtensions() });
  const server = await issue({ commonName: 'localhost', issuer: ca, validityDays: 1, extensions: leafExtensions('serverAuth', localhostNames()) });
  const client = await issue({ commonName: 'gateway-pep', issuer: ca, validityDays: 1, extensions: leafExtensions('clientAuth') });
  const dir = mkdtempSync(join(tmpdir(), 'pep-mtls-'));
  tlsFiles = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
  writeFileSync(tlsFiles.ca, ca.certPem);
  writeFileSync(tlsFiles.cert, client.certPem);
  writeFileSync(tlsFiles.key, client.keyPem);
  secureApi = createTlsServer({ key: server.keyPem, cert: server.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ clientCertificate: peer.subject?.CN, assertion: Boolean(req.headers['gateway-decision']) }));
  });
  await new Promise<void>((r) => secureApi.listen(0, '127.0.0.1', () => r()));
  const secureBase = `https://localhost:${(secureApi.address() as AddressInfo).port}`;
  const gone = `http://127.0.0.1:${await freePort()}`;
  const product = await clientFor('assertion-app', ['client_credentials']);
  const registry = new TestRegistry(snapshot({
    controllers: [controller('region-a', ['bookings', 'vaccinations'])],
    products: [productFor(product, 'p-assert')],
    approvals: [approval('a-assert', 'region-a', 'p-assert', {
      access: [{ dataset: 'bookings', actions: ['read', 'write'] }],
      limits: { citizens: { mode: 'cohort', cohortId: 'as' } },
    })],
  }));
  gw = await startPdpGateway(registry, db, redis.url, {
    overrides: {
      pdp: {
        routes: [
          { method: 'GET', pattern: '/records/{controller}/bookings?citizen={citizen}', dataset: 'bookings', action: 'read',
            upstream: `${apiBase}/api/{controller}/bookings?citizen={citizen}`, audience: AUDIENCE },
          { method: 'POST', pattern: '/records/{controller}/bookings/{citizen}', dataset: 'bookings', action: 'write',
            upstream: `${apiBase}/api/{controller}/bookings/{citizen}` },
          ...['slow', 'gzip'].map((kind) => ({ method: 'GET', pattern: `/${kind}/{controller}/bookings?citizen={citizen}`, dataset: 'bookings', action: 'read',
            upstream: `${apiBase}/${kind}/{controller}/bookings?citizen={citizen}` })),
          { method: 'GET', pattern: '/gone/{controller}/bookings?citizen={citizen}', dataset: 'bookings', action: 'read', upstream: `${gone}/{controller}?citizen={citizen}` },
          { method: 'GET', pattern: '/secure/{controller}/bookings?citizen={citizen}', dataset: 'bookings', action: 'read', upstream: `${secureBase}/{controller}?citizen={citizen}` },
        ],
        upstreamTimeoutMs: 500,
        upstreamTls: { certFile: tlsFiles.cert, keyFile: tlsFiles.key, caFile: tlsFiles.ca },
      },
    },
  });
  registry.current.cohorts = [{ id: 'as', controllerId: 'region-a', name: 'as', members: [c1, c2].map((c) => gw.pdp!.accounts.accountIdFor(c)), version: 1, createdAt: '', updatedAt: '' }];
  gw.registry!.invalidate();
  holder = await clientCredentialsToken(gw, product);
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
  api?.closeAllConnections();
  api?.close();
  secureApi?.close();
});

async function credentials(method: string, url: string): Promise<Record<string, string>> {
  return { authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, method, url, holder.token) };
}

async function pep(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  const url = `${gw.url}/pep${path}`;
  const method = init.method ?? 'GET';
  return fetch(url, { method, headers: { ...init.headers, ...await credentials(method, url) }, ...(init.body ? { body: init.body } : {}) });
}

async function gatewayKeys() {
  const jwks = await (await fetch(`${gw.url}/jwks`)).json() as { keys: JWK[] };
  return createLocalJWKSet(jwks);
}

/** What a product may send to pass itself off as someone, somewhere, or some certificate. */
const forgedHeaders: Record<string, string> = {
  'x-citizen': FORGED, 'x-user': FORGED, 'x-user-id': FORGED, 'x-personnummer': FORGED, 'x-real-ip': '10.0.0.1', 'x-client-id': 'gateway-admin',
  'x-forwarded-for': '10.0.0.1', 'x-forwarded-host': 'internal.example', 'x-forwarded-proto': 'https', 'x-forwarded-user': FORGED,
  forwarded: 'for=10.0.0.1;by=gateway', 'x-ssl-client-cert': '-----BEGIN%20CERTIFICATE-----', 'x-client-cert': 'forged', 'ssl-client-cert': 'forged',
  'x-ssl-client-s-dn': 'CN=gateway', 'x-arr-clientcert': 'forged', 'x-controller': 'region-b', 'x-dataset': 'lab-results',
  'x-citizen-pseudonym': FORGED, 'x-product': 'p-other', 'x-decision-id': 'forged', 'x-original-uri': '/api/region-b/x', 'x-hsa-id': 'SE2321000016-A1B2',
  cookie: 'session=forged', 'user-agent': `forged ${FORGED}`, via: '1.1 gateway', 'x-request-id': FORGED, 'proxy-authorization': 'Basic Zm9v',
  'x-api-key': 'forged', 'x-amzn-oidc-identity': FORGED, 'x-auth-request-user': FORGED,
};

test.serial('forged identity, forwarding and certificate headers never reach the upstream: an allow-list and one signed assertion', async (t) => {
  received.length = 0;
  const res = await pep(`/records/region-a/bookings?citizen=${c1}&_count=5`, {
    headers: { ...forgedHeaders, accept: 'application/fhir+json', 'accept-language': 'sv-SE', 'if-none-match': '"v1"', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  });
  t.is(res.status, 200, await res.clone().text());
  t.is(received.length, 1);
  const seen = received[0]!;
  t.is(seen.url, `/api/region-a/bookings?_count=5&citizen=${c1}`, 'the canonical query');
  for (const name of Object.keys(forgedHeaders)) if (name !== 'user-agent') t.false(name in seen.headers, `${name} reached the upstream`);
  t.false(JSON.stringify(seen.headers).includes(FORGED), 'no forged value under any name');
  t.false('authorization' in seen.headers || 'dpop' in seen.headers, 'the product\'s credentials stop at the PEP');
  t.like(seen.headers, { accept: 'application/fhir+json', 'accept-language': 'sv-SE', 'if-none-match': '"v1"' });
  // Everything the upstream got is an allowed header, the assertion, or the connection's own.
  const own = new Set(['host', 'connection', 'gateway-decision']);
  t.deepEqual(Object.keys(seen.headers).filter((k) => !FORWARDED_REQUEST_HEADERS.has(k) && !own.has(k)), []);

  const assertion = String(seen.headers['gateway-decision']);
  const { payload, protectedHeader } = await jwtVerify<DecisionAssertionClaims>(assertion, await gatewayKeys(), { typ: 'decision+jwt', issuer: gw.url, audience: AUDIENCE });
  t.is(protectedHeader.alg, 'ES256');
  t.like(payload, {
    method: 'GET', path: '/api/region-a/bookings', query: `_count=5&citizen=${c1}`, controller: 'region-a', dataset: 'bookings', action: 'read',
    citizen_pseudonym: gw.pdp!.accounts.accountIdFor(c1), product: 'p-assert',
  });
  t.true(payload.client_id.startsWith('assertion-app-'));
  t.is(payload.jti, res.headers.get('x-decision-id') ?? '', 'the decision id');
  t.true(payload.exp - payload.iat <= 5 && payload.exp > payload.iat, 'valid seconds');
  t.not(payload.citizen_pseudonym, c1, 'the pseudonym, not the personnummer, names the citizen');
});

test.serial('a body goes upstream with its content type; the assertion is bound to the method and the upstream\'s audience defaults to its origin', async (t) => {
  received.length = 0;
  const res = await pep(`/records/region-a/bookings/${c2}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-citizen': FORGED }, body: '{"when":"2026-12-24"}' });
  t.is(res.status, 200);
  const seen = received[0]!;
  t.like(seen, { method: 'POST', url: `/api/region-a/bookings/${c2}`, body: '{"when":"2026-12-24"}' });
  t.is(seen.headers['content-type'], 'application/json');
  t.is(seen.headers['content-length'], '21', 'a body keeps its length');
  t.false('x-citizen' in seen.headers);
  const { payload } = await jwtVerify<DecisionAssertionClaims>(String(seen.headers['gateway-decision']), await gatewayKeys(),
    { typ: 'decision+jwt', issuer: gw.url, audience: new URL(`http://${seen.headers.host}`).origin });
  t.like(payload, { method: 'POST', path: `/api/region-a/bookings/${c2}`, query: '', action: 'write' });
});

test.serial('repeated or bracketed citizen, controller or data set parameters are refused with a reason, before anything reaches the upstream', async (t) => {
  received.length = 0;
  for (const query of [
    `citizen=${c1}&citizen=${outsider}`, `citizen=${c1}&citizen[]=${outsider}`, `citizen[]=${outsider}&citizen=${c1}`, `citizen=${c1}&citizen%5B0%5D=${outsider}`,
    `citizen=${c1}&controller[0]=region-b`, `citizen=${c1}&dataset=lab-results`, `citizen=${c1}&Citizen=${outsider}`, `x=1;citizen=${outsider}&citizen=${c1}`,
  ]) {
    const res = await pep(`/records/region-a/bookings?${query}`);
    const body = await res.json() as { reasons: string[]; detail: string };
    t.is(res.status, 400, query);
    t.deepEqual(body.reasons, ['query_ambiguous'], query);
    t.false(body.detail.includes(outsider), 'the detail names the parameter, not the personnummer');
    const uri = `/records/region-a/bookings?${query}`;
    const viaAuthRequest = await fetch(`${gw.url}/pdp/v1/auth-request`, { headers: { ...await credentials('GET', `${gw.url}${uri.split('?')[0]}`), 'x-original-uri': uri, 'x-original-method': 'GET' } });
    t.is(viaAuthRequest.status, 403, `auth-request: ${query}`);
    t.is(viaAuthRequest.headers.get('x-deny-reason'), 'query_ambiguous');
    t.is(viaAuthRequest.headers.get('gateway-decision'), null);
  }
  t.is(received.length, 0, 'nothing reached the upstream');
});

test.serial('auth-request answers a permit with the assertion, bound to the original URI, for nginx or Envoy to pass on', async (t) => {
  const uri = `/records/region-a/bookings?z=1&citizen=${c1}`;
  const res = await fetch(`${gw.url}/pdp/v1/auth-request`, { headers: { ...await credentials('GET', `${gw.url}/records/region-a/bookings`), 'x-original-uri': uri, 'x-original-method': 'GET' } });
  t.is(res.status, 200);
  const { payload } = await jwtVerify<DecisionAssertionClaims>(res.headers.get('gateway-decision') ?? '', await gatewayKeys(), { typ: 'decision+jwt', issuer: gw.url, audience: AUDIENCE });
  t.like(payload, { method: 'GET', path: '/records/region-a/bookings', query: `citizen=${c1}&z=1`, controller: 'region-a', jti: res.headers.get('x-decision-id') ?? '' });
});

test.serial('the PEP answers 504 when the data API does not answer in time, 502 when it cannot be reached; a compressed body passes through', async (t) => {
  const slow = await pep(`/slow/region-a/bookings?citizen=${c1}`);
  t.is(slow.status, 504);
  t.regex((await slow.json() as { type: string }).type, /upstream_timeout$/);
  const gone = await pep(`/gone/region-a/bookings?citizen=${c1}`);
  t.is(gone.status, 502);
  t.regex((await gone.json() as { type: string }).type, /upstream_unreachable$/);
  // Streamed undecoded for a citizen the register knows unprotected (an unknown one counts as protected,
  // and answers about them are filtered: test/citizens/protectedIdentity.test.ts).
  gw.register.sandbox?.add(c1);
  gw.register.cache.invalidate(c1);
  const zipped = await pep(`/gzip/region-a/bookings?citizen=${c1}`, { headers: { 'accept-encoding': 'gzip' } });
  t.is(zipped.status, 200);
  t.is(zipped.headers.get('content-encoding'), 'gzip');
  t.deepEqual(await zipped.json(), { zipped: true }, 'passed on as the API sent it, decoded once by the client');
});

test.serial('mTLS from the PEP: an https data API gets the configured client certificate, verified by its own CA', async (t) => {
  const res = await pep(`/secure/region-a/bookings?citizen=${c1}`);
  t.is(res.status, 200, await res.clone().text());
  t.deepEqual(await res.json(), { clientCertificate: 'gateway-pep', assertion: true });
  // Without the certificate that data API refuses the connection; without the CA the proxy refuses the API.
  const url = new URL(`https://localhost:${(secureApi.address() as AddressInfo).port}/region-a`);
  const noCert = new UpstreamClient({ timeoutMs: 2000, tls: { caFile: tlsFiles.ca } });
  await t.throwsAsync(async () => {
    const r = await noCert.send(url, 'GET', {}, undefined);
    if (r.statusCode === 200) throw new Error('no error');
    throw new Error(`status ${r.statusCode}`);
  });
  const noCa = new UpstreamClient({ timeoutMs: 2000, tls: { certFile: tlsFiles.cert, keyFile: tlsFiles.key } });
  await t.throwsAsync(noCa.send(url, 'GET', {}, undefined), { message: /certificate/ });
  noCert.close();
  noCa.close();
  t.throws(() => new UpstreamClient({ timeoutMs: 100, tls: { certFile: tlsFiles.cert } }), { message: /certFile and keyFile together/ });
});

test('the assertion key is one /jwks publishes, chosen ES256 first', async (t) => {
  const keys = await loadSigningKeys({ sandboxDir: gw.config.sandboxDir, mayGenerate: false, jwksFile: join(gw.config.sandboxDir, 'keys', 'jwks.json') });
  const { jwk, alg } = assertionKey(keys.jwks);
  t.is(alg, 'ES256');
  const published = await (await fetch(`${gw.url}/jwks`)).json() as { keys: JWK[] };
  t.true(published.keys.some((k) => k.kid === jwk.kid && k.x === jwk.x && !('d' in k)));
  t.throws(() => assertionKey({ keys: [{ kty: 'oct', k: 'x', kid: 'h' }] }), { message: /no ES256, PS256 or EdDSA/ });
});

// --- the sandbox's data APIs: the reference upstream ---------------------------------------------

const dataUrl = (controllerId: string, dataset: string, citizen: string) => `/sandbox/data/${controllerId}/${dataset}?citizen=${citizen}`;

function permitFor(citizen: string, o: Partial<Permit['obligations']> = {}): Permit {
  return {
    id: crypto.randomUUID(), decision: 'permit', reasons: ['permitted'], status: 200,
    obligations: { controller: 'region-a', dataset: 'bookings', action: 'read', citizenPseudonym: gw.pdp!.accounts.accountIdFor(citizen), product: 'p-assert', clientId: 'c', ...o },
  };
}

async function signer(nowMs = Date.now()) {
  const keys = await loadSigningKeys({ sandboxDir: gw.config.sandboxDir, mayGenerate: false, jwksFile: join(gw.config.sandboxDir, 'keys', 'jwks.json') });
  return { keys, signer: new DecisionSigner({ jwks: keys.jwks, issuer: gw.url, lifetimeSeconds: 5, clock: { now: () => nowMs } }) };
}

async function direct(path: string, headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${gw.url}${path}`, { headers });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

const permitHeaders = { 'x-controller': 'region-a', 'x-dataset': 'bookings', 'x-action': 'read', 'x-citizen-pseudonym': 'x', 'x-product': 'p', 'x-decision-id': 'd', 'x-citizen': FORGED };

test('a direct call to the sandbox data API with the permit headers but no valid assertion for this request is refused', async (t) => {
  const { keys, signer: s } = await signer();
  const audience = `${gw.url}/sandbox/data`;
  const path = dataUrl('region-a', 'bookings', c1);
  const sign = (p: Permit, request: { method?: string; path?: string; query?: string; audience?: string } = {}) =>
    s.sign(p, { method: 'GET', path: '/sandbox/data/region-a/bookings', query: `citizen=${c1}`, audience, ...request });
  const refused = async (what: string, headers: Record<string, string>, status: number, error: string, at = path) => {
    const res = await direct(at, { ...permitHeaders, ...headers });
    t.is(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    t.is(res.body.error, error, what);
    t.falsy(res.body.items, `${what}: no data`);
  };

  await refused('no assertion', {}, 401, 'assertion_missing');
  await refused('garbage', { 'gateway-decision': 'not.a.jws' }, 401, 'assertion_invalid');
  // Someone else's key under the gateway's kid.
  const { privateKey } = await generateKeyPair('ES256');
  const kid = decodeProtectedHeader(sign(permitFor(c1))).kid!;
  const claims = s.claims(permitFor(c1), { method: 'GET', path: '/sandbox/data/region-a/bookings', query: `citizen=${c1}`, audience });
  await refused('foreign key', { 'gateway-decision': await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', kid, typ: 'decision+jwt' }).sign(privateKey) }, 401, 'assertion_invalid');
  // The gateway's key, but not typed as a decision (an ID token or any other JWT it signs).
  const key = await importJWK(assertionKey(keys.jwks).jwk, 'ES256');
  await refused('untyped', { 'gateway-decision': await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(key) }, 401, 'assertion_invalid');
  await refused('other audience', { 'gateway-decision': sign(permitFor(c1), { audience: 'https://other-api.example' }) }, 401, 'assertion_invalid');
  await refused('expired', { 'gateway-decision': (await signer(Date.now() - 10_000)).signer.sign(permitFor(c1), { method: 'GET', path: '/sandbox/data/region-a/bookings', query: `citizen=${c1}`, audience }) }, 401, 'assertion_expired');
  // Valid, but issued for another request: another citizen, data set, controller or method.
  const forC1 = sign(permitFor(c1));
  await refused('another citizen', { 'gateway-decision': forC1 }, 403, 'assertion_mismatch', dataUrl('region-a', 'bookings', outsider));
  await refused('a second citizen', { 'gateway-decision': forC1 }, 403, 'assertion_mismatch', `${path}&citizen=${outsider}`);
  await refused('another data set', { 'gateway-decision': forC1 }, 403, 'assertion_mismatch', dataUrl('region-a', 'vaccinations', c1));
  await refused('another controller', { 'gateway-decision': forC1 }, 403, 'assertion_mismatch', dataUrl('kommun-b', 'bookings', c1));
  await refused('another method', { 'gateway-decision': sign(permitFor(c1), { method: 'POST' }) }, 403, 'assertion_mismatch');
  // The path bound, the target claims checked as well.
  await refused('claims for another data set', { 'gateway-decision': sign(permitFor(c1, { dataset: 'lab-results' })) }, 403, 'assertion_mismatch');

  // The one valid assertion works once.
  const ok = await direct(path, { 'gateway-decision': forC1 });
  t.is(ok.status, 200, JSON.stringify(ok.body));
  t.true((ok.body.items as unknown[]).length > 0);
  await refused('replayed', { 'gateway-decision': forC1 }, 403, 'assertion_replayed');
});

// The shipped nginx example (config/nginx/pdp-auth-request.conf, also in docs/operations.md) in front of a mock
// data API, with Debian's nginx: it permits and denies exactly as the JSON decision API does, passes the
// signed decision assertion on to the API, and of the product's headers only the allow-list (never its
// credentials, nor forged identity, forwarding or certificate headers).
import test from 'ava';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import type { DecisionAssertionClaims } from '../../src/scopes/decisionAssertion.ts';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { freePort } from '../helpers/net.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, decide, memoryDb, productFor, proof, startPdpGateway, type Holder } from './pdpFixture.ts';

const CONF = new URL('../../config/nginx/pdp-auth-request.conf', import.meta.url);
const hasNginx = (() => {
  try { execFileSync('nginx', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;
let api: Server;
let nginx: ChildProcess | undefined;
let nginxUrl: string;
let prefix: string;
let registry: TestRegistry;
let registryDown = false;
let productHolder: Holder;
const seenByApi: Array<Record<string, string | undefined>> = [];
const headersSeenByApi: Array<Record<string, string | string[] | undefined>> = [];
const [c1, c2, outsider] = citizens(3, 800) as [string, string, string];

test.before(async () => {
  if (!hasNginx) throw new Error('nginx is not installed: scripts/ensure-system-deps.sh installs Debian\'s nginx');
  redis = await redisForTests();
  db = await memoryDb();
  api = createServer((req, res) => {
    const assertion = req.headers['gateway-decision'] as string | undefined;
    const claims = assertion ? JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString()) as Partial<DecisionAssertionClaims> : {};
    seenByApi.push({ url: req.url, assertion, controller: claims.controller, citizen: claims.citizen_pseudonym,
      product: claims.product, authorization: req.headers.authorization, dpop: req.headers.dpop as string | undefined });
    headersSeenByApi.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'Bundle', controller: claims.controller }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  const nginxPort = await freePort();
  nginxUrl = `http://127.0.0.1:${nginxPort}`;

  const client = await clientFor('nginx-app', ['client_credentials']);
  registry = new TestRegistry(snapshot({
    controllers: [controller('region-a', ['bookings', 'vaccinations']), controller('kommun-b', ['bookings'])],
    products: [productFor(client, 'p-nginx')],
    approvals: [approval('a-nginx', 'region-a', 'p-nginx', {
      access: [{ dataset: 'bookings', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read'] }],
      limits: { citizens: { mode: 'cohort', cohortId: 'ng' } },
    })],
  }));
  const source = { snapshot: async () => { if (registryDown) throw new Error('down'); return registry.snapshot(); } };
  gw = await startPdpGateway(source as TestRegistry, db, redis.url, {
    overrides: {
      pdp: {
        publicOrigin: nginxUrl,
        routes: [
          { method: 'GET', pattern: '/fhir/{controller}/Immunization?patient={citizen}', dataset: 'vaccinations', action: 'read' },
          { method: 'GET', pattern: '/fhir/{controller}/Appointment?patient={citizen}', dataset: 'bookings', action: 'read' },
        ],
      },
    },
  });
  registry.current.cohorts = [{ id: 'ng', controllerId: 'region-a', name: 'ng', members: [c1, c2].map((c) => gw.pdp!.accounts.accountIdFor(c)), version: 1, createdAt: '', updatedAt: '' }];
  gw.registry!.invalidate();
  productHolder = await clientCredentialsToken(gw, client);

  prefix = mkdtempSync(join(tmpdir(), 'nginx-test-'));
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, d));
  const conf = readFileSync(CONF, 'utf8')
    .replaceAll('{{listen}}', `127.0.0.1:${nginxPort}`)
    .replaceAll('{{gateway}}', new URL(gw.url).host)
    .replaceAll('{{data_api}}', `127.0.0.1:${(api.address() as AddressInfo).port}`)
    .replaceAll('{{prefix}}', prefix);
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  // No daemon, our own prefix and error log; as root, workers keep root so they can use the temp dir.
  const globals = `daemon off;${process.getuid?.() === 0 ? ' user root;' : ''}`;
  nginx = spawn('nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf'), '-g', globals], { stdio: 'ignore' });
  process.once('exit', () => nginx?.kill('SIGKILL'));
  for (let i = 0; i < 100; i += 1) {
    if (await fetch(`${nginxUrl}/`).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not start: ${readFileSync(join(prefix, 'error.log'), 'utf8')}`);
});

test.after.always(async () => {
  nginx?.kill('SIGTERM');
  await gw?.close();
  await db?.close();
  await redis?.stop();
  api?.close();
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

const holder = (): Holder => productHolder;

async function throughNginx(uri: string, withProof = true): Promise<{ decision: string; reason: string | undefined; status: number; body: string; retryAfter: string | null }> {
  const h = holder();
  const headers: Record<string, string> = { authorization: `DPoP ${h.token}` };
  if (withProof) headers.dpop = await proof(h.keys, 'GET', `${nginxUrl}${uri}`, h.token);
  const res = await fetch(`${nginxUrl}${uri}`, { headers });
  const body = await res.text();
  return { decision: res.status === 200 ? 'permit' : 'deny', reason: res.headers.get('x-deny-reason') ?? undefined, status: res.status, body, retryAfter: res.headers.get('retry-after') };
}

test('docs/operations.md carries the shipped nginx configuration verbatim', (t) => {
  const operations = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  t.true(operations.includes(readFileSync(CONF, 'utf8').trim()));
});

test.serial('nginx with the shipped configuration permits and denies exactly as the JSON decision API', async (t) => {
  const cases: Array<{ uri: string; target: Record<string, string>; proof?: boolean; expect: string }> = [
    { uri: `/fhir/region-a/Appointment?patient=${c1}`, target: { controller: 'region-a', dataset: 'bookings', citizen: c1, action: 'read' }, expect: 'permitted' },
    { uri: `/fhir/region-a/Immunization?patient=${c2}`, target: { controller: 'region-a', dataset: 'vaccinations', citizen: c2, action: 'read' }, expect: 'permitted' },
    { uri: `/fhir/kommun-b/Appointment?patient=${c1}`, target: { controller: 'kommun-b', dataset: 'bookings', citizen: c1, action: 'read' }, expect: 'controller_not_approved' },
    { uri: `/fhir/region-a/Appointment?patient=${outsider}`, target: { controller: 'region-a', dataset: 'bookings', citizen: outsider, action: 'read' }, expect: 'citizen_not_in_cohort' },
    { uri: `/fhir/region-z/Appointment?patient=${c1}`, target: { controller: 'region-z', dataset: 'bookings', citizen: c1, action: 'read' }, expect: 'controller_unknown' },
    { uri: `/fhir/region-a/Appointment?patient=198003121235`, target: { controller: 'region-a', dataset: 'bookings', citizen: '198003121235', action: 'read' }, expect: 'citizen_invalid' },
    { uri: `/fhir/region-a/Appointment?patient=${c1}`, target: { controller: 'region-a', dataset: 'bookings', citizen: c1, action: 'read' }, proof: false, expect: 'dpop_missing' },
  ];
  for (const c of cases) {
    const json = await decide(gw, holder(), c.target, c.proof === false ? null : holder().keys);
    const viaNginx = await throughNginx(c.uri, c.proof !== false);
    const jsonReason = (json.body.reasons as string[])[0];
    t.is(jsonReason, c.expect, c.uri);
    t.is(viaNginx.decision, json.body.decision as string, `${c.uri}: nginx ${viaNginx.status}`);
    if (json.body.decision === 'deny') {
      t.is(viaNginx.reason, jsonReason, c.uri);
      t.true([401, 403].includes(viaNginx.status), `${c.uri}: ${viaNginx.status}`);
    } else {
      t.like(JSON.parse(viaNginx.body), { resourceType: 'Bundle', controller: c.target.controller });
    }
  }
  const reached = seenByApi.map((s) => s.url);
  t.deepEqual(reached, [`/fhir/region-a/Appointment?patient=${c1}`, `/fhir/region-a/Immunization?patient=${c2}`], 'only permitted requests reach the API');
  t.true(seenByApi.every((s) => s.product === 'p-nginx' && s.citizen && !s.authorization && !s.dpop), 'the assertion in, credentials out');
  t.is(seenByApi[0]!.citizen, gw.pdp!.accounts.accountIdFor(c1));
});

test.serial('nginx passes the signed assertion on, bound to the request, and none of the product\'s forged headers', async (t) => {
  const h = holder();
  const uri = `/fhir/region-a/Immunization?patient=${c1}&_count=2`;
  const forged = {
    'x-citizen': outsider, 'x-user': outsider, 'x-real-ip': '10.0.0.1', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-host': 'internal.example',
    'x-client-id': 'gateway-admin', 'x-ssl-client-cert': 'forged', forwarded: 'for=10.0.0.1', cookie: 'sid=forged', 'x-controller': 'kommun-b',
    'x-dataset': 'lab-results', 'x-citizen-pseudonym': outsider, 'x-product': 'p-other', 'gateway-decision': 'forged.assertion.value', 'user-agent': outsider,
  };
  const before = headersSeenByApi.length;
  const res = await fetch(`${nginxUrl}${uri}`, { headers: { ...forged, accept: 'application/fhir+json', authorization: `DPoP ${h.token}`, dpop: await proof(h.keys, 'GET', `${nginxUrl}${uri}`, h.token) } });
  t.is(res.status, 200, await res.clone().text());
  t.is(headersSeenByApi.length, before + 1);
  const seen = headersSeenByApi.at(-1)!;
  t.is(seen.accept, 'application/fhir+json');
  for (const name of Object.keys(forged)) if (name !== 'gateway-decision') t.false(name in seen, `${name} reached the API`);
  t.false(JSON.stringify(seen).includes(outsider), 'no forged value under any name');
  t.false('authorization' in seen || 'dpop' in seen);
  t.deepEqual(Object.keys(seen).sort(), ['accept', 'accept-language', 'gateway-decision', 'host'], 'the allow-list (fetch adds accept-language) and the assertion, nothing else');
  const jwks = await (await fetch(`${gw.url}/jwks`)).json() as { keys: JWK[] };
  const { payload } = await jwtVerify<DecisionAssertionClaims>(String(seen['gateway-decision']), createLocalJWKSet(jwks), { typ: 'decision+jwt', issuer: gw.url, audience: nginxUrl });
  t.like(payload, { method: 'GET', path: '/fhir/region-a/Immunization', query: `_count=2&patient=${c1}`, controller: 'region-a', dataset: 'vaccinations', product: 'p-nginx',
    citizen_pseudonym: gw.pdp!.accounts.accountIdFor(c1), jti: res.headers.get('x-decision-id') ?? '' });
  t.is(seenByApi.at(-1)!.url, uri, 'the API receives the original URI, the one the assertion is bound to');
});

test.serial('an ambiguous query through nginx is refused with its reason and never reaches the API', async (t) => {
  const before = seenByApi.length;
  const res = await throughNginx(`/fhir/region-a/Immunization?patient=${c1}&patient[]=${outsider}`);
  t.is(res.status, 403);
  t.is(res.reason, 'query_ambiguous');
  t.is(seenByApi.length, before);
});

test.serial('a replayed request through nginx is refused (the proof is single-use)', async (t) => {
  const h = holder();
  const uri = `/fhir/region-a/Appointment?patient=${c1}`;
  const headers = { authorization: `DPoP ${h.token}`, dpop: await proof(h.keys, 'GET', `${nginxUrl}${uri}`, h.token) };
  t.is((await fetch(`${nginxUrl}${uri}`, { headers })).status, 200);
  const replay = await fetch(`${nginxUrl}${uri}`, { headers });
  t.is(replay.status, 401);
  t.is(replay.headers.get('x-deny-reason'), 'dpop_replayed');
});

test.serial('failing closed through nginx is a 503 with Retry-After, never a permit', async (t) => {
  registryDown = true;
  gw.registry!.invalidate();
  try {
    const res = await throughNginx(`/fhir/region-a/Appointment?patient=${c1}`);
    t.is(res.status, 503);
    t.is(res.retryAfter, '5');
    t.false(res.body.includes('Bundle'));
  } finally {
    registryDown = false;
    gw.registry!.invalidate();
  }
  const h = holder();
  const uri = `/fhir/region-a/Appointment?patient=${c1}`;
  const res = await fetch(`${nginxUrl}${uri}`, { headers: { authorization: `DPoP ${h.token}`, dpop: await proof(h.keys, 'GET', `${nginxUrl}${uri}`, h.token) } });
  t.is(res.status, 200, 'and it recovers');
});

test.serial('Envoy ext_authz (HTTP service): the original path after the path prefix, the original method', async (t) => {
  const h = holder();
  const uri = `/fhir/region-a/Immunization?patient=${c1}`;
  const ok = await fetch(`${gw.url}/pdp/v1/auth-request${uri}`, { headers: { authorization: `DPoP ${h.token}`, dpop: await proof(h.keys, 'GET', `${nginxUrl}${uri}`, h.token) } });
  t.is(ok.status, 200);
  t.is(ok.headers.get('x-dataset'), 'vaccinations');
  t.truthy(ok.headers.get('gateway-decision'), 'Envoy: allowed_upstream_headers passes it on');
  t.is(ok.headers.get('x-citizen-pseudonym'), gw.pdp!.accounts.accountIdFor(c1));
  const post = await fetch(`${gw.url}/pdp/v1/auth-request${uri}`, { method: 'POST', headers: { authorization: `DPoP ${h.token}`, dpop: await proof(h.keys, 'POST', `${nginxUrl}${uri}`, h.token) } });
  t.is(post.status, 403, 'no POST route: denied');
  t.is(post.headers.get('x-deny-reason'), 'route_unknown');
});

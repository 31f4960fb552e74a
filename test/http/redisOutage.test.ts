// Issue 13, item 4: Redis killed under load. Every endpoint that needs Redis — PAR, /token,
// introspection, revocation, userinfo, /auth, the interaction pages, the SAML ACS, the PDP, the PEP
// and the admin API — answers 503 with Retry-After (the OAuth ones `temporarily_unavailable`, the
// pages an error page), never a 500; each failure is one log line without a stack; the process
// stays up; and when Redis is back every endpoint answers again without a restart.
import test from 'ava';
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';
import type { TestClient } from '../helpers/gateway.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import { idpAnswer, startSaml } from '../helpers/signIn.ts';
import { REDIRECT, TestRegistry, citizens, clientCredentialsToken, clientFor, memoryDb, productFor, proof, startPdpGateway, type Holder } from '../scopes/pdpFixture.ts';

let redis: RedisServer;
let db: PgliteDb;
let gw: Gateway;
let client: TestClient;
const lines: string[] = [];
const [citizen] = citizens(1, 910) as [string];
const registry = new TestRegistry(snapshot());

test.before(async () => {
  redis = await startRedisServer();
  db = await memoryDb();
  client = await clientFor('outage', ['authorization_code', 'client_credentials']);
  registry.current = snapshot({
    controllers: [controller('region-a', ['bookings'])],
    products: [productFor(client, 'p-outage', { authnMethods: ['bankid', 'portal-saml'] })],
    approvals: [approval('a-outage', 'region-a', 'p-outage')],
  });
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  gw = await startPdpGateway(registry, db, (redis).url, { logger: createLogger({ level: 'info', destination: sink }) });
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
});

const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams(fields).toString() });

async function assertion(): Promise<Record<string, string>> {
  const jwt = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: client.kid })
    .setIssuer(client.config.client_id).setSubject(client.config.client_id).setAudience(gw.url)
    .setIssuedAt().setExpirationTime('60s')
    .sign(client.privateKey);
  return { client_id: client.config.client_id, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt };
}

async function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  const { body, ...type } = form(fields);
  return fetch(`${gw.url}${path}`, { method: 'POST', headers: { ...type, ...headers }, body });
}

interface Probe {
  name: string;
  /** oauth: RFC JSON error; page: an HTML page; problem: problem+json. */
  shape: 'oauth' | 'page' | 'problem';
  send(): Promise<Response>;
}

/** Everything a probe needs that only a working Redis could make: a token, a pushed request, an interaction, a SAML response. */
interface Prepared {
  holder: Holder;
  requestUri: string;
  ua: UserAgent;
  uid: string;
  acs: { acsUrl: string; SAMLResponse: string };
}

async function prepare(): Promise<Prepared> {
  const holder = await clientCredentialsToken(gw, client);
  const par = await post('/request', { ...(await assertion()), response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 's' });
  const { request_uri: requestUri } = await par.json() as { request_uri: string };
  const ua = new UserAgent(gw.url);
  const saml = await startSaml(gw, new URL(`${gw.url}/auth?client_id=${client.config.client_id}&request_uri=${encodeURIComponent(requestUri)}`), 'portal-saml', REDIRECT, ua);
  const acs = await idpAnswer(gw, 'portal-saml', saml.authnRequestUrl, 'anna');
  return { holder, requestUri, ua, uid: saml.uid, acs };
}

function probes(p: Prepared): Probe[] {
  const pdpUrl = `${gw.url}/pdp/v1/decide`;
  const dataPath = `/pep/data/region-a/bookings?citizen=${citizen}`;
  const adminUrl = `${gw.url}/admin/api/v1/suspensions`;
  return [
    { name: 'PAR', shape: 'oauth', send: async () => post('/request', { ...(await assertion()), response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }) },
    { name: 'token', shape: 'oauth', send: async () => post('/token', { ...(await assertion()), grant_type: 'client_credentials' }, { dpop: await proof(p.holder.keys, 'POST', `${gw.url}/token`, '') }) },
    { name: 'introspection', shape: 'oauth', send: async () => post('/token/introspection', { ...(await assertion()), token: p.holder.token }) },
    { name: 'revocation', shape: 'oauth', send: async () => post('/token/revocation', { ...(await assertion()), token: p.holder.token }) },
    { name: 'userinfo', shape: 'oauth', send: async () => fetch(`${gw.url}/me`, { headers: { authorization: `DPoP ${p.holder.token}`, dpop: await proof(p.holder.keys, 'GET', `${gw.url}/me`, p.holder.token) } }) },
    { name: 'authorization page', shape: 'page', send: async () => fetch(`${gw.url}/auth?client_id=${client.config.client_id}&request_uri=${encodeURIComponent(p.requestUri)}`, { headers: { accept: 'text/html' }, redirect: 'manual' }) },
    { name: 'interaction page', shape: 'page', send: async () => fetch(`${gw.url}/interaction/${p.uid}`, { headers: { accept: 'text/html', cookie: p.ua.cookieHeader() } }) },
    { name: 'SAML ACS', shape: 'page', send: async () => fetch(p.acs.acsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: new URLSearchParams({ SAMLResponse: p.acs.SAMLResponse }).toString(), redirect: 'manual' }) },
    { name: 'PDP', shape: 'problem', send: async () => fetch(pdpUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `DPoP ${p.holder.token}`, dpop: await proof(p.holder.keys, 'POST', pdpUrl, p.holder.token) }, body: JSON.stringify({ target: { controller: 'region-a', dataset: 'bookings', citizen, action: 'read' } }) }) },
    { name: 'PEP', shape: 'problem', send: async () => fetch(`${gw.url}${dataPath}`, { headers: { authorization: `DPoP ${p.holder.token}`, dpop: await proof(p.holder.keys, 'GET', `${gw.url}${dataPath.split('?')[0]}`, p.holder.token) } }) },
    { name: 'admin API', shape: 'problem', send: async () => fetch(adminUrl, { headers: { authorization: `DPoP ${p.holder.token}`, dpop: await proof(p.holder.keys, 'GET', adminUrl, p.holder.token) } }) },
  ];
}

test.serial('Redis killed under load: 503 + Retry-After on every endpoint, one stackless log line each, no exit, recovery without a restart', async (t) => {
  t.timeout(120_000);
  const prepared = await prepare();
  const list = probes(prepared);

  // Load: a stream of token requests and decisions while Redis dies and comes back.
  const seen = new Map<number, number>();
  let stop = false;
  const load = async () => {
    while (!stop) {
      for (const probe of [list[1], list[8]]) {
        const res = await probe!.send();
        await res.arrayBuffer();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      }
    }
  };
  const loaders = [load(), load()];
  await new Promise((r) => setTimeout(r, 300));

  redis.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  const before = lines.length;
  for (const probe of list) {
    const res = await probe.send();
    const text = await res.text();
    t.is(res.status, 503, `${probe.name} answers 503 (${text.slice(0, 200)})`);
    t.truthy(res.headers.get('retry-after'), `${probe.name} sends Retry-After`);
    const type = res.headers.get('content-type') ?? '';
    if (probe.shape === 'oauth') {
      t.regex(type, /application\/json/, probe.name);
      t.is((JSON.parse(text) as { error: string }).error, 'temporarily_unavailable', probe.name);
    } else if (probe.shape === 'page') {
      t.regex(type, /text\/html/, probe.name);
      t.regex(text, /temporarily_unavailable/, `${probe.name}: the error page names the outage`);
    } else {
      t.regex(type, /application\/problem\+json/, probe.name);
    }
  }
  const outage = lines.slice(before);
  t.true(outage.length > 0);
  for (const line of outage) {
    t.false(/"stack"|\n\s+at /.test(line), `no stack trace in ${line.slice(0, 200)}`);
    t.false(line.includes(citizen), 'no personnummer in the log');
    t.false(line.includes(prepared.holder.token), 'no token in the log');
  }
  t.true(outage.filter((l) => l.includes('dependency unavailable')).length >= list.length - 3, 'each failure is logged');

  await redis.restart();
  // The clients reconnect by themselves (backoff up to 1 s).
  let healthy = false;
  for (let i = 0; i < 50 && !healthy; i += 1) {
    healthy = (await fetch(`${gw.url}/readyz`)).status === 200;
    if (!healthy) await new Promise((r) => setTimeout(r, 100));
  }
  t.true(healthy, 'ready again without a restart');
  stop = true;
  await Promise.all(loaders);
  const fiveHundreds = [...seen].filter(([status]) => status >= 500 && status !== 503);
  t.deepEqual(fiveHundreds, [], `under load only 503s: ${JSON.stringify([...seen])}`);
  t.true((seen.get(503) ?? 0) > 0, 'the load saw the outage');

  // Everything works again (Redis came back empty: a fresh token, a fresh sign-in).
  const again = await prepare();
  const after = probes(again);
  const par = await after[0]!.send();
  t.is(par.status, 201);
  const token = await after[1]!.send();
  t.is(token.status, 200);
  const introspection = await after[2]!.send();
  t.is(introspection.status, 200);
  t.true((await introspection.json() as { active: boolean }).active);
  t.is((await after[6]!.send()).status, 200, 'the interaction page');
  t.is((await after[8]!.send()).status, 200, 'a decision');
  t.is(gw.server.listening, true, 'the process kept serving');
});

test.serial('a hung Redis (stopped, socket open) fails requests within the command timeout instead of hanging them, and heals when it resumes', async (t) => {
  t.timeout(60_000);
  const prepared = await prepare();
  const [par, token] = probes(prepared);
  redis.kill('SIGSTOP');
  try {
    const res = await token!.send();
    t.is(res.status, 503, await res.text());
    t.truthy(res.headers.get('retry-after'));
    t.is((await par!.send()).status, 503);
  } finally {
    redis.kill('SIGCONT');
  }
  let healthy = false;
  for (let i = 0; i < 50 && !healthy; i += 1) {
    healthy = (await fetch(`${gw.url}/readyz`)).status === 200;
    if (!healthy) await new Promise((r) => setTimeout(r, 100));
  }
  t.true(healthy);
  t.is((await token!.send()).status, 200, 'tokens again once Redis answers');
  t.is((await par!.send()).status, 201);
});

// Protected identity end to end (issue 12, item 6; docs/security-model.md, "Protected identity"): no
// protected person's address or contact leaves the gateway, in claims (ID token, userinfo) or in data
// API responses through the enforcement proxy; the access token, the PDP's answer and the decision
// assertion carry the flag; a protection mark set in the register takes effect within the cache bound
// (on the injectable clock); a register that cannot be asked, or does not know the person, counts as
// protected; what the proxy cannot filter it does not send.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import type { Clock } from '../../src/clock.ts';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { sandboxRoutes } from '../../src/scopes/routeTable.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { freePort } from '../helpers/net.ts';
import { discoverRp, pushAuthorization, browserThroughBankId, type Rp } from '../helpers/signIn.ts';
import type { TestClient } from '../helpers/gateway.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, memoryDb, productFor, proof, startPdpGateway, type Holder, REDIRECT } from '../scopes/pdpFixture.ts';

const ANNA = '198003121236';
const CECILIA = '199006153457';
const HELENA = '196802247897';
const IVAR = '198509629013';
const CACHE_SECONDS = 60;
const SCOPE = 'openid profile address email phone https://id.oidc.se/scope/naturalPersonNumber';
/** What the register holds about Cecilia's whereabouts and contact: none of it may be seen. */
const CECILIA_SECRETS = ['Hemliga', '411 05', 'Göteborg', 'cecilia.carlsson@example.se', '+46701000003'];

let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;
let odd: Server;
/** Real time plus what the test moved it on: the BankID simulator's polling runs, the register's bound can be passed. */
class MovedClock implements Clock {
  #offset = 0;
  now(): number { return Date.now() + this.#offset; }
  advance(ms: number): void { this.#offset += ms; }
}
const clock = new MovedClock();
const clients: Record<string, TestClient> = {};
const registry = new TestRegistry(snapshot());
const [unknownCitizen, oddCitizen] = citizens(2, 700) as [string, string];

/** A data API answering in ways the proxy cannot filter (or can, in FHIR), by `kind`. */
function oddApi(): Server {
  return createServer((req, res) => {
    const kind = new URL(req.url ?? '/', 'http://x').searchParams.get('kind');
    const patient = { resourceType: 'Patient', name: [{ text: 'X' }], telecom: [{ system: 'phone', value: '+46701000003' }], address: [{ line: ['Hemliga gränd 3'] }],
      contact: [{ relationship: 'next-of-kin', Address: { city: 'Göteborg' } }], extension: { nested: { deeper: [{ EMAIL: 'cecilia.carlsson@example.se' }] } } };
    switch (kind) {
      case 'gzip': res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify(patient))); return;
      case 'text': res.writeHead(200, { 'content-type': 'text/plain' }).end('Hemliga gränd 3, 411 05 Göteborg'); return;
      case 'badjson': res.writeHead(200, { 'content-type': 'application/json' }).end('{"address": "Hemliga gränd 3"'); return;
      case 'big': res.writeHead(200, { 'content-type': 'application/json' }).end(`{"pad":"${'x'.repeat(9 * 1024 * 1024)}","address":"Hemliga gränd 3"}`); return;
      case 'empty': res.writeHead(204).end(); return;
      default: res.writeHead(200, { 'content-type': 'application/fhir+json; charset=utf-8', etag: '"v1"' }).end(JSON.stringify(patient));
    }
  });
}

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  odd = oddApi();
  await new Promise<void>((r) => odd.listen(0, '127.0.0.1', () => r()));
  const oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
  clients.app = await clientFor('pi-app', ['authorization_code']);
  clients.app.config.scope = SCOPE;
  clients.cohort = await clientFor('pi-cohort', ['client_credentials']);
  const app = productFor(clients.app, 'p-pi-app');
  app.client.scope = SCOPE;
  registry.current = snapshot({
    controllers: [controller('region-a', ['bookings', 'vaccinations'], { name: 'Region A' })],
    products: [app, productFor(clients.cohort, 'p-pi-cohort')],
    approvals: [
      approval('a-pi-app', 'region-a', 'p-pi-app', { access: [{ dataset: 'bookings', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read'] }] }),
      approval('a-pi-cohort', 'region-a', 'p-pi-cohort', { access: [{ dataset: 'bookings', actions: ['read'] }], limits: { citizens: { mode: 'cohort', cohortId: 'pi' } } }),
    ],
  });
  // A fixed port, so the route table can name the sandbox's data APIs beside the odd one.
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  gw = await startPdpGateway(registry, db, redis.url, {
    clock,
    overrides: {
      http: { host: '127.0.0.1', port },
      register: { cacheMaxAgeSeconds: CACHE_SECONDS },
      pdp: { routes: [...sandboxRoutes(issuer), { method: 'GET', pattern: '/odd/{controller}/bookings?citizen={citizen}', dataset: 'bookings', action: 'read', upstream: `${oddUrl}/{controller}?citizen={citizen}` }] },
    },
  });
  const now = new Date().toISOString();
  await db.query('INSERT INTO cohorts (id, controller_id, name, members, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
    ['pi', 'region-a', 'pi', JSON.stringify([CECILIA, ANNA, unknownCitizen, oddCitizen].map((c) => gw.pdp!.accounts.accountIdFor(c))), now]);
  gw.registry!.invalidate();
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
  odd?.close();
});

interface SignedIn extends Holder {
  rp: Rp;
  idToken: Record<string, unknown>;
  sub: string;
}

async function signIn(personalNumber: string, onConsent?: (page: string) => void): Promise<SignedIn> {
  const rp = await discoverRp(gw, clients.app!);
  const auth = await pushAuthorization(rp, { scope: SCOPE });
  const callback = await browserThroughBankId(gw, auth.url, personalNumber, REDIRECT, undefined, onConsent);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  const idToken = decodeJwt(tokens.id_token ?? '') as Record<string, unknown>;
  return { token: tokens.access_token, keys: rp.dpopKeys, rp, idToken, sub: String(idToken.sub) };
}

async function userinfo(who: SignedIn): Promise<Record<string, unknown>> {
  return await oidc.fetchUserInfo(who.rp.config, who.token, who.sub, { DPoP: who.rp.dpop }) as Record<string, unknown>;
}

/** GET through the PEP with a proof made on the gateway's clock. */
async function pep(holder: Holder, path: string): Promise<{ status: number; text: string; body: Record<string, unknown>; headers: Headers }> {
  const url = `${gw.url}/pep${path}`;
  const res = await fetch(url, { headers: { authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, 'GET', url, holder.token, clock.now()) } });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try { body = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
  return { status: res.status, text, body, headers: res.headers };
}

async function decideFor(holder: Holder, citizen: string): Promise<Record<string, unknown>> {
  const url = `${gw.url}/pdp/v1/decide`;
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, 'POST', url, holder.token, clock.now()) },
    body: JSON.stringify({ target: { controller: 'region-a', dataset: 'bookings', citizen, action: 'read' } }) });
  return await res.json() as Record<string, unknown>;
}

async function authRequestAssertion(holder: Holder, citizen: string): Promise<Record<string, unknown>> {
  const uri = `/data/region-a/bookings?citizen=${citizen}`;
  const res = await fetch(`${gw.url}/pdp/v1/auth-request`, {
    headers: { authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, 'GET', `${gw.url}/data/region-a/bookings`, holder.token, clock.now()), 'x-original-uri': uri, 'x-original-method': 'GET' },
  });
  if (res.status !== 200) throw new Error(`auth-request ${res.status} ${res.headers.get('x-deny-reason')}`);
  return { ...decodeJwt(res.headers.get('gateway-decision') ?? ''), header: res.headers.get('x-protected-identity') };
}

const leaks = (text: string) => CECILIA_SECRETS.filter((s) => text.includes(s));

test.serial('claims: a protected persona gets no address, email or phone and carries protected_identity; an unprotected one gets hers', async (t) => {
  let consentPage = '';
  const cecilia = await signIn(CECILIA, (page) => { consentPage = page; });
  // The consent page lists only what will be given: for her, no address, e-mail or phone at all.
  t.notRegex(consentPage, /din adress|din e-postadress|ditt telefonnummer/, 'nothing is offered that will not be released');
  t.regex(consentPage, /ditt namn/, 'what is released is listed');
  t.deepEqual(leaks(consentPage), []);
  t.is(cecilia.idToken.protected_identity, true);
  for (const claim of ['address', 'email', 'phone_number']) t.false(claim in cecilia.idToken, `ID token: ${claim}`);
  t.is(cecilia.idToken.given_name, 'Cecilia', 'her name is released as before');
  const info = await userinfo(cecilia);
  t.is(info.protected_identity, true);
  for (const claim of ['address', 'email', 'phone_number']) t.false(claim in info, `userinfo: ${claim}`);
  t.deepEqual(leaks(JSON.stringify([cecilia.idToken, info])), []);

  let annasPage = '';
  const anna = await signIn(ANNA, (page) => { annasPage = page; });
  t.regex(annasPage, /din adress från folkbokföringen[\s\S]*din e-postadress[\s\S]*ditt telefonnummer/, 'an unprotected person is told each of them');
  t.false('protected_identity' in anna.idToken);
  t.deepEqual(anna.idToken.address, { street_address: 'Storgatan 1', postal_code: '111 22', locality: 'Stockholm', country: 'SE' });
  t.is(anna.idToken.email, 'anna.andersson@example.se');
  t.is(anna.idToken.phone_number, '+46701000001');
  t.is((await userinfo(anna)).email, 'anna.andersson@example.se');
});

test.serial('the access token carries the flag (introspection), and so do the PDP\'s answer and the decision assertion', async (t) => {
  const cecilia = await signIn(CECILIA);
  const anna = await signIn(ANNA);
  t.is((await oidc.tokenIntrospection(cecilia.rp.config, cecilia.token)).protected_identity, true);
  t.is((await oidc.tokenIntrospection(anna.rp.config, anna.token)).protected_identity, undefined);
  const forCecilia = await decideFor(cecilia, CECILIA);
  t.like(forCecilia, { decision: 'permit', obligations: { protectedIdentity: true, headers: { 'x-protected-identity': 'true' } } });
  t.like(await decideFor(anna, ANNA), { decision: 'permit', obligations: { protectedIdentity: false, headers: { 'x-protected-identity': 'false' } } });
  t.like(await authRequestAssertion(cecilia, CECILIA), { protected_identity: true, header: 'true', controller: 'region-a' });
  t.like(await authRequestAssertion(anna, ANNA), { protected_identity: false, header: 'false' });
});

test.serial('the PEP strips address and contact from her data API responses; an unprotected citizen\'s pass', async (t) => {
  const cecilia = await signIn(CECILIA);
  const hers = await pep(cecilia, `/data/region-a/bookings?citizen=${CECILIA}`);
  t.is(hers.status, 200, hers.text);
  t.is(hers.headers.get('x-protected-identity'), 'true');
  t.deepEqual(hers.body.patient, {}, 'the API sent her address, email and phone; none of it came through');
  const items = hers.body.items as Array<Record<string, unknown>>;
  t.true(items.length > 0 && items.every((i) => !('smsReminderTo' in i) && typeof i.what === 'string'), 'the data set\'s own field (smsReminderTo) is gone, the booking is not');
  t.deepEqual(leaks(hers.text), []);
  const vaccinations = await pep(cecilia, `/data/region-a/vaccinations?citizen=${CECILIA}`);
  t.is(vaccinations.status, 200);
  t.deepEqual(leaks(vaccinations.text), []);

  const anna = await signIn(ANNA);
  const annas = await pep(anna, `/data/region-a/bookings?citizen=${ANNA}`);
  t.is(annas.status, 200);
  t.is(annas.headers.get('x-protected-identity'), null, 'streamed through as before');
  t.like(annas.body.patient, { address: { streetAddress: 'Storgatan 1' }, email: 'anna.andersson@example.se', phoneNumber: '+46701000001' });
  t.true((annas.body.items as Array<Record<string, unknown>>).every((i) => i.smsReminderTo === '+46701000001'));
});

test.serial('a FHIR answer loses telecom, address and contact at any depth and in any case; its ETag goes with the old body', async (t) => {
  const cohort = await clientCredentialsToken(gw, clients.cohort!);
  const res = await pep(cohort, `/odd/region-a/bookings?citizen=${CECILIA}&kind=fhir`);
  t.is(res.status, 200, res.text);
  t.deepEqual(res.body, { resourceType: 'Patient', name: [{ text: 'X' }], extension: { nested: { deeper: [{}] } } });
  t.regex(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  t.is(res.headers.get('etag'), null);
  // The same answer for an unprotected citizen passes untouched.
  const annas = await pep(cohort, `/odd/region-a/bookings?citizen=${ANNA}&kind=fhir`);
  t.is(annas.headers.get('etag'), '"v1"');
  t.true(annas.text.includes('telecom'));
});

test.serial('what the proxy cannot filter for a protected person it does not send: encoded, not JSON, malformed, too large (502); an empty answer passes', async (t) => {
  const cohort = await clientCredentialsToken(gw, clients.cohort!);
  for (const kind of ['gzip', 'text', 'badjson', 'big']) {
    const res = await pep(cohort, `/odd/region-a/bookings?citizen=${CECILIA}&kind=${kind}`);
    t.is(res.status, 502, kind);
    t.regex(String(res.body.type), /protected_identity_unfilterable$/, kind);
    t.deepEqual(leaks(res.text), [], kind);
  }
  const empty = await pep(cohort, `/odd/region-a/bookings?citizen=${CECILIA}&kind=empty`);
  t.is(empty.status, 204);
  // For an unprotected citizen the encoded answer streams through as the API sent it.
  const zipped = await fetch(`${gw.url}/pep/odd/region-a/bookings?citizen=${ANNA}&kind=gzip`, {
    headers: { authorization: `DPoP ${cohort.token}`, dpop: await proof(cohort.keys, 'GET', `${gw.url}/pep/odd/region-a/bookings`, cohort.token, clock.now()), 'accept-encoding': 'gzip' },
  });
  t.is(zipped.status, 200);
  t.is(zipped.headers.get('content-encoding'), 'gzip');
});

test.serial('a person the register does not know counts as protected (fail closed)', async (t) => {
  const cohort = await clientCredentialsToken(gw, clients.cohort!);
  t.like(await decideFor(cohort, unknownCitizen), { decision: 'permit', obligations: { protectedIdentity: true } });
  const res = await pep(cohort, `/odd/region-a/bookings?citizen=${unknownCitizen}&kind=fhir`);
  t.false(res.text.includes('telecom'));
});

test.serial('a protection mark set in the register takes effect within the cache bound: claims, token, permit and proxied responses', async (t) => {
  const before = await signIn(HELENA);
  t.is(before.idToken.email, 'helena.holm@example.se');
  t.is((await pep(before, `/data/region-a/bookings?citizen=${HELENA}`)).body.patient !== undefined, true);
  gw.register.sandbox?.update(HELENA, { protection: 'skyddad-folkbokforing' });
  // Within the bound the cached answer may still be used; at the bound it may not.
  clock.advance(CACHE_SECONDS * 1000);
  const info = await userinfo(before);
  t.is(info.protected_identity, true, 'the same session\'s userinfo follows the register');
  t.false('email' in info);
  const stripped = await pep(before, `/data/region-a/bookings?citizen=${HELENA}`);
  t.is(stripped.status, 200);
  t.deepEqual(stripped.body.patient, {});
  t.false(stripped.text.includes('Holmgatan'));
  const after = await signIn(HELENA);
  t.is(after.idToken.protected_identity, true);
  t.false('address' in after.idToken);
  t.is((await oidc.tokenIntrospection(after.rp.config, after.token)).protected_identity, true);
  // Lifted again: released again within the same bound.
  gw.register.sandbox?.update(HELENA, { protection: null });
  clock.advance(CACHE_SECONDS * 1000);
  t.is((await userinfo(after)).email, 'helena.holm@example.se');
});

test.serial('a register that cannot be asked: nothing of address or contact is released, and the flag is set (fail closed)', async (t) => {
  const ivar = await signIn(IVAR);
  t.is(ivar.idToken.email, 'ivar.ibrahim@example.se');
  const sandbox = gw.register.sandbox;
  if (!sandbox) return t.fail('the sandbox register runs');
  sandbox.unavailable = true;
  try {
    gw.register.cache.clear();
    const info = await userinfo(ivar);
    t.is(info.protected_identity, true);
    for (const claim of ['address', 'email', 'phone_number']) t.false(claim in info, claim);
    t.is(info.given_name, 'Ivar', 'the e-ID\'s own claims still come');
    const res = await pep(ivar, `/data/region-a/bookings?citizen=${IVAR}`);
    t.is(res.status, 200);
    t.is(res.headers.get('x-protected-identity'), 'true');
    t.false(res.text.includes('ivar.ibrahim@example.se'));
    t.false(res.text.includes('Industrigatan'));
  } finally {
    sandbox.unavailable = false;
  }
});

test.serial('bad input: a malformed citizen is refused before any register lookup, and the refusal names no one', async (t) => {
  const cecilia = await signIn(CECILIA);
  const lookups = gw.register.sandbox?.lookups ?? 0;
  for (const bad of ['19900615345', '199006153458', `${CECILIA}0`, 'cecilia']) {
    const res = await pep(cecilia, `/data/region-a/bookings?citizen=${bad}`);
    t.true(res.status >= 400 && res.status < 500, `${bad}: ${res.status}`);
    t.false(res.text.includes(bad) && bad.length >= 11, 'the number is not echoed');
    t.deepEqual(leaks(res.text), []);
  }
  t.is(gw.register.sandbox?.lookups, lookups);
  // Another citizen's data is refused as before; nothing about Cecilia in Anna's refusal.
  const anna = await signIn(ANNA);
  const other = await pep(anna, `/data/region-a/bookings?citizen=${CECILIA}`);
  t.is(other.status, 403);
  t.deepEqual(leaks(other.text), []);
  t.false(other.text.includes('protected'));
});

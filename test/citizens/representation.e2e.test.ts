// Guardians and agents end to end (issue 12, items 4 and 5): a real sign-in through the BankID
// simulator, the choice of whom to act for, the consent page's "Du agerar för …", a token from the
// token endpoint whose `sub` is the child's pairwise id and whose `act` names the guardian's, and the
// decision point deciding for the represented citizen — with the controller's maturity policy, the
// population register (sandbox, behind its cache on the injectable clock) and mandates in (PGlite)
// PostgreSQL. The clock moves only in the last tests, so earlier sign-ins keep real times.
import test from 'ava';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { ManualClock } from '../../src/clock.ts';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { LOA } from '../../src/idp/claims.ts';
import { REPRESENTATION_PATH, representationMount } from '../../src/citizens/representation/routes.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { discoverRp, pushAuthorization, type Rp } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import type { TestClient } from '../helpers/gateway.ts';
import { TestRegistry, clientFor, memoryDb, productFor, proof, startTestGatewayWith, REDIRECT, type Holder } from './representationFixture.ts';

const ANNA = '198003121236';
const BERTIL = '197501012343';
const ELLA = '201504054568';
const FILIP = '201209205671';
const GUSTAV = '201001016789';
const HELENA = '196802247897';
const IVAR = '198509629013';
const DIANA = '198307222466';
const KALLE = '201603102482';
const CACHE_SECONDS = 60;
let helenaMandateExpires = 0;

let db: PgliteDb;
let gw: Gateway;
const clock = new ManualClock(Date.now());
const clients: Record<string, TestClient> = {};
const registry = new TestRegistry(snapshot());

const stamp = { version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
const everything = [{ dataset: 'bookings', actions: ['read' as const] }, { dataset: 'vaccinations', actions: ['read' as const] }, { dataset: 'care-documentation', actions: ['read' as const] }];

/** The family app may refresh (offline_access), so a test can see the relation checked at refresh. */
const refreshing = (p: ReturnType<typeof productFor>): ReturnType<typeof productFor> => ({
  ...p, client: { ...p.client, grantTypes: ['authorization_code', 'refresh_token'], scope: `${p.client.scope ?? ''} offline_access` },
});

test.before(async () => {
  db = await memoryDb();
  clients.family = await clientFor('family-app', ['authorization_code']);
  clients.plain = await clientFor('plain-app', ['authorization_code']);
  const requestedAccess = [...everything, { dataset: 'home-care-decisions', actions: ['read' as const] }];
  registry.current = snapshot({
    controllers: [
      controller('region-a', ['bookings', 'vaccinations', 'care-documentation'], { name: 'Region A' }),
      controller('kommun-b', ['home-care-decisions'], { name: 'Kommun B' }),
    ],
    products: [refreshing(productFor(clients.family, 'p-family', { requestedAccess })), productFor(clients.plain, 'p-plain', { requestedAccess })],
    approvals: [
      // Region A lets the family app serve people acting for others; the plain app only the citizen.
      approval('a-family', 'region-a', 'p-family', { access: everything, limits: { citizens: { mode: 'represented' } } }),
      approval('a-plain', 'region-a', 'p-plain', { access: everything }),
    ],
    // Region A's maturity policy: for 13-15 year olds a guardian may still use bookings, nothing else.
    policies: [{ controllerId: 'region-a', accepts: [], guardianDatasets: ['bookings'], ...stamp }],
  });
  gw = await startTestGatewayWith(registry, db, clock, { register: { cacheMaxAgeSeconds: CACHE_SECONDS } });
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
});

interface SignedIn {
  holder: Holder;
  idToken: Record<string, unknown>;
  refresh: string | undefined;
  rp: Rp;
  /** The choice page and the consent page as the browser saw them. */
  choicePage?: string;
  consentPage?: string;
}

/**
 * The browser from PAR through BankID; `choose` picks on the choice page (its form value), or
 * undefined when the test expects no choice page.
 */
async function signIn(client: TestClient, personalNumber: string, choose?: (page: string) => string, params: Record<string, string> = {}): Promise<SignedIn> {
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp, params);
  const ua = new UserAgent(gw.url);
  const leaves = (u: string) => u.startsWith(REDIRECT);
  let res = await ua.follow(auth.url.href, {}, leaves);
  const uid = res.url.split('/').pop() ?? '';
  res = await ua.request(`/interaction/${uid}/bankid/start`, { form: { mode: 'autostart' } });
  const token = /autostarttoken=([^&"]+)/.exec(res.text)?.[1] ?? '';
  await ua.request('/sandbox/bankid/app/complete', { json: { autoStartToken: decodeURIComponent(token), personalNumber, outcome: 'complete' }, headers: { accept: 'application/json' } });
  let redirectTo: string | undefined;
  for (let i = 0; i < 50 && !redirectTo; i += 1) {
    // BankID is collected at most once per collect interval on the gateway's clock: move it along.
    clock.advance(150);
    const status = JSON.parse((await ua.request(`/interaction/${uid}/bankid/status`, { headers: { accept: 'application/json' } })).text) as { redirectTo?: string };
    redirectTo = status.redirectTo;
    if (!redirectTo) await new Promise((r) => setTimeout(r, 100));
  }
  if (!redirectTo) throw new Error('BankID never completed');
  const out: Partial<SignedIn> = {};
  res = await ua.follow(redirectTo, {}, leaves);
  if (res.url.endsWith('/represent')) {
    out.choicePage = res.text;
    if (!choose) throw new Error('a choice page nobody expected');
    res = await ua.follow(res.url, { form: { for: choose(res.text) } }, leaves);
  } else if (choose) {
    throw new Error(`expected the choice page, got ${res.url}`);
  }
  if (!res.location || !leaves(res.location)) {
    out.consentPage = res.text;
    res = await ua.follow(`/interaction/${res.url.split('/').pop() ?? ''}/consent`, { form: {} }, leaves);
  }
  if (!res.location) throw new Error(`no redirect to the client (${res.status} ${res.url})`);
  const tokens = await oidc.authorizationCodeGrant(rp.config, new URL(res.location), { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  return { ...out, rp, holder: { token: tokens.access_token, keys: rp.dpopKeys }, idToken: decodeJwt(tokens.id_token ?? ''), refresh: tokens.refresh_token } as SignedIn;
}

/** The form value of the option naming `name` on the choice page. */
const optionFor = (name: string) => (page: string): string => {
  const m = new RegExp(`value="(\\d+)"> ${name}`).exec(page);
  if (!m?.[1]) throw new Error(`${name} is not offered`);
  return m[1];
};

async function decide(holder: Holder, target: { controller?: string; dataset: string; citizen: string }) {
  const url = `${gw.url}/pdp/v1/decide`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, 'POST', url, holder.token, clock.now()) },
    body: JSON.stringify({ target: { controller: target.controller ?? 'region-a', action: 'read', ...target } }),
  });
  return { status: res.status, body: await res.json() as { decision: string; reasons: string[]; decisionId?: string; obligations?: { headers: Record<string, string> } } };
}

test.serial('Bertil signs in acting for Ella (11): the token\'s subject is Ella\'s pairwise id, `act` is his; the decision and its audit record name both', async (t) => {
  const ella = await signIn(clients.family!, BERTIL, optionFor('Ella Berg'));
  t.regex(ella.choicePage ?? '', /Ella Berg \(11\)/);
  t.regex(ella.choicePage ?? '', /Filip Berg \(14\)/);
  t.notRegex(ella.choicePage ?? '', /Gustav|Anna|2015|2012/, 'only his children, by name; no personnummer on the page');
  t.regex(ella.consentPage ?? '', /Du agerar för Ella Berg \(11 år\)/);
  const { sub, act } = ella.idToken as { sub: string; act?: { sub: string } };
  t.is(ella.idToken['https://id.oidc.se/claim/personalIdentityNumber'], ELLA, 'the app is told whose data it is');
  t.truthy(act?.sub);
  t.not(act?.sub, sub, 'actor and subject are two pairwise ids');

  // The actor's own sign-in to the same app has `sub` equal to the `act.sub` above: the same pairwise id.
  const himself = await signIn(clients.family!, BERTIL, () => 'self');
  t.is((himself.idToken as { sub: string }).sub, act?.sub ?? 'no act');
  t.is(himself.idToken.act, undefined, 'acting for himself: no act');
  t.is(himself.idToken['https://id.oidc.se/claim/personalIdentityNumber'], BERTIL);

  const permit = await decide(ella.holder, { dataset: 'vaccinations', citizen: ELLA });
  t.is(permit.body.decision, 'permit', JSON.stringify(permit.body));
  t.like(permit.body.obligations?.headers, {
    'x-citizen-pseudonym': gw.pdp?.accounts.accountIdFor(ELLA), 'x-actor-pseudonym': gw.pdp?.accounts.accountIdFor(BERTIL), 'x-actor-relation': 'guardian',
  }, 'the decision names both: the represented citizen and who acted');
  t.deepEqual((await decide(ella.holder, { dataset: 'vaccinations', citizen: FILIP })).body.reasons, ['citizen_not_token_subject'], 'Ella\'s token reaches Ella only');
  t.deepEqual((await decide(ella.holder, { dataset: 'vaccinations', citizen: BERTIL })).body.reasons, ['citizen_not_token_subject'], 'not even the actor');

  await gw.pdp?.audit.drain();
  const rows = (await db.query<{ citizen: string; actor: string; relation: string }>(
    'SELECT d.citizen, a.actor, a.relation FROM decision_audit d JOIN decision_audit_actors a USING (decided_at, id) WHERE d.id = $1', [String(permit.body.decisionId)])).rows;
  t.deepEqual(rows, [{ citizen: gw.pdp?.accounts.accountIdFor(ELLA), actor: gw.pdp?.accounts.accountIdFor(BERTIL), relation: 'guardian' }]);
});

test.serial('Filip (14): the guardian reaches what Region A\'s maturity policy names (bookings), not vaccinations', async (t) => {
  const filip = await signIn(clients.family!, BERTIL, optionFor('Filip Berg'));
  t.regex(filip.consentPage ?? '', /Du agerar för Filip Berg \(14 år\)/);
  t.is((await decide(filip.holder, { dataset: 'bookings', citizen: FILIP })).body.decision, 'permit');
  const denied = await decide(filip.holder, { dataset: 'vaccinations', citizen: FILIP });
  t.like(denied.body, { decision: 'deny', reasons: ['guardian_not_allowed_by_controller'] });
});

test.serial('a controller that did not allow representation refuses a token acting for someone', async (t) => {
  const ella = await signIn(clients.plain!, BERTIL, optionFor('Ella Berg'));
  t.deepEqual((await decide(ella.holder, { dataset: 'bookings', citizen: ELLA })).body.reasons, ['representation_not_permitted']);
});

test.serial('Gustav (16) is never offered, and a forged choice (his number, an index out of range) is refused without a word about him', async (t) => {
  gw.register.sandbox?.setGuardianship(BERTIL, GUSTAV);
  let forgedPages: string[] = [];
  await t.throwsAsync(signIn(clients.family!, BERTIL, (page) => {
    t.notRegex(page, /Gustav/, 'a 16-year-old is not offered, even with custody registered');
    throw new Error('stop');
  }), { message: 'stop' });
  // A tampered form: the gateway takes only an index into its own list.
  for (const forged of [GUSTAV, '7', '-1', 'ella', '']) {
    const page = await signIn(clients.family!, BERTIL, () => forged).catch((err: Error) => err.message);
    forgedPages = [...forgedPages, String(page)];
  }
  t.true(forgedPages.every((p) => /no redirect to the client \(400 /.test(p)), forgedPages.join('\n'));
  gw.register.sandbox?.endGuardianship(BERTIL, GUSTAV);
});

test.serial('a forged choice page post shows the refusal, and names nobody', async (t) => {
  const rp = await discoverRp(gw, clients.family!);
  const auth = await pushAuthorization(rp);
  const ua = new UserAgent(gw.url);
  const res = await ua.follow(auth.url.href, {}, (u) => u.startsWith(REDIRECT));
  const uid = res.url.split('/').pop() ?? '';
  // No e-ID sign-in happened: nothing waits for a choice, whatever the form says.
  const forged = await ua.request(`/interaction/${uid}/represent`, { form: { for: '0' } });
  t.is(forged.status, 400);
  t.notRegex(forged.text, /Ella|Filip|Berg|\d{12}/);
});

test.serial('an LVU-blocked guardian is offered nobody and signs in as herself', async (t) => {
  const diana = await signIn(clients.family!, DIANA);
  t.is(diana.choicePage, undefined);
  t.is(diana.idToken['https://id.oidc.se/claim/personalIdentityNumber'], DIANA);
  t.deepEqual((await decide(diana.holder, { dataset: 'bookings', citizen: KALLE })).body.reasons, ['citizen_not_token_subject']);
});

test.serial('agent: Helena with a bookings mandate from Anna reads Anna\'s bookings, never her vaccinations or her medical record', async (t) => {
  const relations = gw.representation?.relations;
  if (!relations) throw new Error('no representation');
  const now = Math.floor(clock.now() / 1000);
  // Appointing needs a fresh strong sign-in of the principal; the healthcare record is no mandate.
  t.like(await relations.appoint({ personalNumber: ANNA, acr: LOA.loa2, loginTs: now }, { agent: HELENA, types: ['bookings'], expiresAt: new Date(clock.now() + 86_400_000).toISOString() }), { ok: false, reason: 'sign_in_not_strong' });
  t.like(await relations.appoint({ personalNumber: ANNA, acr: LOA.loa3, loginTs: now - 3600 }, { agent: HELENA, types: ['bookings'], expiresAt: new Date(clock.now() + 86_400_000).toISOString() }), { ok: false, reason: 'sign_in_not_fresh' });
  t.like(await relations.appoint({ personalNumber: ANNA, acr: LOA.loa3, loginTs: now }, { agent: HELENA, types: ['care-documentation'], expiresAt: new Date(clock.now() + 86_400_000).toISOString() }), { ok: false, reason: 'healthcare_record_never_via_agent' });
  t.like(await relations.appoint({ personalNumber: ANNA, acr: LOA.loa3, loginTs: now }, { agent: '190001010008', types: ['bookings'], expiresAt: new Date(clock.now() + 86_400_000).toISOString() }), { ok: false, reason: 'agent_not_appointable' }, 'nobody by that number: the same answer as for anyone not appointable');
  t.like(await relations.appoint({ personalNumber: ANNA, acr: LOA.loa3, loginTs: now }, { agent: ANNA, types: ['bookings'], expiresAt: new Date(clock.now() + 86_400_000).toISOString() }), { ok: false, reason: 'agent_invalid' }, 'not herself');
  const appointed = await relations.appoint({ personalNumber: ANNA, acr: LOA.loa3, loginTs: now }, { agent: HELENA, types: ['bookings'], expiresAt: new Date(clock.now() + 240_000).toISOString() });
  if (!appointed.ok) throw new Error(`not appointed: ${appointed.reason}`);
  helenaMandateExpires = Date.parse(appointed.mandate.expiresAt);

  const helena = await signIn(clients.family!, HELENA, optionFor('Anna Andersson'));
  t.regex(helena.choicePage ?? '', /Anna Andersson – som ombud/);
  t.regex(helena.consentPage ?? '', /Du agerar för Anna Andersson/);
  t.is((await decide(helena.holder, { dataset: 'bookings', citizen: ANNA })).body.decision, 'permit');
  t.deepEqual((await decide(helena.holder, { dataset: 'vaccinations', citizen: ANNA })).body.reasons, ['outside_mandate']);
  t.deepEqual((await decide(helena.holder, { dataset: 'care-documentation', citizen: ANNA })).body.reasons, ['healthcare_record_never_via_agent']);

  // Both sides see the relation on their own page's list.
  const annas = await relations.of(ANNA);
  t.like(annas.actedForBy.find((l) => l.relation === 'agent'), { name: 'Helena Holm', usable: true });
  t.like((await relations.of(HELENA)).actsFor[0], { name: 'Anna Andersson', relation: 'agent', usable: true });
  t.false(JSON.stringify(annas).includes(HELENA), 'names, never numbers');
});

test.serial('agent: an expired mandate signs nobody in as agent', async (t) => {
  // Ivar's mandate from Anna ran out yesterday.
  const id = crypto.randomUUID();
  const accounts = gw.pdp?.accounts;
  await db.query(`INSERT INTO representation_mandates (id, principal, agent, principal_number, agent_number, types, created_at, appointed_with, expires_at, confirm_by)
    VALUES ($1, $2, $3, $4, $5, '["bookings"]', $6, $7, $8, $8)`,
  [id, accounts?.accountIdFor(ANNA), accounts?.accountIdFor(IVAR), ANNA, IVAR, new Date(clock.now() - 30 * 86_400_000).toISOString(), LOA.loa3, new Date(clock.now() - 86_400_000).toISOString()]);
  const ivar = await signIn(clients.family!, IVAR);
  t.is(ivar.choicePage, undefined, 'no choice: he signs in as himself');
  t.deepEqual((await decide(ivar.holder, { dataset: 'bookings', citizen: ANNA })).body.reasons, ['citizen_not_token_subject']);
});

test.serial('the register changing takes effect within the cache bound: Ella\'s guardianship blocked, then her token is refused at the PDP and at refresh', async (t) => {
  const ella = await signIn(clients.family!, BERTIL, optionFor('Ella Berg'), {
    // offline_access needs prompt=consent (OIDC Core §11): a refresh token to try the relation at refresh.
    scope: 'openid profile offline_access https://id.oidc.se/scope/naturalPersonNumber', prompt: 'consent',
  });
  t.is((await decide(ella.holder, { dataset: 'bookings', citizen: ELLA })).body.decision, 'permit');
  if (!ella.refresh) throw new Error('no refresh token');
  const refreshed = await oidc.refreshTokenGrant(ella.rp.config, ella.refresh, undefined, { DPoP: ella.rp.dpop });
  t.truthy(refreshed.access_token, 'a refresh while the relation holds');
  ella.refresh = refreshed.refresh_token;
  ella.holder = { token: refreshed.access_token, keys: ella.rp.dpopKeys };
  t.is((await decide(ella.holder, { dataset: 'bookings', citizen: ELLA })).body.decision, 'permit', 'the refreshed token still acts for Ella');
  gw.register.sandbox?.setGuardianship(BERTIL, ELLA, 'lvu');
  t.is((await decide(ella.holder, { dataset: 'bookings', citizen: ELLA })).body.decision, 'permit', 'the cache may answer within its bound');
  clock.advance((CACHE_SECONDS + 1) * 1000);
  // The product is told the representation ended, not that the register blocked the custody (LVU).
  t.deepEqual((await decide(ella.holder, { dataset: 'bookings', citizen: ELLA })).body.reasons, ['representation_ended']);
  if (!ella.refresh) throw new Error('no refresh token');
  const err = await t.throwsAsync(oidc.refreshTokenGrant(ella.rp.config, ella.refresh, undefined, { DPoP: ella.rp.dpop }));
  t.regex(String((err as { error?: string } | undefined)?.error ?? err?.message), /invalid_grant/, 'the token request is refused at refresh');
  t.notRegex(JSON.stringify(err), /lvu|blocked/i, 'without saying why');
  gw.register.sandbox?.setGuardianship(BERTIL, ELLA);
});

test.serial('agent: the mandate expiring on the clock ends the agent\'s token at the PDP', async (t) => {
  const helenaToken = await (async () => {
    clock.advance(-(CACHE_SECONDS + 1) * 1000);
    const s = await signIn(clients.family!, HELENA, optionFor('Anna Andersson'));
    return s.holder;
  })();
  t.is((await decide(helenaToken, { dataset: 'bookings', citizen: ANNA })).body.decision, 'permit');
  // Past the mandate's expiry (4 minutes after it was given), within the token's own lifetime (5 minutes).
  clock.advance(helenaMandateExpires - clock.now() + 1000);
  t.deepEqual((await decide(helenaToken, { dataset: 'bookings', citizen: ANNA })).body.reasons, ['mandate_expired']);
  t.deepEqual(await gw.representation?.representation.choicesFor(HELENA), [], 'and she is offered nobody');
});

test.serial('the principal\'s routes: list, appoint at a fresh strong sign-in, revoke; cross-origin and someone else\'s mandate refused', async (t) => {
  const relations = gw.representation?.relations;
  if (!relations) throw new Error('no representation');
  const origin = 'http://account.test';
  // The /account session is the consent lane's; here a header stands for it.
  const mount = representationMount({
    relations, issuer: origin,
    signedIn: async (ctx) => {
      const who = ctx.get('x-test-citizen');
      return who ? { personalNumber: who, acr: LOA.loa3, loginTs: Math.floor(clock.now() / 1000) } : undefined;
    },
  });
  const app = new Koa();
  app.use(mount.routes);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${REPRESENTATION_PATH}`;
  const call = (path: string, init: { citizen?: string; body?: unknown; origin?: string } = {}) => fetch(`${base}${path}`, {
    method: init.body === undefined && !path.endsWith('/revoke') ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(init.citizen ? { 'x-test-citizen': init.citizen } : {}), origin: init.origin ?? origin },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  try {
    t.is((await call('/')).status, 401, 'not signed in');
    const bertil = await (await call('/', { citizen: BERTIL })).json() as { actsFor: Array<{ name: string; age?: number }> };
    t.deepEqual(bertil.actsFor.map((l) => `${l.name} ${l.age}`).sort(), ['Ella Berg 11', 'Filip Berg 14']);
    const expiresAt = new Date(clock.now() + 30 * 86_400_000).toISOString();
    t.is((await call('/mandates', { citizen: ANNA, body: { agent: BERTIL, types: ['bookings'], expiresAt }, origin: 'https://evil.example' })).status, 403, 'cross-origin');
    const bad = await call('/mandates', { citizen: ANNA, body: { agent: BERTIL, types: ['social_care_documentation'], expiresAt } });
    t.like({ status: bad.status, ...await bad.json() as object }, { status: 400, reasons: ['consents_missing'] });
    const made = await call('/mandates', { citizen: ANNA, body: { agent: BERTIL, types: ['social_care_documentation'], expiresAt, consents: { secrecy_waiver: true, processing: true } } });
    t.is(made.status, 201);
    const { id, confirmBy } = await made.json() as { id: string; confirmBy: string };
    t.true(Date.parse(confirmBy) <= Date.parse(expiresAt), 'the yearly confirmation falls before the expiry');
    t.is((await call(`/mandates/${id}/revoke`, { citizen: BERTIL })).status, 404, 'only the principal revokes');
    t.is((await call(`/mandates/${id}/revoke`, { citizen: ANNA })).status, 204);
    t.is((await call(`/mandates/${id}/revoke`, { citizen: ANNA })).status, 404, 'once');
    t.is((await call('/mandates/not-an-id/revoke', { citizen: ANNA })).status, 404);
    const anna = await (await call('/', { citizen: ANNA })).json() as { actedForBy: Array<{ name: string; usable: boolean; reason?: string }> };
    t.like(anna.actedForBy.find((l) => l.name === 'Bertil Berg'), { usable: false, reason: 'mandate_revoked' });
  } finally {
    server.close();
  }
});

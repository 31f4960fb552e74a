// /account and consent end to end over HTTP (issue 12, items 1 and 2): two gateway instances sharing
// Redis and PostgreSQL (PGlite), real sign-ins through the BankID simulator for the app and for the
// account page, real tokens and PDP decisions. The consent page says who is signed in, lists only what
// is given and links to /account; approving records it; a widened product asks again for what is new;
// the access log shows exactly the decision audit's entries about the signed-in citizen (paged,
// filtered) and nothing about anyone else; withdrawal ends the app's access on both instances; bad or
// foreign requests are refused with a reason, never a 5xx.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { SE } from '../../src/idp/claims.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { startTestGateway, type TestClient } from '../helpers/gateway.ts';
import { browserThroughBankId, discoverRp, pushAuthorization } from '../helpers/signIn.ts';
import { UserAgent, type UaResponse } from '../helpers/userAgent.ts';
import { TestRegistry, clientCredentialsToken, clientFor, decide, memoryDb, productFor, REDIRECT, type Holder } from '../scopes/pdpFixture.ts';

const ANNA = '198003121236';
// The second citizen has nobody to act for (a guardian would first be asked whom he acts for).
const GUSTAV = '201001016789';
const SCOPE = `openid profile ${SE.naturalPersonNumberScope} ${SE.naturalPersonOrgIdScope}`;

let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let a: Gateway;
let b: Gateway;
const clients: Record<string, TestClient> = {};
const registry = new TestRegistry(snapshot());
const tokens: Record<string, Holder> = {};
/** The browser that signed Anna in to the app (its session is reused for the next sign-in). */
let annaAtApp: UserAgent;
let consentPageSeen = '';

const pseudonym = (pn: string) => a.pdp!.accounts.accountIdFor(pn);

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  clients.app = await clientFor('acct-app', ['authorization_code']);
  clients.cohort = await clientFor('acct-cohort', ['client_credentials']);
  const app = productFor(clients.app, 'p-app', { name: 'Hälsoappen' });
  app.client.scope = SCOPE;
  registry.current = snapshot({
    controllers: [controller('region-a', ['bookings', 'vaccinations'], { name: 'Region A' }), controller('kommun-b', ['bookings'], { name: 'Kommun B' })],
    products: [app, productFor(clients.cohort, 'p-cohort', { name: 'Listappen' })],
    approvals: [
      approval('a-app', 'region-a', 'p-app', { access: [{ dataset: 'bookings', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read'] }] }),
      approval('a-cohort', 'region-a', 'p-cohort', { limits: { citizens: { mode: 'cohort', cohortId: 'acct-list' } } }),
    ],
  });
  const store = { redisUrl: redis.url, keyPrefix: `acct${randomUUID().slice(0, 8)}:` };
  const overrides = { store, account: { pageSize: 5 } };
  a = await startTestGateway({ registry, db, overrides });
  b = await startTestGateway({ registry, db, overrides });
  await db.query('INSERT INTO cohorts (id, controller_id, name, members, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
    ['acct-list', 'region-a', 'acct-list', JSON.stringify([pseudonym(ANNA), pseudonym(GUSTAV)]), new Date().toISOString()]);
  a.registry!.invalidate();
  b.registry!.invalidate();
});

test.after.always(async () => {
  await a?.close();
  await b?.close();
  await db?.close();
  await redis?.stop();
});

async function appSignIn(pn: string, ua = new UserAgent(a.url), onConsent?: (page: string) => void): Promise<Holder> {
  const rp = await discoverRp(a, clients.app!);
  const auth = await pushAuthorization(rp, { scope: SCOPE });
  const callback = await browserThroughBankId(a, auth.url, pn, REDIRECT, ua, (page) => onConsent?.(page));
  const t = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  return { token: t.access_token, keys: rp.dpopKeys };
}

/** Signs a citizen in to /account (on instance gw) and answers the browser, on the overview page. */
async function accountSignIn(gw: Gateway, pn: string): Promise<UserAgent> {
  const ua = new UserAgent(gw.url);
  const callback = await browserThroughBankId(gw, new URL(`${gw.url}/account/login`), pn, `${gw.url}/account/callback`, ua);
  const page = await ua.follow(callback.href);
  if (page.status !== 200 || !page.text.includes('id="signed-in-as"')) throw new Error(`not on the account page: ${page.status} ${page.url}`);
  return ua;
}

const csrfOf = (page: string): string => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
const decisionIds = (page: string): string[] => [...page.matchAll(/data-decision="([^"]+)"/g)].map((m) => m[1] ?? '');
const auditIds = async (pn: string): Promise<string[]> =>
  (await db.query<{ id: string }>('SELECT id FROM decision_audit WHERE citizen = $1', [pseudonym(pn)])).rows.map((r) => r.id).sort();
const reasonOf = (res: UaResponse): string | undefined => /data-reason="([^"]+)"/.exec(res.text)?.[1];
const target = (citizen: string, extra: Record<string, string> = {}) => ({ controller: 'region-a', dataset: 'bookings', citizen, action: 'read', ...extra });

test.serial('the consent page says who is signed in, lists only what the citizen gets (no HSA-id, the name once), links to /account; approving records it', async (t) => {
  annaAtApp = new UserAgent(a.url);
  tokens.anna = await appSignIn(ANNA, annaAtApp, (page) => { consentPageSeen = page; });
  tokens.gustav = await appSignIn(GUSTAV);
  t.regex(consentPageSeen, /id="signed-in-as"[^>]*>Inloggad som <strong>Anna Andersson<\/strong>/);
  t.notRegex(consentPageSeen, /HSA-id|organisation/i, 'a citizen has neither');
  t.is(consentPageSeen.match(/ditt namn/g)?.length, 1, 'the name once, though two scopes release it');
  t.regex(consentPageSeen, /ditt personnummer/);
  t.regex(consentPageSeen, /<strong>läsa bokningar<\/strong>, ansvarig: Region A/);
  t.regex(consentPageSeen, /<strong>läsa vaccinationer<\/strong>, ansvarig: Region A/);
  t.regex(consentPageSeen, /href="\/account\?lang=sv">Mina appar och mina uppgifter<\/a>/);
  const held = await a.citizens!.records.inForce(pseudonym(ANNA), 'p-app');
  t.deepEqual(held.map((c) => [c.dataset ?? '-', c.controllerId ?? '-', c.actions.join(',')]).sort(), [['-', '-', ''], ['bookings', 'region-a', 'read'], ['vaccinations', 'region-a', 'read']]);
  t.true(held.every((c) => c.locale === 'sv' && /^[0-9a-f]{12}$/.test(c.textVersion) && c.givenHow === 'consent_page:bankid'));
  t.true(held.find((c) => !c.dataset)?.claims.includes(SE.personalIdentityNumber));
  t.false(held.some((c) => c.claims.includes(SE.orgAffiliation)), 'what was not shown is not recorded');
  t.false(JSON.stringify(held).includes(ANNA), 'the record names the pseudonym, never the personnummer');
});

test.serial('the access log on /account is exactly the decision audit about the signed-in citizen, paged and filtered, and nothing about anyone else', async (t) => {
  const anna = tokens.anna!;
  const gustav = tokens.gustav!;
  const decisions = [
    await decide(a, anna, target(ANNA)),
    await decide(b, anna, target(ANNA, { dataset: 'vaccinations' })),
    await decide(a, anna, target(ANNA, { action: 'write' })),
    await decide(b, anna, target(ANNA, { controller: 'kommun-b' })),
    await decide(a, anna, target(ANNA)),
    await decide(b, anna, target(ANNA, { dataset: 'vaccinations' })),
    await decide(a, gustav, target(GUSTAV)),
    await decide(a, gustav, target(ANNA)), // Gustav's token asking about Anna: in her log, denied
    await decide(b, anna, target(GUSTAV)), // and the other way round: in his
  ];
  t.deepEqual(decisions.map((d) => d.body.decision), ['permit', 'permit', 'deny', 'deny', 'permit', 'permit', 'permit', 'deny', 'deny']);
  await a.pdp!.audit.drain();
  await b.pdp!.audit.drain();
  const annaIds = await auditIds(ANNA);
  const gustavIds = await auditIds(GUSTAV);
  t.is(annaIds.length, 7);
  t.is(gustavIds.length, 2);

  const ua = await accountSignIn(a, ANNA);
  const first = await ua.request('/account');
  const second = await ua.request('/account?page=2');
  t.is(decisionIds(first.text).length, 5, 'a page holds account.pageSize entries');
  t.regex(first.text, /id="log-next"/);
  t.deepEqual([...decisionIds(first.text), ...decisionIds(second.text)].sort(), annaIds, 'the log is exactly the audit\'s decisions about her');
  t.false(gustavIds.some((id) => first.text.includes(id) || second.text.includes(id)), 'nothing about Gustav');
  t.notRegex(first.text + second.text, /Gustav|201001016789|198003121236/);

  const denied = await ua.request('/account?outcome=deny');
  const deniedIds = (await db.query<{ id: string }>(`SELECT id FROM decision_audit WHERE citizen = $1 AND decision = 'deny'`, [pseudonym(ANNA)])).rows.map((r) => r.id).sort();
  t.deepEqual(decisionIds(denied.text).sort(), deniedIds);
  const vaccinations = await ua.request('/account?dataset=vaccinations&product=p-app');
  t.is(decisionIds(vaccinations.text).length, 2);
  const none = await ua.request('/account?from=2000-01-01&to=2000-01-31');
  t.deepEqual(decisionIds(none.text), []);
  t.regex(none.text, /id="log-none"/);
  t.regex(first.text, /Hälsoappen/);
  t.regex(first.text, /Senast använd/, 'the app shows its last use');

  const theirs = await accountSignIn(b, GUSTAV);
  const page = await theirs.request('/account');
  t.deepEqual(decisionIds(page.text).sort(), gustavIds, 'Gustav\'s page on the other instance: his two, nothing of hers');
});

test.serial('the export holds the apps, the consents and the access log of the citizen only, without any personnummer', async (t) => {
  const ua = await accountSignIn(a, ANNA);
  const res = await ua.request('/account/export');
  t.is(res.status, 200);
  t.regex(res.headers.get('content-disposition') ?? '', /attachment/);
  const body = JSON.parse(res.text) as { apps: Array<{ productId: string }>; consents: Array<{ citizen: string }>; accessLog: Array<{ id: string; citizen?: string }> };
  t.deepEqual(body.apps.map((x) => x.productId), ['p-app']);
  t.true(body.consents.length >= 3 && body.consents.every((c) => c.citizen === pseudonym(ANNA)));
  t.deepEqual(body.accessLog.map((e) => e.id).sort(), await auditIds(ANNA));
  t.false(res.text.includes(ANNA) || res.text.includes(GUSTAV) || res.text.includes(pseudonym(GUSTAV)));
});

test.serial('bad and foreign account requests are refused with a reason, and nothing leaks', async (t) => {
  const ua = await accountSignIn(a, ANNA);
  const page = await ua.request('/account');
  const csrf = csrfOf(page.text);
  t.truthy(csrf);
  const gustavs = (await a.citizens!.records.inForce(pseudonym(GUSTAV), 'p-app'))[0];
  if (!gustavs) throw new Error('Gustav has no consent');

  const cases: Array<[string, Promise<UaResponse>, number, string]> = [
    ['a malformed filter', ua.request('/account?from=2026-13-01'), 400, 'filter_invalid:from'],
    ['a page out of range', ua.request('/account?page=0'), 400, 'filter_invalid:page'],
    ['a malformed consent id', ua.request('/account/consents/not-a-uuid/revoke', { form: { csrf } }), 400, 'consent_id_malformed'],
    ['someone else\'s consent', ua.request(`/account/consents/${gustavs.id}/revoke`, { form: { csrf } }), 404, 'consent_not_found'],
    ['a consent that does not exist', ua.request(`/account/consents/${randomUUID()}/revoke`, { form: { csrf } }), 404, 'consent_not_found'],
    ['an app not among hers', ua.request('/account/apps/p-cohort/revoke', { form: { csrf } }), 404, 'app_not_found'],
    ['a malformed product id', ua.request(`/account/apps/${encodeURIComponent('a b')}/revoke`, { form: { csrf } }), 400, 'product_id_malformed'],
    ['no CSRF token', ua.request('/account/apps/p-app/revoke', { form: {} }), 403, 'csrf'],
    ['a wrong CSRF token', ua.request('/account/apps/p-app/revoke', { form: { csrf: `${csrf}x` } }), 403, 'csrf'],
    ['another origin', ua.request('/account/apps/p-app/revoke', { form: { csrf }, headers: { origin: 'https://evil.example' } }), 403, 'csrf'],
    ['no session', new UserAgent(a.url).request('/account/apps/p-app/revoke', { form: { csrf } }), 401, 'session_expired'],
  ];
  for (const [what, pending, status, reason] of cases) {
    const res = await pending;
    t.is(res.status, status, what);
    t.is(reasonOf(res), reason, what);
    t.false(res.text.includes(pseudonym(GUSTAV)) || res.text.includes('Gustav'), `${what}: nothing about Gustav`);
  }
  t.is((await a.citizens!.records.inForce(pseudonym(GUSTAV), 'p-app')).length, 3, 'Gustav\'s consents are untouched');
  t.is((await a.citizens!.records.inForce(pseudonym(ANNA), 'p-app')).length, 3, 'and hers too');
  const unsigned = await new UserAgent(a.url).request('/account');
  t.is(unsigned.status, 200);
  t.regex(unsigned.text, /id="account-sign-in"/, 'not signed in: the sign-in page, nothing else');
});

test.serial('a product whose approvals widened asks again, marking what is new; approving records it', async (t) => {
  registry.current = { ...registry.current, approvals: [...registry.current.approvals, approval('a-app-b', 'kommun-b', 'p-app')] };
  a.registry!.invalidate();
  b.registry!.invalidate();
  const rp = await discoverRp(a, clients.app!);
  const auth = await pushAuthorization(rp, { scope: SCOPE });
  const res = await annaAtApp.follow(auth.url.href, {}, (u) => u.startsWith(REDIRECT));
  t.regex(res.url, /\/interaction\/[^/]+$/, 'the session is reused, and consent is asked');
  t.regex(res.text, /id="consent-widened"/);
  t.regex(res.text, /ansvarig: Kommun B <strong class="new">\(nytt\)<\/strong>/);
  t.notRegex(res.text, /ansvarig: Region A <strong class="new">/, 'what was consented to is not new');
  const uid = res.url.split('/').pop() ?? '';
  const done = await annaAtApp.follow(`/interaction/${uid}/consent`, { form: {} }, (u) => u.startsWith(REDIRECT));
  t.true(done.location?.startsWith(REDIRECT), done.url);
  const held = await a.citizens!.records.inForce(pseudonym(ANNA), 'p-app');
  t.true(held.some((c) => c.controllerId === 'kommun-b' && c.dataset === 'bookings'));
  // Asked once: the next authorization goes straight through.
  const again = await annaAtApp.follow((await pushAuthorization(rp, { scope: SCOPE })).url.href, {}, (u) => u.startsWith(REDIRECT));
  t.true(again.location?.startsWith(REDIRECT), `no consent page now: ${again.url}`);
});

test.serial('withdrawing the app on /account denies its next data request on both instances; a cohort read is consent_revoked; Gustav is untouched', async (t) => {
  await a.citizens!.records.give([{
    citizen: pseudonym(ANNA), productId: 'p-cohort', kind: 'app_access', dataset: undefined, controllerId: undefined, recipientId: undefined,
    actions: [], claims: [], textVersion: 'v1', locale: 'sv', givenHow: 'api',
  }]);
  const cohort = await clientCredentialsToken(a, clients.cohort!);
  t.like((await decide(b, cohort, target(ANNA))).body, { decision: 'permit' });
  t.like((await decide(b, tokens.anna!, target(ANNA))).body, { decision: 'permit' });

  const ua = await accountSignIn(a, ANNA);
  const page = await ua.request('/account');
  t.regex(page.text, /data-product="p-cohort"/);
  const revoked = await ua.request('/account/apps/p-app/revoke', { form: { csrf: csrfOf(page.text) } });
  t.is(revoked.status, 303);
  const after = Date.now();
  const [onA, onB] = await Promise.all([decide(a, tokens.anna!, target(ANNA)), decide(b, tokens.anna!, target(ANNA))]);
  t.log(`first decisions after the withdrawal answered ${Date.now() - after} ms after it: ${onA.status} ${String(onA.body.reasons)} / ${onB.status} ${String(onB.body.reasons)}`);
  t.like(onA.body, { decision: 'deny' });
  t.like(onB.body, { decision: 'deny' });
  t.is(onB.status, 401, 'the token is gone from the shared store');
  t.like((await decide(a, tokens.gustav!, target(GUSTAV))).body, { decision: 'permit' }, 'Gustav\'s token still works');
  const shown = await ua.follow(revoked.location ?? '/account');
  t.regex(shown.text, /Åtkomsten för Hälsoappen är återkallad/);
  t.notRegex(shown.text, /id="app-p-app"/);

  const listPage = await ua.request('/account');
  const revokeCohort = await ua.request('/account/apps/p-cohort/revoke', { form: { csrf: csrfOf(listPage.text) } });
  t.is(revokeCohort.status, 303);
  for (const gw of [a, b]) t.like((await decide(gw, cohort, target(ANNA))).body, { decision: 'deny', reasons: ['consent_revoked'], check: 'consent_in_force' });
  t.like((await decide(b, cohort, target(GUSTAV))).body, { decision: 'permit' }, 'the cohort still reaches Gustav');
  // The next sign-in to the app asks for consent again.
  const rp = await discoverRp(a, clients.app!);
  const res = await annaAtApp.follow((await pushAuthorization(rp, { scope: SCOPE })).url.href, {}, (u) => u.startsWith(REDIRECT));
  t.regex(res.url, /\/interaction\/[^/]+$/);
  t.regex(res.text, /id="approve"/);
});

// Consent as a record, on its own (src/citizens/consent/): the store over PGlite with every migration
// (given, kept, widened, withdrawn, someone else's id), the withdrawn set the decision point reads and
// its invalidation across instances, the PDP's consent_in_force check, the three consents of a
// disclosure between two providers, the claims the consent page lists, and the access log's filters.
import test from 'ava';
import { ManualClock } from '../../src/clock.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { SE } from '../../src/idp/claims.ts';
import type { AccountRecord } from '../../src/idp/accounts.ts';
import { Refusal } from '../../src/decision.ts';
import { ConsentStore, type ConsentInput } from '../../src/citizens/consent/records.ts';
import { WithdrawnConsentCache } from '../../src/citizens/consent/withdrawn.ts';
import { DISCLOSURE_CHECKS, disclosureAllowed, disclosureConsents, secrecyLifted, type Disclosure } from '../../src/citizens/consent/disclosure.ts';
import { releasedClaims } from '../../src/citizens/consent/prompt.ts';
import { parseFilter } from '../../src/citizens/account/accessLog.ts';
import { consentInForce, type PdpDeps } from '../../src/scopes/pdp.ts';
import { product } from '../whitelist/snapshotFixture.ts';
import { memoryDb } from '../scopes/pdpFixture.ts';

const clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
const db = await memoryDb();
const records = new ConsentStore(db, clock);
test.after.always(() => db.close());

const shown = { textVersion: 'v1', locale: 'sv', givenHow: 'consent_page:bankid' } as const;
const app = (citizen: string, productId: string, extra: Partial<ConsentInput> = {}): ConsentInput => ({
  citizen, productId, kind: 'app_access', dataset: 'bookings', controllerId: 'region-a', recipientId: undefined, actions: ['read'], claims: [], ...shown, ...extra,
});

test.serial('a consent is recorded with its text version, language and how; given again it is kept, not duplicated', async (t) => {
  const [first] = await records.give([app('anna', 'p1')]);
  t.like(first, { citizen: 'anna', productId: 'p1', kind: 'app_access', dataset: 'bookings', controllerId: 'region-a', actions: ['read'], textVersion: 'v1', locale: 'sv', givenHow: 'consent_page:bankid' });
  t.is(first?.revokedAt, undefined);
  clock.advance(1000);
  const [again] = await records.give([app('anna', 'p1')]);
  t.is(again?.id, first?.id, 'the consent in force covers it');
  t.is((await records.inForce('anna', 'p1')).length, 1);
});

test.serial('a wider consent replaces the narrower one: the old is withdrawn as replaced, the new covers both', async (t) => {
  clock.advance(1000);
  const [wider] = await records.give([app('anna', 'p1', { actions: ['read', 'write'] })]);
  t.deepEqual(wider?.actions, ['read', 'write']);
  const all = await records.forCitizen('anna');
  t.is(all.filter((c) => c.revokedHow === 'replaced').length, 1);
  t.is((await records.inForce('anna', 'p1')).length, 1);
  t.false((await records.withdrawn()).has('p1\u0000anna\u0000bookings\u0000region-a'), 'a replaced consent is not a withdrawal');
});

test.serial('withdrawing a product withdraws every app consent of that citizen for it, and nobody else\'s', async (t) => {
  await records.give([app('anna', 'p1', { dataset: undefined, controllerId: undefined, actions: [], claims: ['sub', 'name'] }), app('bertil', 'p1')]);
  clock.advance(1000);
  const withdrawn = await records.revokeProduct('anna', 'p1', 'account_page:bankid');
  t.is(withdrawn.length, 2);
  t.true(withdrawn.every((c) => c.revokedAt === new Date(clock.now()).toISOString() && c.revokedHow === 'account_page:bankid'));
  t.deepEqual(await records.inForce('anna', 'p1'), []);
  t.is((await records.inForce('bertil', 'p1')).length, 1, 'another citizen\'s consent stays');
  const keys = await records.withdrawn();
  t.true(keys.has('p1\u0000anna'));
  t.false([...keys].some((k) => k.includes('bertil')));
});

test.serial('a consent id of someone else is refused exactly as one that does not exist; a withdrawn one says so', async (t) => {
  const [bertils] = await records.inForce('bertil', 'p1');
  if (!bertils) throw new Error('no consent');
  t.deepEqual(await records.revokeOne('anna', bertils.id, 'account_page'), { ok: false, reason: 'consent_not_found' });
  t.deepEqual(await records.revokeOne('anna', '00000000-0000-4000-8000-000000000000', 'account_page'), { ok: false, reason: 'consent_not_found' });
  t.is((await records.inForce('bertil', 'p1')).length, 1, 'still in force');
  const mine = await records.revokeOne('bertil', bertils.id, 'account_page');
  t.true(mine.ok);
  t.deepEqual(await records.revokeOne('bertil', bertils.id, 'account_page'), { ok: false, reason: 'consent_already_revoked' });
  t.true((await records.withdrawn()).has('p1\u0000bertil\u0000bookings\u0000region-a'), 'one data set withdrawn');
});

test.serial('given again after a withdrawal, the product is no longer withdrawn', async (t) => {
  await records.give([app('anna', 'p1', { dataset: undefined, controllerId: undefined, actions: [], claims: ['sub'] })]);
  t.false((await records.withdrawn()).has('p1\u0000anna'));
});

test.serial('the withdrawn set: every instance drops it when one announces a change (publish/subscribe), and answers from memory', async (t) => {
  const store = new MemoryStore(clock);
  const a = new WithdrawnConsentCache(records, store, clock);
  const b = new WithdrawnConsentCache(records, store, clock);
  await a.start();
  await b.start();
  t.false(await b.withdrawn('p2', 'cecilia', 'bookings', 'region-a'));
  await records.give([app('cecilia', 'p2')]);
  await records.revokeProduct('cecilia', 'p2', 'account_page');
  t.false(await b.withdrawn('p2', 'cecilia', 'bookings', 'region-a'), 'b answers from its set until told');
  await a.announce();
  t.true(await b.withdrawn('p2', 'cecilia', 'bookings', 'region-a'), 'told through the store, b reads again');
  t.true(await a.withdrawn('p2', 'cecilia', 'bookings', 'region-a'));
  t.false(await a.withdrawn('p2', 'cecilia', 'vaccinations', 'region-a'), 'only what was withdrawn');
  await a.close();
  await b.close();
});

test('consent_in_force: the product withdrawn by the target citizen is consent_revoked; another product or citizen passes; unreadable is registry_unavailable', async (t) => {
  const state = { product: product('p1'), target: { controller: 'region-a', dataset: 'bookings', citizen: '198003121236', action: 'read' }, pseudonym: 'anna' };
  const deps = (withdrawn: (p: string, c: string) => Promise<boolean>) => ({ consents: { withdrawn } }) as unknown as PdpDeps;
  const reasonOf = (o: unknown) => (o instanceof Refusal ? o.reason : o);
  t.is(reasonOf(await consentInForce.run(state, deps(async (p, c) => p === 'p1' && c === 'anna'))), 'consent_revoked');
  t.is(reasonOf(await consentInForce.run({ ...state, pseudonym: 'bertil' }, deps(async (p, c) => p === 'p1' && c === 'anna'))), undefined);
  t.is(reasonOf(await consentInForce.run({ ...state, product: product('p2') }, deps(async (p, c) => p === 'p1' && c === 'anna'))), undefined);
  t.is(reasonOf(await consentInForce.run(state, {} as PdpDeps)), undefined, 'no consent records: nothing is withdrawn');
  await t.throwsAsync(async () => consentInForce.run(state, deps(async () => { throw new Error('db down'); })), { message: 'registry_unavailable' });
});

test('a disclosure between two providers needs all three consents; each missing or withdrawn one names its reason', async (t) => {
  const d: Disclosure = { citizen: 'dora', dataset: 'care-documentation', from: 'region-a', to: 'kommun-b', productId: 'p-carrier' };
  t.deepEqual(DISCLOSURE_CHECKS, ['secrecy_lifted', 'processing_consented', 'receipt_consented']);
  t.like(await disclosureAllowed(d, []), { ok: false, check: 'secrecy_lifted', reason: 'secrecy_not_lifted' });
  const three = await records.give(disclosureConsents(d, shown));
  t.deepEqual(three.map((c) => [c.kind, c.controllerId, c.recipientId]), [
    ['disclosure_secrecy', 'region-a', 'kommun-b'], ['disclosure_processing', 'region-a', 'kommun-b'], ['disclosure_receipt', 'kommun-b', 'kommun-b'],
  ]);
  t.deepEqual(await disclosureAllowed(d, await records.inForce('dora')), { ok: true });
  t.like(await disclosureAllowed({ ...d, to: 'region-c' }, await records.inForce('dora')), { ok: false, reason: 'secrecy_not_lifted' }, 'to another receiver: nothing given');
  for (const [kind, reason] of [['disclosure_receipt', 'receipt_not_consented'], ['disclosure_processing', 'processing_not_consented'], ['disclosure_secrecy', 'secrecy_not_lifted']] as const) {
    const record = three.find((c) => c.kind === kind);
    if (!record) throw new Error(kind);
    t.true((await records.revokeOne('dora', record.id, 'account_page')).ok);
    t.like(await disclosureAllowed(d, await records.inForce('dora')), { ok: false, reason }, `${kind} withdrawn`);
  }
  t.is(secrecyLifted.name, 'secrecy_lifted');
});

const citizen: AccountRecord = { kind: 'citizen', personalNumber: '198003121236', coordinationNumber: false, givenName: 'Anna', surname: 'Andersson', name: 'Anna Andersson' };
const staff: AccountRecord = { kind: 'staff', hsaId: 'SE2321000016-A1B2', orgNumber: '2321000016', orgName: 'Region Sandbox', givenName: 'Sara', surname: 'S', name: 'Sara S' };

test('the consent page lists what the person will get: a citizen has no HSA-id or organisation, and the name is said once', (t) => {
  const scopes = ['openid', 'profile', SE.naturalPersonNumberScope, SE.naturalPersonOrgIdScope];
  const forCitizen = releasedClaims(scopes, citizen);
  t.deepEqual(forCitizen.words, ['claimSignIn', 'claimName', 'claimPersonalNumber']);
  t.false(forCitizen.claims.includes(SE.orgAffiliation));
  t.false(forCitizen.claims.includes(SE.orgName));
  t.deepEqual(releasedClaims(scopes, staff).words, ['claimSignIn', 'claimName', 'claimHsaId', 'claimOrganisation']);
  t.deepEqual(releasedClaims(['openid', 'profile'], { ...citizen, coordinationNumber: true }).words, ['claimSignIn', 'claimName']);
  t.deepEqual(releasedClaims(['openid', SE.naturalPersonNumberScope], { ...citizen, coordinationNumber: true }).words, ['claimSignIn', 'claimCoordinationNumber']);
  t.deepEqual(releasedClaims(['openid', 'offline_access'], citizen).words, ['claimSignIn', 'claimOffline']);
});

test('access log filters: well-formed ones pass, each malformed one is refused by name', (t) => {
  t.like(parseFilter({ product: 'p1', outcome: 'deny', from: '2026-11-01', to: '2026-12-01', page: '2' }), { ok: true, filter: { product: 'p1', outcome: 'deny', page: 2 } });
  t.like(parseFilter({}), { ok: true, filter: { page: 1 } });
  for (const [query, reason] of [
    [{ from: '2026-13-01' }, 'filter_invalid:from'],
    [{ from: '2026-02-30' }, 'filter_invalid:from'],
    [{ to: 'yesterday' }, 'filter_invalid:to'],
    [{ from: '2026-12-02', to: '2026-12-01' }, 'filter_invalid:to'],
    [{ outcome: 'maybe' }, 'filter_invalid:outcome'],
    [{ page: '0' }, 'filter_invalid:page'],
    [{ page: '1e3' }, 'filter_invalid:page'],
    [{ product: '../etc' }, 'filter_invalid:product'],
    [{ controller: ['a', 'b'] }, 'filter_invalid:controller'],
    [{ dataset: 'x'.repeat(200) }, 'filter_invalid:dataset'],
  ] as const) t.deepEqual(parseFilter(query as Record<string, unknown>), { ok: false, reason }, JSON.stringify(query));
});

test('the consent page without a registry: the claims the account holds, the link to /account, and the representation hook\'s line when it has one', async (t) => {
  const { loadConfig } = await import('../../src/config.ts');
  const { AccountStore } = await import('../../src/idp/accounts.ts');
  const { ConsentPrompt } = await import('../../src/citizens/consent/prompt.ts');
  const { createLogger } = await import('../../src/log.ts');
  const accounts = new AccountStore(new MemoryStore(clock), 'consent-test-key', 600);
  const accountId = await accounts.remember({ personalNumber: '198003121236', givenName: 'Anna', surname: 'Andersson' });
  const base = { config: loadConfig({ env: {}, overrides: {} }), accounts, gate: undefined, configuredClientIds: new Set<string>(), logger: createLogger({ level: 'silent' }) };
  const req = { accountId, clientId: 'some-app', scope: `openid profile ${SE.naturalPersonOrgIdScope}`, authorizationDetails: undefined };
  const view = { locale: 'en' as const, uid: 'uid-1', clientName: 'Some app' };
  const plain = await new ConsentPrompt(base).page({} as never, req, view);
  t.regex(plain, /<li data-word="claimName">your name<\/li>/);
  t.notRegex(plain, /HSA-id|organisation/);
  t.regex(plain, /href="\/account\?lang=en">My apps and my information<\/a>/);
  t.notRegex(plain, /id="acting-for"/);
  const acting = await new ConsentPrompt({ ...base, actingFor: async (r, l) => (r.accountId === accountId && l === 'en' ? 'You act for Kalle (11 years)' : undefined) }).page({} as never, req, view);
  t.regex(acting, /<p class="message" id="acting-for" role="status">You act for Kalle \(11 years\)<\/p>/);
});

// The representation pipeline (docs/domain.md, rules 9 and 10), check by check and as a whole, over the
// sandbox population register (the personas) and mandates in memory: guardian boundaries 12 / 13 / 15 /
// 16 on the injectable clock, the controller's maturity policy for 13-15, an LVU-blocked guardianship,
// a register change seen only once the cache's bound has passed, agents' typed mandates (bookings only,
// social care with two consents, never the healthcare record), expired and revoked mandates, and
// forged claims.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/clock.ts';
import { CachedRegister } from '../../src/citizens/register/cache.ts';
import { SandboxRegister } from '../../src/citizens/register/sandbox.ts';
import { RegisterUnavailable } from '../../src/citizens/register/register.ts';
import {
  REPRESENTATION_CHECKS, REPRESENTATION_REASONS, ageFrom, childUnder16, claimWellFormed, guardianPolicyAllows, guardianshipNotBlocked, mandateCoversDataset,
  mandateInForce, noHealthcareRecordViaAgent, representationPipeline, type RepresentationClaim, type RepresentationDeps, type RepresentationUse,
} from '../../src/citizens/representation/pipeline.ts';
import type { Mandate, MandateReader, MandateType } from '../../src/citizens/representation/mandates.ts';

const ANNA = '198003121236';
const BERTIL = '197501012343';
const ELLA = '201504054568';
const FILIP = '201209205671'; // born 2012-09-20
const GUSTAV = '201001016789';
const HELENA = '196802247897';
const DIANA = '198307222466';
const KALLE = '201603102482';

const DAY = 86_400_000;
const at = (iso: string) => new ManualClock(Date.parse(iso));

class Mandates implements MandateReader {
  readonly byId = new Map<string, Mandate>();
  add(types: MandateType[], extra: Partial<Mandate> = {}): Mandate {
    const m: Mandate = {
      id: randomUUID(), principal: 'p', agent: 'a', principalNumber: ANNA, agentNumber: HELENA, types, consents: {}, createdAt: '2026-01-01T00:00:00.000Z',
      appointedWith: 'loa3', expiresAt: '2027-06-01T00:00:00.000Z', confirmBy: '2027-01-01T00:00:00.000Z', ...extra,
    };
    this.byId.set(m.id, m);
    return m;
  }
  async find(id: string) {
    return this.byId.get(id);
  }
}

const deps = (clock = at('2026-12-01T12:00:00Z'), register: RepresentationDeps['register'] = SandboxRegister.fromFile(), mandates = new Mandates()) => ({ clock, register, mandates });
const guardian = (actor: string, subject: string): RepresentationClaim => ({ actor, subject, relation: 'guardian' });
const signIn: RepresentationUse = { kind: 'sign_in' };
const data = (dataset: string, guardianDatasets: string[] = []): RepresentationUse => ({ kind: 'data', controller: 'region-a', dataset, guardianDatasets });
const run = async (d: RepresentationDeps, claim: RepresentationClaim, use: RepresentationUse = signIn) => {
  const v = await representationPipeline.run({ claim, use }, d);
  return v.ok ? 'ok' : v.reason;
};

test('the checks run in order, and every refusal is one of the pipeline\'s reasons', (t) => {
  t.deepEqual(REPRESENTATION_CHECKS, ['claim_well_formed', 'people_in_register', 'relation_exists', 'guardianship_not_blocked', 'child_under_16',
    'mandate_in_force', 'no_healthcare_record_via_agent', 'mandate_covers_dataset', 'guardian_policy_allows']);
  t.true(REPRESENTATION_REASONS.includes('child_acts_alone'));
});

test('age in whole years on the clock\'s day', (t) => {
  t.is(ageFrom('2012-09-20', Date.parse('2025-09-19T23:59:59Z')), 12);
  t.is(ageFrom('2012-09-20', Date.parse('2025-09-20T00:00:00Z')), 13);
  t.is(ageFrom('2012-02-29', Date.parse('2028-02-28T12:00:00Z')), 15);
});

test('guardian boundaries: 12 yes; 13 and 15 only for the data sets the controller\'s policy names; 16 no', async (t) => {
  const vaccinations = data('vaccinations');
  const allowed = data('vaccinations', ['vaccinations']);
  // Filip (born 2012-09-20) on the day before his 13th birthday: his guardian acts, whatever the policy.
  t.is(await run(deps(at('2025-09-19T12:00:00Z')), guardian(BERTIL, FILIP), vaccinations), 'ok', '12: yes');
  t.is(await run(deps(at('2025-09-20T12:00:00Z')), guardian(BERTIL, FILIP), vaccinations), 'guardian_not_allowed_by_controller', '13: not without the policy');
  t.is(await run(deps(at('2025-09-20T12:00:00Z')), guardian(BERTIL, FILIP), allowed), 'ok', '13: yes where the policy names the data set');
  t.is(await run(deps(at('2028-09-19T12:00:00Z')), guardian(BERTIL, FILIP), vaccinations), 'guardian_not_allowed_by_controller', '15: not without the policy');
  t.is(await run(deps(at('2028-09-19T12:00:00Z')), guardian(BERTIL, FILIP), allowed), 'ok', '15: yes where the policy names it');
  t.is(await run(deps(at('2028-09-19T12:00:00Z')), guardian(BERTIL, FILIP), data('lab-results', ['vaccinations'])), 'guardian_not_allowed_by_controller', 'only the data sets named');
  t.is(await run(deps(at('2028-09-20T12:00:00Z')), guardian(BERTIL, FILIP), allowed), 'child_acts_alone', '16: no, whatever the policy');
  t.is(await run(deps(at('2028-09-20T12:00:00Z')), guardian(BERTIL, FILIP)), 'child_acts_alone', '16: no sign-in for the child either');
  // At sign-in, 13-15 is allowed: which data sets is the decision point's to say per controller.
  t.is(await run(deps(at('2026-12-01T12:00:00Z')), guardian(BERTIL, FILIP)), 'ok');
  t.is(await run(deps(), guardian(BERTIL, ELLA), vaccinations), 'ok', 'Ella, 11');
});

test('Gustav (16) is refused: no guardian acts for him, registered custody or not', async (t) => {
  const register = SandboxRegister.fromFile();
  t.is(await run(deps(undefined, register), guardian(BERTIL, GUSTAV)), 'no_relation');
  register.setGuardianship(BERTIL, GUSTAV);
  t.is(await run(deps(undefined, register), guardian(BERTIL, GUSTAV)), 'child_acts_alone');
});

test('an LVU-blocked guardian is refused', async (t) => {
  t.is(await run(deps(), guardian(DIANA, KALLE)), 'guardianship_blocked');
  t.like(guardianshipNotBlocked.run({ custody: { personalNumber: KALLE, blocked: 'lvu' } }, deps()), { reason: 'guardianship_blocked', detail: 'lvu' }, 'refuses with the block as detail');
  t.is(guardianshipNotBlocked.run({ custody: { personalNumber: KALLE } }, deps()), undefined);
});

test('acting without a relation, for oneself, or with a tampered claim is refused, and says nothing about the other person', async (t) => {
  t.is(await run(deps(), guardian(BERTIL, ANNA)), 'no_relation', 'a real person who is not his child');
  t.is(await run(deps(), guardian(BERTIL, '190001010008')), 'no_relation', 'nobody in the register reads the same');
  t.is(await run(deps(), guardian(BERTIL, BERTIL)), 'acting_for_self');
  t.is(await run(deps(), { actor: BERTIL, subject: 'ella', relation: 'guardian' }), 'claim_malformed');
  t.is(await run(deps(), { actor: BERTIL, subject: ELLA, relation: 'owner' as never }), 'claim_malformed');
  t.is(await run(deps(), { actor: HELENA, subject: ANNA, relation: 'agent' }), 'claim_malformed', 'an agent claim names its mandate');
  t.is(await run(deps(), { actor: HELENA, subject: ANNA, relation: 'agent', mandateId: randomUUID() }), 'no_relation', 'a mandate that does not exist');
  t.is(claimWellFormed.run({ claim: guardian(BERTIL, ELLA), use: signIn }, deps()), undefined);
  // The child's side of the register must agree: custody recorded on one side only is no relation.
  const register = SandboxRegister.fromFile();
  register.endGuardianship(BERTIL, ELLA);
  t.is(await run(deps(undefined, register), guardian(BERTIL, ELLA)), 'no_relation');
});

test('the register not answering refuses (fail closed)', async (t) => {
  const register = SandboxRegister.fromFile();
  register.unavailable = true;
  t.is(await run(deps(undefined, register), guardian(BERTIL, ELLA)), 'register_unavailable');
  const broken = { lookup: async () => { throw new RegisterUnavailable(); } };
  t.is(await run(deps(undefined, broken), guardian(BERTIL, ELLA)), 'register_unavailable');
});

test('the register changing takes effect within the cache bound: a child turning 16, a guardianship blocked', async (t) => {
  const sandbox = SandboxRegister.fromFile();
  const clock = at('2026-12-01T12:00:00Z');
  const register = new CachedRegister(sandbox, { clock, maxAgeSeconds: 3600, maxEntries: 100 });
  const d = deps(clock, register);
  t.is(await run(d, guardian(BERTIL, FILIP)), 'ok');
  t.is(await run(d, guardian(BERTIL, ELLA)), 'ok');
  // The register now says Filip is 16 (a corrected birth date) and Ella's custody is blocked (LVU).
  sandbox.update(FILIP, { birthDate: '2010-06-01' });
  sandbox.setGuardianship(BERTIL, ELLA, 'lvu');
  clock.advance(3599_000);
  t.is(await run(d, guardian(BERTIL, FILIP)), 'ok', 'within the bound the cache may still answer');
  clock.advance(2_000);
  t.is(await run(d, guardian(BERTIL, FILIP)), 'child_acts_alone', 'past the bound: the change holds');
  t.is(await run(d, guardian(BERTIL, ELLA)), 'guardianship_blocked');
});

test('agents: a bookings mandate reaches bookings and nothing else; never the healthcare record', async (t) => {
  const mandates = new Mandates();
  const d = deps(undefined, undefined, mandates);
  const bookings = mandates.add(['bookings']);
  const agent = (m: Mandate): RepresentationClaim => ({ actor: HELENA, subject: ANNA, relation: 'agent', mandateId: m.id });
  t.is(await run(d, agent(bookings)), 'ok', 'signs in');
  t.is(await run(d, agent(bookings), data('bookings')), 'ok');
  t.is(await run(d, agent(bookings), data('vaccinations')), 'outside_mandate');
  t.is(await run(d, agent(bookings), data('care-documentation')), 'healthcare_record_never_via_agent');
  // Whatever a mandate says (a row tampered with in the database), the medical record stays out.
  const everything = mandates.add(['bookings', 'listing', 'care-documentation' as MandateType]);
  t.is(await run(d, agent(everything), data('care-documentation')), 'healthcare_record_never_via_agent');
  t.is(noHealthcareRecordViaAgent.run({ claim: agent(everything), use: data('care-documentation') }, d), 'healthcare_record_never_via_agent');
  t.is(noHealthcareRecordViaAgent.run({ claim: guardian(BERTIL, ELLA), use: data('care-documentation') }, d), undefined, 'a guardian of a child is no agent');
  // A mandate joins exactly its two people.
  t.is(await run(d, { actor: BERTIL, subject: ANNA, relation: 'agent', mandateId: bookings.id }), 'no_relation', 'another agent');
  t.is(await run(d, { actor: HELENA, subject: BERTIL, relation: 'agent', mandateId: bookings.id }), 'no_relation', 'another principal');
});

test('agents: an expired or revoked mandate signs nobody in', async (t) => {
  const mandates = new Mandates();
  const clock = at('2026-12-01T12:00:00Z');
  const d = deps(clock, undefined, mandates);
  const expired = mandates.add(['bookings'], { expiresAt: '2026-12-01T11:59:59.000Z' });
  const revoked = mandates.add(['bookings'], { revokedAt: '2026-11-30T00:00:00.000Z' });
  const live = mandates.add(['bookings'], { expiresAt: new Date(clock.now() + DAY).toISOString() });
  t.is(await run(d, { actor: HELENA, subject: ANNA, relation: 'agent', mandateId: expired.id }), 'mandate_expired');
  t.is(await run(d, { actor: HELENA, subject: ANNA, relation: 'agent', mandateId: revoked.id }), 'mandate_revoked');
  t.is(await run(d, { actor: HELENA, subject: ANNA, relation: 'agent', mandateId: live.id }), 'ok');
  clock.advance(DAY);
  t.is(await run(d, { actor: HELENA, subject: ANNA, relation: 'agent', mandateId: live.id }), 'mandate_expired', 'expires on the clock');
  t.is(mandateInForce.run({ mandate: revoked }, d), 'mandate_revoked');
});

test('agents: social-care documentation only with both consents on the mandate', async (t) => {
  const mandates = new Mandates();
  const d = deps(undefined, undefined, mandates);
  const none = mandates.add(['social_care_documentation']);
  const one = mandates.add(['social_care_documentation'], { consents: { secrecy_waiver: '2026-01-01T00:00:00.000Z' } });
  const both = mandates.add(['social_care_documentation'], { consents: { secrecy_waiver: '2026-01-01T00:00:00.000Z', processing: '2026-01-01T00:00:00.000Z' } });
  const claim = (m: Mandate): RepresentationClaim => ({ actor: HELENA, subject: ANNA, relation: 'agent', mandateId: m.id });
  t.is(await run(d, claim(none), data('home-care-decisions')), 'consents_missing');
  t.is(await run(d, claim(one), data('home-care-decisions')), 'consents_missing');
  t.is(await run(d, claim(both), data('home-care-decisions')), 'ok');
  t.is(mandateCoversDataset.run({ claim: claim(both), use: data('bookings'), mandate: both }, d), 'outside_mandate');
});

test('each guardian check on its own', (t) => {
  const d = deps(at('2026-12-01T12:00:00Z'));
  const record = (birthDate: string) => ({ personalNumber: FILIP, coordinationNumber: false, birthDate, givenName: 'F', surname: 'B', name: 'F B', guardians: [], custodyOf: [] });
  t.like(childUnder16.run({ claim: guardian(BERTIL, FILIP), use: signIn, subjectRecord: record('2012-09-20') }, d), { subjectAge: 14 });
  t.is(childUnder16.run({ claim: guardian(BERTIL, FILIP), use: signIn, subjectRecord: record('2010-09-20') }, d), 'child_acts_alone');
  t.is(guardianPolicyAllows.run({ claim: guardian(BERTIL, FILIP), use: data('bookings', ['bookings']), subjectAge: 14 }, d), undefined);
  t.is(guardianPolicyAllows.run({ claim: guardian(BERTIL, FILIP), use: data('bookings', []), subjectAge: 14 }, d), 'guardian_not_allowed_by_controller');
  t.is(guardianPolicyAllows.run({ claim: guardian(BERTIL, ELLA), use: data('bookings', []), subjectAge: 12 }, d), undefined);
});

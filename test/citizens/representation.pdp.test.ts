// The decision point's representation_holds check on its own (src/scopes/pdp.ts): a token acting for
// someone is decided with the session's choice, for this controller's data set and maturity policy;
// what the register says about a person is answered as representation_ended.
import test from 'ava';
import { createLogger } from '../../src/log.ts';
import { Refusal } from '../../src/decision.ts';
import { representationHolds, type PdpDeps } from '../../src/scopes/pdp.ts';
import type { VerifiedAccessToken } from '../../src/idp/accessToken.ts';
import type { ActingRecord } from '../../src/citizens/representation/representation.ts';
import type { RepresentationUse } from '../../src/citizens/representation/pipeline.ts';
import { snapshot } from '../whitelist/snapshotFixture.ts';

const record: ActingRecord = {
  actor: 'acc-bertil', subject: 'acc-filip', actorNumber: '197501012343', subjectNumber: '201209205671', relation: 'guardian', subjectName: 'Filip Berg', subjectBirthDate: '2012-09-20',
};
const token = (extra: Partial<VerifiedAccessToken> = {}): VerifiedAccessToken => ({
  jti: 't', kind: 'AccessToken', clientId: 'c', accountId: 'acc-filip', scope: 'openid', expiresAt: 0, value: 't', sessionUid: 's1', act: { sub: 'pairwise-bertil' }, ...extra,
});
const stamp = { version: 1, createdAt: '', updatedAt: '' };
const s = snapshot({ policies: [{ controllerId: 'region-a', accepts: [], guardianDatasets: ['bookings'], ...stamp }] });
const target = { controller: 'region-a', dataset: 'vaccinations', citizen: '201209205671', action: 'read' };

function deps(answer: 'ok' | string, seen: RepresentationUse[] = [], session: ActingRecord | null = record): PdpDeps {
  return {
    logger: createLogger({ level: 'silent' }),
    representation: {
      forSession: async (uid: string | undefined) => (uid === 's1' && session ? session : undefined),
      check: async (_claim: unknown, use: RepresentationUse) => {
        seen.push(use);
        return answer === 'ok' ? { ok: true, state: {} } : { ok: false, check: 'x', reason: answer, state: {} };
      },
    },
  } as unknown as PdpDeps;
}
const run = (d: PdpDeps, t = token()) => representationHolds.run({ token: t, target, snapshot: s, decision: { id: 'd1' } }, d);
const reasonOf = (o: unknown) => (o instanceof Refusal ? o.reason : o);

test('no act: nothing to check (the citizen acts)', async (t) => {
  t.is(await run(deps('no_relation'), token({ act: undefined })), undefined);
});

test('passes with the actor, and asks for this controller\'s data set and maturity policy', async (t) => {
  const seen: RepresentationUse[] = [];
  t.deepEqual(await run(deps('ok', seen)), { actor: { pseudonym: 'acc-bertil', relation: 'guardian' } });
  t.deepEqual(seen, [{ kind: 'data', controller: 'region-a', dataset: 'vaccinations', guardianDatasets: ['bookings'] }]);
});

test('the session\'s choice gone, another session, or another subject: representation_ended', async (t) => {
  t.is(await run(deps('ok', [], null)), 'representation_ended');
  t.is(await run(deps('ok'), token({ sessionUid: 'other' })), 'representation_ended');
  t.is(await run(deps('ok'), token({ accountId: 'acc-ella' })), 'representation_ended');
  t.is(await run({ logger: createLogger({ level: 'silent' }) } as unknown as PdpDeps), 'representation_ended', 'no representation at all: fail closed');
});

test('the pipeline\'s refusal is the decision\'s, except what the register says about a person', async (t) => {
  t.is(reasonOf(await run(deps('guardian_not_allowed_by_controller'))), 'guardian_not_allowed_by_controller');
  t.is(reasonOf(await run(deps('outside_mandate'))), 'outside_mandate');
  t.is(reasonOf(await run(deps('healthcare_record_never_via_agent'))), 'healthcare_record_never_via_agent');
  for (const hidden of ['guardianship_blocked', 'no_relation', 'subject_deceased']) t.is(await run(deps(hidden)), 'representation_ended', hidden);
});

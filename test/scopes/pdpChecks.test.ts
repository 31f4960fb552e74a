// Each check of the policy decision point on its own (src/scopes/pdp.ts), over a registry snapshot
// built in code, an in-memory store and a stand-in for oidc-provider's token lookup; then the decision
// around them (audit, statuses, challenges, the one gate run) with an audit and containment that only
// take notes. The end-to-end behaviour, with real tokens and a real PEP, is test/scopes/pdp.test.ts.
import test from 'ava';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type Provider from 'oidc-provider';
import { ManualClock } from '../../src/clock.ts';
import { Refusal } from '../../src/decision.ts';
import { AccountStore } from '../../src/idp/accounts.ts';
import { toClientMetadata } from '../../src/idp/provider.ts';
import { createLogger } from '../../src/log.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import type { VerifiedAccessToken } from '../../src/idp/accessToken.ts';
import type { LiveApproval } from '../../src/whitelist/liveApprovals.ts';
import type { ExposureLimits, RegistrySnapshot } from '../../src/whitelist/model.ts';
import { ProductGate } from '../../src/whitelist/productGate.ts';
import type { DecisionRecord, DecisionAudit } from '../../src/scopes/decisionAudit.ts';
import { AuditUnavailable } from '../../src/scopes/decisionAudit.ts';
import type { Containment } from '../../src/scopes/containment.ts';
import {
  PDP_CHECKS, PDP_REASONS, PDP_STATUS, PolicyDecisionPoint, Unavailable, approvalLiveForController, citizenAllowed, controllerKnown,
  datasetAndActionCovered, decisionPipeline, failClosed, productActive, targetValid, tokenActiveAndBound, volumeWithinLimits,
  type DecisionRequest, type PdpDeps,
} from '../../src/scopes/pdp.ts';
import { approval, controller, product, snapshot } from '../whitelist/snapshotFixture.ts';
import { proof } from './pdpFixture.ts';

const ANNA = '198003121236';
const BERTIL = '197501012343';
const URL_DECIDE = 'https://gateway.example.test/pdp/v1/decide';
const clock = new ManualClock(Date.now());
const logger = createLogger({ level: 'silent' });
const store = new MemoryStore(clock);
const accounts = new AccountStore(store, 'pdp-checks-account-key', 3600);
const catalogue = [{ id: 'bookings', actions: ['read' as const, 'write' as const] }, { id: 'vaccinations', actions: ['read' as const] }];
const keys = await generateKeyPair('ES256');
const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));

/** A registry with product p1 approved by region-a for reading bookings. */
const registry = (parts: Partial<RegistrySnapshot> = {}) => snapshot({ approvals: [approval('a1', 'region-a', 'p1')], ...parts });

/** The gate over a fixed snapshot (or a registry that cannot be read), as the gateway builds it. */
function gateOn(s: RegistrySnapshot | Error): ProductGate {
  return new ProductGate({
    cache: { snapshot: async () => { if (s instanceof Error) throw s; return s; } },
    clock,
    logger,
    catalogue,
    staticClientIds: new Set(),
    toMetadata: toClientMetadata,
  });
}

/** oidc-provider's token lookup, as verifyAccessToken uses it: tokens by value, or a store that is down. */
function providerWith(tokens: Record<string, Record<string, unknown>> | 'down'): Provider {
  const find = async (value: string) => {
    if (tokens === 'down') throw new Error('ECONNREFUSED');
    return tokens[value];
  };
  return { AccessToken: { find }, ClientCredentials: { find: async () => undefined } } as unknown as Provider;
}

/** A live, DPoP-bound token of p1 for Anna (stored as oidc-provider stores it). */
const annasToken = () => ({
  'anna-token': { jti: 'anna-token', kind: 'AccessToken', clientId: 'p1-client', accountId: accounts.accountIdFor(ANNA), scope: 'openid', exp: Math.floor(clock.now() / 1000) + 60, jkt },
});

interface Notes {
  records: DecisionRecord[];
  suspicious: unknown[];
  trips: unknown[];
}

function depsWith(over: Partial<PdpDeps> = {}, notes: Notes = { records: [], suspicious: [], trips: [] }, auditDown = false): PdpDeps {
  const audit = {
    async record(entry: DecisionRecord) {
      if (auditDown) throw new AuditUnavailable();
      notes.records.push(entry);
      return 'queued';
    },
  } as unknown as DecisionAudit;
  const containment = {
    async noteSuspicious(trip: unknown) { notes.suspicious.push(trip); return undefined; },
    async trip(trip: unknown) { notes.trips.push(trip); return undefined; },
  } as unknown as Containment;
  return { provider: providerWith(annasToken()), store, clock, logger, gate: gateOn(registry()), accounts, audit, containment, catalogue, ...over };
}

async function requestFor(target: Record<string, unknown>, token = 'anna-token', withProof = true): Promise<DecisionRequest> {
  return {
    interface: 'decide',
    http: { method: 'POST', url: URL_DECIDE, authorization: `DPoP ${token}`, ...(withProof ? { dpop: await proof(keys, 'POST', URL_DECIDE, token, clock.now()) } : {}) },
    target,
  };
}

const annasBookings = { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' };
const target = { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' as const };
const token = (extra: Partial<VerifiedAccessToken> = {}): VerifiedAccessToken => ({
  jti: 't', kind: 'AccessToken', clientId: 'p1-client', accountId: accounts.accountIdFor(ANNA), scope: 'openid', expiresAt: 0, jkt, value: 't', ...extra,
});
const live = (extra: Partial<LiveApproval> = {}): LiveApproval => ({
  controllerId: 'region-a', controllerOrgNumber: '2222222228', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'own_review', ...extra,
});
const reasonOf = (outcome: unknown) => (outcome instanceof Refusal ? outcome.reason : outcome);

test('the pipeline runs the checks in order, audit_queued after them', (t) => {
  t.deepEqual(decisionPipeline.names, PDP_CHECKS.slice(0, -1));
  t.deepEqual(PDP_CHECKS, ['target_valid', 'token_active_and_bound', 'product_active', 'consent_in_force', 'controller_known', 'approval_live_for_controller',
    'dataset_and_action_covered', 'citizen_allowed', 'representation_holds', 'volume_within_limits', 'audit_queued']);
});

test('every reason has its status: 400 bad input, 401 token or proof, 403 policy, 429 rate, 503 fail closed', (t) => {
  t.true(PDP_REASONS.every((r) => [400, 401, 403, 429, 503].includes(PDP_STATUS[r])));
  t.like(PDP_STATUS, {
    controller_invalid: 400, dataset_unknown: 400, controller_unknown: 400,
    token_missing: 401, dpop_replayed: 401, certificate_mismatch: 401,
    product_unknown: 403, product_suspended: 403, no_approval: 403, suspended_by_containment: 403, controller_not_approved: 403, citizen_volume_exceeded: 403,
    rate_limited: 429,
    registry_unavailable: 503, store_unavailable: 503, audit_unavailable: 503, internal_error: 503,
    representation_not_permitted: 403, representation_ended: 403, child_acts_alone: 403, healthcare_record_never_via_agent: 403,
    register_unavailable: 503, mandates_unavailable: 503,
  });
});

test('failClosed: what cannot be read names its reason; any other error is internal_error', (t) => {
  const unexpected = failClosed(logger);
  t.is(unexpected(new Unavailable('store_unavailable'), 'volume_within_limits'), 'store_unavailable');
  t.is(unexpected(new Unavailable('registry_unavailable'), 'product_active'), 'registry_unavailable');
  t.is(unexpected(new TypeError('oops'), 'citizen_allowed'), 'internal_error');
});

test('target_valid: a well-formed target in the catalogue, with the citizen as a pseudonym; each malformed part its reason', (t) => {
  const d = depsWith();
  const at = (target: Record<string, unknown>) => targetValid.run({ req: { interface: 'decide', http: { method: 'POST', url: URL_DECIDE }, target } }, d);
  t.deepEqual(at(annasBookings), { target, pseudonym: accounts.accountIdFor(ANNA) });
  t.is(at({ ...annasBookings, controller: 'Region A' }), 'controller_invalid');
  t.is(at({ ...annasBookings, controller: 7 }), 'controller_invalid');
  t.is(at({ ...annasBookings, dataset: 'x' }), 'dataset_invalid');
  t.is(at({ ...annasBookings, action: 'delete' }), 'action_invalid');
  t.is(at({ ...annasBookings, citizen: '198003121235' }), 'citizen_invalid', 'a wrong check digit');
  t.is(at({ ...annasBookings, dataset: 'x-rays' }), 'dataset_unknown', 'well-formed, not in the catalogue');
});

test('token_active_and_bound: a live token with its proof establishes the token; a bad one refuses with its challenge; a store that is down is Unavailable', async (t) => {
  const d = depsWith();
  const passed = await tokenActiveAndBound.run({ req: await requestFor(annasBookings) }, d);
  t.like(passed, { token: { clientId: 'p1-client', jkt, accountId: accounts.accountIdFor(ANNA) } });

  const missing = await tokenActiveAndBound.run({ req: { interface: 'decide', http: { method: 'POST', url: URL_DECIDE }, target: {} } }, d);
  t.true(missing instanceof Refusal);
  t.is(reasonOf(missing), 'token_missing');
  t.regex((missing as Refusal).detail ?? '', /^DPoP error="invalid_token"/);
  t.is(reasonOf(await tokenActiveAndBound.run({ req: await requestFor(annasBookings, 'someone-elses') }, d)), 'token_inactive');
  const unproven = await tokenActiveAndBound.run({ req: await requestFor(annasBookings, 'anna-token', false) }, d);
  t.is(reasonOf(unproven), 'dpop_missing');

  const down = depsWith({ provider: providerWith('down') });
  await t.throwsAsync(async () => tokenActiveAndBound.run({ req: await requestFor(annasBookings) }, down), { instanceOf: Unavailable, message: 'store_unavailable' });
});

test('product_active: the gate\'s live approvals, one run per check; the gate\'s reason, with the refused product, when it refuses; registry_unavailable when it cannot read', async (t) => {
  const gate = gateOn(registry());
  const passed = await productActive.run({ token: token() }, depsWith({ gate }));
  t.like(passed, { product: { id: 'p1' }, live: [{ controllerId: 'region-a' }], snapshot: { revision: 1 } });
  t.is(gate.runs, 1, 'one gate run');

  const suspended = await productActive.run({ token: token() }, depsWith({ gate: gateOn(registry({ products: [product('p1', { status: 'suspended' })] })) }));
  t.is(reasonOf(suspended), 'product_suspended');
  t.like((suspended as Refusal).facts, { product: { id: 'p1' } }, 'the refused product goes with the refusal, for the audit');
  const unknown = await productActive.run({ token: token({ clientId: 'nobody' }) }, depsWith());
  t.is(reasonOf(unknown), 'product_unknown');
  t.is((unknown as Refusal).facts, undefined, 'no product found, none to name');
  t.is(reasonOf(await productActive.run({ token: token() }, depsWith({ gate: gateOn(registry({ approvals: [] })) }))), 'no_approval');
  t.is(await productActive.run({ token: token() }, depsWith({ gate: gateOn(new Error('connection refused')) })), 'registry_unavailable');
});

test('controller_known: the target\'s controller from the snapshot, or controller_unknown', (t) => {
  const s = registry();
  t.like(controllerKnown.run({ snapshot: s, target }, depsWith()), { controller: { id: 'region-a' } });
  t.is(controllerKnown.run({ snapshot: s, target: { ...target, controller: 'region-z' } }, depsWith()), 'controller_unknown');
});

test('approval_live_for_controller: the live approval of the target\'s controller; otherwise suspended_by_containment while a suspension is in force, else controller_not_approved', (t) => {
  const p1 = product('p1');
  const d = depsWith();
  const approvals = [live(), live({ controllerId: 'kommun-b' })];
  t.like(approvalLiveForController.run({ live: approvals, snapshot: registry(), product: p1, target }, d), { approval: { controllerId: 'region-a' } });
  t.is(approvalLiveForController.run({ live: [live({ controllerId: 'kommun-b' })], snapshot: registry(), product: p1, target }, d), 'controller_not_approved');
  const suspension = { id: 's1', productId: 'p1', controllerId: 'region-a', reason: 'suspicious_denials', suspendedAt: '2026-06-01T00:00:00Z' };
  t.is(approvalLiveForController.run({ live: [], snapshot: registry({ suspensions: [suspension] }), product: p1, target }, d), 'suspended_by_containment');
  t.is(approvalLiveForController.run({ live: [], snapshot: registry({ suspensions: [{ ...suspension, liftedAt: '2026-06-01T01:00:00Z' }] }), product: p1, target }, d),
    'controller_not_approved', 'a lifted suspension counts for nothing');
  t.is(approvalLiveForController.run({ live: [], snapshot: registry({ suspensions: [{ ...suspension, productId: 'p2' }] }), product: p1, target }, d),
    'controller_not_approved', 'another product\'s suspension is not this one\'s');
});

test('approval_live_for_controller: approval_revoked where this controller revoked its approval and has not approved again', (t) => {
  const p1 = product('p1');
  const d = depsWith();
  const revoked = approval('a1', 'region-a', 'p1', { status: 'revoked', revokedAt: '2026-06-01T00:00:00Z' });
  const elsewhere = [live({ controllerId: 'kommun-b' })];
  t.is(approvalLiveForController.run({ live: elsewhere, snapshot: registry({ approvals: [revoked, approval('a2', 'kommun-b', 'p1')] }), product: p1, target }, d), 'approval_revoked');
  t.is(approvalLiveForController.run({ live: elsewhere, snapshot: registry({ approvals: [{ ...revoked, controllerId: 'kommun-b' }, approval('a2', 'kommun-b', 'p1')] }), product: p1, target }, d),
    'controller_not_approved', 'another controller\'s revocation says nothing about this one');
  t.is(approvalLiveForController.run({ live: elsewhere, snapshot: registry({ approvals: [revoked, approval('a3', 'region-a', 'p1', { expiresAt: '2026-01-02T00:00:00Z' })] }), product: p1, target }, d),
    'controller_not_approved', 'approved again since (that approval now lapsed): not a revocation');
  t.is(approvalLiveForController.run({ live: elsewhere, snapshot: registry({ approvals: [{ ...revoked, purpose: 'other' }] }), product: p1, target }, d),
    'controller_not_approved', 'a revocation for another purpose');
  const suspension = { id: 's1', productId: 'p1', controllerId: 'region-a', reason: 'suspicious_denials', suspendedAt: '2026-06-01T00:00:00Z' };
  t.is(approvalLiveForController.run({ live: [], snapshot: registry({ approvals: [revoked], suspensions: [suspension] }), product: p1, target }, d), 'suspended_by_containment');
  t.is(PDP_STATUS.approval_revoked, 403);
});

test('dataset_and_action_covered: the approval covers the data set and the action, and a narrowed token is held to its narrowing', (t) => {
  const d = depsWith();
  const approved = live({ access: [{ dataset: 'bookings', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read'] }] });
  t.is(datasetAndActionCovered.run({ target, approval: approved, token: token() }, d), undefined);
  t.is(datasetAndActionCovered.run({ target: { ...target, dataset: 'lab-results' }, approval: approved, token: token() }, d), 'dataset_not_covered');
  t.is(datasetAndActionCovered.run({ target: { ...target, action: 'write' }, approval: approved, token: token() }, d), 'action_not_covered');
  const narrowed = (details: unknown[]) => token({ authorizationDetails: details });
  t.is(datasetAndActionCovered.run({ target, approval: approved, token: narrowed([{ type: 'dataset_access', dataset: 'bookings', controllers: ['region-a'] }]) }, d), undefined);
  t.is(datasetAndActionCovered.run({ target, approval: approved, token: narrowed([{ type: 'dataset_access', dataset: 'bookings', controllers: ['kommun-b'] }]) }, d), 'outside_token_details');
  t.is(datasetAndActionCovered.run({ target, approval: approved, token: narrowed([{ type: 'dataset_access', dataset: 'vaccinations' }]) }, d), 'outside_token_details');
  t.is(datasetAndActionCovered.run({ target, approval: approved, token: narrowed([{ type: 'dataset_access', dataset: 'bookings', actions: ['write'] }]) }, d), 'outside_token_details');
});

test('citizen_allowed: the token\'s own citizen by default, a cohort\'s members with a cohort limit, the represented citizen only where the controller allows representation', (t) => {
  const d = depsWith();
  const anna = accounts.accountIdFor(ANNA);
  const bertil = accounts.accountIdFor(BERTIL);
  const stamp = { version: 1, createdAt: '', updatedAt: '' };
  const s = registry({ cohorts: [{ ...stamp, id: 'diabetes', controllerId: 'region-a', name: 'd', members: [anna] }, { ...stamp, id: 'home-care', controllerId: 'kommun-b', name: 'h', members: [bertil] }] });
  const own = citizenAllowed.run({ approval: live(), snapshot: s, target, token: token(), pseudonym: anna }, d);
  t.deepEqual(own, { limits: { citizens: { mode: 'token_subject' } } }, 'no limits on the approval: the defaults');
  t.is(citizenAllowed.run({ approval: live(), snapshot: s, target, token: token(), pseudonym: bertil }, d), 'citizen_not_token_subject');
  t.is(citizenAllowed.run({ approval: live(), snapshot: s, target, token: token({ kind: 'ClientCredentials', accountId: undefined }), pseudonym: anna }, d), 'subject_required');

  const cohort = (cohortId: string): LiveApproval => live({ limits: { citizens: { mode: 'cohort', cohortId } } });
  const service = token({ kind: 'ClientCredentials', accountId: undefined });
  t.like(citizenAllowed.run({ approval: cohort('diabetes'), snapshot: s, target, token: service, pseudonym: anna }, d), { limits: { citizens: { mode: 'cohort' } } });
  t.is(citizenAllowed.run({ approval: cohort('diabetes'), snapshot: s, target, token: service, pseudonym: bertil }, d), 'citizen_not_in_cohort');
  t.is(citizenAllowed.run({ approval: cohort('home-care'), snapshot: s, target, token: service, pseudonym: bertil }, d), 'cohort_unknown', 'another controller\'s cohort');
  t.is(citizenAllowed.run({ approval: cohort('nowhere'), snapshot: s, target, token: service, pseudonym: anna }, d), 'cohort_unknown');
  const represented = live({ limits: { citizens: { mode: 'represented' } } });
  const acting = token({ act: { sub: 'pairwise-of-the-guardian' } });
  t.like(citizenAllowed.run({ approval: represented, snapshot: s, target, token: token(), pseudonym: anna }, d), { limits: { citizens: { mode: 'represented' } } }, 'the citizen acting alone');
  t.like(citizenAllowed.run({ approval: represented, snapshot: s, target, token: acting, pseudonym: anna }, d), { limits: { citizens: { mode: 'represented' } } }, 'someone acting for the token\'s subject');
  t.is(citizenAllowed.run({ approval: represented, snapshot: s, target, token: acting, pseudonym: bertil }, d), 'citizen_not_token_subject', 'never anyone but the represented citizen');
  t.is(citizenAllowed.run({ approval: live(), snapshot: s, target, token: acting, pseudonym: anna }, d), 'representation_not_permitted', 'the controller did not allow representation');
});

test('volume_within_limits: requests per second and distinct citizens per window, counted in the store', async (t) => {
  const d = depsWith({ store: new MemoryStore(clock) });
  const p = product('p-volume');
  const rate: ExposureLimits = { citizens: { mode: 'token_subject' }, maxRequestsPerSecond: 2 };
  const rated = async () => volumeWithinLimits.run({ limits: rate, product: p, target, pseudonym: 'x' }, d);
  t.deepEqual([await rated(), await rated(), await rated()], [undefined, undefined, 'rate_limited']);
  t.is(await rated(), 'rate_limited');
  clock.advance(1000);
  t.is(await rated(), undefined, 'a new second');

  const window: ExposureLimits = { citizens: { mode: 'token_subject' }, maxCitizens: { count: 2, windowSeconds: 60 } };
  const touch = async (pseudonym: string) => volumeWithinLimits.run({ limits: window, product: p, target, pseudonym }, d);
  t.deepEqual([await touch('a'), await touch('b'), await touch('a'), await touch('c')], [undefined, undefined, undefined, 'citizen_volume_exceeded']);
  t.is(await volumeWithinLimits.run({ limits: { citizens: { mode: 'token_subject' } }, product: p, target, pseudonym: 'z' }, d), undefined, 'no limits: nothing counted');

  const down = depsWith({ store: { incr: async () => { throw new Error('ECONNREFUSED'); } } as unknown as MemoryStore });
  await t.throwsAsync(async () => volumeWithinLimits.run({ limits: rate, product: p, target, pseudonym: 'x' }, down), { instanceOf: Unavailable, message: 'store_unavailable' });
});

test('decide: a permit with its obligations, audited once; the gate ran once', async (t) => {
  const notes: Notes = { records: [], suspicious: [], trips: [] };
  const gate = gateOn(registry());
  const decision = await new PolicyDecisionPoint(depsWith({ gate }, notes)).decide(await requestFor(annasBookings));
  t.like(decision, { decision: 'permit', status: 200, reasons: ['permitted'], obligations: { controller: 'region-a', dataset: 'bookings', action: 'read', product: 'p1', clientId: 'p1-client', citizenPseudonym: accounts.accountIdFor(ANNA) } });
  t.is(gate.runs, 1);
  t.is(notes.records.length, 1);
  t.like(notes.records[0], { id: decision.id, decision: 'permit', reasons: ['permitted'], productId: 'p1', clientId: 'p1-client', controllerId: 'region-a', dataset: 'bookings', action: 'read', citizen: accounts.accountIdFor(ANNA) });
});

test('decide: a product the gate refuses is named in the audit from the same gate run', async (t) => {
  const notes: Notes = { records: [], suspicious: [], trips: [] };
  const gate = gateOn(registry({ products: [product('p1', { status: 'suspended' })] }));
  const decision = await new PolicyDecisionPoint(depsWith({ gate }, notes)).decide(await requestFor(annasBookings));
  t.like(decision, { decision: 'deny', status: 403, reasons: ['product_suspended'], check: 'product_active' });
  t.is(gate.runs, 1, 'naming the refused product ran nothing again');
  t.like(notes.records[0], { decision: 'deny', reasons: ['product_suspended'], productId: 'p1', clientId: 'p1-client' });
  t.deepEqual([notes.suspicious, notes.trips], [[], []]);
});

test('decide: a bad proof is a 401 with its challenge; a permit the audit cannot take is a 503 at audit_queued; a suspicious deny is noted for containment', async (t) => {
  const unproven = await new PolicyDecisionPoint(depsWith()).decide(await requestFor(annasBookings, 'anna-token', false));
  t.like(unproven, { decision: 'deny', status: 401, reasons: ['dpop_missing'], check: 'token_active_and_bound' });
  t.regex(unproven.challenge ?? '', /^DPoP error="invalid_token"/);

  const unrecorded = await new PolicyDecisionPoint(depsWith({}, undefined, true)).decide(await requestFor(annasBookings));
  t.like(unrecorded, { decision: 'deny', status: 503, reasons: ['audit_unavailable'], check: 'audit_queued' });
  t.is(unrecorded.challenge, undefined);

  const notes: Notes = { records: [], suspicious: [], trips: [] };
  const webhookUrl = 'https://region-a.example.test/hook';
  const gate = gateOn(registry({ controllers: [controller('region-a', ['bookings'], { webhookUrl })] }));
  const nosy = await new PolicyDecisionPoint(depsWith({ gate }, notes)).decide(await requestFor({ ...annasBookings, citizen: BERTIL }));
  t.like(nosy, { decision: 'deny', status: 403, reasons: ['citizen_not_token_subject'], check: 'citizen_allowed' });
  t.deepEqual(notes.suspicious, [{ productId: 'p1', clientId: 'p1-client', controllerId: 'region-a', webhookUrl, windowSeconds: undefined }]);
  t.like(notes.records[0], { decision: 'deny', citizen: accounts.accountIdFor(BERTIL) });
});

test('decide: past the distinct-citizen limit containment trips with the approval\'s window', async (t) => {
  const notes: Notes = { records: [], suspicious: [], trips: [] };
  const limits = { citizens: { mode: 'token_subject' as const }, maxCitizens: { count: 1, windowSeconds: 600 } };
  const d = depsWith({ store: new MemoryStore(clock), gate: gateOn(registry({ approvals: [approval('a1', 'region-a', 'p1', { limits })] })) }, notes);
  await d.store.windowAdd('pdp:citizens:p1:region-a', 'someone-else', clock.now(), 600_000, 1);
  const decision = await new PolicyDecisionPoint(d).decide(await requestFor(annasBookings));
  t.like(decision, { decision: 'deny', status: 403, reasons: ['citizen_volume_exceeded'], check: 'volume_within_limits' });
  t.like(notes.trips, [{ productId: 'p1', controllerId: 'region-a', reason: 'citizen_volume_exceeded', windowSeconds: 600 }]);
});

test('decide: a check that throws is a 503 deny, audited (fail closed)', async (t) => {
  const notes: Notes = { records: [], suspicious: [], trips: [] };
  const unreadable = await new PolicyDecisionPoint(depsWith({ gate: gateOn(new Error('connection refused')) }, notes)).decide(await requestFor(annasBookings));
  t.like(unreadable, { decision: 'deny', status: 503, reasons: ['registry_unavailable'], check: 'product_active' });
  const broken = { ...depsWith({}, notes), accounts: { accountIdFor: () => { throw new Error('no key'); } } as unknown as AccountStore };
  const thrown = await new PolicyDecisionPoint(broken).decide(await requestFor(annasBookings));
  t.like(thrown, { decision: 'deny', status: 503, reasons: ['internal_error'], check: 'target_valid' });
  t.deepEqual(notes.records.map((r) => r.reasons), [['registry_unavailable'], ['internal_error']]);
});

// The token gate and the live approvals it rests on, check by check (src/whitelist/tokenGate.ts,
// liveApprovals.ts): each refusal reason, each approval basis (docs/domain.md, rule 2), and the cut to what the
// product asked for, what the controller holds and what the catalogue allows.
import test from 'ava';
import { approvedByAController, productActive, productKnown, runTokenGate, GATE_CHECKS } from '../../src/whitelist/tokenGate.ts';
import { liveApprovals, intersectAccess } from '../../src/whitelist/liveApprovals.ts';
import { approval, certification, controller, DAY, iso, NOW, policy, product, snapshot } from './snapshotFixture.ts';

const gate = (s = snapshot(), clientId = 'p1-client', now = NOW) => runTokenGate({ snapshot: s, clientId, now });
const reasonOf = (r: ReturnType<typeof gate>) => (r.ok ? 'ok' : r.reason);

test('the checks run in the documented order', (t) => {
  t.deepEqual(GATE_CHECKS, ['product_known', 'product_active', 'approved_by_a_controller']);
});

test('an unknown client is refused as product_unknown', (t) => {
  t.is(reasonOf(gate(snapshot(), 'nobody')), 'product_unknown');
});

test('registered, suspended and retired products are refused, each with its own reason', (t) => {
  const approved = [approval('a1', 'region-a', 'p1')];
  t.is(reasonOf(gate(snapshot({ products: [product('p1', { status: 'registered' })], approvals: approved }))), 'product_not_active');
  t.is(reasonOf(gate(snapshot({ products: [product('p1', { status: 'suspended' })], approvals: approved }))), 'product_suspended');
  t.is(reasonOf(gate(snapshot({ products: [product('p1', { status: 'retired' })], approvals: approved }))), 'product_retired');
  t.is(reasonOf(gate(snapshot({ approvals: approved }))), 'ok');
});

test('approved by nobody: no_approval; certified under a framework no controller accepts: framework_not_accepted', (t) => {
  t.is(reasonOf(gate()), 'no_approval');
  const certified = snapshot({ certifications: [certification('c1', 'p1', 'np')] });
  t.is(reasonOf(gate(certified)), 'framework_not_accepted');
});

test('a revoked approval is refused as approval_revoked, also where a certification lapse would otherwise be named; a later approval supersedes it', (t) => {
  const revoked = approval('a1', 'region-a', 'p1', { status: 'revoked', revokedAt: iso(NOW - DAY) });
  t.is(reasonOf(gate(snapshot({ approvals: [revoked] }))), 'approval_revoked');
  // The finding: a product certified under a framework nobody accepts read framework_not_accepted after a revocation.
  t.is(reasonOf(gate(snapshot({ approvals: [revoked], certifications: [certification('c1', 'p1', 'np')] }))), 'approval_revoked');
  t.deepEqual(liveApprovals(snapshot({ approvals: [revoked] }), product('p1'), NOW).lapses, ['approval_revoked']);
  // Approved again after the revocation: live, and nothing to say about the old row.
  const again = snapshot({ approvals: [revoked, approval('a2', 'region-a', 'p1')] });
  t.true(gate(again).ok);
  t.deepEqual(liveApprovals(again, product('p1'), NOW).lapses, []);
  // Re-approved but that approval expired: the expiry is what is current.
  t.is(reasonOf(gate(snapshot({ approvals: [revoked, approval('a2', 'region-a', 'p1', { expiresAt: iso(NOW - 1) })] }))), 'approval_expired');
  // The other reasons are unchanged.
  t.is(reasonOf(gate(snapshot({ certifications: [certification('c1', 'p1', 'np')] }))), 'framework_not_accepted');
  t.is(reasonOf(gate(snapshot({ approvals: [approval('a1', 'region-a', 'p1', { expiresAt: iso(NOW - 1) })] }))), 'approval_expired');
  t.is(reasonOf(gate()), 'no_approval');
});

test('own review and trusted reviewer approvals count while active and before their end date', (t) => {
  const s = snapshot({ approvals: [approval('a1', 'region-a', 'p1'), approval('a2', 'kommun-b', 'p1', { basis: 'trusted_reviewer', reviewer: 'Granskarna AB', expiresAt: iso(NOW + DAY) })] });
  const result = gate(s);
  t.true(result.ok);
  if (result.ok) t.deepEqual(result.live.approvals.map((a) => [a.controllerId, a.basis]), [['kommun-b', 'trusted_reviewer'], ['region-a', 'own_review']]);
  const later = gate(s, 'p1-client', NOW + 2 * DAY);
  t.true(later.ok && later.live.approvals.length === 1, 'the one with an end date stops counting after it');
  s.approvals[0]!.status = 'revoked';
  t.is(reasonOf(gate(s, 'p1-client', NOW + 2 * DAY)), 'approval_expired');
});

test('a policy that accepts the framework for the purpose approves every certified product automatically, until the certification expires', (t) => {
  const s = snapshot({
    certifications: [certification('c1', 'p1', 'nordic-medtest', { expiresAt: iso(NOW + DAY) })],
    policies: [policy('region-a', [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read', 'write'] }, { dataset: 'lab-results', actions: ['read'] }] }])],
  });
  const now = gate(s);
  t.true(now.ok);
  if (now.ok) {
    t.is(now.live.approvals[0]!.basis, 'policy');
    // lab-results is accepted by the policy but not asked for by the product: never given.
    t.deepEqual(now.live.approvals[0]!.access, [{ dataset: 'bookings', actions: ['read', 'write'] }]);
  }
  t.is(reasonOf(gate(s, 'p1-client', NOW + 2 * DAY)), 'certification_expired');
  s.certifications[0]!.status = 'withdrawn';
  t.is(reasonOf(gate(s)), 'certification_withdrawn');
});

test('a certification for another purpose, or a policy for another purpose, gives nothing', (t) => {
  const s = snapshot({
    certifications: [certification('c1', 'p1', 'nordic-medtest', { purpose: 'diabetes-care' })],
    policies: [policy('region-a', [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }] }])],
  });
  t.is(reasonOf(gate(s)), 'no_approval');
});

test('a controller revoking a certification-based approval blocks its automatic approval', (t) => {
  const s = snapshot({
    certifications: [certification('c1', 'p1', 'nordic-medtest')],
    policies: [
      policy('region-a', [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }] }]),
      policy('kommun-b', [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }] }]),
    ],
    approvals: [approval('a1', 'region-a', 'p1', { basis: 'certification', certificationId: 'c1', status: 'revoked' })],
  });
  const result = gate(s);
  t.true(result.ok);
  if (result.ok) t.deepEqual(result.live.approvals.map((a) => a.controllerId), ['kommun-b']);
});

test('an approval on a certification needs the certification valid and the framework still accepted', (t) => {
  const s = snapshot({
    certifications: [certification('c1', 'p1', 'nordic-medtest')],
    approvals: [approval('a1', 'kommun-b', 'p1', { basis: 'certification', certificationId: 'c1' })],
    policies: [policy('kommun-b', [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [] }])],
  });
  t.true(gate(s).ok, 'the explicit approval counts (the policy line itself grants nothing)');
  s.policies = [];
  t.is(reasonOf(gate(s)), 'framework_not_accepted');
});

test('access is cut to what the product asked for and what the controller holds', (t) => {
  const s = snapshot({
    controllers: [controller('region-a', ['vaccinations'])],
    approvals: [approval('a1', 'region-a', 'p1', { access: [{ dataset: 'bookings', actions: ['read'] }, { dataset: 'vaccinations', actions: ['read', 'write'] }] })],
  });
  const live = liveApprovals(s, s.products[0]!, NOW);
  t.deepEqual(live.approvals[0]!.access, [{ dataset: 'vaccinations', actions: ['read'] }]);
  t.deepEqual(liveApprovals(s, s.products[0]!, NOW, [{ id: 'bookings', actions: ['read'] }]).approvals, [], 'the catalogue can take away the rest');
});

test('intersectAccess keeps only shared data sets and actions', (t) => {
  t.deepEqual(intersectAccess([{ dataset: 'a', actions: ['read', 'write'] }, { dataset: 'b', actions: ['read'] }], [{ dataset: 'a', actions: ['write'] }]), [{ dataset: 'a', actions: ['write'] }]);
});

// Each check on its own, with the least state it reads.

test('product_known: finds the product by client_id in the snapshot, else product_unknown', (t) => {
  const s = snapshot();
  const found = productKnown.run({ snapshot: s, clientId: 'p1-client', now: NOW }, undefined);
  t.is((found as { product: { id: string } }).product.id, 'p1');
  t.is(productKnown.run({ snapshot: s, clientId: 'p1', now: NOW }, undefined), 'product_unknown', 'a product id is not a client id');
});

test('product_active: only an active product passes; each other status has its reason', (t) => {
  const reasons = (['active', 'registered', 'suspended', 'retired'] as const).map((status) => productActive.run({ product: product('p1', { status }) }, undefined));
  t.deepEqual(reasons, [undefined, 'product_not_active', 'product_suspended', 'product_retired']);
});

test('approved_by_a_controller: establishes the live approvals, or says the most specific lapse', (t) => {
  const approved = snapshot({ approvals: [approval('a1', 'region-a', 'p1')] });
  const p = approved.products[0]!;
  const live = approvedByAController.run({ snapshot: approved, clientId: 'p1-client', now: NOW, product: p }, undefined) as { live: { approvals: unknown[] } };
  t.is(live.live.approvals.length, 1);
  t.is(approvedByAController.run({ snapshot: snapshot(), clientId: 'p1-client', now: NOW, product: p }, undefined), 'no_approval');
  const expired = snapshot({ certifications: [certification('c1', 'p1', 'nordic-medtest', { expiresAt: iso(NOW - DAY) })], policies: [policy('region-a', [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }] }])] });
  t.is(approvedByAController.run({ snapshot: expired, clientId: 'p1-client', now: NOW, product: p }, undefined), 'certification_expired');
});

// A containment suspension in the registry snapshot takes that controller out of the product's live
// approvals (so out of tokens, introspection and decisions); the gate names it when nothing is left.
import test from 'ava';
import { liveApprovals } from '../../src/whitelist/liveApprovals.ts';
import { runTokenGate } from '../../src/whitelist/tokenGate.ts';
import { NOW, approval, product, snapshot } from '../whitelist/snapshotFixture.ts';

const suspension = (controllerId: string, liftedAt?: string) => ({ id: `s-${controllerId}`, productId: 'p1', controllerId, reason: 'suspicious_denials', suspendedAt: '2026-06-01T00:00:00Z', ...(liftedAt ? { liftedAt } : {}) });

test('a suspension removes only its controller, and carries the limits of the rest through', (t) => {
  const limits = { citizens: { mode: 'cohort' as const, cohortId: 'c' } };
  const s = snapshot({
    approvals: [approval('a1', 'region-a', 'p1', { limits }), approval('a2', 'kommun-b', 'p1')],
    suspensions: [suspension('kommun-b')],
  });
  const live = liveApprovals(s, product('p1'), NOW);
  t.deepEqual(live.approvals.map((a) => a.controllerId), ['region-a']);
  t.deepEqual(live.approvals[0]!.limits, limits);
  t.true(live.lapses.includes('suspended_by_containment'));
});

test('a lifted suspension counts for nothing; the last controller suspended makes the gate refuse with its reason', (t) => {
  const base = { approvals: [approval('a1', 'region-a', 'p1')] };
  t.true(runTokenGate({ snapshot: snapshot({ ...base, suspensions: [suspension('region-a', '2026-06-01T01:00:00Z')] }), clientId: 'p1-client', now: NOW }).ok);
  t.like(runTokenGate({ snapshot: snapshot({ ...base, suspensions: [suspension('region-a')] }), clientId: 'p1-client', now: NOW }), { ok: false, reason: 'suspended_by_containment' });
});

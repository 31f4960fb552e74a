// After a controller revokes its approval, the decision point says so: approval_revoked, whether the
// revocation leaves the product approved elsewhere (the check approval_live_for_controller) or nowhere
// (the token gate, with a certification no controller's policy accepts, which used to be named
// instead: framework_not_accepted). Real tokens, a real Redis, the decision audit in PGlite.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, certification, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import type { TestClient } from '../helpers/gateway.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, decide, memoryDb, productFor, startPdpGateway } from './pdpFixture.ts';

let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;
const clients: Record<string, TestClient> = {};
const registry = new TestRegistry(snapshot());
const [member] = citizens(1, 700) as [string];

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  clients.only = await clientFor('rev-only', ['client_credentials']);
  clients.two = await clientFor('rev-two', ['client_credentials']);
  const cohort = { citizens: { mode: 'cohort' as const, cohortId: 'rev-a' } };
  const year = 365 * 86_400_000;
  registry.current = snapshot({
    controllers: [controller('region-a', ['bookings']), controller('kommun-b', ['bookings'])],
    products: [productFor(clients.only, 'p-only'), productFor(clients.two, 'p-two')],
    // p-only also holds an N!P certification, which no controller's policy accepts (as in the sandbox).
    certifications: [certification('c-np', 'p-only', 'np', { issuedAt: new Date(Date.now() - year).toISOString(), expiresAt: new Date(Date.now() + year).toISOString() })],
    approvals: [
      approval('a-only', 'region-a', 'p-only', { limits: cohort }),
      approval('a-two-a', 'region-a', 'p-two', { limits: cohort }),
      approval('a-two-b', 'kommun-b', 'p-two'),
    ],
  });
  gw = await startPdpGateway(registry, db, redis.url);
  const now = new Date().toISOString();
  await db.query('INSERT INTO cohorts (id, controller_id, name, members, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
    ['rev-a', 'region-a', 'rev-a', JSON.stringify([gw.pdp!.accounts.accountIdFor(member)]), now]);
  gw.registry!.invalidate();
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
});

function revoke(id: string): void {
  registry.current = {
    ...registry.current,
    approvals: registry.current.approvals.map((a) => (a.id === id ? { ...a, status: 'revoked' as const, revokedAt: new Date().toISOString() } : a)),
  };
  gw.registry!.invalidate();
}

const target = { controller: 'region-a', dataset: 'bookings', citizen: member, action: 'read' };

test.serial('revoked where the product is approved elsewhere: approval_revoked at approval_live_for_controller, 403, not counted as suspicious', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.two!);
  t.like((await decide(gw, holder, target)).body, { decision: 'permit' });
  revoke('a-two-a');
  const denied = await decide(gw, holder, target);
  t.is(denied.status, 200);
  t.like(denied.body, { decision: 'deny', reasons: ['approval_revoked'], check: 'approval_live_for_controller' });
  // Unchanged: a controller that never approved it.
  t.like((await decide(gw, holder, { ...target, controller: 'kommun-b', dataset: 'home-care-decisions' })).body, { decision: 'deny' });
  await gw.pdp!.audit.drain();
  const row = (await db.query<{ reasons: string[] }>('SELECT reasons FROM decision_audit WHERE id = $1', [denied.body.decisionId])).rows[0];
  t.deepEqual(row?.reasons, ['approval_revoked'], 'the audit records the same reason');
  t.is(await gw.store.get(`pdp:suspicious:p-two:region-a`), undefined, 'a stale call after a revocation is not a probe');
});

test.serial('revoked where it was the product\'s only approval: the gate\'s reason is approval_revoked, not framework_not_accepted', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.only!);
  t.like((await decide(gw, holder, target)).body, { decision: 'permit' });
  revoke('a-only');
  t.like(await gw.gate!.check(clients.only!.config.client_id), { ok: false, reason: 'approval_revoked' });
  const denied = await decide(gw, holder, target);
  t.like(denied.body, { decision: 'deny', reasons: ['approval_revoked'], check: 'product_active' });
});

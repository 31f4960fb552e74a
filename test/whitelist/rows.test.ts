// The row mappers: a row the registry wrote maps to its domain object; a row holding what the code
// never writes (an unknown enum value, a JSON column of the wrong shape, a timestamp that is none) is
// refused with its table, key and column named, and without its values; and the refusal reaches the
// callers (the snapshot fails closed, the audit verifier names the unreadable link).
import test from 'ava';
import { systemClock } from '../../src/clock.ts';
import { decisionFromRow } from '../../src/scopes/decisionAudit.ts';
import { withExposure } from '../../src/scopes/containment.ts';
import { auditFromRow, auditHeadFromRow } from '../../src/whitelist/audit.ts';
import { RowError, theRow } from '../../src/whitelist/db/columns.ts';
import { migrate } from '../../src/whitelist/db/migrate.ts';
import { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import {
  approvalFromRow, approvalLimitsFromRow, controllerFromRow, productFromRow, roleFromRow, suspensionFromRow, type ProductRow,
} from '../../src/whitelist/db/rows.ts';
import type { Product } from '../../src/whitelist/model.ts';
import { RegistryStore } from '../../src/whitelist/store.ts';

const created = new Date('2026-03-01T08:00:00.000Z');
const updated = new Date('2026-03-02T09:30:00.000Z');

const client = {
  clientId: 'stegraknaren', redirectUris: ['https://stegraknaren.example.se/callback'], postLogoutRedirectUris: [],
  tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] },
  grantTypes: ['authorization_code'], scope: 'openid',
};

const productRow = (over: Partial<ProductRow> = {}): ProductRow => ({
  id: 'stegraknaren', name: 'Stegräknaren', supplier_org_number: '5591234567', supplier_name: 'Appbolaget AB',
  purpose: 'self-monitoring', contact: { name: 'Support', email: 'support@appbolaget.example.se' }, status: 'active',
  client, authn_methods: ['bankid'], minimum_acr: null, requested_access: [{ dataset: 'patient-measurements', actions: ['read'] }],
  version: 3, created_at: created, updated_at: updated, ...over,
});

test('a product row maps to the product: columns renamed, timestamps as ISO instants, NULL as absent', (t) => {
  const product: Product = productFromRow(productRow());
  t.deepEqual(product, {
    id: 'stegraknaren', name: 'Stegräknaren', supplierOrgNumber: '5591234567', supplierName: 'Appbolaget AB', purpose: 'self-monitoring',
    contact: { name: 'Support', email: 'support@appbolaget.example.se' }, status: 'active', client, authnMethods: ['bankid'],
    requestedAccess: [{ dataset: 'patient-measurements', actions: ['read'] }], version: 3,
    createdAt: '2026-03-01T08:00:00.000Z', updatedAt: '2026-03-02T09:30:00.000Z',
  });
  t.false('minimumAcr' in product, 'a NULL column is left out, not set to undefined or null');
  t.is(productFromRow(productRow({ minimum_acr: 'http://id.elegnamnden.se/loa/1.0/loa3' })).minimumAcr, 'http://id.elegnamnden.se/loa/1.0/loa3');
  t.is(productFromRow(productRow({ created_at: '2026-03-01 09:00:00+01' })).createdAt, '2026-03-01T08:00:00.000Z', 'a timestamp given as text');
});

test('an unknown status is refused with the table, the key and the column named, not cast', (t) => {
  const err = t.throws(() => productFromRow(productRow({ status: 'deleted' })), { instanceOf: RowError });
  t.is(err?.table, 'products');
  t.is(err?.key, '"stegraknaren"');
  t.regex(err?.message ?? '', /^products row "stegraknaren" cannot be read: status: /);
  t.false(err?.message.includes('deleted'), 'the message names the column, not what it held');
});

test('a JSON column of the wrong shape is refused, naming the path inside it', (t) => {
  const noRedirects = { ...client, redirectUris: [] };
  t.regex(t.throws(() => productFromRow(productRow({ client: noRedirects })), { instanceOf: RowError })?.message ?? '', /client\.redirectUris/);
  t.regex(t.throws(() => productFromRow(productRow({ requested_access: [{ dataset: 'bookings', actions: ['delete'] }] })), { instanceOf: RowError })?.message ?? '',
    /requested_access\.0\.actions\.0/);
  t.regex(t.throws(() => productFromRow(productRow({ contact: '{"name":"Support"}' })), { instanceOf: RowError })?.message ?? '', /contact/,
    'JSON left as text (a double-encoded column) is not taken for the object');
  t.regex(t.throws(() => productFromRow(productRow({ updated_at: 'yesterday' })), { instanceOf: RowError })?.message ?? '', /updated_at: is not a timestamp/);
});

test('every mapped table refuses its own unknown values', (t) => {
  const versioned = { version: 1, created_at: created, updated_at: created };
  const controller = { id: 'region-a', org_number: '1111111111', name: 'Region A', kind: 'region', hsa_id: null, datasets: ['bookings'], webhook_url: null, ...versioned };
  t.is(controllerFromRow(controller).kind, 'region');
  t.throws(() => controllerFromRow({ ...controller, kind: 'county' }), { instanceOf: RowError, message: /^controllers row "region-a".*kind/ });

  const approval = {
    id: 'a1', controller_id: 'region-a', product_id: 'p', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }],
    basis: 'own_review', reviewer: null, certification_id: null, status: 'revoked', expires_at: null, decided_by: 'SE1', revoked_at: updated, ...versioned,
  };
  t.like(approvalFromRow(approval), { status: 'revoked', revokedAt: '2026-03-02T09:30:00.000Z', basis: 'own_review' });
  t.throws(() => approvalFromRow({ ...approval, basis: 'hearsay' }), { instanceOf: RowError, message: /basis/ });

  const role = { id: 'r1', subject_kind: 'client', subject_id: 'gateway-cli', role: 'operator', scope: '', ...versioned };
  t.deepEqual(roleFromRow(role), { id: 'r1', subject: { kind: 'client', clientId: 'gateway-cli' }, role: 'operator', version: 1, createdAt: created.toISOString(), updatedAt: created.toISOString() });
  t.deepEqual(roleFromRow({ ...role, subject_kind: 'staff', subject_id: 'SE2321000016-A1B2', role: 'controller_admin', scope: 'region-a' }).subject, { kind: 'staff', hsaId: 'SE2321000016-A1B2' });
  t.throws(() => roleFromRow({ ...role, subject_kind: 'robot' }), { instanceOf: RowError, message: /subject_kind/ });
  t.throws(() => roleFromRow({ ...role, role: 'root' }), { instanceOf: RowError, message: /role/ });

  t.deepEqual(suspensionFromRow({ id: 's1', product_id: 'p', client_id: 'c', controller_id: 'region-a', reason: 'suspicious_denials', suspended_at: created, lifted_at: null, lifted_by: null }),
    { id: 's1', productId: 'p', controllerId: 'region-a', reason: 'suspicious_denials', suspendedAt: created.toISOString() });
  t.deepEqual(approvalLimitsFromRow({ approval_id: 'a1', limits: { citizens: { mode: 'cohort', cohortId: 'diabetes' } } }).limits, { citizens: { mode: 'cohort', cohortId: 'diabetes' } });
  t.throws(() => approvalLimitsFromRow({ approval_id: 'a1', limits: { citizens: { mode: 'everyone' } } }), { instanceOf: RowError, message: /approval_limits row "a1".*limits\.citizens/ });

  const audit = { seq: '7', at: created, actor: 'system', role: 'system', action: 'product.create', object_type: 'product', object_id: 'p', before: null, after: { id: 'p' }, prev_hash: 'a', hash: 'b' };
  t.like(auditFromRow(audit), { seq: 7, role: 'system', objectType: 'product', before: null });
  t.throws(() => auditFromRow({ ...audit, object_type: 'invoice' }), { instanceOf: RowError, message: /object_type/ });
  t.throws(() => auditFromRow({ ...audit, seq: 'seven' }), { instanceOf: RowError, message: /seq/ });
  t.is(auditHeadFromRow({ seq: 12, hash: 'h' }).seq, 12, 'bigint from PGlite (a number) and from node-postgres (a string) alike');

  const decision = { decided_at: created, id: 'd1', decision: 'permit', reasons: [], interface: 'pep', client_id: 'c', product_id: null, controller_id: null, dataset: null, action: null, citizen: 'k1' };
  t.like(decisionFromRow(decision), { decision: 'permit', interface: 'pep', clientId: 'c', productId: undefined });
  t.throws(() => decisionFromRow({ ...decision, interface: 'telnet' }), { instanceOf: RowError, message: /decision_audit row "d1".*interface/ });
});

test('a statement that must answer a row and answers none says which statement', (t) => {
  t.is(theRow({ rows: [1] }, 'INSERT INTO x'), 1);
  t.throws(() => theRow({ rows: [] }, 'INSERT INTO products'), { message: 'INSERT INTO products answered no row' });
});

test('pglite: a hand-edited row stops the reads that meet it, and the audit verifier names the unreadable entry', async (t) => {
  const db = await PgliteDb.open();
  t.teardown(() => db.close());
  await migrate(db);
  const store = new RegistryStore(db, systemClock);
  const system = { actor: 'system', role: 'system' as const };
  const written = await store.createProduct(system, productFromRow(productRow({ status: 'registered' })));
  t.is((await store.getProduct('stegraknaren'))?.status, 'registered');
  t.deepEqual(await store.getProduct('stegraknaren'), written.value, 'what was written is what is read back');

  // jsonb takes any JSON; only the mapper knows a client needs redirect URIs.
  await db.query(`UPDATE products SET client = client - 'redirectUris' WHERE id = 'stegraknaren'`);
  await t.throwsAsync(store.getProduct('stegraknaren'), { instanceOf: RowError, message: /products row "stegraknaren".*client\.redirectUris/ });
  await t.throwsAsync(store.snapshot(), { instanceOf: RowError }, 'the gate gets no snapshot rather than one with a lie in it');

  await db.query(`INSERT INTO approval_limits (approval_id, limits, updated_by, created_at, updated_at) VALUES ('a1', '{"citizens":{"mode":"everyone"}}', 'x', now(), now())`);
  const source = { snapshot: async () => ({ revision: 0, controllers: [], frameworks: [], policies: [], products: [], certifications: [], approvals: [] }) };
  await t.throwsAsync(withExposure(source, db).snapshot(), { instanceOf: RowError, message: /approval_limits row "a1"/ });

  t.deepEqual(await store.verifyAudit(), { ok: true, entries: 1 });
  await db.query(`INSERT INTO audit_log (seq, at, actor, role, action, object_type, object_id, before, after, prev_hash, hash)
    VALUES (2, now(), 'mallory', 'root', 'x', 'product', 'p', null, null, 'a', 'b')`);
  const report = await store.verifyAudit();
  t.false(report.ok);
  t.like(report.firstBroken, { seq: 2, reason: 'unreadable' });
  t.regex(report.firstBroken?.detail ?? '', /audit_log row 2 cannot be read: role/);
});

// One contract, two databases: the registry behaves the same on PGlite (the sandbox's embedded
// database) and on a real PostgreSQL server (the system of record), including what the database
// itself refuses: audit rows cannot be changed by the application's role, and a tampered row is found.
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { PG, pgCode, type Db, type Queryable } from '../../src/whitelist/db/db.ts';
import { migrate } from '../../src/whitelist/db/migrate.ts';
import { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { PostgresDb } from '../../src/whitelist/db/postgres.ts';
import { DatasetCatalogue } from '../../src/whitelist/datasets.ts';
import { RegistryError } from '../../src/whitelist/errors.ts';
import { seedSandboxRegistry } from '../../src/whitelist/seed.ts';
import { REGISTRY_CHANNEL, RegistryService, SYSTEM } from '../../src/whitelist/service.ts';
import { RegistryStore } from '../../src/whitelist/store.ts';
import { postgresForTests, type PostgresServer } from '../helpers/postgres.ts';

const run = promisify(execFile);
const config = loadConfig({ env: {} });

interface Backend {
  name: string;
  /** A fresh, migrated registry: `db` as the application, `admin` as the superuser (to tamper). */
  open(): Promise<{ db: Db; admin: Db; url?: string; asApp<T>(work: (q: Queryable) => Promise<T>): Promise<T>; close(): Promise<void> }>;
}

let pgServer: PostgresServer;
test.before(async () => {
  pgServer = await postgresForTests();
});
test.after.always(async () => pgServer?.stop());

const backends: Backend[] = [
  {
    name: 'pglite',
    async open() {
      const db = await PgliteDb.open();
      await migrate(db);
      return {
        db,
        admin: db,
        // One connection: the application's role is taken for the length of a transaction.
        asApp: (work) => db.transaction(async (tx) => {
          await tx.query('SET LOCAL ROLE gateway_app');
          return work(tx);
        }),
        close: () => db.close(),
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const url = await pgServer.createDatabase();
      const admin = new PostgresDb({ url });
      await migrate(admin);
      const db = new PostgresDb({ url, role: 'gateway_app' });
      return { db, admin, url, asApp: (work) => work(db), close: async () => { await db.close(); await admin.close(); } };
    },
  },
];

function makeService(db: Db) {
  const hot = new MemoryStore(systemClock);
  const store = new RegistryStore(db, systemClock);
  const service = new RegistryService({
    store, hot, clock: systemClock, catalogue: new DatasetCatalogue(config.datasets), sandbox: true,
    authnMethods: Object.keys(config.loa.providers), acrValues: ['http://id.elegnamnden.se/loa/1.0/loa3'], logger: createLogger({ level: 'silent' }),
  });
  return { hot, store, service };
}

async function refusal(t: ExecutionContext, promise: Promise<unknown>): Promise<RegistryError> {
  const err = await t.throwsAsync(promise, { instanceOf: RegistryError });
  return err!;
}

const controller = (id: string, orgNumber: string) => ({ id, orgNumber, name: `Controller ${id}`, kind: 'region' as const, datasets: ['bookings', 'lab-results'] });

for (const b of backends) {
  test.serial(`${b.name}: create, read, update with the version read; stale versions and unknown ids refused`, async (t) => {
    const r = await b.open();
    const { service, store } = makeService(r.db);
    const created = await service.createController(SYSTEM, controller('region-a', '1111111111'));
    t.is(created.version, 1);
    t.deepEqual(await store.getController('region-a'), created);
    const updated = await service.updateController(SYSTEM, 'region-a', 1, { ...controller('region-a', '1111111111'), name: 'Region A' });
    t.is(updated.version, 2);
    t.is(updated.name, 'Region A');
    t.is(updated.createdAt, created.createdAt);
    const stale = await refusal(t, service.updateController(SYSTEM, 'region-a', 1, controller('region-a', '1111111111')));
    t.is(stale.status, 412);
    t.is(stale.code, 'version_conflict');
    t.is((await store.getController('region-a'))!.name, 'Region A', 'the stale write changed nothing');
    const missing = await refusal(t, service.updateController(SYSTEM, 'nowhere', 1, controller('nowhere', '1111111112')));
    t.is(missing.code, 'not_found');
    t.is(missing.status, 404);
    await r.close();
  });

  test.serial(`${b.name}: two writers with the same version: exactly one wins`, async (t) => {
    const r = await b.open();
    const { service } = makeService(r.db);
    await service.createFramework(SYSTEM, { id: 'fw-a', name: 'A' });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => service.updateFramework(SYSTEM, 'fw-a', 1, { name: `A${n}` })));
    t.is(results.filter((x) => x.status === 'fulfilled').length, 1);
    t.true(results.filter((x) => x.status === 'rejected').every((x) => ((x as PromiseRejectedResult).reason as RegistryError).code === 'version_conflict'));
    await r.close();
  });

  test.serial(`${b.name}: duplicates are refused with the field named, and leave no trace`, async (t) => {
    const r = await b.open();
    const { service, store } = makeService(r.db);
    await service.createController(SYSTEM, controller('region-a', '1111111111'));
    const revision = await store.revision();
    const sameId = await refusal(t, service.createController(SYSTEM, controller('region-a', '2222222222')));
    t.is(sameId.status, 409);
    t.is(sameId.code, 'duplicate');
    t.regex(sameId.message, /\bid\b/);
    const sameOrg = await refusal(t, service.createController(SYSTEM, controller('region-b', '1111111111')));
    t.regex(sameOrg.message, /orgNumber/);
    t.is(await store.revision(), revision, 'no audit entry for a refused write');
    t.is((await store.listControllers()).length, 1);
    await r.close();
  });

  test.serial(`${b.name}: a write whose audit entry fails leaves no row and no audit entry`, async (t) => {
    const r = await b.open();
    const { service, store } = makeService(r.db);
    await r.admin.exec(`
      CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.object_id = 'doomed' THEN RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_doomed BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_doomed();`);
    const before = await store.revision();
    await t.throwsAsync(service.createController(SYSTEM, controller('doomed', '3333333333')));
    t.is(await store.getController('doomed'), undefined, 'the controller row was rolled back with its audit entry');
    t.is(await store.revision(), before);
    t.deepEqual(await store.listAudit({ objectId: 'doomed' }), []);
    await r.close();
  });

  test.serial(`${b.name}: the seed makes the sandbox registry once, and the snapshot holds all of it at one revision`, async (t) => {
    const r = await b.open();
    const { service, store, hot } = makeService(r.db);
    const announced: string[] = [];
    await hot.subscribe(REGISTRY_CHANNEL, (m) => announced.push(m));
    t.true(await seedSandboxRegistry(service, { now: Date.now() }));
    t.false(await seedSandboxRegistry(service, { now: Date.now() }), 'idempotent');
    const snap = await store.snapshot();
    t.is(snap.revision, (await store.listAudit({ limit: 5000 })).length);
    t.deepEqual(snap.controllers.map((c) => c.id), ['region-sandbox', 'sandvik-kommun', 'vardbolaget']);
    t.deepEqual(snap.frameworks.map((f) => f.id), ['nordic-medtest', 'np']);
    t.deepEqual(Object.fromEntries(snap.products.map((p) => [p.id, p.status])),
      { 'bokningsappen': 'active', 'demo-rp': 'active', 'min-vardplan': 'registered', 'stegraknaren': 'suspended' });
    t.is(snap.policies.length, 1);
    t.deepEqual(snap.policies[0]!.accepts[0]!.access.map((a) => a.dataset), ['bookings', 'vaccinations', 'lab-results']);
    const expired = snap.certifications.find((c) => c.productId === 'bokningsappen')!;
    t.true(Date.parse(expired.expiresAt) < Date.now());
    t.deepEqual(snap.approvals.map((a) => [a.controllerId, a.productId, a.basis, a.status]), [['sandvik-kommun', 'demo-rp', 'own_review', 'active']]);
    t.is((await store.listRoles()).length, 6);
    t.true((await store.listAudit({ limit: 5000 })).every((e) => e.actor === 'system' && e.role === 'system'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.is(announced.at(-1), String(snap.revision), 'every change announced with its revision');
    await r.close();
  });

  test.serial(`${b.name}: two operators removed at once: one stays`, async (t) => {
    const r = await b.open();
    const { service, store } = makeService(r.db);
    const a = await service.assignRole(SYSTEM, { subject: { kind: 'staff', hsaId: 'SE5565594230-OP01' }, role: 'operator' });
    const c = await service.assignRole(SYSTEM, { subject: { kind: 'client', clientId: 'gateway-cli' }, role: 'operator' });
    const results = await Promise.allSettled([service.removeRole(SYSTEM, a.id, 1), service.removeRole(SYSTEM, c.id, 1)]);
    t.is(results.filter((x) => x.status === 'fulfilled').length, 1);
    t.is(((results.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason as RegistryError).code, 'last_operator');
    t.is((await store.listRoles()).filter((x) => x.role === 'operator').length, 1);
    await r.close();
  });

  test.serial(`${b.name}: concurrent writers never fork the audit chain`, async (t) => {
    const r = await b.open();
    const { service, store } = makeService(r.db);
    await Promise.all(Array.from({ length: 24 }, (_, i) => service.createFramework(SYSTEM, { id: `fw-${i}`, name: `F${i}` })));
    const report = await store.verifyAudit();
    t.deepEqual(report, { ok: true, entries: 24 });
    const seqs = (await store.listAudit()).map((e) => e.seq).sort((x, y) => x - y);
    t.deepEqual(seqs, Array.from({ length: 24 }, (_, i) => i + 1));
    await r.close();
  });

  test.serial(`${b.name}: the application role cannot UPDATE, DELETE or TRUNCATE the audit log`, async (t) => {
    const r = await b.open();
    const { service } = makeService(r.db);
    await service.createFramework(SYSTEM, { id: 'fw-a', name: 'A' });
    for (const sql of ["UPDATE audit_log SET actor = 'mallory'", 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
      const err = await t.throwsAsync(r.asApp((q) => q.query(sql)));
      t.is(pgCode(err), PG.insufficientPrivilege, `${sql}: ${err?.message}`);
    }
    // Even the owner is stopped by the trigger.
    const err = await t.throwsAsync(r.admin.query("UPDATE audit_log SET actor = 'mallory'"));
    t.is(pgCode(err), PG.raiseException);
    t.regex(err!.message, /append-only/);
    const rows = await r.db.query<{ actor: string }>('SELECT actor FROM audit_log');
    t.deepEqual(rows.rows.map((x) => x.actor), ['system']);
    await r.close();
  });

  test.serial(`${b.name}: a tampered audit entry is found, and it is the first broken link`, async (t) => {
    const r = await b.open();
    const { service, store } = makeService(r.db);
    for (let i = 0; i < 5; i += 1) await service.createFramework(SYSTEM, { id: `fw-${i}`, name: `F${i}` });
    t.deepEqual(await store.verifyAudit(), { ok: true, entries: 5 });
    // A superuser with the trigger disabled rewrites history.
    await r.admin.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
      UPDATE audit_log SET after = jsonb_set(after, '{name}', '"Forged"') WHERE seq = 3;
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;`);
    const report = await store.verifyAudit();
    t.false(report.ok);
    t.is(report.firstBroken?.seq, 3);
    t.is(report.firstBroken?.reason, 'hash_mismatch');
    if (r.url) {
      // The operator's command: `npm run audit:verify` against the same database.
      const env = { ...process.env, DATABASE_URL: r.url, LOG_LEVEL: 'silent' };
      const err = await t.throwsAsync(run(process.execPath, ['src/whitelist/auditVerify.ts'], { env })) as Error & { code?: number; stdout?: string };
      t.is(err.code, 1);
      t.regex(err.stdout ?? '', /entry 3/);
    }
    await r.close();
  });

  test.serial(`${b.name}: removing the newest entries is found too`, async (t) => {
    const r = await b.open();
    const { service, store } = makeService(r.db);
    for (let i = 0; i < 3; i += 1) await service.createFramework(SYSTEM, { id: `fw-${i}`, name: `F${i}` });
    await r.admin.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
      DELETE FROM audit_log WHERE seq = 3;
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;`);
    const report = await store.verifyAudit();
    t.false(report.ok);
    t.is(report.firstBroken?.reason, 'head_mismatch');
    await r.close();
  });
}

test.serial('postgres: the audit:verify command passes an intact chain', async (t) => {
  const url = await pgServer.createDatabase();
  const admin = new PostgresDb({ url });
  await migrate(admin);
  const { service } = makeService(new PostgresDb({ url, role: 'gateway_app' }));
  await service.createFramework(SYSTEM, { id: 'fw-a', name: 'A' });
  const { stdout } = await run(process.execPath, ['src/whitelist/auditVerify.ts'], { env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' } });
  t.regex(stdout, /audit chain intact: 1 entries/);
  await admin.close();
});

test.serial('postgres: instances migrating at once take turns; each migration runs once', async (t) => {
  const url = await pgServer.createDatabase();
  const instances = [new PostgresDb({ url }), new PostgresDb({ url }), new PostgresDb({ url })];
  const applied = await Promise.all(instances.map((db) => migrate(db)));
  // 100_exposure: the decision point's tables (issue 4), numbered from 100 beside the registry's.
  // 004 and 101: the audit checkpoints' published copy and the decision audit's batch chain (issue 13).
  // 005_jump_policy: the controllers' jump policies (issue 11). 006: consent records; 008: mandates, the
  // guardian policy, decision actors (issue 12).
  t.deepEqual(applied.flat().sort(), ['001_registry', '002_audit', '003_app_role', '004_audit_checkpoints', '005_jump_policy', '006_consents', '008_representation', '100_exposure', '101_decision_chain']);
  const rows = await instances[0]!.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
  t.deepEqual(rows.rows.map((r) => r.version), ['001', '002', '003', '004', '005', '006', '008', '100', '101']);
  await Promise.all(instances.map((db) => db.close()));
});

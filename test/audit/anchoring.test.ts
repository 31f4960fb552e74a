// Audit anchoring (issue 13): a database superuser rewrites a registry audit entry and recomputes the
// chain and its head, or deletes decision-audit rows (and recomputes what names them); audit:verify,
// checking both chains against checkpoints signed with the audit key and kept outside the database,
// reports the first bad entry or batch and exits 1. An untouched database verifies; a checkpoint signed
// with another key is rejected; the checkpointer never signs over a chain that no longer continues
// its last checkpoint.
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAuditKeys, sharesKeyWith } from '../../src/audit/auditKey.ts';
import { decisionChain, registryChain, type AuditChain } from '../../src/audit/chains.ts';
import { ChainDiverged, Checkpointer } from '../../src/audit/checkpointer.ts';
import { signCheckpoint, verifyCheckpoint } from '../../src/audit/checkpoint.ts';
import { FileSink, readCheckpointFile } from '../../src/audit/sinks.ts';
import { verifyAudit } from '../../src/audit/verify.ts';
import { ManualClock, systemClock } from '../../src/clock.ts';
import { loadConfig, productionProblems } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { DecisionAudit, type DecisionRecord } from '../../src/scopes/decisionAudit.ts';
import { batchHash, rowsHash, verifyDecisionChain, type DecisionBatch } from '../../src/scopes/decisionChain.ts';
import { entryHash, GENESIS_HASH } from '../../src/whitelist/audit.ts';
import { DatasetCatalogue } from '../../src/whitelist/datasets.ts';
import type { Db } from '../../src/whitelist/db/db.ts';
import { migrate } from '../../src/whitelist/db/migrate.ts';
import { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { PostgresDb } from '../../src/whitelist/db/postgres.ts';
import { RegistryService, SYSTEM } from '../../src/whitelist/service.ts';
import { RegistryStore } from '../../src/whitelist/store.ts';
import { postgresForTests, type PostgresServer } from '../helpers/postgres.ts';

const run = promisify(execFile);
const config = loadConfig({ env: {} });
const logger = createLogger({ level: 'silent' });

let pg: PostgresServer;
const dir = mkdtempSync(join(tmpdir(), 'audit-anchoring-'));
test.before(async () => {
  pg = await postgresForTests();
});
test.after.always(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  /** The application's view (gateway_app on PostgreSQL). */
  db: Db;
  /** The superuser's. */
  admin: Db;
  url: string | undefined;
  keyFile: string;
  checkpointFile: string;
  checkpointer(chains: (db: Db) => AuditChain[]): Promise<Checkpointer>;
  close(): Promise<void>;
}

async function setup(kind: 'postgres' | 'pglite'): Promise<Setup> {
  const own = mkdtempSync(join(dir, `${kind}-`));
  const keys = await loadAuditKeys({ sandboxDir: own, mayGenerate: true });
  const keyFile = join(own, 'keys', 'audit-key.json');
  const checkpointFile = join(own, 'checkpoints.jsonl');
  let db: Db;
  let admin: Db;
  let url: string | undefined;
  if (kind === 'postgres') {
    url = await pg.createDatabase();
    admin = new PostgresDb({ url });
    await migrate(admin);
    db = new PostgresDb({ url, role: 'gateway_app' });
  } else {
    db = await PgliteDb.open();
    await migrate(db);
    admin = db;
  }
  return {
    db, admin, url, keyFile, checkpointFile,
    async checkpointer(chains) {
      return new Checkpointer({ chains: chains(db), keys, sinks: [new FileSink(checkpointFile)], clock: systemClock, logger, issuer: 'https://gw.test', intervalMs: 60_000 });
    },
    async close() {
      await db.close();
      if (admin !== db) await admin.close();
    },
  };
}

function registryService(db: Db) {
  const store = new RegistryStore(db, systemClock);
  const service = new RegistryService({
    store, hot: new MemoryStore(systemClock), clock: systemClock, catalogue: new DatasetCatalogue(config.datasets), sandbox: true,
    authnMethods: Object.keys(config.loa.providers), acrValues: ['http://id.elegnamnden.se/loa/1.0/loa3'], logger,
  });
  return { store, service };
}

/** audit:verify as the operator runs it, against this database, key and checkpoint file. */
async function auditVerify(s: Setup, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env, DATABASE_URL: s.url, LOG_LEVEL: 'silent', GATEWAY__sandboxDir: join(dir, 'unused-sandbox'),
    GATEWAY__audit__keyFile: s.keyFile, GATEWAY__audit__checkpoints__file: s.checkpointFile,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/whitelist/auditVerify.ts', ...extra], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const auditKeysOf = async (s: Setup) => (await loadAuditKeys({ keyFile: s.keyFile, sandboxDir: dir, mayGenerate: false })).publicJwks.keys;

/** The superuser's rewrite: entry `seq` changed, every hash from it on and the head recomputed. */
async function rewriteRegistryEntry(admin: Db, seq: number): Promise<void> {
  await admin.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
  await admin.query(`UPDATE audit_log SET after = jsonb_set(after, '{name}', '"Forged"') WHERE seq = $1`, [seq]);
  const { store } = registryService(admin);
  const entries = (await store.listAudit({ limit: 5000 })).sort((a, b) => a.seq - b.seq);
  let prev = GENESIS_HASH;
  for (const e of entries) {
    const hash = entryHash({ ...e, prevHash: prev });
    if (hash !== e.hash || prev !== e.prevHash) await admin.query('UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3', [prev, hash, e.seq]);
    prev = hash;
  }
  await admin.query('UPDATE audit_head SET hash = $1 WHERE id = 1', [prev]);
  await admin.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
}

test.serial('postgres: a superuser rewrites registry audit entry 3 and recomputes the chain and head; audit:verify reports entry 3', async (t) => {
  const s = await setup('postgres');
  const { service, store } = registryService(s.db);
  for (let i = 0; i < 5; i += 1) await service.createFramework(SYSTEM, { id: `fw-${i}`, name: `F${i}` });
  const checkpointer = await s.checkpointer((db) => [registryChain(db)]);
  const [checkpoint] = await checkpointer.checkpoint();
  t.like(checkpoint, { chain: 'registry', seq: 5, count: 5, from: 1 });

  const intact = await auditVerify(s);
  t.is(intact.code, 0, intact.stdout + intact.stderr);
  t.regex(intact.stdout, /audit chain intact: 5 entries, checked against 1 signed checkpoints up to entry 5/);

  await rewriteRegistryEntry(s.admin, 3);
  // The finding: on its own the chain is consistent again.
  t.deepEqual(await store.verifyAudit(), { ok: true, entries: 5 });

  const report = await auditVerify(s);
  t.is(report.code, 1, report.stdout + report.stderr);
  t.regex(report.stdout, /audit chain BROKEN at entry 3 \(rewritten\)/);
  t.regex(report.stdout, /2 entries before it verify/);

  // Nor will the gateway sign over it: the chain no longer continues its checkpoint.
  await service.createFramework(SYSTEM, { id: 'fw-after', name: 'After' });
  await t.throwsAsync(checkpointer.checkpoint(), { instanceOf: ChainDiverged, message: /registry audit chain .* link 6/ });
  await s.close();
});

test.serial('postgres: removing the newest registry entries and the head after a checkpoint is reported (the checkpoint counted them)', async (t) => {
  const s = await setup('postgres');
  const { service, store } = registryService(s.db);
  for (let i = 0; i < 4; i += 1) await service.createFramework(SYSTEM, { id: `fw-${i}`, name: `F${i}` });
  await (await s.checkpointer((db) => [registryChain(db)])).checkpoint();
  await s.admin.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
    DELETE FROM audit_log WHERE seq >= 3;
    UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2) WHERE id = 1;
    ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;`);
  t.true((await store.verifyAudit()).ok, 'consistent on its own');
  const report = await auditVerify(s);
  t.is(report.code, 1);
  t.regex(report.stdout, /audit chain BROKEN at entry 3 \(truncated\)/);
  await s.close();
});

function decision(at: number, i: number): DecisionRecord {
  return {
    id: randomUUID(), decidedAt: new Date(at + i).toISOString(), decision: i % 3 ? 'permit' : 'deny', reasons: [i % 3 ? 'permitted' : 'citizen_mismatch'],
    interface: 'pep', clientId: 'app', productId: 'p-1', controllerId: 'region-a', dataset: 'lab-results', action: 'read', citizen: `citizen-${i % 4}`,
  };
}

async function decisions(db: Db, clock: ManualClock, n: number): Promise<DecisionAudit> {
  const store = new MemoryStore(clock);
  const audit = new DecisionAudit({ store, db, clock, logger, retentionMonths: 24, monthsAhead: 2, batchSize: 7, drainIntervalMs: 50 });
  await audit.maintain();
  for (let i = 0; i < n; i += 1) await audit.record(decision(clock.now(), i));
  await audit.drain();
  await store.close();
  return audit;
}

/** The superuser's deletion of the released rows, every batch hash after them and the head recomputed. */
async function deleteDecisionsAndRecompute(admin: Db, citizen: string): Promise<void> {
  await admin.exec('SET session_replication_role = replica'); // triggers off, as a superuser may
  await admin.query('DELETE FROM decision_audit WHERE citizen = $1', [citizen]);
  const batches = (await admin.query<{ seq: string }>('SELECT seq FROM decision_audit_batches ORDER BY seq')).rows.map((r) => Number(r.seq));
  let prev = GENESIS_HASH;
  let total = 0;
  let seq = 0;
  for (const old of batches) {
    const rows = (await admin.query<Record<string, unknown>>('SELECT * FROM decision_audit WHERE batch = $1', [old])).rows;
    const meta = (await admin.query<{ month: string; written_at: Date }>("SELECT to_char(month, 'YYYY-MM-DD') AS month, written_at FROM decision_audit_batches WHERE seq = $1", [old])).rows[0]!;
    await admin.query('DELETE FROM decision_audit_batches WHERE seq = $1', [old]);
    if (!rows.length) continue;
    seq += 1;
    const { decisionFromRow } = await import('../../src/scopes/decisionAudit.ts');
    const partial: Omit<DecisionBatch, 'hash'> = {
      seq, month: meta.month, writtenAt: meta.written_at.toISOString(), rows: rows.length, total: total + rows.length,
      contentHash: rowsHash(rows.map((r) => decisionFromRow(r as never))), prevHash: prev,
    };
    const hash = batchHash(partial);
    await admin.query('UPDATE decision_audit SET batch = $1 WHERE batch = $2', [seq, old]);
    await admin.query(`INSERT INTO decision_audit_batches (seq, month, written_at, rows, total, content_hash, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [seq, partial.month, partial.writtenAt, partial.rows, partial.total, partial.contentHash, prev, hash]);
    prev = hash;
    total = partial.total;
  }
  await admin.query('UPDATE decision_audit_head SET seq = $1, total = $2, hash = $3 WHERE id = 1', [seq, total, prev]);
  await admin.exec('SET session_replication_role = DEFAULT');
}

test.serial('postgres: deleted decision-audit rows are reported by audit:verify, plainly deleted or with every hash recomputed', async (t) => {
  const s = await setup('postgres');
  const clock = new ManualClock(Date.now());
  await decisions(s.db, clock, 30);
  await (await s.checkpointer((db) => [decisionChain(db)])).checkpoint();
  const intact = await auditVerify(s);
  t.is(intact.code, 0, intact.stdout + intact.stderr);
  t.regex(intact.stdout, /decision audit intact: 5 batches, 30 decisions, checked against 1 signed checkpoints up to batch 5/);

  // Plainly deleted: the batch that wrote them no longer has them.
  await s.admin.exec('SET session_replication_role = replica');
  const [gone] = (await s.admin.query<{ batch: string }>("DELETE FROM decision_audit WHERE id = (SELECT id FROM decision_audit WHERE batch = 2 LIMIT 1) RETURNING batch")).rows;
  await s.admin.exec('SET session_replication_role = DEFAULT');
  t.is(Number(gone?.batch), 2);
  const plain = await auditVerify(s);
  t.is(plain.code, 1, plain.stdout);
  t.regex(plain.stdout, /decision audit BROKEN at batch 2 \(rows_missing\)/);
  await s.close();

  // Deleted with the chain recomputed around them: consistent on its own, not against the checkpoint.
  const s2 = await setup('postgres');
  await decisions(s2.db, clock, 30);
  await (await s2.checkpointer((db) => [decisionChain(db)])).checkpoint();
  await deleteDecisionsAndRecompute(s2.admin, 'citizen-1');
  t.true((await verifyDecisionChain(s2.db, { now: clock.now(), retentionMonths: 24 })).ok, 'consistent on its own');
  const recomputed = await auditVerify(s2);
  t.is(recomputed.code, 1, recomputed.stdout);
  t.regex(recomputed.stdout, /decision audit BROKEN at batch 1 \(rewritten\)/);
  await s2.close();
});

test.serial('pglite: the decision chain survives retention (whole months past it) but not a partition dropped early', async (t) => {
  const s = await setup('pglite');
  const clock = new ManualClock(Date.parse('2026-11-25T08:00:00Z'));
  await decisions(s.db, clock, 10);
  clock.advance(10 * 86_400_000); // December
  await decisions(s.db, clock, 4);
  await (await s.checkpointer((db) => [decisionChain(db)])).checkpoint();
  const keys = await auditKeysOf(s);
  const sources = [{ name: s.checkpointFile, lines: readCheckpointFile(s.checkpointFile) }];
  const intact = await verifyAudit({ db: s.db, decisions: true, sources, keys, now: clock.now(), retentionMonths: 24 });
  t.true(intact.ok);
  t.like(intact.decision, { batches: 3, rows: 14, expired: 0 });

  // December's partition dropped while it is still kept: the breach report's rows are gone.
  await s.admin.exec('DROP TABLE decision_audit_y2026m12');
  const early = await verifyAudit({ db: s.db, decisions: true, sources, keys, now: clock.now(), retentionMonths: 24 });
  t.false(early.ok);
  t.like(early.decision?.firstBroken, { seq: 3, reason: 'rows_missing' });
  // Three years on, both months are past retention: their batches may be empty.
  const later = clock.now() + 3 * 365 * 86_400_000;
  await s.admin.exec('DROP TABLE decision_audit_y2026m11');
  const expired = await verifyAudit({ db: s.db, decisions: true, sources, keys, now: later, retentionMonths: 24 });
  t.true(expired.ok, JSON.stringify(expired.decision));
  t.like(expired.decision, { expired: 3 });
  await s.close();
});

test.serial('pglite: a rewritten registry entry is located by the checkpoint links; a checkpoint signed with another key is rejected and not used', async (t) => {
  const s = await setup('pglite');
  const { service } = registryService(s.db);
  for (let i = 0; i < 3; i += 1) await service.createFramework(SYSTEM, { id: `fw-${i}`, name: `F${i}` });
  const checkpointer = await s.checkpointer((db) => [registryChain(db)]);
  await checkpointer.checkpoint();
  for (let i = 3; i < 6; i += 1) await service.createFramework(SYSTEM, { id: `fw-${i}`, name: `F${i}` });
  const [second] = await checkpointer.checkpoint();
  t.like(second, { from: 4, seq: 6 });

  await rewriteRegistryEntry(s.admin, 5);
  // The rewriter signs a checkpoint of the rewritten head with a key of their own.
  const mallory = await loadAuditKeys({ sandboxDir: mkdtempSync(join(dir, 'mallory-')), mayGenerate: true });
  const head = (await s.admin.query<{ hash: string }>('SELECT hash FROM audit_head')).rows[0]!.hash;
  const hashes = (await s.admin.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq')).rows.map((r) => r.hash);
  const forged = await signCheckpoint(mallory.signer, { iss: 'https://gw.test', chain: 'registry', seq: 6, head, count: 6, from: 1, links: hashes, time: new Date().toISOString() });
  appendFileSync(s.checkpointFile, `${JSON.stringify(forged)}\n`);

  const keys = await auditKeysOf(s);
  const check = await verifyCheckpoint(forged, keys);
  t.like(check, { ok: false, reason: 'bad_signature' });
  t.true((await verifyCheckpoint(forged, mallory.publicJwks.keys)).ok, 'it is a well-formed checkpoint, under the wrong key');

  const report = await verifyAudit({ db: s.db, decisions: false, sources: [{ name: s.checkpointFile, lines: readCheckpointFile(s.checkpointFile) }], keys, now: Date.now(), retentionMonths: 24 });
  t.false(report.ok);
  t.is(report.rejected.length, 1);
  t.like(report.rejected[0], { line: 3, reason: 'bad_signature' });
  t.like(report.registry.firstBroken, { seq: 5, reason: 'rewritten' }, 'located by the second checkpoint\'s links, not merely to 4..6');
  await s.close();
});

test.serial('postgres: a forged checkpoint line makes audit:verify fail even on an untouched database', async (t) => {
  const s = await setup('postgres');
  const { service } = registryService(s.db);
  await service.createFramework(SYSTEM, { id: 'fw-a', name: 'A' });
  await (await s.checkpointer((db) => [registryChain(db)])).checkpoint();
  const mallory = await loadAuditKeys({ sandboxDir: mkdtempSync(join(dir, 'mallory-')), mayGenerate: true });
  const genuine = JSON.parse(readFileSync(s.checkpointFile, 'utf8').trim()) as { payload: string };
  const payload = JSON.parse(Buffer.from(genuine.payload, 'base64url').toString()) as Parameters<typeof signCheckpoint>[1];
  appendFileSync(s.checkpointFile, `${JSON.stringify(await signCheckpoint(mallory.signer, payload))}\n`);
  const report = await auditVerify(s);
  t.is(report.code, 1);
  t.regex(report.stdout, /checkpoint REJECTED: .*checkpoints\.jsonl line 2 \(bad_signature\)/);
  t.regex(report.stdout, /audit chain intact: 1 entries/);
  await s.close();
});

test('the audit key is dedicated, and production needs one and a sink outside the database', async (t) => {
  const own = mkdtempSync(join(dir, 'own-'));
  const keys = await loadAuditKeys({ sandboxDir: own, mayGenerate: true });
  t.false(await sharesKeyWith(keys, { keys: [] }));
  const privateJwk = JSON.parse(readFileSync(join(own, 'keys', 'audit-key.json'), 'utf8')) as Record<string, unknown>;
  t.true(await sharesKeyWith(keys, { keys: [privateJwk] }), 'an OIDC JWKS holding the audit key is refused');
  await t.throwsAsync(loadAuditKeys({ sandboxDir: dir, mayGenerate: false }), { message: /audit\.keyFile/ });
  const problems = productionProblems(loadConfig({ env: { NODE_ENV: 'production' } }), { generatedKeys: false, generatedSecrets: false }).join('\n');
  t.regex(problems, /audit\.keyFile: production signs audit checkpoints with a dedicated key/);
  t.regex(problems, /audit\.checkpoints: production writes checkpoints outside the database/);
});

test.serial('postgres: instances draining at once queue on the decision chain\'s head: one chain, no fork, every row in a batch', async (t) => {
  const s = await setup('postgres');
  const clock = new ManualClock(Date.now());
  const store = new MemoryStore(clock);
  const instances = [0, 1, 2].map(() => new DecisionAudit({ store, db: s.db, clock, logger, retentionMonths: 24, monthsAhead: 2, batchSize: 3, drainIntervalMs: 50 }));
  await instances[0]!.maintain();
  for (let i = 0; i < 40; i += 1) await instances[i % 3]!.record(decision(clock.now(), i));
  await Promise.all(instances.map((a) => a.drain()));
  const report = await verifyDecisionChain(s.db, { now: clock.now(), retentionMonths: 24 });
  t.true(report.ok, JSON.stringify(report.firstBroken));
  t.like(report, { rows: 40, unchained: 0 });
  t.true(report.batches >= 14, `${report.batches} batches of at most 3`);
  await store.close();
  await s.close();
});

// The decision audit on a real PostgreSQL (and PGlite): monthly partitions made ahead of the clock and
// dropped past retention, append-only for the application's role, a stream drained in batches, a
// direct write when the stream cannot take a record, and a refusal when neither can.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import type { HotStore } from '../../src/store/hotStore.ts';
import { PostgresDb } from '../../src/whitelist/db/postgres.ts';
import { migrate } from '../../src/whitelist/db/migrate.ts';
import type { Db } from '../../src/whitelist/db/db.ts';
import { AuditUnavailable, DecisionAudit, type DecisionRecord } from '../../src/scopes/decisionAudit.ts';
import { postgresForTests, type PostgresServer } from '../helpers/postgres.ts';
import { memoryDb } from './pdpFixture.ts';

let server: PostgresServer;
test.before(async () => {
  server = await postgresForTests();
});
test.after.always(async () => server?.stop());

const logger = createLogger({ level: 'silent' });
const options = { retentionMonths: 24, monthsAhead: 2, batchSize: 7, drainIntervalMs: 50 };

function entry(clock: ManualClock, decision: 'permit' | 'deny' = 'permit'): DecisionRecord {
  return { id: randomUUID(), decidedAt: new Date(clock.now()).toISOString(), decision, reasons: [decision === 'permit' ? 'permitted' : 'controller_not_approved'],
    interface: 'decide', clientId: 'c', productId: 'p', controllerId: 'region-a', dataset: 'bookings', action: 'read', citizen: 'pseudonym' };
}

async function partitions(db: Db): Promise<string[]> {
  return (await db.query<{ relname: string }>(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'decision_audit'::regclass ORDER BY 1`)).rows.map((r) => r.relname);
}

test('postgres: partitions ahead, batches drained exactly once, append-only for the app role, retention drops old months', async (t) => {
  const url = await server.createDatabase();
  const admin = new PostgresDb({ url });
  await migrate(admin);
  const db = new PostgresDb({ url, role: 'gateway_app' });
  const clock = new ManualClock(Date.parse('2026-11-25T08:00:00Z'));
  const store = new MemoryStore(clock);
  const audit = new DecisionAudit({ store, db, clock, logger, ...options });
  try {
    t.deepEqual(await audit.maintain(), { created: 3, dropped: 0 });
    t.deepEqual(await partitions(admin), ['decision_audit_y2026m11', 'decision_audit_y2026m12', 'decision_audit_y2027m01']);
    const records = Array.from({ length: 30 }, (_, i) => entry(clock, i % 2 ? 'deny' : 'permit'));
    for (const r of records) t.is(await audit.record(r), 'queued');
    t.is(await audit.pending(), 30);
    t.is(await audit.drain(), 30);
    t.is(await audit.pending(), 0);
    const rows = (await db.query<{ id: string; reasons: string[] }>('SELECT id, reasons FROM decision_audit')).rows;
    t.deepEqual(rows.map((r) => r.id).sort(), records.map((r) => r.id).sort());
    t.deepEqual(rows.find((r) => r.id === records[1]!.id)!.reasons, ['controller_not_approved']);

    // The citizen's access-log view: newest first, only theirs, within the range asked.
    const other = { ...entry(clock), citizen: 'someone-else' };
    await audit.record(other);
    await audit.drain();
    const mine = await audit.forCitizen('pseudonym', { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z', limit: 5 });
    t.is(mine.length, 5);
    t.true(mine.every((r) => r.citizen === 'pseudonym' && r.productId === 'p' && r.controllerId === 'region-a'));
    t.deepEqual(await audit.forCitizen('pseudonym', { from: '2026-12-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }), []);

    const refused = await t.throwsAsync(db.query('UPDATE decision_audit SET decision = $1', ['permit']));
    t.is((refused as { code?: string }).code, '42501', 'the app role may not update');
    await t.throwsAsync(db.query('DELETE FROM decision_audit'));
    await t.throwsAsync(admin.query('DELETE FROM decision_audit'), { message: /append-only/ }, 'not even the owner, row by row');

    // Three years on with 24 months' retention: the first months go as whole partitions.
    clock.advance(3 * 365 * 86_400_000);
    const { created, dropped } = await audit.maintain();
    t.is(created, 3);
    t.is(dropped, 3);
    t.false((await partitions(admin)).includes('decision_audit_y2026m11'));
    t.is((await db.query('SELECT 1 FROM decision_audit')).rows.length, 0);
  } finally {
    await db.close();
    await admin.close();
    await store.close();
  }
});

/** A store whose stream is down (Redis unreachable) while everything else works. */
function brokenStream(store: HotStore): HotStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'streamAppend' || prop === 'streamAppendAll') return async () => { throw new Error('connection refused'); };
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('pglite: a record the stream cannot take is written directly; when neither can take it, the audit refuses', async (t) => {
  const db = await memoryDb();
  const clock = new ManualClock(Date.parse('2026-11-25T08:00:00Z'));
  const store = new MemoryStore(clock);
  const audit = new DecisionAudit({ store: brokenStream(store), db, clock, logger, ...options });
  const r = entry(clock);
  t.is(await audit.record(r), 'written');
  t.is((await db.query('SELECT 1 FROM decision_audit WHERE id = $1', [r.id])).rows.length, 1);
  await db.close();
  await t.throwsAsync(audit.record(entry(clock)), { instanceOf: AuditUnavailable });
  await store.close();
});

test('pglite: records of one turn go to the stream in one append, each answered; a batch the stream refuses is written whole', async (t) => {
  const db = await memoryDb();
  const clock = new ManualClock(Date.parse('2026-11-25T08:00:00Z'));
  const store = new MemoryStore(clock);
  const appends: number[] = [];
  let streamDown = false;
  const counting = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'streamAppendAll') {
        return async (key: string, values: string[]) => {
          appends.push(values.length);
          if (streamDown) throw new Error('connection refused');
          return target.streamAppendAll(key, values);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const audit = new DecisionAudit({ store: counting, db, clock, logger, ...options });
  const records = Array.from({ length: 5 }, () => entry(clock));
  t.deepEqual(await Promise.all(records.map((r) => audit.record(r))), Array(5).fill('queued'));
  t.deepEqual(appends, [5], 'one append for the five records of one turn');
  t.is(await audit.pending(), 5);
  t.is(await audit.record(entry(clock)), 'queued');
  t.deepEqual(appends, [5, 1], 'a later turn, its own append');
  streamDown = true;
  const direct = [entry(clock), entry(clock)];
  t.deepEqual(await Promise.all(direct.map((r) => audit.record(r))), ['written', 'written']);
  t.is((await db.query('SELECT 1 FROM decision_audit WHERE id = ANY($1)', [direct.map((r) => r.id)])).rows.length, 2);
  await db.close();
  const refused = await Promise.allSettled([audit.record(entry(clock)), audit.record(entry(clock))]);
  t.true(refused.every((r) => r.status === 'rejected' && r.reason instanceof AuditUnavailable), 'neither can take them: every record of the batch refused');
  await store.close();
});

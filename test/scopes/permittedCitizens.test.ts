// What a breach report counts (DecisionAudit.permittedCitizens, Containment.report): the permits the
// decision audit holds for the product at the controller in the window, whether still queued on the
// stream (taken by a drain in flight or not) or written, each citizen once; no deny, no other product
// or controller, nothing outside the window; and no figure at all when the audit cannot be read.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { DecisionAudit, type DecisionRecord } from '../../src/scopes/decisionAudit.ts';
import { Containment, ReportUnavailable } from '../../src/scopes/containment.ts';
import type { RegistryCache } from '../../src/whitelist/registryCache.ts';
import { memoryDb } from './pdpFixture.ts';

const logger = createLogger({ level: 'silent' });
const T0 = Date.parse('2026-06-01T12:00:00Z');

function record(at: number, citizen: string, extra: Partial<DecisionRecord> = {}): DecisionRecord {
  return { id: randomUUID(), decidedAt: new Date(at).toISOString(), decision: 'permit', reasons: ['permitted'], interface: 'pep',
    clientId: 'c', productId: 'p', controllerId: 'region-a', dataset: 'bookings', action: 'read', citizen, ...extra };
}

test('queued, in flight and written permits all count, once each; denials, other pairs and the outside of the window do not', async (t) => {
  const clock = new ManualClock(T0);
  const store = new MemoryStore(clock);
  const db = await memoryDb();
  const audit = new DecisionAudit({ store, db, clock, logger, retentionMonths: 24, monthsAhead: 2, batchSize: 2, drainIntervalMs: 50 });
  await audit.maintain();
  // Written to PostgreSQL: a and b (b twice).
  for (const r of [record(T0 - 5000, 'a'), record(T0 - 4000, 'b'), record(T0 - 3000, 'b')]) await audit.record(r);
  await audit.drain();
  t.is(await audit.pending(), 0);
  // Taken by another instance's drain but not yet written, and still queued: c, d, e (pages of 2).
  for (const r of [record(T0 - 2000, 'c'), record(T0 - 1500, 'd'), record(T0 - 1000, 'e'), record(T0 - 900, 'a')]) await audit.record(r);
  await store.streamTake('pdp:audit', 'decision-audit', 'other-instance', 2, 30_000);
  // Not counted: a denial, another product, another controller, before the window, after it, no citizen.
  for (const r of [
    record(T0 - 800, 'x', { decision: 'deny', reasons: ['citizen_not_in_cohort'] }),
    record(T0 - 800, 'y', { productId: 'q' }),
    record(T0 - 800, 'z', { controllerId: 'kommun-b' }),
    record(T0 - 60_000, 'early'),
    record(T0 + 60_000, 'late'),
  ]) await audit.record(r);
  await audit.record({ ...record(T0 - 700, ''), citizen: undefined });
  const window = { productId: 'p', controllerId: 'region-a', from: new Date(T0 - 10_000).toISOString(), to: new Date(T0).toISOString() };
  t.deepEqual(await audit.permittedCitizens(window), ['a', 'b', 'c', 'd', 'e']);
  // The same once everything is written.
  clock.advance(31_000); // the other instance "crashed": its entries are claimable after 30 s
  await audit.drain();
  t.is(await audit.pending(), 0);
  t.deepEqual(await audit.permittedCitizens(window), ['a', 'b', 'c', 'd', 'e']);
  t.deepEqual(await audit.permittedCitizens({ ...window, productId: 'nobody' }), []);
  await db.close();
});

test('a report is refused (ReportUnavailable), never a count, when the decision audit cannot be read', async (t) => {
  const clock = new ManualClock(T0);
  const store = new MemoryStore(clock);
  const db = await memoryDb();
  const registry = { announce: async () => undefined } as unknown as RegistryCache;
  let down = true;
  const audit = { permittedCitizens: async () => { if (down) throw new Error('ECONNREFUSED'); return ['a']; } };
  const containment = new Containment({ db, store, clock, logger, registry, audit, suspiciousDenials: 3, windowSeconds: 600, webhookTimeoutMs: 1000, webhookAttempts: 1, webhookBackoffMs: 1 });
  const s = await containment.trip({ productId: 'p', clientId: 'c', controllerId: 'region-a', reason: 'suspicious_denials' });
  t.truthy(s);
  await t.throwsAsync(containment.report(s?.id ?? ''), { instanceOf: ReportUnavailable });
  down = false;
  const report = await containment.report(s?.id ?? '');
  t.deepEqual(report?.citizens, ['a']);
  t.is(report?.windowStart, new Date(T0 - 600_000).toISOString());
  t.is(report?.windowEnd, new Date(T0).toISOString(), 'in force: the window runs to now');
  clock.advance(5000);
  await containment.lift(s?.id ?? '', 'SE2321000016-A1B2');
  clock.advance(5000);
  t.is((await containment.report(s?.id ?? ''))?.windowEnd, new Date(T0 + 5000).toISOString(), 'lifted: the window ends at the lift');
  await db.close();
});

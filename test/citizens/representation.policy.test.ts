// The controller's maturity policy for 13-15 year olds (docs/admin-api.md, "Guardian policy"): stored
// with the controller's policy and its versions (migration 008), in the registry snapshot the decision
// point reads, catalogue data sets only; and the mandates' store (appoint, list, revoke by the principal
// only, the yearly reminder record).
import test from 'ava';
import { ManualClock, systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { migrate } from '../../src/whitelist/db/migrate.ts';
import { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { DatasetCatalogue } from '../../src/whitelist/datasets.ts';
import { RegistryError } from '../../src/whitelist/errors.ts';
import { RegistryService, SYSTEM } from '../../src/whitelist/service.ts';
import { RegistryStore } from '../../src/whitelist/store.ts';
import { MandateStore } from '../../src/citizens/representation/mandates.ts';

const config = loadConfig({ env: {}, overrides: { log: { level: 'silent' } } });

test('a controller\'s policy keeps guardianDatasets, versioned, and the snapshot carries them; unknown data sets are refused', async (t) => {
  const db = await PgliteDb.open();
  await migrate(db);
  const store = new RegistryStore(db, systemClock);
  const service = new RegistryService({
    store, hot: new MemoryStore(systemClock), clock: systemClock, catalogue: new DatasetCatalogue(config.datasets), sandbox: true,
    authnMethods: Object.keys(config.loa.providers), acrValues: ['http://id.elegnamnden.se/loa/1.0/loa3'], logger: createLogger({ level: 'silent' }),
  });
  await service.createController(SYSTEM, { id: 'region-a', orgNumber: '1111111111', name: 'Region A', kind: 'region', datasets: ['bookings', 'vaccinations'] });
  const first = await service.putPolicy(SYSTEM, 'region-a', undefined, { accepts: [], guardianDatasets: ['bookings'] });
  t.deepEqual(first.guardianDatasets, ['bookings']);
  const second = await service.putPolicy(SYSTEM, 'region-a', 1, { accepts: [] });
  t.is(second.guardianDatasets, undefined, 'a policy without it lets a guardian use nothing for 13-15');
  const err = await t.throwsAsync(service.putPolicy(SYSTEM, 'region-a', 2, { accepts: [], guardianDatasets: ['x-rays'] }), { instanceOf: RegistryError });
  t.is(err?.code, 'unknown_dataset');
  await service.putPolicy(SYSTEM, 'region-a', 2, { accepts: [], guardianDatasets: ['bookings', 'vaccinations'] });
  const snapshot = await store.snapshot();
  t.deepEqual(snapshot.policies.find((p) => p.controllerId === 'region-a')?.guardianDatasets, ['bookings', 'vaccinations']);
  const versions = (await db.query<{ version: number; guardian_datasets: string[] }>('SELECT version, guardian_datasets FROM controller_policy_versions ORDER BY version')).rows;
  t.deepEqual(versions.map((v) => [v.version, v.guardian_datasets]), [[1, ['bookings']], [2, []], [3, ['bookings', 'vaccinations']]]);
  await db.close();
});

test('mandates: appointed with a yearly reminder, listed for both sides, revoked only by the principal, once', async (t) => {
  const db = await PgliteDb.open();
  await migrate(db);
  const clock = new ManualClock(Date.parse('2026-12-01T12:00:00Z'));
  const mandates = new MandateStore(db, clock);
  const m = await mandates.appoint({
    principal: 'p-anna', principalNumber: '198003121236', agent: 'p-helena', agentNumber: '196802247897', types: ['bookings'], appointedWith: 'loa3',
    expiresAt: '2029-01-01T00:00:00.000Z',
  });
  t.is(m.confirmBy, '2027-12-01T12:00:00.000Z', 'confirmed again within a year');
  t.deepEqual(await mandates.remindersDue(Date.parse('2027-11-30T00:00:00Z')), []);
  t.deepEqual(await mandates.remindersDue(Date.parse('2027-12-02T00:00:00Z')), [{ mandateId: m.id, dueAt: '2027-12-01T12:00:00.000Z' }]);
  t.deepEqual((await mandates.forAgent('p-helena')).map((x) => x.id), [m.id]);
  t.deepEqual((await mandates.forPrincipal('p-anna')).map((x) => x.id), [m.id]);
  t.false(await mandates.revoke(m.id, 'p-helena'), 'the agent cannot revoke it');
  t.true(await mandates.revoke(m.id, 'p-anna'));
  t.false(await mandates.revoke(m.id, 'p-anna'), 'once');
  t.truthy((await mandates.find(m.id))?.revokedAt);
  t.is(await mandates.find('nope'), undefined);
  await t.throwsAsync(mandates.appoint({ principal: 'x', principalNumber: '198003121236', agent: 'x', agentNumber: '196802247897', types: ['bookings'], appointedWith: 'loa3', expiresAt: '2029-01-01T00:00:00.000Z' }),
    undefined, 'principal and agent are two people (the table refuses it)');
  await db.close();
});

// Two gateway instances sharing Redis and PostgreSQL (docs/architecture.md: every instance stateless): a
// compromised product spraying requests for many citizens at both at once still gets exactly the
// limit's worth of distinct citizens — the window is one atomic script in Redis — and one suspension.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, memoryDb, productFor, viaPep } from './pdpFixture.ts';

const LIMIT = 4;
let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let a: Gateway;
let b: Gateway;

test.after.always(async () => {
  await a?.close();
  await b?.close();
  await db?.close();
  await redis?.stop();
});

test('concurrent requests through two instances admit exactly the limit of distinct citizens, and trip once', async (t) => {
  redis = await redisForTests();
  db = await memoryDb();
  const client = await clientFor('spray', ['client_credentials']);
  const people = citizens(24, 400);
  const registry = new TestRegistry(snapshot({
    controllers: [controller('region-a', ['bookings'])],
    products: [productFor(client, 'p-spray')],
    approvals: [approval('a-spray', 'region-a', 'p-spray', { limits: { citizens: { mode: 'cohort', cohortId: 'all' }, maxCitizens: { count: LIMIT, windowSeconds: 3600 } } })],
  }));
  const store = { redisUrl: redis.url, keyPrefix: `multi${randomUUID().slice(0, 8)}:` };
  a = await startTestGateway({ registry, db, overrides: { store } });
  b = await startTestGateway({ registry, db, overrides: { store } });
  registry.current.cohorts = [{ id: 'all', controllerId: 'region-a', name: 'all', members: people.map((p) => a.pdp!.accounts.accountIdFor(p)), version: 1, createdAt: '', updatedAt: '' }];
  a.registry!.invalidate();
  b.registry!.invalidate();

  const holder = await clientCredentialsToken(a, client);
  const answers = await Promise.all(people.map((c, i) => viaPep(i % 2 ? b : a, holder, `/data/region-a/bookings?citizen=${c}`)));
  const obtained = answers.filter((r) => r.status === 200 && Array.isArray(r.body.items)).length;
  t.log(`${obtained} distinct citizens' data released across two instances (limit ${LIMIT}); answers: ${[...new Set(answers.map((r) => r.status))].join(', ')}`);
  t.is(obtained, LIMIT);
  t.true(answers.every((r) => r.status === 200 || r.status === 401 || r.status === 403), 'every other request is refused, none errs');
  const suspensions = (await a.pdp!.containment.inForce()).filter((s) => s.productId === 'p-spray');
  t.is(suspensions.length, 1, 'one suspension however many instances tripped');
  await a.pdp!.audit.drain();
  const report = await b.pdp!.containment.report(suspensions[0]!.id);
  t.is(report!.citizens.length, LIMIT);
});

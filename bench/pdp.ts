// The gateway with its policy decision point, as the benchmark runs it: sandbox mode, a registry of
// the bench's own (one product, the bench client, approved by region-a for bookings with a cohort and
// a distinct-citizen window, so every decision runs every check), PostgreSQL (or PGlite in memory) for the
// decision audit, the in-memory store or Redis (BENCH_REDIS_URL). Started as a child process by run.ts; prints
// READY <url> <citizen>.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/log.ts';
import { PgliteDb } from '../src/whitelist/db/pglite.ts';
import { PostgresDb } from '../src/whitelist/db/postgres.ts';
import type { Db } from '../src/whitelist/db/db.ts';
import { migrate } from '../src/whitelist/db/migrate.ts';
import { approval, controller, product, snapshot } from '../test/whitelist/snapshotFixture.ts';
import { profileUntilStopped } from './profiler.ts';

export const BENCH_CITIZEN = '198003121236';
const clientJwk = JSON.parse(process.env.BENCH_CLIENT_JWK!) as Record<string, unknown>;
const config = loadConfig({
  env: {},
  overrides: {
    // bench/workers.ts: its workers share one port and one sandbox folder.
    sandboxDir: process.env.BENCH_SANDBOX_DIR ?? mkdtempSync(join(tmpdir(), 'bench-pdp-')),
    http: { host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) },
    log: { level: 'silent' },
    sandbox: { demoRp: false },
    ...(process.env.BENCH_PDP_DRAIN_MS ? { pdp: { audit: { drainIntervalMs: Number(process.env.BENCH_PDP_DRAIN_MS) } } } : {}),
    ...(process.env.BENCH_REDIS_URL ? { store: { redisUrl: process.env.BENCH_REDIS_URL, keyPrefix: `benchpdp${process.env.BENCH_PORT ?? process.pid}:` } } : {}),
  },
});
const current = snapshot({
  controllers: [controller('region-a', ['bookings'])],
  products: [product('bench-product', {
    client: { clientId: 'bench-client', redirectUris: ['https://bench.example.test/cb'], postLogoutRedirectUris: [], tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [clientJwk] }, grantTypes: ['client_credentials'], scope: 'openid' },
    requestedAccess: [{ dataset: 'bookings', actions: ['read'] }],
  })],
  approvals: [approval('bench-approval', 'region-a', 'bench-product', {
    limits: { citizens: { mode: 'cohort', cohortId: 'bench' }, maxCitizens: { count: 1000, windowSeconds: 3600 } },
  })],
});
// PostgreSQL as production runs it (BENCH_DATABASE_URL, from run.ts), else PGlite in this process.
let db: Db;
if (process.env.BENCH_DATABASE_URL) {
  const admin = new PostgresDb({ url: process.env.BENCH_DATABASE_URL, max: 1 });
  await migrate(admin);
  await admin.close();
  db = new PostgresDb({ url: process.env.BENCH_DATABASE_URL, role: 'gateway_app' });
} else {
  db = await PgliteDb.open();
  await migrate(db);
}
const gateway = await startGateway(config, {
  issuerFromListen: true,
  logger: createLogger({ level: 'silent' }),
  registry: { snapshot: async () => ({ ...current, cohorts: [{ id: 'bench', controllerId: 'region-a', name: 'bench', members: [gateway.pdp!.accounts.accountIdFor(BENCH_CITIZEN)], version: 1, createdAt: '', updatedAt: '' }] }) },
  db,
});
gateway.registry!.invalidate();
await profileUntilStopped();
process.stdout.write(`READY ${gateway.url}\n`);

// Opens the registry for the gateway: PostgreSQL when registry.databaseUrl is set (migrations run as
// the admin login, the application then works as the restricted app role), otherwise PGlite under the
// sandbox dir; migrations applied, then the service with its rules.
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Db } from './db/db.ts';
import { migrate } from './db/migrate.ts';
import { PgliteDb } from './db/pglite.ts';
import { PostgresDb } from './db/postgres.ts';
import { DatasetCatalogue } from './datasets.ts';
import { RegistryService } from './service.ts';
import { RegistryStore } from './store.ts';

export interface Registry {
  db: Db;
  store: RegistryStore;
  service: RegistryService;
  close(): Promise<void>;
}

/** The application's connection, with every migration applied. */
export async function openRegistryDb(config: Pick<Config, 'registry' | 'sandboxDir'>): Promise<Db> {
  const { databaseUrl, adminDatabaseUrl, appRole, pglite } = config.registry;
  if (databaseUrl) {
    const admin = new PostgresDb({ url: adminDatabaseUrl ?? databaseUrl, max: 1 });
    try {
      await migrate(admin);
    } finally {
      await admin.close();
    }
    const db = new PostgresDb({ url: databaseUrl, ...(appRole ? { role: appRole } : {}) });
    await db.query('SELECT 1'); // fail at start-up, not at the first request, when the role or server is wrong
    return db;
  }
  const db = await PgliteDb.open(pglite === 'memory' ? undefined : (pglite ?? join(config.sandboxDir, 'registry')));
  await migrate(db);
  return db;
}

export async function openRegistry(config: Config, deps: { hot: HotStore; clock: Clock; logger: Logger }): Promise<Registry> {
  const db = await openRegistryDb(config);
  const store = new RegistryStore(db, deps.clock);
  const providers = config.loa.providers;
  const service = new RegistryService({
    store,
    hot: deps.hot,
    clock: deps.clock,
    catalogue: new DatasetCatalogue(config.datasets),
    sandbox: config.mode === 'sandbox',
    authnMethods: Object.keys(providers),
    acrValues: [...new Set(Object.values(providers).flatMap((p) => [p.acr, ...Object.values(p.levels ?? {})]))],
    logger: deps.logger,
  });
  return { db, store, service, close: () => db.close() };
}

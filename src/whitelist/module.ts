// The product whitelist as one module: the registry (system of record, seeded once in the sandbox),
// the per-instance snapshot cache, the token gate, and the admin clients, API and console. It opens in
// two steps because oidc-provider sits between them: the provider needs the gate, and the admin API
// and console need the provider and the accounts.
import type Provider from 'oidc-provider';
import type { ClientConfig, Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Mount } from '../http/app.ts';
import type { AccountStore } from '../idp/accounts.ts';
import { toClientMetadata } from '../idp/provider.ts';
import { withExposure } from '../scopes/containment.ts';
import type { Db } from './db/db.ts';
import { adminClients } from './adminClients.ts';
import { adminApiRouter } from './api/router.ts';
import { RegistryStore } from './store.ts';
import type { ExposureAdmin } from '../scopes/exposureAdmin.ts';
import { adminConsoleRouter } from './console/router.ts';
import { HSA_ID } from '../idp/accounts.ts';
import { ProductGate } from './productGate.ts';
import { RegistryCache, type RegistrySource } from './registryCache.ts';
import { openRegistry, openRegistryDb, type Registry } from './registry.ts';
import { ensureDemoProducts, reconcileDemoRp, seedSandboxRegistry, type DemoProduct } from './seed.ts';

export interface WhitelistDeps {
  config: Config;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  /** The configured clients and any a test adds. */
  clients: ClientConfig[];
  /** The sandbox's demo app; a product of the registry when the registry has it. */
  demoClient: ClientConfig | undefined;
  /** The sandbox's shared sign-in demo: a portal and two apps, products of the registry. */
  demoProducts?: readonly DemoProduct[] | undefined;
  /** A registry of the test's own instead of the system of record (then no admin API runs). */
  source?: RegistrySource | undefined;
  /** The database for limits, cohorts and suspensions; default the registry's. */
  db?: Db | undefined;
}

export interface Whitelist {
  /** Every client oidc-provider knows besides the registry's products: configured, admin, demo. */
  clients: ClientConfig[];
  registryDb: Registry | undefined;
  registry: RegistryCache | undefined;
  gate: ProductGate | undefined;
  /** Present when the decision point runs (a registry and pdp.enabled). */
  db: Db | undefined;
  consoleRuns: boolean;
  /**
   * The admin console and API, once the provider and the accounts exist; `exposure` is the limits,
   * cohorts and suspensions the admin API serves where the decision point runs.
   */
  mounts(later: { provider: Provider; accounts: AccountStore; exposure?: ExposureAdmin | undefined }): Mount[];
  closers: Array<() => Promise<void>>;
}

export async function whitelistModule(deps: WhitelistDeps): Promise<Whitelist> {
  const { config, store, clock, logger } = deps;
  const closers: Array<() => Promise<void>> = [];
  try {
    const clients = [...deps.clients];
    const admin = await adminClients(config, new Set(clients.map((c) => c.client_id)));
    clients.push(...admin.clients);

    const registryDb = deps.source ? undefined : await openRegistry(config, { hot: store, clock, logger });
    if (registryDb) closers.push(() => registryDb.close());
    if (registryDb && config.mode === 'sandbox' && config.registry.seed) {
      await seedSandboxRegistry(registryDb.service, { demoRp: deps.demoClient, now: clock.now() });
    }
    // The demo app is a product of the registry (it goes through the token gate like any supplier's
    // app); only where the registry has no demo-rp (no registry, or an unseeded one) is it one of the
    // configured clients.
    if (registryDb && config.mode === 'sandbox' && deps.demoProducts?.length) await ensureDemoProducts(registryDb.service, deps.demoProducts);
    const { demoClient } = deps;
    if (demoClient && (!registryDb || (await reconcileDemoRp(registryDb.service, demoClient)) === 'absent')) clients.push(demoClient);
    const source = deps.source ?? registryDb?.store;

    // Limits, cohorts and containment suspensions live in the database beside the registry.
    let db: Db | undefined;
    if (source && config.pdp.enabled) {
      db = deps.db ?? registryDb?.db;
      if (!db) {
        const opened = await openRegistryDb(config);
        closers.push(() => opened.close());
        db = opened;
      }
    }

    // One snapshot cache per instance, dropped on every announced change.
    let registry: RegistryCache | undefined;
    let gate: ProductGate | undefined;
    if (source) {
      const cache = new RegistryCache(db ? withExposure(source, db) : source, store, clock);
      registry = cache;
      await cache.start();
      closers.push(() => cache.close());
      gate = new ProductGate({
        cache,
        clock,
        logger,
        staticClientIds: new Set(clients.map((c) => c.client_id)),
        catalogue: config.datasets,
        toMetadata: toClientMetadata,
      });
    }

    const { consoleKey } = admin;
    return {
      clients,
      registryDb,
      registry,
      gate,
      db,
      consoleRuns: Boolean(consoleKey),
      mounts: ({ provider, accounts, exposure }) => [
        ...(consoleKey
          ? [{
              name: 'admin console',
              under: ['/admin'],
              routes: adminConsoleRouter({
                issuer: config.issuer, key: consoleKey, store, clock, logger, sessionTtlSeconds: config.admin.console.sessionTtl, catalogue: config.datasets,
                upstreams: Object.keys(config.loa.providers),
                acrValues: [...new Set(Object.values(config.loa.providers).flatMap((p) => [p.acr, ...Object.values(p.levels ?? {})]))],
                // The staff directory: the accounts of staff who have signed in here (an HSA-id that is not an account is shown as itself).
                staffNames: async (hsaIds) => new Map((await Promise.all(hsaIds.filter((id) => HSA_ID.test(id)).map(async (id) => {
                  const account = await accounts.find(accounts.staffAccountIdFor(id)).catch(() => undefined);
                  return account?.kind === 'staff' ? [[id, account.name] as const] : [];
                }))).flat()),
              }).routes(),
            }]
          : []),
        // One admin API: the registry's resources and, where the decision point runs, the exposure ones.
        ...(registryDb || exposure
          ? [{
              name: 'admin API',
              under: ['/admin/api'],
              checksOwnPaths: true,
              routes: adminApiRouter({
                provider,
                service: registryDb?.service,
                exposure,
                roles: registryDb?.store ?? (db ? new RegistryStore(db, clock) : undefined),
                accounts, store, clock, logger, adminClients: config.registry.adminClients,
              }).routes(),
            }]
          : []),
      ],
      closers,
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

// The policy decision point and enforcement proxy as one module: the decision audit, containment, the
// PDP over the live registry, and the exposure resources of the admin API. Its routes (/pdp, /pep)
// own their paths outright, so a decision pays only for the outer app's cross-cutting middleware.
import type Provider from 'oidc-provider';
import type { Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Mount } from '../http/app.ts';
import type { AccountStore } from '../idp/accounts.ts';
import type { Db } from '../whitelist/db/db.ts';
import type { RegistryCache } from '../whitelist/registryCache.ts';
import { RegistryStore } from '../whitelist/store.ts';
import { adminPrincipal, exposureAdminRouter } from './adminRoutes.ts';
import { Containment } from './containment.ts';
import { DecisionAudit } from './decisionAudit.ts';
import { ExposureAdmin } from './exposureAdmin.ts';
import { pdpRouter } from './http.ts';
import { PolicyDecisionPoint } from './pdp.ts';
import { RouteTable, sandboxRoutes } from './routeTable.ts';

/** The decision point's parts, for tests and the admin API. */
export interface PdpParts {
  db: Db;
  /** Pseudonyms for cohorts and reports (accountIdFor). */
  accounts: AccountStore;
  decisionPoint: PolicyDecisionPoint;
  audit: DecisionAudit;
  containment: Containment;
}

export interface ScopesDeps {
  config: Config;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  provider: Provider;
  accounts: AccountStore;
  registry: RegistryCache;
  db: Db;
  /** The registry's records, for the admin principal; default read from db. */
  registryStore: RegistryStore | undefined;
}

export interface Scopes {
  pdp: PdpParts;
  mounts: Mount[];
  closers: Array<() => Promise<void>>;
}

export async function scopesModule(deps: ScopesDeps): Promise<Scopes> {
  const { config, store, clock, logger, provider, accounts, registry, db } = deps;
  const audit = new DecisionAudit({ store, db, clock, logger, ...config.pdp.audit });
  await audit.maintain();
  audit.start();
  const containment = new Containment({ db, store, clock, logger, registry, ...config.pdp.containment });
  const catalogue = config.datasets.map((d) => ({ id: d.id, actions: d.actions }));
  const decisionPoint = new PolicyDecisionPoint({ provider, store, clock, logger, registry, accounts, audit, containment, catalogue });
  const routes = new RouteTable(config.pdp.routes.length ? config.pdp.routes : config.mode === 'sandbox' ? sandboxRoutes(config.issuer) : []);
  const decisions = pdpRouter({
    pdp: decisionPoint,
    issuer: config.issuer,
    publicOrigin: config.pdp.publicOrigin ?? config.issuer,
    routes,
    upstreamTimeoutMs: config.pdp.upstreamTimeoutMs,
    retryAfterSeconds: config.pdp.retryAfterSeconds,
    mtlsCertificateHeader: config.mtls.enabled ? config.mtls.certificateHeader : undefined,
    logger,
  });

  // Limits, cohorts and suspensions in the admin API (the registry's admin routes own the rest).
  // Goes when the exposure resources move into the admin API's own route table (rules-api).
  const exposureAdmin = new ExposureAdmin({ db, clock, registry, accounts, containment });
  const exposureAdminMount: Mount = {
    name: 'exposure admin API',
    under: ['/admin/api/v1'],
    routes: exposureAdminRouter(exposureAdmin, (ctx) => adminPrincipal(ctx, {
      provider, store, clock, accounts, registryStore: deps.registryStore ?? new RegistryStore(db, clock), adminClients: config.registry.adminClients, issuer: config.issuer,
    })).routes(),
  };

  return {
    pdp: { db, accounts, decisionPoint, audit, containment },
    mounts: [
      { name: 'decision point and enforcement proxy', under: ['/pdp', '/pep'], routes: decisions.routes() },
      exposureAdminMount,
    ],
    closers: [() => audit.stop()],
  };
}

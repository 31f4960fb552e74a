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
import type { SigningKeys } from '../idp/keys.ts';
import type { Db } from '../whitelist/db/db.ts';
import type { RegistryCache } from '../whitelist/registryCache.ts';
import type { ProductGate } from '../whitelist/productGate.ts';
import { Containment } from './containment.ts';
import { gatewayEventSigner } from './containmentWebhook.ts';
import { DecisionAudit } from './decisionAudit.ts';
import { ExposureAdmin } from './exposureAdmin.ts';
import { DecisionSigner } from './decisionAssertion.ts';
import { pdpRouter } from './http.ts';
import { UpstreamClient } from './upstreamClient.ts';
import { PolicyDecisionPoint } from './pdp.ts';
import { RouteTable, sandboxRoutes } from './routeTable.ts';
import type { WithdrawnConsents } from '../citizens/consent/withdrawn.ts';

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
  /** The token gate: a decision reuses its answer for the product (one gate run per decision). */
  gate: ProductGate;
  db: Db;
  /** The gateway's signing keys (those of /jwks): the decision assertion and containment webhooks are signed with them. */
  keys: SigningKeys;
  /** The citizens' withdrawn consents, which the decision point denies for (src/citizens/consent/). */
  consents?: WithdrawnConsents | undefined;
}

export interface Scopes {
  pdp: PdpParts;
  /** Limits, cohorts and suspensions: served by the one admin API (src/whitelist/api/). */
  exposure: ExposureAdmin;
  mounts: Mount[];
  closers: Array<() => Promise<void>>;
}

export async function scopesModule(deps: ScopesDeps): Promise<Scopes> {
  const { config, store, clock, logger, provider, accounts, registry, gate, db, keys } = deps;
  // The route table can refuse the configuration; nothing is started before it has been read.
  const routes = new RouteTable(config.pdp.routes.length ? config.pdp.routes : config.mode === 'sandbox' ? sandboxRoutes(config.issuer) : []);
  const audit = new DecisionAudit({ store, db, clock, logger, ...config.pdp.audit });
  await audit.maintain();
  const signer = await gatewayEventSigner(keys.jwks, config.issuer);
  const containment = new Containment({ db, store, clock, logger, registry, audit, signer, ...config.pdp.containment });
  const catalogue = config.datasets.map((d) => ({ id: d.id, actions: d.actions }));
  const decisionPoint = new PolicyDecisionPoint({ provider, store, clock, logger, gate, accounts, audit, containment, catalogue, consents: deps.consents });
  const upstream = new UpstreamClient({ timeoutMs: config.pdp.upstreamTimeoutMs, tls: config.pdp.upstreamTls });
  const decisions = pdpRouter({
    pdp: decisionPoint,
    issuer: config.issuer,
    publicOrigin: config.pdp.publicOrigin ?? config.issuer,
    routes,
    signer: new DecisionSigner({ jwks: keys.jwks, issuer: config.issuer, lifetimeSeconds: config.pdp.assertionLifetimeSeconds, clock }),
    upstream,
    retryAfterSeconds: config.pdp.retryAfterSeconds,
    mtlsCertificateHeader: config.mtls.enabled ? config.mtls.certificateHeader : undefined,
    logger,
  });

  const exposure = new ExposureAdmin({ db, clock, registry, accounts, containment });
  // Last: its timer drains the queue until the closer below stops it.
  audit.start();

  return {
    pdp: { db, accounts, decisionPoint, audit, containment },
    exposure,
    mounts: [
      { name: 'decision point and enforcement proxy', under: ['/pdp', '/pep'], routes: decisions.routes() },
    ],
    closers: [() => audit.stop(), async () => upstream.close()],
  };
}

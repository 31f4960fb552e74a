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
import { PolicyDecisionPoint, type PdpDeps } from './pdp.ts';
import { RouteTable, sandboxRoutes } from './routeTable.ts';
import { fieldSet, type ProtectedIdentity } from '../citizens/protectedIdentity.ts';
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
  /** Protected identity from the population register: permits carry it, the PEP strips address and contact. */
  protection?: ProtectedIdentity | undefined;
  /** Guardians and agents: a token acting for someone is decided with it (denied without). */
  representation?: PdpDeps['representation'];
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
  const { config, store, clock, logger, provider, accounts, registry, gate, db, keys, representation } = deps;
  // The route table can refuse the configuration; nothing is started before it has been read.
  const routes = new RouteTable(config.pdp.routes.length ? config.pdp.routes : config.mode === 'sandbox' ? sandboxRoutes(config.issuer) : []);
  const audit = new DecisionAudit({ store, db, clock, logger, ...config.pdp.audit });
  await audit.maintain();
  const signer = await gatewayEventSigner(keys.signers, config.issuer);
  const containment = new Containment({ db, store, clock, logger, registry, audit, signer, ...config.pdp.containment });
  const catalogue = config.datasets.map((d) => ({ id: d.id, actions: d.actions }));
  const decisionPoint = new PolicyDecisionPoint({ provider, store, clock, logger, gate, accounts, audit, containment, catalogue, protection: deps.protection, representation, consents: deps.consents });
  // Per data set: the register's list and the data set's own, as one case-insensitive set.
  const protectedFields = new Map(config.datasets.map((d) => [d.id, fieldSet([...config.register.protectedFields, ...(d.protectedFields ?? [])])]));
  const everyField = fieldSet([...config.register.protectedFields, ...config.datasets.flatMap((d) => d.protectedFields ?? [])]);
  const upstream = new UpstreamClient({ timeoutMs: config.pdp.upstreamTimeoutMs, tls: config.pdp.upstreamTls });
  const decisions = pdpRouter({
    pdp: decisionPoint,
    issuer: config.issuer,
    publicOrigin: config.pdp.publicOrigin ?? config.issuer,
    routes,
    signer: new DecisionSigner({ jwks: keys.signers, issuer: config.issuer, lifetimeSeconds: config.pdp.assertionLifetimeSeconds, clock }),
    upstream,
    retryAfterSeconds: config.pdp.retryAfterSeconds,
    protectedFields: (dataset) => protectedFields.get(dataset) ?? everyField,
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

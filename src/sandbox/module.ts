// The sandbox as one module: the landing page at `/`, the e-ID simulators' pages (the federation
// module starts the simulators, since its clients need them), the demo relying party and the mock
// data APIs behind the enforcement proxy. Nothing here runs outside sandbox mode.
import type { ClientConfig, Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import type { SigningKeys } from '../idp/keys.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Mount } from '../http/app.ts';
import type { Federation } from '../federation/module.ts';
import type { RegistryCache } from '../whitelist/registryCache.ts';
import { publicJwks } from '../scopes/decisionAssertion.ts';
import { dataApiRouter } from './dataApis.ts';
import type { PopulationRegister } from '../citizens/register/register.ts';
import { demoRpClient, demoRpKey, demoRpRouter } from './demoRp.ts';
import { landingRouter } from './landing.ts';
import Router from '@koa/router';
import type { DemoProduct } from '../whitelist/seed.ts';
import { demoAppRouter, demoApps, type DemoApp } from './demoApps.ts';

export interface DemoRp {
  key: Awaited<ReturnType<typeof demoRpKey>>;
  client: ClientConfig;
}

/** The demo app's key and client, needed before the registry is seeded and the provider built. */
export async function sandboxDemoRp(config: Config): Promise<DemoRp | undefined> {
  if (config.mode !== 'sandbox' || !config.sandbox.demoRp) return undefined;
  const key = await demoRpKey(config.sandboxDir);
  return { key, client: demoRpClient(config.issuer, key) };
}

/** The shared sign-in demo's apps (portal, region, municipal), before the registry is seeded. */
export async function sandboxDemoApps(config: Config): Promise<DemoApp[] | undefined> {
  if (config.mode !== 'sandbox' || !config.sandbox.demoApps) return undefined;
  return demoApps(config.issuer, config.sandboxDir);
}

/** The demo apps as the registry registers them. */
export const demoProducts = (apps: readonly DemoApp[] | undefined): DemoProduct[] => (apps ?? []).map((a) => ({
  productId: a.spec.productId, name: a.spec.name, client: a.client, initiateLoginUri: a.initiateLoginUri, jumpUris: a.jumpUris,
  controllerId: a.spec.controllerId, dataset: a.spec.dataset,
}));

export interface SandboxDeps {
  config: Config;
  store: HotStore;
  logger: Logger;
  clock: Clock;
  /** The gateway's signing keys: the mock data APIs verify the decision assertion against their public half (/jwks). */
  keys: SigningKeys;
  federation: Federation;
  demoRp: DemoRp | undefined;
  /** The shared sign-in demo (present when the registry has its products). */
  demoApps?: DemoApp[] | undefined;
  /** The registry, when the decision point runs: the mock data APIs answer from it, the demo app calls them through the PEP. */
  pep: RegistryCache | undefined;
  /** The population register: the mock data APIs answer with the citizen's address and contact from it. */
  register?: PopulationRegister | undefined;
  adminConsole: boolean;
}

export function sandboxModule(deps: SandboxDeps): Mount[] {
  const { config, store, logger, federation: f, demoRp, pep, clock } = deps;
  if (config.mode !== 'sandbox') return [];
  const landing = landingRouter({
    issuer: config.issuer,
    store: store.kind !== 'redis' ? 'in-memory (sandbox)'
      : config.store.redis.mode === 'standalone' ? `Redis (${config.store.redisUrl?.replace(/\/\/[^@]*@/, '//')})` : `Redis ${config.store.redis.mode} (${config.store.redis.nodes.join(', ')})`,
    bankidUrl: f.sandboxBankId?.url ?? config.bankid.baseUrl,
    bankidSimulated: Boolean(f.sandboxBankId),
    frejaUrl: f.sandboxFreja?.url ?? config.freja.baseUrl,
    frejaSimulated: Boolean(f.sandboxFreja),
    demoRp: Boolean(demoRp),
    demoApps: Boolean(deps.demoApps?.length),
    adminConsole: deps.adminConsole,
    ...(f.sithsCard ? { sithsCard: { publicUrl: f.sithsCard.publicUrl, listenerUrl: f.sithsCard.listenerUrl, pki: f.sithsPki } } : {}),
  });
  const simulatorPages = [f.sandboxBankId?.appRouter, f.sandboxSaml?.router, f.sandboxFreja?.appRouter]
    .flatMap((router) => (router ? [router.routes()] : []));
  return [
    { name: 'sandbox landing page', paths: ['/'], routes: landing.routes() },
    ...simulatorPages.map((routes) => ({ name: 'e-ID simulator pages', under: ['/sandbox'], routes })),
    ...(demoRp ? [{ name: 'demo relying party', under: ['/sandbox/rp'], routes: demoRpRouter({ issuer: config.issuer, key: demoRp.key, store, logger, pep: Boolean(pep) }).routes() }] : []),
    ...(deps.demoApps?.length ? [{ name: 'shared sign-in demo apps', under: ['/sandbox/apps'], routes: demoAppsRouter(deps.demoApps, config.issuer, store, clock, logger).routes() }] : []),
    ...(pep ? [{ name: 'mock data APIs', under: ['/sandbox/data'], routes: dataApiRouter({ registry: pep, issuer: config.issuer, jwks: publicJwks(deps.keys.jwks), clock: deps.clock, register: deps.register }).routes() }] : []),
  ];
}

function demoAppsRouter(apps: DemoApp[], issuer: string, store: HotStore, clock: Clock, logger: Logger): Router {
  const router = new Router();
  for (const app of apps) router.use(demoAppRouter({ issuer, app, all: apps, store, clock, logger }).routes());
  return router;
}

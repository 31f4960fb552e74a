// Assembles the gateway: store, keys, OpenID Provider, interaction routes, operations endpoints and,
// in the sandbox, the e-ID simulators and the demo relying party. One function for `npm start`, the
// tests and the benchmarks, so all three run the same thing.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { productionProblems, ConfigError, type Config, type ClientConfig } from './config.ts';
import { systemClock, type Clock } from './clock.ts';
import { createLogger, type Logger } from './log.ts';
import { createHotStore } from './store/index.ts';
import type { HotStore } from './store/hotStore.ts';
import { createAdapterFactory } from './idp/adapter.ts';
import { loadSecrets, loadSigningKeys } from './idp/keys.ts';
import { AccountStore } from './idp/accounts.ts';
import { createProvider } from './idp/provider.ts';
import { interactionRouter, type UpstreamRoutes } from './idp/interactions.ts';
import { bankIdRoutes } from './federation/bankid/routes.ts';
import { createOps } from './http/ops.ts';
import { problemBoundary } from './http/problem.ts';
import { securityHeaders } from './http/securityHeaders.ts';
import { BankIdClient } from './federation/bankid/client.ts';
import { BankIdLogin } from './federation/bankid/login.ts';
import { startSandboxBankId, type SandboxBankId } from './sandbox/bankid.ts';
import { demoRpClient, demoRpKey, demoRpRouter } from './sandbox/demoRp.ts';
import { landingRouter } from './sandbox/landing.ts';
import { RegistryCache, type RegistrySource } from './whitelist/registryCache.ts';
import { ProductGate } from './whitelist/productGate.ts';
import { toClientMetadata } from './idp/provider.ts';
// --- policy decision point (issue 4) ---
import type { Db } from './whitelist/db/db.ts';
import { openRegistryDb } from './whitelist/registry.ts';
import { DecisionAudit } from './scopes/decisionAudit.ts';
import { Containment, withExposure } from './scopes/containment.ts';
import { PolicyDecisionPoint } from './scopes/pdp.ts';
import { pdpRouter } from './scopes/http.ts';
import { RouteTable, sandboxRoutes } from './scopes/routeTable.ts';
import { dataApiRouter } from './sandbox/dataApis.ts';

/** The decision point's parts, for tests and the admin API. */
export interface PdpParts {
  db: Db;
  /** Pseudonyms for cohorts and reports (accountIdFor). */
  accounts: AccountStore;
  decisionPoint: PolicyDecisionPoint;
  audit: DecisionAudit;
  containment: Containment;
}
// --- end policy decision point ---

export interface Gateway {
  /** The issuer, which is also the base URL the gateway listens on. */
  url: string;
  config: Config;
  provider: Provider;
  store: HotStore;
  server: Server;
  sandboxBankId: SandboxBankId | undefined;
  /** The registry as this instance reads it (absent when no registry runs). */
  registry: RegistryCache | undefined;
  gate: ProductGate | undefined;
  /** The policy decision point (present when a registry runs and pdp.enabled). */
  pdp: PdpParts | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Extra clients on top of the configured ones (tests register their relying parties here). */
  clients?: ClientConfig[];
  /**
   * When true, the issuer becomes http://<host>:<port> of the socket actually bound (port 0 = a free
   * port). Tests and benchmarks use it; a deployment states its issuer.
   */
  issuerFromListen?: boolean;
  /** Where products come from (the registry). Without it, only configured clients exist. */
  registry?: RegistrySource;
  /** The database for limits, cohorts, suspensions and the decision audit; default: the registry's (openRegistryDb). */
  db?: Db;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startGateway(baseConfig: Config, options: StartOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: baseConfig.log.level });
  const sandbox = baseConfig.mode === 'sandbox';

  // Bind first: with issuerFromListen the issuer is only known once the port is.
  const server = createServer();
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const address = await listen(server, baseConfig.http.port, baseConfig.http.host);
  const config: Config = options.issuerFromListen
    ? { ...baseConfig, issuer: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` }
    : baseConfig;

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    // Refuse sandbox parts before touching any file, then again once the key files are read.
    const early = productionProblems(config, { generatedKeys: false, generatedSecrets: false });
    if (early.length) throw new ConfigError(early);
    const keys = await loadSigningKeys({ jwksFile: config.keys.jwksFile, sandboxDir: config.sandboxDir, mayGenerate: sandbox });
    const secrets = await loadSecrets({ secretsFile: config.keys.secretsFile, sandboxDir: config.sandboxDir, mayGenerate: sandbox });
    const problems = productionProblems(config, { generatedKeys: keys.generated, generatedSecrets: secrets.generated });
    if (problems.length) throw new ConfigError(problems);

    const store = await createHotStore({ redisUrl: config.store.redisUrl, keyPrefix: config.store.keyPrefix }, clock);
    closers.push(() => store.close());

    // BankID: the real RP API from configuration, or the in-process simulator in the sandbox.
    let sandboxBankId: SandboxBankId | undefined;
    let bankid: BankIdLogin | undefined;
    if (config.bankid.enabled) {
      let clientOptions;
      if (config.bankid.simulator.enabled || (sandbox && !config.bankid.baseUrl)) {
        sandboxBankId = await startSandboxBankId({ sandboxDir: config.sandboxDir, port: config.bankid.simulator.port, clock, timeoutMs: config.bankid.timeoutMs });
        closers.push(() => sandboxBankId!.close());
        clientOptions = sandboxBankId.clientOptions;
      } else {
        const passphrase = config.bankid.passphraseFile
          ? readFileSync(config.bankid.passphraseFile, 'utf8').trim()
          : config.bankid.passphrase ?? '';
        clientOptions = {
          baseUrl: config.bankid.baseUrl!,
          pfx: readFileSync(config.bankid.pfxFile!),
          passphrase,
          caPem: readFileSync(config.bankid.caFile!, 'utf8'),
          timeoutMs: config.bankid.timeoutMs,
        };
      }
      const bankIdClient = new BankIdClient(clientOptions);
      closers.push(async () => bankIdClient.close());
      bankid = new BankIdLogin({
        client: bankIdClient,
        store,
        clock,
        logger,
        collectIntervalMs: config.bankid.collectIntervalMs,
      });
    }
    const effectiveConfig: Config = sandboxBankId && config.bankid.launchUrl === 'bankid:///'
      ? { ...config, bankid: { ...config.bankid, launchUrl: `${config.issuer}/sandbox/bankid/app` } }
      : config;

    const clients = [...config.clients, ...(options.clients ?? [])];
    const demoRp = sandbox && config.sandbox.demoRp;
    const rpKey = demoRp ? await demoRpKey(config.sandboxDir) : undefined;
    if (rpKey) clients.push(demoRpClient(config.issuer, rpKey));

    // The product whitelist: one snapshot cache per instance, dropped on every announced change.
    let registry: RegistryCache | undefined;
    let gate: ProductGate | undefined;
    // Issue 4: limits, cohorts and containment suspensions live in the database beside the registry.
    let db: Db | undefined;
    if (options.registry && config.pdp.enabled) {
      db = options.db ?? await openRegistryDb(config);
      if (!options.db) closers.push(() => db!.close());
    }
    if (options.registry) {
      registry = new RegistryCache(db ? withExposure(options.registry, db) : options.registry, store, clock);
      await registry.start();
      closers.push(() => registry!.close());
      gate = new ProductGate({
        cache: registry,
        clock,
        logger,
        staticClientIds: new Set(clients.map((c) => c.client_id)),
        toMetadata: toClientMetadata,
      });
    }

    const accounts = new AccountStore(store, secrets.accountKey, Math.max(config.ttl.session, config.ttl.refreshToken));
    const provider = createProvider({
      config: effectiveConfig,
      adapter: createAdapterFactory(store),
      accounts,
      keys,
      secrets,
      clients,
      logger,
      gate,
    });

    const ops = createOps(store);
    provider.use(ops.metricsMiddleware);
    provider.use(securityHeaders({ hsts: config.issuer.startsWith('https://') }));
    provider.use(problemBoundary(logger));
    provider.use(ops.router.routes());
    const upstreams: UpstreamRoutes[] = [];
    if (bankid) upstreams.push(bankIdRoutes(bankid, effectiveConfig));
    provider.use(interactionRouter({ provider, config: effectiveConfig, accounts, upstreams, logger }).routes());
    if (sandbox) {
      provider.use(landingRouter({
        issuer: config.issuer,
        store: store.kind === 'redis' ? `Redis (${config.store.redisUrl?.replace(/\/\/[^@]*@/, '//')})` : 'in-memory (sandbox)',
        bankidUrl: sandboxBankId?.url ?? config.bankid.baseUrl,
        bankidSimulated: Boolean(sandboxBankId),
        demoRp,
      }).routes());
    }
    if (sandboxBankId) provider.use(sandboxBankId.appRouter.routes());
    if (rpKey) provider.use(demoRpRouter({ issuer: config.issuer, key: rpKey, store, logger, pep: Boolean(db && registry) }).routes());

    // --- policy decision point and enforcement proxy (issue 4) ---
    let pdp: PdpParts | undefined;
    if (db && registry) {
      const audit = new DecisionAudit({ store, db, clock, logger, ...config.pdp.audit });
      await audit.maintain();
      audit.start();
      closers.push(() => audit.stop());
      const containment = new Containment({ db, store, clock, logger, registry, ...config.pdp.containment });
      const catalogue = config.datasets.map((d) => ({ id: d.id, actions: d.actions }));
      const decisionPoint = new PolicyDecisionPoint({ provider, store, clock, logger, registry, accounts, audit, containment, catalogue });
      const routes = new RouteTable(config.pdp.routes.length ? config.pdp.routes : sandbox ? sandboxRoutes(config.issuer) : []);
      provider.use(pdpRouter({
        pdp: decisionPoint,
        issuer: config.issuer,
        publicOrigin: config.pdp.publicOrigin ?? config.issuer,
        routes,
        upstreamTimeoutMs: config.pdp.upstreamTimeoutMs,
        retryAfterSeconds: config.pdp.retryAfterSeconds,
        mtlsCertificateHeader: config.mtls.enabled ? config.mtls.certificateHeader : undefined,
        logger,
      }).routes());
      if (sandbox) provider.use(dataApiRouter(registry).routes());
      pdp = { db, accounts, decisionPoint, audit, containment };
    }
    // --- end policy decision point ---

    server.on('request', provider.callback());
    closers.push(() => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));

    return {
      url: config.issuer,
      config: effectiveConfig,
      provider,
      store,
      server,
      sandboxBankId,
      registry,
      gate,
      pdp,
      close: closeAll,
    };
  } catch (err) {
    server.close();
    await closeAll();
    throw err;
  }
}

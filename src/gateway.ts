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
import { FrejaClient } from './federation/freja/client.ts';
import { FrejaLogin } from './federation/freja/login.ts';
import { SigningCertificates } from './federation/freja/result.ts';
import { frejaRoutes } from './federation/freja/routes.ts';
import { startSandboxFreja, type SandboxFreja } from './sandbox/freja.ts';
import { demoRpClient, demoRpKey, demoRpRouter } from './sandbox/demoRp.ts';
import { landingRouter } from './sandbox/landing.ts';
import { RegistryCache, type RegistrySource } from './whitelist/registryCache.ts';
import { openRegistry, type Registry } from './whitelist/registry.ts';
import { reconcileDemoRp, seedSandboxRegistry } from './whitelist/seed.ts';
import { adminApiRouter } from './whitelist/api/router.ts';
import { ProductGate } from './whitelist/productGate.ts';
import { toClientMetadata } from './idp/provider.ts';
import { adminClients } from './whitelist/adminClients.ts';
import { adminConsoleRouter } from './whitelist/console/router.ts';
// --- policy decision point (issue 4) ---
import type { Db } from './whitelist/db/db.ts';
import { openRegistryDb } from './whitelist/registry.ts';
import { DecisionAudit } from './scopes/decisionAudit.ts';
import { Containment, withExposure } from './scopes/containment.ts';
import { PolicyDecisionPoint } from './scopes/pdp.ts';
import { pdpRouter } from './scopes/http.ts';
import { RouteTable, sandboxRoutes } from './scopes/routeTable.ts';
import { dataApiRouter } from './sandbox/dataApis.ts';
import Koa from 'koa';
import { ExposureAdmin } from './scopes/exposureAdmin.ts';
import { RegistryStore } from './whitelist/store.ts';

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
// SITHS card sign-in
import { startSithsCard, type SithsCard } from './federation/sithsCard/index.ts';
import { sandboxSithsPki, type SandboxSithsPki } from './sandbox/sithsCard.ts';
import { configuredSaml, createSamlService, type SamlService } from './federation/saml/setup.ts';
import { startSandboxSaml, type SandboxSaml } from './sandbox/saml.ts';

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
  /** The registry's system of record (PostgreSQL or PGlite) and its service; absent when options.registry replaces it. */
  registryDb: Registry | undefined;
  gate: ProductGate | undefined;
  /** The policy decision point (present when a registry runs and pdp.enabled). */
  pdp: PdpParts | undefined;
  /** SITHS card sign-in, when enabled: where the card is asked for, and the CRL reload. */
  sithsCard: SithsCard | undefined;
  /** The simulated SAML IdPs (sandbox only, when no IdPs are configured). */
  sandboxSaml: SandboxSaml | undefined;
  sandboxFreja: SandboxFreja | undefined;
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
    // --- Freja eID: the real REST API from configuration, or the in-process simulator in the sandbox.
    let sandboxFreja: SandboxFreja | undefined;
    let freja: FrejaLogin | undefined;
    if (config.freja.enabled) {
      let clientOptions;
      if (config.freja.simulator.enabled || (sandbox && !config.freja.baseUrl)) {
        sandboxFreja = await startSandboxFreja({ sandboxDir: config.sandboxDir, port: config.freja.simulator.port, clock, timeoutMs: config.freja.timeoutMs });
        closers.push(() => sandboxFreja!.close());
        clientOptions = sandboxFreja.clientOptions;
      } else {
        // The real API: every trust file named, or a start-up error that says which is missing.
        const missing = [
          ...(['baseUrl', 'pfxFile', 'caFile'] as const).filter((k) => !config.freja[k]),
          ...(config.freja.signingCertFiles.length ? [] : ['signingCertFiles']),
        ];
        if (missing.length) throw new ConfigError(missing.map((k) => `freja.${k}: needed for the Freja eID REST API (or leave freja.baseUrl unset in the sandbox to run the simulator)`));
        clientOptions = {
          baseUrl: config.freja.baseUrl!,
          pfx: readFileSync(config.freja.pfxFile!),
          passphrase: config.freja.passphraseFile ? readFileSync(config.freja.passphraseFile, 'utf8').trim() : config.freja.passphrase ?? '',
          caPem: readFileSync(config.freja.caFile!, 'utf8'),
          signingCertPems: config.freja.signingCertFiles.map((f) => readFileSync(f, 'utf8')),
          timeoutMs: config.freja.timeoutMs,
        };
      }
      const frejaClient = new FrejaClient({
        ...clientOptions,
        signingCerts: await SigningCertificates.fromPem(clientOptions.signingCertPems),
        clock,
        logger,
      });
      closers.push(async () => frejaClient.close());
      freja = new FrejaLogin({ client: frejaClient, store, clock, logger, pollIntervalMs: config.freja.pollIntervalMs });
    }
    // --- end Freja eID

    let effectiveConfig: Config = sandboxBankId && config.bankid.launchUrl === 'bankid:///'
      ? { ...config, bankid: { ...config.bankid, launchUrl: `${config.issuer}/sandbox/bankid/app` } }
      : config;
    if (sandboxFreja && config.freja.launchUrl === 'frejaeid://bindUserToTransaction') {
      effectiveConfig = { ...effectiveConfig, freja: { ...effectiveConfig.freja, launchUrl: `${config.issuer}/sandbox/freja/app` } };
    }

    // SITHS card sign-in: the sandbox PKI fills in whatever sithsCard does not configure.
    let sithsCard: SithsCard | undefined;
    let sithsPki: SandboxSithsPki | undefined;
    if (config.sithsCard.enabled) {
      sithsPki = sandbox ? await sandboxSithsPki(config.sandboxDir, clock) : undefined;
      sithsCard = await startSithsCard({ config, store, clock, logger, sandboxPki: sithsPki });
      closers.push(() => sithsCard!.close());
    }

    // SAML (SITHS and the national portal): the IdPs in saml.idps, or in the sandbox without any,
    // the two simulated IdPs, trusted through the metadata they publish.
    let sandboxSaml: SandboxSaml | undefined;
    let saml: SamlService | undefined;
    if (config.saml.enabled) {
      if (config.saml.simulator.enabled || (sandbox && config.saml.idps.length === 0)) {
        sandboxSaml = await startSandboxSaml({ config, clock });
        saml = createSamlService({ config, keys: sandboxSaml.keys, sources: sandboxSaml.sources, store, clock, logger });
      } else if (config.saml.idps.length) {
        const { keys, sources } = configuredSaml(config);
        saml = createSamlService({ config, keys, sources, store, clock, logger });
      }
    }

    const clients = [...config.clients, ...(options.clients ?? [])];
    const demoRp = sandbox && config.sandbox.demoRp;
    const rpKey = demoRp ? await demoRpKey(config.sandboxDir) : undefined;
    const demoClient = rpKey ? demoRpClient(config.issuer, rpKey) : undefined;
    // --- Admin console and CLI (issue 3): clients gateway-admin and gateway-cli ---
    const admin = await adminClients(config, new Set(clients.map((c) => c.client_id)));
    clients.push(...admin.clients);
    // --- end admin ---

    // --- Registry and admin API (issue 3): the system of record, PostgreSQL or PGlite; seeded once in
    // the sandbox. A test may replace it with its own RegistrySource (then no admin API runs).
    const registryDb = options.registry ? undefined : await openRegistry(config, { hot: store, clock, logger });
    if (registryDb) closers.push(() => registryDb.close());
    if (registryDb && sandbox && config.registry.seed) {
      await seedSandboxRegistry(registryDb.service, { demoRp: demoClient, now: clock.now() });
    }
    // The demo app is a product of the registry (it goes through the token gate like any supplier's
    // app); only where the registry has no demo-rp (no registry, or an unseeded one) is it one of the
    // configured clients.
    if (demoClient && (!registryDb || (await reconcileDemoRp(registryDb.service, demoClient)) === 'absent')) clients.push(demoClient);
    const registrySource: RegistrySource | undefined = options.registry ?? registryDb?.store;
    // --- end registry ---

    // The product whitelist: one snapshot cache per instance, dropped on every announced change.
    let registry: RegistryCache | undefined;
    let gate: ProductGate | undefined;
    // Issue 4: limits, cohorts and containment suspensions live in the database beside the registry.
    let db: Db | undefined;
    if (registrySource && config.pdp.enabled) {
      db = options.db ?? registryDb?.db;
      if (!db) {
        const opened = await openRegistryDb(config);
        closers.push(() => opened.close());
        db = opened;
      }
    }
    if (registrySource) {
      registry = new RegistryCache(db ? withExposure(registrySource, db) : registrySource, store, clock);
      await registry.start();
      closers.push(() => registry!.close());
      gate = new ProductGate({
        cache: registry,
        clock,
        logger,
        staticClientIds: new Set(clients.map((c) => c.client_id)),
        catalogue: config.datasets,
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

    // Registry (issue 3): not ready while the registry's database cannot answer.
    const ops = createOps(store, registryDb ? [{ name: 'registry', ping: async () => { await registryDb.db.query('SELECT 1'); } }] : []);
    provider.use(ops.metricsMiddleware);
    provider.use(securityHeaders({ hsts: config.issuer.startsWith('https://') }));
    provider.use(problemBoundary(logger));
    provider.use(ops.router.routes());
    const upstreams: UpstreamRoutes[] = [];
    if (bankid) upstreams.push(bankIdRoutes(bankid, effectiveConfig));
    if (sithsCard) upstreams.push(sithsCard.upstream);
    if (saml) upstreams.push(...saml.upstreams);
    if (freja) upstreams.push(frejaRoutes(freja, effectiveConfig));
    provider.use(interactionRouter({ provider, config: effectiveConfig, accounts, upstreams, logger, gate }).routes());
    if (sandbox) {
      provider.use(landingRouter({
        issuer: config.issuer,
        store: store.kind === 'redis' ? `Redis (${config.store.redisUrl?.replace(/\/\/[^@]*@/, '//')})` : 'in-memory (sandbox)',
        bankidUrl: sandboxBankId?.url ?? config.bankid.baseUrl,
        bankidSimulated: Boolean(sandboxBankId),
        frejaUrl: sandboxFreja?.url ?? config.freja.baseUrl,
        frejaSimulated: Boolean(sandboxFreja),
        demoRp,
        adminConsole: Boolean(admin.consoleKey),
        ...(sithsCard ? { sithsCard: { publicUrl: sithsCard.publicUrl, listenerUrl: sithsCard.listenerUrl, pki: sithsPki } } : {}),
      }).routes());
    }
    if (sandboxBankId) provider.use(sandboxBankId.appRouter.routes());
    if (sithsCard) provider.use(sithsCard.forwardedRouter.routes());
    if (sandboxSaml) provider.use(sandboxSaml.router.routes());
    if (sandboxFreja) provider.use(sandboxFreja.appRouter.routes());
    if (rpKey) provider.use(demoRpRouter({ issuer: config.issuer, key: rpKey, store, logger, pep: Boolean(db && registry) }).routes());
    // --- Admin console (issue 3) ---
    if (admin.consoleKey) {
      provider.use(adminConsoleRouter({
        issuer: config.issuer, key: admin.consoleKey, store, clock, logger, sessionTtlSeconds: config.admin.console.sessionTtl, catalogue: config.datasets,
      }).routes());
    }
    // --- end admin ---

    // --- policy decision point and enforcement proxy (issue 4) ---
    let pdp: PdpParts | undefined;
    let exposureAdmin: ExposureAdmin | undefined;
    // The decision point and the PEP run in a Koa app of their own, beside oidc-provider's: a decision
    // must not pay for the provider's middleware chain (the bench's no-op ratio), and shares only the
    // cross-cutting parts (metrics, security headers, the problem boundary).
    const pdpApp = new Koa();
    pdpApp.proxy = config.http.trustProxy;
    pdpApp.use(ops.metricsMiddleware);
    pdpApp.use(securityHeaders({ hsts: config.issuer.startsWith('https://') }));
    pdpApp.use(problemBoundary(logger));
    if (db && registry && gate) {
      const audit = new DecisionAudit({ store, db, clock, logger, ...config.pdp.audit });
      await audit.maintain();
      audit.start();
      closers.push(() => audit.stop());
      const containment = new Containment({ db, store, clock, logger, registry, ...config.pdp.containment });
      const catalogue = config.datasets.map((d) => ({ id: d.id, actions: d.actions }));
      const decisionPoint = new PolicyDecisionPoint({ provider, store, clock, logger, gate, accounts, audit, containment, catalogue });
      const routes = new RouteTable(config.pdp.routes.length ? config.pdp.routes : sandbox ? sandboxRoutes(config.issuer) : []);
      pdpApp.use(pdpRouter({
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
      // Limits, cohorts and suspensions: routes of the one admin API below.
      exposureAdmin = new ExposureAdmin({ db, clock, registry, accounts, containment });
      pdp = { db, accounts, decisionPoint, audit, containment };
    }
    // --- end policy decision point ---
    // --- Admin API (issues 3 and 4): the registry's routes and, with the decision point, the exposure routes ---
    if (registryDb || exposureAdmin) {
      const roles = registryDb?.store ?? (db ? new RegistryStore(db, clock) : undefined);
      provider.use(adminApiRouter({ provider, service: registryDb?.service, exposure: exposureAdmin, roles, accounts, store, clock, logger, adminClients: config.registry.adminClients }).routes());
    }

    const providerHandler = provider.callback();
    const pdpHandler = pdp ? pdpApp.callback() : undefined;
    server.on('request', (req, res) => (pdpHandler && /^\/(pdp|pep)\//.test(req.url ?? '') ? pdpHandler : providerHandler)(req, res));
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
      registryDb,
      gate,
      pdp,
      sithsCard,
      sandboxSaml,
      sandboxFreja,
      close: closeAll,
    };
  } catch (err) {
    server.close();
    await closeAll();
    throw err;
  }
}

// Assembles the gateway: configuration, store, keys, the feature modules, one outer Koa app mounting
// them around oidc-provider, and the listening server. One function for `npm start`, the tests and the
// benchmarks, so all three run the same thing.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { productionProblems, ConfigError, type Config, type ClientConfig } from './config.ts';
import { systemClock, type Clock } from './clock.ts';
import { createLogger, type Logger } from './log.ts';
import { createHotStore } from './store/index.ts';
import type { HotStore } from './store/hotStore.ts';
import { loadSecrets, loadSigningKeys, type SigningKeys } from './idp/keys.ts';
import { hsmSigningKeys } from './idp/keys/module.ts';
import type { SigningKeySet } from './idp/keys/signer.ts';
import { idpModule } from './idp/module.ts';
import { outerApp, type Mount } from './http/app.ts';
import { createOps, type MetricsAccess } from './http/ops.ts';
import { federationModule } from './federation/module.ts';
import type { SithsCard } from './federation/sithsCard/index.ts';
import { demoProducts, sandboxDemoApps, sandboxDemoRp, sandboxModule } from './sandbox/module.ts';
import type { SandboxBankId } from './sandbox/bankid.ts';
import type { SandboxFreja } from './sandbox/freja.ts';
import type { SandboxSaml } from './sandbox/saml.ts';
import { scopesModule, type PdpParts } from './scopes/module.ts';
import { auditModule, type AuditAnchoring } from './audit/module.ts';
import type { Db } from './whitelist/db/db.ts';
import type { Registry } from './whitelist/registry.ts';
import type { RegistryCache, RegistrySource } from './whitelist/registryCache.ts';
import type { ProductGate } from './whitelist/productGate.ts';
import { whitelistModule } from './whitelist/module.ts';
import { releaseStartupGarbage } from './whitelist/db/pglite.ts';
import type { BackchannelLogout } from './federation/sso/backchannel.ts';
import { ssoStores } from './federation/sso/stores.ts';
import { ssoModule } from './federation/sso/module.ts';
import { openPopulationRegister, type PopulationRegisterParts } from './citizens/register/index.ts';
import { ProtectedIdentity } from './citizens/protectedIdentity.ts';
import { representationModule, type RepresentationParts } from './citizens/representation/module.ts';
import { accountClient, citizensModule, type CitizensParts } from './citizens/module.ts';

export type { PdpParts } from './scopes/module.ts';

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
  /** Audit anchoring: the checkpointer of both audit chains and the audit key. */
  audit: AuditAnchoring;
  /**
   * Graceful shutdown (SIGTERM): /readyz answers 503 at once while requests are still served for
   * delayMs (the load balancer stops sending), then the listener closes (new connections are refused),
   * requests in flight get up to timeoutMs to finish, and everything is closed.
   */
  drain(options: { delayMs: number; timeoutMs: number }): Promise<void>;
  /** Back-channel logout delivery and its recorded outcomes (issue 11). */
  backchannel: BackchannelLogout;
  /** The population register behind its cache; `sandbox` lets tests change records. */
  register: PopulationRegisterParts;
  /** Guardians and agents (absent without the registry's database, where mandates live). */
  representation: RepresentationParts | undefined;
  /** The key set the gateway signs with and /jwks publishes (in process, or in an HSM). */
  signingKeys: SigningKeySet;
  /** Consent records, their withdrawal and the withdrawn set the decision point reads (issue 12); absent without a database. */
  citizens: CitizensParts | undefined;
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

  // Bind first: with issuerFromListen the issuer is only known once the port is.
  const server = createServer();
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  // Until the app is assembled a request would find no handler and hang: it is told to come back.
  const starting = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' }).end('{"status":"starting"}');
  };
  server.on('request', starting);
  const address = await listen(server, baseConfig.http.port, baseConfig.http.host);
  const config: Config = options.issuerFromListen
    ? { ...baseConfig, issuer: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` }
    : baseConfig;

  const closers: Array<() => Promise<void>> = [];
  let draining = false;
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const { keys, secrets } = await loadKeys(config, clock, logger);
    closers.push(() => keys.signers.close());
    const store = await createHotStore(config.store, clock);
    closers.push(() => store.close());

    const sso = ssoStores(store, config);
    const register = openPopulationRegister(config, clock);
    const protection = new ProtectedIdentity(register.register);
    const federation = await federationModule({ config, store, clock, logger, sso });
    closers.push(...federation.closers);
    const demoRp = await sandboxDemoRp(config);
    const demoApps = options.registry ? undefined : await sandboxDemoApps(config);
    const given = [...config.clients, ...(options.clients ?? [])];
    const accountPage = await accountClient(config, new Set(given.map((c) => c.client_id)));
    const whitelist = await whitelistModule({
      config, store, clock, logger, clients: [...given, ...accountPage.clients], demoClient: demoRp?.client, source: options.registry, db: options.db,
      demoProducts: demoProducts(demoApps),
    });
    closers.push(...whitelist.closers);
    const { registryDb, registry, gate, db } = whitelist;
    // Before the decision point: its closer runs after the decision audit's last drain (closers run in
    // reverse), so the shutdown checkpoint covers it, and before the databases close.
    const audit = await auditModule({ config, clock, logger, registryDb: registryDb?.db, decisionDb: db, signingJwks: keys.signers.publicJwks(), pkcs11: config.keys.signer === 'pkcs11' ? config.keys.pkcs11 : undefined });
    closers.push(...audit.closers);
    const represent = db ? representationModule({ config, store, db, register: register.register, clock, logger, secrets }) : undefined;
    const citizens = await citizensModule({ config, store, clock, logger, db: db ?? registryDb?.db, registry, accountKey: accountPage.key, relations: represent?.relations });
    closers.push(...citizens.closers);
    const jumps = ssoModule({ config, store, clock, logger, secrets });
    // The sandbox's own registry only (as its seed): a test's registry brings its own content.
    if (registryDb && config.registry.seed) await represent?.seedSandbox();
    const idp = idpModule({
      config: federation.config, store, keys, secrets, clients: whitelist.clients, logger, gate, upstreams: federation.upstreams, upstreamPaths: federation.upstreamPaths,
      clock, sso, upstreamLogouts: federation.upstreamLogouts, jump: jumps.login, protection, representation: represent?.representation, consent: citizens.parts,
    });
    closers.push(...idp.closers);
    const { provider, accounts } = idp;
    const scopes = registry && gate && db
      ? await scopesModule({ config, store, clock, logger, provider, accounts, registry, gate, db, keys, protection, representation: represent?.representation, consents: citizens.parts?.withdrawn })
      : undefined;
    if (scopes) closers.push(...scopes.closers);
    // Not ready while the registry's database cannot answer, nor once draining.
    const ops = createOps(store, [
      ...(registryDb ? [{ name: 'registry', ping: async () => { await registryDb.db.query('SELECT 1'); } }] : []),
      { name: 'draining', ping: async () => { if (draining) throw new Error('draining'); } },
    ], metricsAccess(config));

    // Order matters only where mounts share a subtree: under /admin the admin API's routes are its
    // own, the console takes the rest.
    const mounts: Mount[] = [
      { name: 'operations', paths: ['/healthz', '/readyz', '/metrics'], routes: ops.router.routes() },
      ...idp.mounts,
      ...federation.mounts,
      ...jumps.mounts({ provider, gate, registry }),
      ...sandboxModule({ config, store, logger, clock, keys, federation, demoRp, demoApps: whitelist.registryDb ? demoApps : undefined, pep: scopes ? registry : undefined, adminConsole: whitelist.consoleRuns, register: register.register }),
      ...(scopes?.mounts ?? []),
      ...audit.mounts,
      ...whitelist.mounts({ provider, accounts, exposure: scopes?.exposure }),
      ...citizens.mounts({ provider, accounts, audit: scopes?.pdp.audit }),
    ];
    const app = outerApp({
      provider, trustProxy: config.http.trustProxy, hsts: config.issuer.startsWith('https://'), logger, metrics: ops.metricsMiddleware, mounts,
    });

    // The embedded database's start-up garbage goes now, not at some later collection (BENCHMARKS.md, "Memory").
    if (db?.kind === 'pglite' || registryDb?.db.kind === 'pglite') releaseStartupGarbage();
    server.off('request', starting);
    server.on('request', app.callback());
    closers.push(() => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));

    return {
      url: config.issuer,
      config: federation.config,
      provider,
      store,
      server,
      sandboxBankId: federation.sandboxBankId,
      registry,
      registryDb,
      gate,
      pdp: scopes?.pdp,
      sithsCard: federation.sithsCard,
      sandboxSaml: federation.sandboxSaml,
      sandboxFreja: federation.sandboxFreja,
      audit,
      async drain({ delayMs, timeoutMs }) {
        draining = true;
        await new Promise((r) => setTimeout(r, delayMs));
        await drainServer(server, timeoutMs);
        await closeAll();
      },
      backchannel: idp.backchannel,
      register,
      representation: represent,
      signingKeys: keys.signers,
      citizens: citizens.parts,
      close: closeAll,
    };
  } catch (err) {
    server.close();
    await closeAll();
    throw err;
  }
}

/** Stops accepting connections, lets those with a request in flight finish it, cuts the rest at the deadline. */
function drainServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    // Idle keep-alive connections are closed as they become idle: a client's next request opens a
    // new connection, which goes to a worker that is not draining.
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** /metrics: behind the scraper's token when one is configured, open in the sandbox, off in production. */
function metricsAccess(config: Config): MetricsAccess {
  const file = config.http.metricsTokenFile;
  if (file) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length < 16) throw new ConfigError(['http.metricsTokenFile: the token must be at least 16 characters']);
    return { token };
  }
  return config.mode === 'sandbox' ? 'open' : 'off';
}

/** Signing keys and secrets; sandbox parts are refused before any file is read, and again once they are. */
async function loadKeys(config: Config, clock: Clock, logger: Logger) {
  const sandbox = config.mode === 'sandbox';
  const early = productionProblems(config, { generatedKeys: false, generatedSecrets: false });
  if (early.length) throw new ConfigError(early);
  const keys: SigningKeys = config.keys.signer === 'pkcs11'
    ? hsmSigningKeys(config.keys.pkcs11, clock, logger)
    : await loadSigningKeys({ jwksFile: config.keys.jwksFile, sandboxDir: config.sandboxDir, mayGenerate: sandbox });
  const secrets = await loadSecrets({ secretsFile: config.keys.secretsFile, sandboxDir: config.sandboxDir, mayGenerate: sandbox });
  const problems = productionProblems(config, { generatedKeys: keys.generated, generatedSecrets: secrets.generated });
  if (problems.length) throw new ConfigError(problems);
  return { keys, secrets };
}

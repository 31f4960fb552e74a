// Upstream sign-in as one module: BankID, Freja eID, SAML (SITHS and the national portal) and the SITHS
// card, each from configuration or, in the sandbox, against its in-process simulator. What it hands on:
// the upstreams' interaction routes, the simulators (the sandbox module mounts their pages), the
// configuration with the simulators' launch URLs filled in, and its closers.
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Mount } from '../http/app.ts';
import type { UpstreamRoutes } from '../idp/interactions.ts';
import { BankIdClient } from './bankid/client.ts';
import { BankIdLogin } from './bankid/login.ts';
import { bankIdRoutes } from './bankid/routes.ts';
import { FrejaClient } from './freja/client.ts';
import { FrejaLogin } from './freja/login.ts';
import { SigningCertificates } from './freja/result.ts';
import { frejaRoutes } from './freja/routes.ts';
import { configuredSaml, createSamlService, type SamlService } from './saml/setup.ts';
import { ACS_PATH, METADATA_PATH, SLO_PATH, type SamlServiceOptions } from './saml/routes.ts';
import type { UpstreamLogout } from './sso/logout.ts';
import { startSithsCard, type SithsCard } from './sithsCard/index.ts';
import { startSandboxBankId, type SandboxBankId } from '../sandbox/bankid.ts';
import { startSandboxFreja, type SandboxFreja } from '../sandbox/freja.ts';
import { startSandboxSaml, type SandboxSaml } from '../sandbox/saml.ts';
import { sandboxSithsPki, type SandboxSithsPki } from '../sandbox/sithsCard.ts';

export interface FederationDeps {
  config: Config;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  /** The shared session's parts single logout needs (src/federation/sso/). */
  sso?: SamlServiceOptions['sso'];
}

export interface Federation {
  /** The configuration the interaction pages use: launch URLs point at the simulators when they run. */
  config: Config;
  upstreams: UpstreamRoutes[];
  /** Paths the upstreams answer outside an interaction (SAML ACS and metadata); the interaction routes carry them. */
  upstreamPaths: string[];
  /** Upstreams with sessions of their own that single logout must reach (SAML SLO). */
  upstreamLogouts: UpstreamLogout[];
  /** Routes of their own: the SITHS card endpoint behind a TLS-terminating proxy. */
  mounts: Mount[];
  sandboxBankId: SandboxBankId | undefined;
  sandboxFreja: SandboxFreja | undefined;
  sandboxSaml: SandboxSaml | undefined;
  sithsCard: SithsCard | undefined;
  sithsPki: SandboxSithsPki | undefined;
  closers: Array<() => Promise<void>>;
}

const secretFrom = (file: string | undefined, inline: string | undefined): string =>
  file ? readFileSync(file, 'utf8').trim() : inline ?? '';

/** The start-up error naming every trust setting a real upstream API needs and the configuration lacks. */
const missingSettings = (section: string, settings: Record<string, unknown>, why: string): ConfigError =>
  new ConfigError(Object.entries(settings).filter(([, v]) => !v || (Array.isArray(v) && !v.length)).map(([k]) => `${section}.${k}: ${why}`));

/** What starting one sign-in method adds: its closers, and the configuration with its launch URL. */
interface Part {
  closers: Array<() => Promise<void>>;
  config: Config;
}

const simulated = (section: { simulator: { enabled: boolean }; baseUrl?: string | undefined }, sandbox: boolean): boolean =>
  section.simulator.enabled || (sandbox && !section.baseUrl);

/** BankID: the real RP API from configuration, or the in-process simulator in the sandbox. */
async function startBankId(deps: FederationDeps, part: Part): Promise<{ login: BankIdLogin; simulator: SandboxBankId | undefined }> {
  const { config, store, clock, logger } = deps;
  let clientOptions;
  let simulator: SandboxBankId | undefined;
  if (simulated(config.bankid, config.mode === 'sandbox')) {
    const started = await startSandboxBankId({ sandboxDir: config.sandboxDir, port: config.bankid.simulator.port, clock, timeoutMs: config.bankid.timeoutMs });
    simulator = started;
    part.closers.push(() => started.close());
    clientOptions = started.clientOptions;
    if (config.bankid.launchUrl === 'bankid:///') part.config = { ...part.config, bankid: { ...part.config.bankid, launchUrl: `${config.issuer}/sandbox/bankid/app` } };
  } else {
    const { baseUrl, pfxFile, caFile } = config.bankid;
    if (!baseUrl || !pfxFile || !caFile) throw missingSettings('bankid', { baseUrl, pfxFile, caFile }, 'needed for the BankID RP API');
    clientOptions = {
      baseUrl,
      pfx: readFileSync(pfxFile),
      passphrase: secretFrom(config.bankid.passphraseFile, config.bankid.passphrase),
      caPem: readFileSync(caFile, 'utf8'),
      timeoutMs: config.bankid.timeoutMs,
    };
  }
  const client = new BankIdClient(clientOptions);
  part.closers.push(async () => client.close());
  return { login: new BankIdLogin({ client, store, clock, logger, collectIntervalMs: config.bankid.collectIntervalMs }), simulator };
}

/** Freja eID: the real REST API from configuration, or the in-process simulator in the sandbox. */
async function startFreja(deps: FederationDeps, part: Part): Promise<{ login: FrejaLogin; simulator: SandboxFreja | undefined }> {
  const { config, store, clock, logger } = deps;
  let clientOptions;
  let simulator: SandboxFreja | undefined;
  if (simulated(config.freja, config.mode === 'sandbox')) {
    const started = await startSandboxFreja({ sandboxDir: config.sandboxDir, port: config.freja.simulator.port, clock, timeoutMs: config.freja.timeoutMs });
    simulator = started;
    part.closers.push(() => started.close());
    clientOptions = started.clientOptions;
    if (config.freja.launchUrl === 'frejaeid://bindUserToTransaction') part.config = { ...part.config, freja: { ...part.config.freja, launchUrl: `${config.issuer}/sandbox/freja/app` } };
  } else {
    // The real API: every trust file named, or a start-up error that says which is missing.
    const why = 'needed for the Freja eID REST API (or leave freja.baseUrl unset in the sandbox to run the simulator)';
    const { baseUrl, pfxFile, caFile, signingCertFiles } = config.freja;
    if (!baseUrl || !pfxFile || !caFile || !signingCertFiles.length) throw missingSettings('freja', { baseUrl, pfxFile, caFile, signingCertFiles }, why);
    clientOptions = {
      baseUrl,
      pfx: readFileSync(pfxFile),
      passphrase: secretFrom(config.freja.passphraseFile, config.freja.passphrase),
      caPem: readFileSync(caFile, 'utf8'),
      signingCertPems: signingCertFiles.map((f) => readFileSync(f, 'utf8')),
      timeoutMs: config.freja.timeoutMs,
    };
  }
  const client = new FrejaClient({ ...clientOptions, signingCerts: await SigningCertificates.fromPem(clientOptions.signingCertPems), clock, logger });
  part.closers.push(async () => client.close());
  return { login: new FrejaLogin({ client, store, clock, logger, pollIntervalMs: config.freja.pollIntervalMs }), simulator };
}

/** SITHS card sign-in: the sandbox PKI fills in whatever sithsCard does not configure. */
async function startCard(deps: FederationDeps, part: Part): Promise<{ card: SithsCard; pki: SandboxSithsPki | undefined }> {
  const { config, store, clock, logger } = deps;
  const pki = config.mode === 'sandbox' ? await sandboxSithsPki(config.sandboxDir, clock) : undefined;
  const card = await startSithsCard({ config, store, clock, logger, sandboxPki: pki });
  part.closers.push(() => card.close());
  return { card, pki };
}

/**
 * SAML (SITHS and the national portal): the IdPs in saml.idps, or in the sandbox without any, the two
 * simulated IdPs, trusted through the metadata they publish. Undefined when no IdP is configured.
 */
async function startSaml(deps: FederationDeps): Promise<{ saml: SamlService; simulator: SandboxSaml | undefined } | undefined> {
  const { config, store, clock, logger } = deps;
  if (config.saml.simulator.enabled || (config.mode === 'sandbox' && config.saml.idps.length === 0)) {
    const simulator = await startSandboxSaml({ config, clock });
    return { saml: createSamlService({ config, keys: simulator.keys, sources: simulator.sources, store, clock, logger, sso: deps.sso }), simulator };
  }
  if (!config.saml.idps.length) return undefined;
  const { keys, sources } = configuredSaml(config);
  return { saml: createSamlService({ config, keys, sources, store, clock, logger, sso: deps.sso }), simulator: undefined };
}

export async function federationModule(deps: FederationDeps): Promise<Federation> {
  const { config } = deps;
  const part: Part = { closers: [], config };
  try {
    const bankid = config.bankid.enabled ? await startBankId(deps, part) : undefined;
    const card = config.sithsCard.enabled ? await startCard(deps, part) : undefined;
    const saml = config.saml.enabled ? await startSaml(deps) : undefined;
    const freja = config.freja.enabled ? await startFreja(deps, part) : undefined;
    const effective = part.config;
    return {
      config: effective,
      // The login page offers the methods in this order.
      upstreams: [
        ...(bankid ? [bankIdRoutes(bankid.login, effective)] : []),
        ...(card ? [card.card.upstream] : []),
        ...(saml?.saml.upstreams ?? []),
        ...(freja ? [frejaRoutes(freja.login, effective)] : []),
      ],
      upstreamPaths: saml ? [ACS_PATH, METADATA_PATH, SLO_PATH] : [],
      upstreamLogouts: saml?.saml.logouts ?? [],
      mounts: card ? [{ name: 'SITHS card (forwarded certificate)', under: ['/siths'], routes: card.card.forwardedRouter.routes() }] : [],
      sandboxBankId: bankid?.simulator,
      sandboxFreja: freja?.simulator,
      sandboxSaml: saml?.simulator,
      sithsCard: card?.card,
      sithsPki: card?.pki,
      closers: part.closers,
    };
  } catch (err) {
    for (const close of part.closers.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

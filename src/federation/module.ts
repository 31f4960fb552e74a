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
import { ACS_PATH, METADATA_PATH } from './saml/routes.ts';
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
}

export interface Federation {
  /** The configuration the interaction pages use: launch URLs point at the simulators when they run. */
  config: Config;
  upstreams: UpstreamRoutes[];
  /** Paths the upstreams answer outside an interaction (SAML ACS and metadata); the interaction routes carry them. */
  upstreamPaths: string[];
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

export async function federationModule(deps: FederationDeps): Promise<Federation> {
  const { config, store, clock, logger } = deps;
  const sandbox = config.mode === 'sandbox';
  const closers: Array<() => Promise<void>> = [];
  const mounts: Mount[] = [];
  let effective = config;
  try {
    // BankID: the real RP API from configuration, or the in-process simulator in the sandbox.
    let sandboxBankId: SandboxBankId | undefined;
    let bankid: BankIdLogin | undefined;
    if (config.bankid.enabled) {
      let clientOptions;
      if (config.bankid.simulator.enabled || (sandbox && !config.bankid.baseUrl)) {
        const simulator = await startSandboxBankId({ sandboxDir: config.sandboxDir, port: config.bankid.simulator.port, clock, timeoutMs: config.bankid.timeoutMs });
        sandboxBankId = simulator;
        closers.push(() => simulator.close());
        clientOptions = simulator.clientOptions;
        if (config.bankid.launchUrl === 'bankid:///') effective = { ...effective, bankid: { ...effective.bankid, launchUrl: `${config.issuer}/sandbox/bankid/app` } };
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
      closers.push(async () => client.close());
      bankid = new BankIdLogin({ client, store, clock, logger, collectIntervalMs: config.bankid.collectIntervalMs });
    }

    // SITHS card sign-in: the sandbox PKI fills in whatever sithsCard does not configure.
    let sithsCard: SithsCard | undefined;
    let sithsPki: SandboxSithsPki | undefined;
    if (config.sithsCard.enabled) {
      sithsPki = sandbox ? await sandboxSithsPki(config.sandboxDir, clock) : undefined;
      const card = await startSithsCard({ config, store, clock, logger, sandboxPki: sithsPki });
      sithsCard = card;
      closers.push(() => card.close());
      mounts.push({ name: 'SITHS card (forwarded certificate)', under: ['/siths'], routes: card.forwardedRouter.routes() });
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

    // Freja eID: the real REST API from configuration, or the in-process simulator in the sandbox.
    let sandboxFreja: SandboxFreja | undefined;
    let freja: FrejaLogin | undefined;
    if (config.freja.enabled) {
      let clientOptions;
      if (config.freja.simulator.enabled || (sandbox && !config.freja.baseUrl)) {
        const simulator = await startSandboxFreja({ sandboxDir: config.sandboxDir, port: config.freja.simulator.port, clock, timeoutMs: config.freja.timeoutMs });
        sandboxFreja = simulator;
        closers.push(() => simulator.close());
        clientOptions = simulator.clientOptions;
        if (config.freja.launchUrl === 'frejaeid://bindUserToTransaction') effective = { ...effective, freja: { ...effective.freja, launchUrl: `${config.issuer}/sandbox/freja/app` } };
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
      closers.push(async () => client.close());
      freja = new FrejaLogin({ client, store, clock, logger, pollIntervalMs: config.freja.pollIntervalMs });
    }

    // The login page offers the methods in this order.
    const upstreams: UpstreamRoutes[] = [
      ...(bankid ? [bankIdRoutes(bankid, effective)] : []),
      ...(sithsCard ? [sithsCard.upstream] : []),
      ...(saml?.upstreams ?? []),
      ...(freja ? [frejaRoutes(freja, effective)] : []),
    ];
    return {
      config: effective,
      upstreams,
      upstreamPaths: saml ? [ACS_PATH, METADATA_PATH] : [],
      mounts,
      sandboxBankId,
      sandboxFreja,
      sandboxSaml,
      sithsCard,
      sithsPki,
      closers,
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

// SITHS card sign-in, assembled: the verifier over the configured CAs and CRLs, the CRL reloader, the
// card endpoint on the card listener and/or behind a TLS proxy, and the interaction routes. Which
// listener asks for the card is configuration only (sithsCard.listen, trustForwardedCertificate,
// publicUrl); the sandbox fills in its own PKI where nothing is configured.
import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import { ConfigError, type Config } from '../../config.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { UpstreamRoutes } from '../../idp/interactions.ts';
import type { SandboxSithsPki } from '../../sandbox/sithsCard.ts';
import { SithsCertificateVerifier } from '../mtls/sithsCertificate.ts';
import { cardEndpointRouter } from './cardEndpoint.ts';
import { forwardedCertificate, tlsCertificate } from './certificateSource.ts';
import { CrlReloader } from './crlReloader.ts';
import { startCardListener, type CardListener } from './listener.ts';
import { sithsCardRoutes } from './routes.ts';
import { CardTickets } from './tickets.ts';

export interface SithsCard {
  upstream: UpstreamRoutes;
  /** GET /siths/card/:ticket for the main listener: honours the proxy's header only when trusted. */
  forwardedRouter: Router;
  /** Where /start sends the browser. */
  publicUrl: string;
  /** The card listener, when this gateway runs one. */
  listenerUrl: string | undefined;
  verifier: SithsCertificateVerifier;
  /** Re-reads the CRL files now (the timer does it every crlRefreshSeconds); false when that failed. */
  reloadCrls(): Promise<boolean>;
  close(): Promise<void>;
}

export interface SithsCardDeps {
  config: Config;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  /** The sandbox PKI: used for whatever sithsCard does not configure (sandbox mode only). */
  sandboxPki?: SandboxSithsPki | undefined;
}

function readOne<T>(file: string, field: string, read: (file: string) => T): T {
  try {
    return read(file);
  } catch (err) {
    throw new ConfigError([`sithsCard.${field}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}

function readAll<T>(files: string[], field: string, read: (file: string) => T): T[] {
  return files.map((file) => readOne(file, field, read));
}

export async function startSithsCard(deps: SithsCardDeps): Promise<SithsCard> {
  const { config, store, clock, logger, sandboxPki } = deps;
  const settings = config.sithsCard;
  const ownCas = settings.caFiles.length > 0;
  if (ownCas && !settings.crlFiles.length) {
    throw new ConfigError(['sithsCard.crlFiles: card certificates cannot be checked for revocation without the issuing CAs\' CRLs; list their files']);
  }
  const caFiles = ownCas ? settings.caFiles : sandboxPki?.caFiles ?? [];
  const crlFiles = ownCas ? settings.crlFiles : sandboxPki?.crlFiles ?? [];
  if (!caFiles.length) throw new ConfigError(['sithsCard.caFiles: list the PEM files of the SITHS root and issuing CAs (or set sithsCard.enabled=false)']);

  const caPems = readAll(caFiles, 'caFiles', (f) => readFileSync(f, 'utf8'));
  let verifier: SithsCertificateVerifier;
  try {
    verifier = new SithsCertificateVerifier({ trustedCaPems: caPems, crls: readAll(crlFiles, 'crlFiles', (f) => readFileSync(f)), clock });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([`sithsCard: ${err instanceof Error ? err.message : String(err)}`]);
  }
  const reloader = new CrlReloader({
    verifier,
    crlFiles,
    intervalSeconds: settings.crlRefreshSeconds,
    logger,
    // The sandbox's own CRL is re-signed before it is read; configured CRLs come from their CA.
    ...(!ownCas && sandboxPki ? { beforeRead: sandboxPki.renewCrl } : {}),
  });
  reloader.start();

  const tickets = new CardTickets(store, clock);
  const endpoint = (via: 'listener' | 'forwarded', source: Parameters<typeof cardEndpointRouter>[0]['source']) =>
    cardEndpointRouter({ issuer: config.issuer, tickets, verifier, source, logger, via });

  let listener: CardListener | undefined;
  const wantListener = settings.listen.enabled || (config.mode === 'sandbox' && !settings.trustForwardedCertificate);
  try {
    if (wantListener) {
      const certFile = settings.listen.certFile ?? sandboxPki?.listenerCertFile;
      const keyFile = settings.listen.keyFile ?? sandboxPki?.listenerKeyFile;
      if (!certFile || !keyFile) throw new ConfigError(['sithsCard.listen: the card listener needs listen.certFile and listen.keyFile (its TLS server certificate)']);
      const certPem = readOne(certFile, 'listen', (f) => readFileSync(f, 'utf8'));
      const keyPem = readOne(keyFile, 'listen', (f) => readFileSync(f, 'utf8'));
      listener = await startCardListener({
        host: settings.listen.host,
        port: settings.listen.port,
        certPem,
        keyPem,
        caPems,
        router: endpoint('listener', tlsCertificate),
        logger,
      });
    }
  } catch (err) {
    reloader.stop();
    throw err;
  }

  const publicUrl = settings.publicUrl ?? listener?.url ?? config.issuer;
  logger.info({ publicUrl, listener: listener?.url, forwarded: settings.trustForwardedCertificate }, 'siths card sign-in ready');
  return {
    upstream: sithsCardRoutes({ tickets, publicUrl }),
    forwardedRouter: endpoint('forwarded', forwardedCertificate(settings.certificateHeader, settings.trustForwardedCertificate)),
    publicUrl,
    listenerUrl: listener?.url,
    verifier,
    reloadCrls: () => reloader.reload(),
    async close() {
      reloader.stop();
      await listener?.close();
    },
  };
}

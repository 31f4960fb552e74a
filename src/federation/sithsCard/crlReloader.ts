// Keeps the verifier's CRLs current: re-reads the CRL files every crlRefreshSeconds (SITHS publishes
// new CRLs well before nextUpdate; the files are refreshed by whatever fetches them, or by the sandbox).
// A reload that fails keeps the CRLs in use; once those pass nextUpdate the verifier refuses every card
// (crl_expired), so a stuck reload fails closed rather than open.
import { readFile } from 'node:fs/promises';
import { inJob, type Logger } from '../../log.ts';
import type { SithsCertificateVerifier } from '../mtls/sithsCertificate.ts';

export interface CrlReloaderOptions {
  verifier: SithsCertificateVerifier;
  crlFiles: string[];
  intervalSeconds: number;
  logger: Logger;
  /** Runs before each read (the sandbox re-signs its CRL here). */
  beforeRead?: () => Promise<void>;
}

export class CrlReloader {
  readonly #options: CrlReloaderOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;

  constructor(options: CrlReloaderOptions) {
    this.#options = options;
  }

  /** Reads every CRL file and replaces the verifier's CRLs; false (and the old CRLs kept) when that fails. */
  reload(): Promise<boolean> {
    // One reload at a time: a timer tick during a slow read waits for it instead of racing it.
    this.#running ??= this.#reload().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #reload(): Promise<boolean> {
    const { verifier, crlFiles, logger, beforeRead } = this.#options;
    try {
      await beforeRead?.();
      const crls = await Promise.all(crlFiles.map((file) => readFile(file)));
      verifier.setCrls(crls);
    } catch (err) {
      logger.warn({ reason: 'crl_reload_failed', error: err instanceof Error ? err.message : String(err) }, 'siths crl reload failed; keeping the CRLs in use');
      return false;
    }
    // CA names and dates only: what an operator needs to see the CRLs are current.
    for (const status of verifier.crlStatus()) {
      const fields = { issuer: status.issuer, crlNumber: status.crlNumber, nextUpdate: status.nextUpdate?.toISOString(), current: status.current, signatureValid: status.signatureValid };
      if (status.current && status.signatureValid) logger.debug(fields, 'siths crl loaded');
      else logger.warn({ reason: status.signatureValid ? 'crl_expired' : 'crl_bad_signature', ...fields }, 'siths crl not usable; cards of this CA are refused');
    }
    return true;
  }

  start(): void {
    this.stop();
    this.#timer = setInterval(() => void inJob('crl-reload', () => this.reload()), this.#options.intervalSeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

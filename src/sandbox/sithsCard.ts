// The sandbox's SITHS PKI for card sign-in (certs/bundles/siths.ts): the CAs and CRL the verifier
// trusts, the card listener's TLS certificate, the sandbox cards a tester can import into a browser,
// and the CRL re-signing that keeps the sandbox CRL inside its 7-day window.
import { join } from 'node:path';
import { ensureSandboxCerts } from '../../certs/make-sandbox-certs.ts';
import { renewSithsCrl } from '../../certs/bundles/siths.ts';
import type { Clock } from '../clock.ts';

export interface SandboxCard {
  /** What the card is for, sv and en. */
  label: { sv: string; en: string };
  p12Path: string;
}

export interface SandboxSithsPki {
  caFiles: string[];
  crlFiles: string[];
  listenerCertFile: string;
  listenerKeyFile: string;
  /** The CA of the listener's TLS certificate (a browser warns until it is trusted). */
  listenerCaFile: string;
  cards: SandboxCard[];
  passphrase: string;
  /** Re-signs the sandbox CRL when it is near nextUpdate at the clock's time. */
  renewCrl(): Promise<void>;
}

export async function sandboxSithsPki(sandboxDir: string, clock: Clock): Promise<SandboxSithsPki> {
  const certs = await ensureSandboxCerts(join(sandboxDir, 'certs'));
  const s = certs.siths;
  const renewCrl = async (): Promise<void> => {
    await renewSithsCrl(s, { now: new Date(clock.now()) });
  };
  await renewCrl();
  return {
    caFiles: [s.rootCaCert, s.issuingCaCert],
    crlFiles: [s.crl],
    listenerCertFile: s.listenerCert,
    listenerKeyFile: s.listenerKey,
    listenerCaFile: s.listenerCaCert,
    cards: [
      { label: { sv: 'Sara Sjöström, Region Sandbox (godtas)', en: 'Sara Sjöström, Region Sandbox (accepted)' }, p12Path: s.saraP12 },
      { label: { sv: 'Tomas Tell, Sandvik kommun (godtas)', en: 'Tomas Tell, Sandvik municipality (accepted)' }, p12Path: s.tomasP12 },
      { label: { sv: 'Saras gamla kort (spärrat)', en: 'Sara\'s old card (revoked)' }, p12Path: s.revokedP12 },
      { label: { sv: 'Tomas gamla kort (utgånget)', en: 'Tomas\'s old card (expired)' }, p12Path: s.expiredP12 },
      { label: { sv: 'Kort från en okänd utfärdare', en: 'Card from an unknown CA' }, p12Path: s.unknownP12 },
    ],
    passphrase: certs.passphrase,
    renewCrl,
  };
}

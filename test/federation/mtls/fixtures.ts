// Shared set-up for the SITHS card tests: the sandbox certificates in a temporary folder (one per test
// file, which is one process), the files read once, the staff personas, and a verifier over them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type Clock } from '../../../src/clock.ts';
import { ensureSandboxCerts, type SandboxCerts } from '../../../certs/make-sandbox-certs.ts';
import { loadIssued } from '../../../certs/bundles/siths.ts';
import type { Issued } from '../../../certs/pki.ts';
import { SithsCertificateVerifier, type SithsVerifierOptions } from '../../../src/federation/mtls/sithsCertificate.ts';

interface StaffPersona { id: string; personalNumber: string; givenName: string; surname: string; hsaId: string; orgName: string }
const personas = JSON.parse(readFileSync(new URL('../../../config/sandbox/personas.json', import.meta.url), 'utf8')) as { staff: StaffPersona[] };
export const sara = personas.staff.find((p) => p.id === 'sara')!;
export const tomas = personas.staff.find((p) => p.id === 'tomas')!;

export interface SithsFixture {
  certs: SandboxCerts;
  /** File contents by logical name (PEM as text; .crl, .p12 as bytes). */
  text: (name: keyof SandboxCerts['siths']) => string;
  bytes: (name: keyof SandboxCerts['siths']) => Buffer;
  root: Issued;
  issuing: Issued;
  /** Root then issuing CA, as configured. */
  trustedCaPems: string[];
}

let shared: Promise<SithsFixture> | undefined;

/** The sandbox certificates, made once per test file in a folder removed at exit. */
export function siths(): Promise<SithsFixture> {
  shared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'siths-certs-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const certs = await ensureSandboxCerts(dir);
    const text = (name: keyof SandboxCerts['siths']): string => readFileSync(certs.siths[name], 'utf8');
    const bytes = (name: keyof SandboxCerts['siths']): Buffer => readFileSync(certs.siths[name]);
    return {
      certs,
      text,
      bytes,
      root: loadIssued(text('rootCaCert'), text('rootCaKey')),
      issuing: loadIssued(text('issuingCaCert'), text('issuingCaKey')),
      trustedCaPems: [text('rootCaCert'), text('issuingCaCert')],
    };
  })();
  return shared;
}

/** A verifier over the sandbox CAs and CRL; `overrides` replace any option. */
export function verifier(f: SithsFixture, clock: Clock = new ManualClock(), overrides: Partial<SithsVerifierOptions> = {}): SithsCertificateVerifier {
  return new SithsCertificateVerifier({ trustedCaPems: f.trustedCaPems, crls: [f.bytes('crl')], clock, ...overrides });
}

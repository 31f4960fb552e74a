// Shared set-up for the Freja eID tests: sandbox certificates, the personas, a Freja client for a
// simulator, and hand-made JWS results for the checks a genuine simulator would never exercise.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { CompactSign, importPKCS8 } from 'jose';
import type { SandboxCerts } from '../../../certs/make-sandbox-certs.ts';
import type { Clock } from '../../../src/clock.ts';
import { FrejaClient, type FrejaClientOptions } from '../../../src/federation/freja/client.ts';
import { SigningCertificates, x5tOf } from '../../../src/federation/freja/result.ts';
import type { FrejaSimulator } from '../../../src/federation/freja/simulator/server.ts';
import type { SandboxPersonas } from '../../../src/federation/freja/simulator/transactions.ts';

export { tempCerts, serveRouter, rawCall } from '../bankid/fixtures.ts';

export const personas = JSON.parse(readFileSync(new URL('../../../config/sandbox/personas.json', import.meta.url), 'utf8')) as SandboxPersonas;
export const anna = personas.citizens.find((p) => p.id === 'anna')!;
export const bertil = personas.citizens.find((p) => p.id === 'bertil')!;

export async function signingCertsOf(certs: SandboxCerts): Promise<SigningCertificates> {
  return SigningCertificates.fromPem([readFileSync(certs.freja.signingCert, 'utf8')]);
}

/** A client for `sim`, trusting the given signing certificates (by default the simulator's own). */
export async function clientFor(sim: FrejaSimulator, extra: Partial<FrejaClientOptions> & { clock: Clock }): Promise<FrejaClient> {
  const { signingCertPems, ...opts } = sim.clientOptions();
  return new FrejaClient({ ...opts, signingCerts: await SigningCertificates.fromPem(signingCertPems), timeoutMs: 3000, ...extra });
}

/** A result signed as Freja signs it (RS256, x5t), with any key and any header. */
export async function signResult(payload: unknown, keyPem: string, header: Record<string, unknown>): Promise<string> {
  const key = await importPKCS8(keyPem, 'RS256');
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'RS256', ...header }).sign(key);
}

export const x5tOfPem = (pem: string): string => x5tOf(new X509Certificate(pem));

export function approvedPayload(authRef: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    authRef,
    status: 'APPROVED',
    userInfoType: 'INFERRED',
    userInfo: 'N/A',
    minRegistrationLevel: 'EXTENDED',
    requestedAttributes: {
      basicUserInfo: { name: anna.givenName, surname: anna.surname },
      ssn: { ssn: anna.personalNumber, country: 'SE' },
      registrationLevel: 'PLUS',
    },
    timestamp: Date.UTC(2026, 0, 15, 9, 0, 0),
    ...over,
  };
}

// The sandbox's Freja eID: sandbox certificates (TLS and the result-signing key), the REST API
// simulator on its own HTTPS port (it needs client-certificate TLS), and the simulated Freja app
// mounted on the gateway.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import { ensureSandboxCerts } from '../../certs/make-sandbox-certs.ts';
import { startFrejaSimulator } from '../federation/freja/simulator/index.ts';
import type { Clock } from '../clock.ts';

const personasFile = new URL('../../config/sandbox/personas.json', import.meta.url);

export interface SandboxFreja {
  url: string;
  clientOptions: { baseUrl: string; pfx: Buffer; passphrase: string; caPem: string; signingCertPems: string[]; timeoutMs: number };
  appRouter: Router;
  pendingTransactions(): number;
  close(): Promise<void>;
}

export async function startSandboxFreja(opts: { sandboxDir: string; port: number; clock: Clock; timeoutMs: number }): Promise<SandboxFreja> {
  const certs = await ensureSandboxCerts(join(opts.sandboxDir, 'certs'));
  const personas = JSON.parse(readFileSync(personasFile, 'utf8'));
  const sim = await startFrejaSimulator({ host: '127.0.0.1', port: opts.port, certs, personas, clock: opts.clock });
  return {
    url: sim.url,
    clientOptions: { ...sim.clientOptions(), timeoutMs: opts.timeoutMs },
    appRouter: sim.appRouter(),
    pendingTransactions: () => sim.transactions.pending().length,
    close: () => sim.close(),
  };
}

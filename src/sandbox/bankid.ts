// The sandbox's BankID: sandbox certificates, the RP API v6 simulator on its own HTTPS port (it
// needs client-certificate TLS), and the simulated BankID app mounted on the gateway.
import { join } from 'node:path';
import type Router from '@koa/router';
import { readFileSync } from 'node:fs';
import { ensureSandboxCerts } from '../../certs/make-sandbox-certs.ts';
import { startBankIdSimulator } from '../federation/bankid/simulator/index.ts';
import type { Clock } from '../clock.ts';

const personasFile = new URL('../../config/sandbox/personas.json', import.meta.url);

export interface SandboxBankId {
  url: string;
  clientOptions: { baseUrl: string; pfx: Buffer; passphrase: string; caPem: string; timeoutMs: number };
  appRouter: Router;
  pendingOrders(): number;
  close(): Promise<void>;
}

export async function startSandboxBankId(opts: { sandboxDir: string; port: number; clock: Clock; timeoutMs: number }): Promise<SandboxBankId> {
  const certs = await ensureSandboxCerts(join(opts.sandboxDir, 'certs'));
  const personas = JSON.parse(readFileSync(personasFile, 'utf8'));
  const sim = await startBankIdSimulator({ host: '127.0.0.1', port: opts.port, certs, personas, clock: opts.clock });
  return {
    url: sim.url,
    clientOptions: { ...sim.clientOptions(), timeoutMs: opts.timeoutMs },
    appRouter: sim.appRouter(),
    pendingOrders: () => sim.orders.pending().length,
    close: () => sim.close(),
  };
}

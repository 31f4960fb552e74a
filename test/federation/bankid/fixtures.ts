// Shared set-up for the BankID tests: sandbox certificates in a temporary folder, the personas file,
// the app router on a real HTTP port, and raw HTTPS calls for what BankIdClient would never send.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import Koa from 'koa';
import type Router from '@koa/router';
import { ensureSandboxCerts, type SandboxCerts } from '../../../certs/make-sandbox-certs.ts';
import type { SandboxPersonas } from '../../../src/federation/bankid/simulator/orders.ts';

export const personas = JSON.parse(readFileSync(new URL('../../../config/sandbox/personas.json', import.meta.url), 'utf8')) as SandboxPersonas;

export const anna = personas.citizens.find((p) => p.id === 'anna')!;
export const bertil = personas.citizens.find((p) => p.id === 'bertil')!;

/** A fresh sandbox certificate folder, removed when the process exits. Also reports how long it took. */
export async function tempCerts(): Promise<SandboxCerts & { generationMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bankid-certs-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const started = performance.now();
  const certs = await ensureSandboxCerts(dir);
  return { ...certs, generationMs: performance.now() - started };
}

/** Serves a router on 127.0.0.1 with a free port, the way the gateway mounts it. */
export async function serveRouter(router: Router): Promise<{ url: string; close: () => Promise<void> }> {
  const app = new Koa();
  app.use(router.routes());
  app.use(router.allowedMethods());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export interface RawAnswer {
  status: number;
  json: unknown;
}

/**
 * One HTTPS request to the simulator with full control over method, headers and body; `key`/`cert`
 * choose the client certificate (the sandbox RP one, another, or none).
 */
export function rawCall(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca: string; key?: string; cert?: string },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'POST',
        headers: options.headers ?? { 'content-type': 'application/json' },
        ca: options.ca,
        ...(options.key ? { key: options.key, cert: options.cert } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

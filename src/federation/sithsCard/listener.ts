// The gateway's own card listener: an HTTPS server that asks every browser for a client certificate
// (TLS client authentication) but lets the handshake through whatever it gets — requestCert without
// rejectUnauthorized — so the verifier decides, and a revoked or unknown card gets a page that says
// why instead of a TLS alert the browser shows as a broken connection. The configured SITHS CAs are
// sent in the CertificateRequest, so a browser offers only the certificates that can chain to them.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type Router from '@koa/router';
import type { Logger } from '../../log.ts';
import { errorBoundary } from '../../http/problem.ts';
import { securityHeaders } from '../../http/securityHeaders.ts';

export interface CardListenerOptions {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** The SITHS CAs: named to the browser as acceptable issuers; trust is decided by the verifier. */
  caPems: string[];
  router: Router;
  logger: Logger;
}

export interface CardListener {
  /** https://<host>:<port> of the bound socket. */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startCardListener(options: CardListenerOptions): Promise<CardListener> {
  const app = new Koa();
  app.use(securityHeaders({ hsts: true }));
  app.use(errorBoundary(options.logger));
  app.use(options.router.routes());
  app.use(options.router.allowedMethods());
  const server = createServer({
    cert: options.certPem,
    key: options.keyPem,
    ca: options.caPems,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
  }, app.callback());
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  // A failed handshake (a client that speaks no TLS, a scanner) is the client's problem, not a crash.
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => options.logger.debug({ reason: 'tls_handshake_failed', code: err.code }, 'siths card listener'));
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `https://${host}:${address.port}`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

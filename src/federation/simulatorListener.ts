// The TLS listener every e-ID provider simulator needs (BankID RP API, Freja eID REST API): the
// provider's server certificate, client certificates required and accepted only from the sandbox RP
// CA (as the real services do), TLS 1.2 at least. Sandbox only.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimulatorListenerOptions {
  serverKeyFile: string;
  serverCertFile: string;
  /** The only CA whose client certificates are accepted. */
  clientCaFile: string;
  host?: string | undefined;
  port: number;
}

/** Listens and answers the server and its origin (`https://host:port`). */
export async function listenWithClientCertificates(
  options: SimulatorListenerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; origin: string }> {
  const server: Server = createServer(
    {
      key: readFileSync(options.serverKeyFile),
      cert: readFileSync(options.serverCertFile),
      ca: [readFileSync(options.clientCaFile)],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    handler,
  );
  server.on('tlsClientError', () => {
    // A refused handshake (no or foreign client certificate) is the intended outcome, not a fault.
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return { server, origin: `https://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

// The enforcement proxy's HTTP client to the data APIs: node:http(s) with keep-alive agents, so that an
// https upstream can demand the proxy's client certificate (mTLS, pdp.upstreamTls) and be trusted only
// through its own CA — a data API can then refuse anyone but the proxy at the transport, beside the
// signed decision assertion it checks on every request. Bodies stream both ways; nothing is decoded,
// so Content-Encoding passes through as the data API sent it.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline, type Readable } from 'node:stream';

export interface UpstreamTls {
  /** PEM client certificate (chain) the proxy presents to https upstreams. */
  certFile?: string | undefined;
  /** Its PEM private key. */
  keyFile?: string | undefined;
  /** PEM CA bundle https upstreams are verified against, instead of the system's. */
  caFile?: string | undefined;
}

/** The data API sent no response headers in time. */
export class UpstreamTimeout extends Error {
  constructor() {
    super('upstream timeout');
    this.name = 'TimeoutError';
  }
}

function read(file: string | undefined, what: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`pdp.upstreamTls.${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export class UpstreamClient {
  readonly #http = new HttpAgent({ keepAlive: true });
  readonly #https: HttpsAgent;
  readonly #timeoutMs: number;

  constructor(o: { timeoutMs: number; tls?: UpstreamTls | undefined }) {
    const cert = read(o.tls?.certFile, 'certFile');
    const key = read(o.tls?.keyFile, 'keyFile');
    const ca = read(o.tls?.caFile, 'caFile');
    if (Boolean(cert) !== Boolean(key)) throw new Error('pdp.upstreamTls: a client certificate needs its key (certFile and keyFile together)');
    this.#https = new HttpsAgent({ keepAlive: true, ...(cert && key ? { cert, key } : {}), ...(ca ? { ca } : {}) });
    this.#timeoutMs = o.timeoutMs;
  }

  /** Sends the request; resolves with the response once its headers are in (the timeout covers those). */
  send(url: URL, method: string, headers: OutgoingHttpHeaders, body: Readable | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const https = url.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(url, { method, headers, agent: https ? this.#https : this.#http });
      const timer = setTimeout(() => req.destroy(new UpstreamTimeout()), this.#timeoutMs);
      req.once('response', (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      req.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      // A failed upload destroys the request, which rejects above (or, after the response, is moot).
      if (body) pipeline(body, req, () => undefined);
      else req.end();
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

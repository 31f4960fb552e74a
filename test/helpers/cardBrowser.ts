// The browser's side of TLS client authentication, for card sign-in tests: one HTTPS request with a
// card's key and certificate (as a browser presents a smart card's authentication certificate), or
// with none, or a request with a header a TLS proxy would set. Redirects are returned, not followed.
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface CardAnswer {
  status: number;
  location?: string;
  text: string;
}

export interface CardRequestOptions {
  /** The card: PEM private key and certificate; absent = the browser presents no certificate. */
  key?: string;
  cert?: string;
  /** The CA of the listener's TLS certificate (the sandbox listener CA). */
  ca?: string;
  headers?: Record<string, string>;
}

/** GET `url` once; over https with the card as the TLS client certificate when one is given. */
export function cardRequest(url: string, options: CardRequestOptions = {}): Promise<CardAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const location = res.headers.location;
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ...(location ? { location: new URL(location, url).href } : {}) });
      });
      res.on('error', reject);
    };
    const common = { method: 'GET', headers: options.headers ?? {}, agent: false as const };
    const req = target.protocol === 'https:'
      ? httpsRequest(target, { ...common, ...(options.ca ? { ca: options.ca } : {}), ...(options.key ? { key: options.key, cert: options.cert } : {}) }, onResponse)
      : httpRequest(target, common, onResponse);
    req.on('error', reject);
    req.end();
  });
}

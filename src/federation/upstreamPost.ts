// One JSON-answering POST to an e-ID provider's relying-party API (BankID, Freja eID) over the
// mutual-TLS agent the caller built: one deadline for connect, TLS, request and the whole answer, a
// cap on the answer's size, and the answer parsed as JSON. Each client turns the failure kinds into
// its own error codes; nothing here logs.
import type { Agent } from 'node:https';
import { request } from 'node:https';

export type UpstreamFailureKind = 'timeout' | 'network' | 'badResponse';

export class UpstreamPostError extends Error {
  readonly kind: UpstreamFailureKind;
  readonly httpStatus: number | undefined;
  readonly details: string | undefined;
  constructor(kind: UpstreamFailureKind, options: { httpStatus?: number | undefined; details?: string; cause?: unknown } = {}) {
    super(options.details ?? kind, { cause: options.cause });
    this.name = 'UpstreamPostError';
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.details = options.details;
  }
}

export interface UpstreamPost {
  agent: Agent;
  url: URL;
  body: string;
  contentType: string;
  timeoutMs: number;
  maxResponseBytes: number;
  /** What an empty answer is: an error (BankID always answers JSON) or `{}` (Freja's cancel answers nothing). */
  emptyAnswer: 'error' | 'object';
}

export function postToUpstream(o: UpstreamPost): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      fn();
    };
    const req = request(
      o.url,
      {
        method: 'POST',
        agent: o.agent,
        headers: { 'content-type': o.contentType, 'content-length': Buffer.byteLength(o.body), accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > o.maxResponseBytes) {
            settle(() => reject(new UpstreamPostError('badResponse', { httpStatus: res.statusCode, details: 'answer too large' })));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (cause) => settle(() => reject(new UpstreamPostError('network', { cause }))));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (text.trim() === '' && o.emptyAnswer === 'object') {
            settle(() => resolve({ status, json: {} }));
            return;
          }
          try {
            const json: unknown = JSON.parse(text);
            settle(() => resolve({ status, json }));
          } catch {
            settle(() => reject(new UpstreamPostError('badResponse', { httpStatus: status, details: 'answer is not JSON' })));
          }
        });
      },
    );
    // A server that accepts and never answers must not hold a person's sign-in (or a worker) hostage.
    const deadline = setTimeout(() => {
      settle(() => reject(new UpstreamPostError('timeout', { details: `no answer within ${o.timeoutMs} ms` })));
      req.destroy();
    }, o.timeoutMs);
    req.on('error', (cause) => settle(() => reject(new UpstreamPostError('network', { cause }))));
    req.end(o.body);
  });
}

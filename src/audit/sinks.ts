// Where checkpoints go outside the database. A sink takes a checkpoint or throws; the checkpointer
// publishes a checkpoint only once every sink has taken it, and tries again at its next tick otherwise
// (a sink may then hold a checkpoint twice: the same link and hash, harmless to the verifier).
// - FileSink: an append-only JSON-lines file, one flattened JWS a line, synced before it counts. In
//   production, on storage the gateway's hosts can append to but not rewrite (a WORM volume, a file
//   with the append-only attribute, another host's mount).
// - HttpSink: a POST of each checkpoint (`application/jose+json`) to a write-once object store, a
//   transparency log or a syslog/HTTP collector; any 2xx counts as stored.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { SignedCheckpoint } from './checkpoint.ts';

export interface CheckpointSink {
  /** For logs: never a secret. */
  readonly name: string;
  append(checkpoints: readonly SignedCheckpoint[]): Promise<void>;
}

export class FileSink implements CheckpointSink {
  readonly name: string;
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
    this.name = `file ${file}`;
  }

  async append(checkpoints: readonly SignedCheckpoint[]): Promise<void> {
    if (!checkpoints.length) return;
    mkdirSync(dirname(this.#file), { recursive: true });
    // 'a': every write lands at the end, whatever another writer did meanwhile.
    const handle = await open(this.#file, 'a', 0o600);
    try {
      await handle.write(checkpoints.map((c) => `${JSON.stringify(c)}\n`).join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

export class HttpSink implements CheckpointSink {
  readonly name: string;
  readonly #url: string;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(opts: { url: string; authorizationFile?: string | undefined; timeoutMs: number; fetch?: typeof fetch }) {
    this.#url = opts.url;
    this.#authorization = opts.authorizationFile ? readFileSync(opts.authorizationFile, 'utf8').trim() : undefined;
    this.#timeoutMs = opts.timeoutMs;
    this.#fetch = opts.fetch ?? fetch;
    this.name = `http ${new URL(opts.url).origin}`;
  }

  async append(checkpoints: readonly SignedCheckpoint[]): Promise<void> {
    for (const c of checkpoints) {
      const res = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/jose+json', ...(this.#authorization ? { authorization: this.#authorization } : {}) },
        body: JSON.stringify(c),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error',
      });
      await res.body?.cancel();
      if (res.status < 200 || res.status > 299) throw new Error(`checkpoint sink ${this.name} answered ${res.status}`);
    }
  }
}

/** One line of a checkpoint file: the value it holds, or why it holds none. */
export type CheckpointLine = { line: number; value: unknown; error?: undefined } | { line: number; value?: undefined; error: string };

/** Every non-blank line of a checkpoint file (a JSON value a line: a flattened JWS, or a compact one as a string). */
export function readCheckpointFile(file: string): CheckpointLine[] {
  const text = readFileSync(file, 'utf8');
  const out: CheckpointLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(line)) {
      out.push({ line: i + 1, value: line });
      return;
    }
    try {
      out.push({ line: i + 1, value: JSON.parse(line) });
    } catch {
      out.push({ line: i + 1, error: 'not JSON' });
    }
  });
  return out;
}

/**
 * The checkpoint file the sandbox writes when none is configured: one per database, so a verifier
 * pointed at another database never reads checkpoints of this one. None in production (it must be
 * configured) and none for an in-memory registry (nothing outside would outlive it).
 */
export function defaultCheckpointFile(config: { mode: string; sandboxDir: string; registry: { databaseUrl?: string | undefined; pglite?: string | undefined }; audit: { checkpoints: { file?: string | undefined } } }): string | undefined {
  if (config.audit.checkpoints.file) return config.audit.checkpoints.file;
  if (config.mode !== 'sandbox') return undefined;
  const dir = join(config.sandboxDir, 'audit');
  const { databaseUrl, pglite } = config.registry;
  const named = (what: string) => join(dir, `checkpoints-${createHash('sha256').update(what).digest('hex').slice(0, 12)}.jsonl`);
  if (databaseUrl) {
    const u = new URL(databaseUrl);
    return named(`postgres:${u.hostname}:${u.port || '5432'}${u.pathname}`);
  }
  if (pglite === 'memory') return undefined;
  return pglite ? named(`pglite:${resolve(pglite)}`) : join(dir, 'checkpoints.jsonl');
}

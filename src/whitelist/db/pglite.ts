// PGlite: PostgreSQL compiled to WebAssembly, in this process. The sandbox's registry lives in a
// folder under the sandbox dir (so `npm start` keeps it across restarts), tests use memory. It has one
// connection, so this wrapper queues every statement behind any open transaction: nothing can slip
// into another caller's transaction. A PGlite folder is single-process: a lock file with the owner's
// pid keeps a second process (another sandbox, `audit:verify` while the sandbox runs) out of it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Isolation, Queryable, QueryResult } from './db.ts';
import { dbDuration, timed } from '../../http/metrics.ts';

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly #pg: PGlite;
  #tail: Promise<unknown> = Promise.resolve();

  readonly #lockFile: string | undefined;

  private constructor(pglite: PGlite, lockFile: string | undefined) {
    this.#pg = pglite;
    this.#lockFile = lockFile;
  }

  /** `dir` undefined: in memory. */
  static async open(dir?: string): Promise<PgliteDb> {
    let lockFile: string | undefined;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      // Beside the folder, not in it: PGlite initialises only an empty folder.
      lockFile = `${resolve(dir)}.lock`;
      takeLock(lockFile);
    }
    try {
      const pglite = await PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, ...SMALL_FOOTPRINT] });
      releaseStartupGarbage();
      return new PgliteDb(pglite, lockFile);
    } catch (err) {
      if (lockFile) {
        rmSync(lockFile, { force: true });
        held.delete(lockFile);
      }
      throw err;
    }
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    // Timed from the queue on: a statement waiting behind a transaction is latency too.
    return timed(dbDuration, { db: 'pglite', kind: 'statement' }, () => this.#serial(async () => {
      const result = await this.#pg.query<R>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    }));
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>, _options: { isolation?: Isolation } = {}): Promise<T> {
    // One connection: every transaction is already serializable with respect to every other.
    return timed(dbDuration, { db: 'pglite', kind: 'transaction' }, () => this.#serial(() => this.#pg.transaction(async (t) => work({
      async query<R>(sql: string, params: unknown[] = []) {
        const result = await t.query<R>(sql, params);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      },
      async exec(script: string) {
        await t.exec(script);
      },
    }))));
  }

  exec(sql: string): Promise<void> {
    return this.#serial(async () => {
      await this.#pg.exec(sql);
    });
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      await this.#pg.close();
      if (this.#lockFile) {
        rmSync(this.#lockFile, { force: true });
        held.delete(this.#lockFile);
      }
    });
  }
}

/**
 * The sandbox's registry is a few megabytes: PostgreSQL's defaults (128 MB of shared buffers, all of
 * it inside PGlite's WebAssembly heap once touched) are sized for a server. These keep the heap small
 * (issue 14, item 6: the sandbox within 400 MB; BENCHMARKS.md, "Memory").
 */
export const SMALL_FOOTPRINT = [
  '-c', 'shared_buffers=16MB',
  '-c', 'work_mem=2MB',
  '-c', 'maintenance_work_mem=16MB',
  '-c', 'temp_buffers=2MB',
];

/**
 * Creating a PGlite database runs initdb, a WebAssembly instance of its own with a heap of several
 * hundred megabytes, and starting one (loading its file-system bundle, compiling PostgreSQL to machine
 * code, the migrations) leaves as much again behind; all of it is garbage once PGlite is up. V8 frees
 * it only at its next full collection, which on a quiet sandbox can be long after; until then the
 * process holds twice the memory it needs. One full collection after opening, and one when the
 * sandbox's registry is ready (src/whitelist/module.ts), hand it back at once. The flag is turned on
 * for these calls only; nothing else looks for `gc`.
 */
export function releaseStartupGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') gc();
  } catch {
    // Not collecting is only memory held longer, never wrong.
  }
}

/** Lock files this process holds: a second open in the same process is refused too. */
const held = new Set<string>();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Creates the lock file, or takes over one whose process is gone (a crash); refuses a live owner. */
function takeLock(file: string): void {
  if (held.has(file)) throw new Error('the PGlite registry is already open in this process');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      held.add(file);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      // Our own pid in a lock we do not hold is a previous life (a container restarted as pid 1, say).
      if (owner && owner !== process.pid && alive(owner)) {
        throw new Error(`the PGlite registry is in use by process ${owner}: stop it first (or use PostgreSQL, DATABASE_URL)`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot lock the PGlite registry (${file})`);
}

// PGlite: PostgreSQL compiled to WebAssembly, in this process. The sandbox's registry lives in a
// folder under the sandbox dir (so `npm start` keeps it across restarts), tests use memory. It has one
// connection, so this wrapper queues every statement behind any open transaction: nothing can slip
// into another caller's transaction. A PGlite folder is single-process: a lock file with the owner's
// pid keeps a second process (another sandbox, `audit:verify` while the sandbox runs) out of it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Isolation, Queryable, QueryResult } from './db.ts';

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
      return new PgliteDb(await PGlite.create(dir), lockFile);
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
    return this.#serial(async () => {
      const result = await this.#pg.query<R>(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    });
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>, _options: { isolation?: Isolation } = {}): Promise<T> {
    // One connection: every transaction is already serializable with respect to every other.
    return this.#serial(() => this.#pg.transaction(async (t) => work({
      async query<R>(sql: string, params: unknown[] = []) {
        const result = await t.query<R>(sql, params);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      },
      async exec(script: string) {
        await t.exec(script);
      },
    })));
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

// PGlite: PostgreSQL compiled to WebAssembly, in this process. The sandbox's registry lives in a
// folder under the sandbox dir (so `npm start` keeps it across restarts), tests use memory. It has one
// connection, so this wrapper queues every statement behind any open transaction: nothing can slip
// into another caller's transaction.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Isolation, Queryable, QueryResult } from './db.ts';

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly #pg: PGlite;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(pglite: PGlite) {
    this.#pg = pglite;
  }

  /** `dir` undefined: in memory. */
  static async open(dir?: string): Promise<PgliteDb> {
    if (dir) mkdirSync(dir, { recursive: true });
    const pglite = await PGlite.create(dir);
    return new PgliteDb(pglite);
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
    return this.#serial(() => this.#pg.close());
  }
}

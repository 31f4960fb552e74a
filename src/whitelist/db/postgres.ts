// node-postgres against a real server. The application's pool works as the restricted role
// (`gateway_app`: no UPDATE or DELETE on the audit log), whatever login the URL names, so the
// database itself keeps the audit trail append-only even if this process is subverted.
import pg from 'pg';
import type { Db, Isolation, Queryable, QueryResult } from './db.ts';

export interface PostgresOptions {
  url: string;
  /** Role every connection switches to (SET ROLE); empty when the login already is the app role. */
  role?: string;
  max?: number;
}

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;

  constructor(options: PostgresOptions) {
    // The role is a start-up parameter, not a later SET ROLE: a connection that cannot take it fails
    // to open instead of running on as the login user (fail closed).
    const role = options.role ? `-c role=${options.role.replace(/[^A-Za-z0-9_]/g, '')}` : undefined;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 10,
      connectionTimeoutMillis: 10_000,
      ...(role ? { options: role } : {}),
    });
    // An idle client that loses its server must not crash the process; the next query reports it.
    this.#pool.on('error', () => undefined);
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const result = await this.#pool.query(sql, params);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>, options: { isolation?: Isolation } = {}): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}`);
      const tx: Queryable = {
        async query<R>(sql: string, params: unknown[] = []) {
          const result = await client.query(sql, params);
          return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
        },
        async exec(script: string) {
          await client.query(script);
        },
      };
      const value = await work(tx);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql);
  }

  /** A dedicated connection for work that must hold a session-level lock (migrations). */
  async withSession<T>(work: (session: Db) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const session: Db = {
      kind: 'postgres',
      async query<R>(sql: string, params: unknown[] = []) {
        const result = await client.query(sql, params);
        return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
      },
      async transaction<U>(inner: (tx: Queryable) => Promise<U>) {
        await client.query('BEGIN');
        try {
          const value = await inner(session);
          await client.query('COMMIT');
          return value;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      },
      async exec(script: string) {
        await client.query(script);
      },
      async close() { /* released below */ },
    };
    try {
      return await work(session);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

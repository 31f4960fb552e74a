// node-postgres against a real server. The application's pool works as the restricted role
// (`gateway_app`: no UPDATE or DELETE on the audit log), whatever login the URL names, so the
// database itself keeps the audit trail append-only even if this process is subverted.
import pg from 'pg';
import { DependencyUnavailable } from '../../unavailable.ts';
import { dbDuration, timed } from '../../http/metrics.ts';
import { pgCode, type Db, type Isolation, type Queryable, type QueryResult } from './db.ts';

export interface PostgresOptions {
  url: string;
  /** Role every connection switches to (SET ROLE); empty when the login already is the app role. */
  role?: string;
  max?: number;
}

// SQLSTATEs by which the server says it cannot serve now: class 08 (connection exception), shut down
// or starting up (57P01-57P03), out of connections (53300), a hot standby in recovery (25006 read-only
// is not one: that is a wrong deployment, answered as a bug).
const OUTAGE_STATES = /^(08...|57P0[1-3]|53300)$/;
// Socket-level failures of node-postgres and of the pool (no SQLSTATE at all).
const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const OUTAGE_MESSAGE = /Connection terminated|connection error|timeout exceeded when trying to connect|Connection ended|not queryable/i;

/**
 * A lost or unreachable server as the gateway's DependencyUnavailable (503, retried by the caller);
 * anything else — a constraint, a syntax error, a permission — unchanged, for the registry to map.
 */
export function postgresOutage(err: unknown): unknown {
  if (err instanceof DependencyUnavailable) return err;
  const code = pgCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if ((code && (OUTAGE_STATES.test(code) || OUTAGE_CODES.has(code))) || (!code && OUTAGE_MESSAGE.test(message))) {
    return new DependencyUnavailable('database', `postgres: ${code ?? message.split('\n')[0]}`);
  }
  return err;
}

/** Every statement (and taking a connection from the pool) is timed for /metrics. */
async function guarded<T>(work: () => Promise<T>, kind: 'statement' | 'connect' = 'statement'): Promise<T> {
  try {
    return await timed(dbDuration, { db: 'postgres', kind }, work);
  } catch (err) {
    throw postgresOutage(err);
  }
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
    // The pool's own listener is taken off a client while it is checked out (a transaction, a
    // migration session): a server that dies between two statements would then raise an 'error'
    // event nobody listens to, and Node ends the process. Every client keeps a listener of its own
    // for its whole life; the statement in flight, or the next one, reports the loss.
    this.#pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
  }

  async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
    const result = await guarded(() => this.#pool.query(sql, params));
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>, options: { isolation?: Isolation } = {}): Promise<T> {
    const client = await guarded(() => this.#pool.connect(), 'connect');
    // A client whose connection broke goes back with the error: the pool destroys it instead of
    // handing it, dead, to the next caller.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    client.on('error', onError);
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}`);
      const tx: Queryable = {
        async query<R>(sql: string, params: unknown[] = []) {
          const result = await guarded(() => client.query(sql, params));
          return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
        },
        async exec(script: string) {
          await guarded(() => client.query(script));
        },
      };
      const value = await work(tx);
      await guarded(() => client.query('COMMIT'));
      return value;
    } catch (err) {
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error('rollback failed');
        }
      }
      throw postgresOutage(err);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    await guarded(() => this.#pool.query(sql));
  }

  /** A dedicated connection for work that must hold a session-level lock (migrations). */
  async withSession<T>(work: (session: Db) => Promise<T>): Promise<T> {
    const client = await guarded(() => this.#pool.connect(), 'connect');
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    client.on('error', onError);
    const session: Db = {
      kind: 'postgres',
      async query<R>(sql: string, params: unknown[] = []) {
        const result = await guarded(() => client.query(sql, params));
        return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
      },
      async transaction<U>(inner: (tx: Queryable) => Promise<U>) {
        await guarded(() => client.query('BEGIN'));
        try {
          const value = await inner(session);
          await guarded(() => client.query('COMMIT'));
          return value;
        } catch (err) {
          await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
            broken ??= rollbackErr instanceof Error ? rollbackErr : new Error('rollback failed');
          });
          throw err;
        }
      },
      async exec(script: string) {
        await guarded(() => client.query(script));
      },
      async close() { /* released below */ },
    };
    try {
      return await work(session);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

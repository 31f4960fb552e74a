// A dependency the gateway cannot answer without — the hot store (Redis) or the system of record
// (PostgreSQL) — did not answer. The store and the database throw this instead of their clients' own
// errors, so every layer above can tell an outage (503 + Retry-After, the request may be repeated)
// from a bug (500) without knowing which client library is underneath.

export type Dependency = 'store' | 'database';

/** How long a caller should wait before trying again, by dependency (Redis reconnects within ~1 s). */
export const RETRY_AFTER_SECONDS: Record<Dependency, number> = { store: 2, database: 5 };

/** The problem type (and the admin API's reason code) an outage of each dependency answers with. */
export const UNAVAILABLE_CODE: Record<Dependency, 'store_unavailable' | 'database_unavailable'> = {
  store: 'store_unavailable',
  database: 'database_unavailable',
};

export class DependencyUnavailable extends Error {
  readonly dependency: Dependency;
  /** What the client library said, for the one log line (connection words only: no key, no value). */
  readonly detail: string;
  readonly retryAfterSeconds: number;
  // oidc-provider answers an error it catches from its own fields: with these, whatever of its routes
  // reaches the store (adapter, DPoP replay cache, account lookup, session save) answers RFC 6749's
  // `temporarily_unavailable` with a 503 — JSON, or its error page through renderError — instead of
  // `server_error` 500. `expose` makes it print the message as the error code.
  readonly statusCode = 503;
  readonly expose = true;
  readonly error_description = 'the service is temporarily unavailable; try again shortly';

  constructor(dependency: Dependency, detail: string) {
    super('temporarily_unavailable');
    this.name = 'DependencyUnavailable';
    this.dependency = dependency;
    this.detail = detail.slice(0, 200);
    this.retryAfterSeconds = RETRY_AFTER_SECONDS[dependency];
  }
}

export const isUnavailable = (err: unknown): err is DependencyUnavailable => err instanceof DependencyUnavailable;

/** The fields of the one log line an outage gets per request: no stack, no request data. */
export const outageFields = (err: DependencyUnavailable): { dependency: Dependency; reason: string } => ({ dependency: err.dependency, reason: err.detail });

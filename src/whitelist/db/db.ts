// The registry's one view of its database: PostgreSQL (the system of record) and PGlite (the embedded
// sandbox default) behind the same three calls, so the store, the migrations and the contract suite
// cannot tell them apart.

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /**
   * One statement with $1.. parameters. `R` is what the caller expects the rows to be, not something
   * the driver checks: rows of the registry's tables go through their mapper (rows.ts) before use.
   */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws (and the
   * error rethrown). Nothing else runs on the same connection meanwhile.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>, options?: { isolation?: Isolation }): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL error codes the registry turns into answers (the rest are bugs or outages). */
export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  insufficientPrivilege: '42501',
  raiseException: 'P0001',
} as const;

export const pgCode = (err: unknown): string | undefined => {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
};

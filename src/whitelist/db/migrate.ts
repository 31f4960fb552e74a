// Versioned schema migrations: src/whitelist/migrations/NNN_name.sql, applied in order, each in its
// own transaction together with its row in schema_migrations. On PostgreSQL, instances starting at
// once take turns under an advisory lock, so a migration never runs twice.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';
import { PostgresDb } from './postgres.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
/** Any fixed 64-bit number; it only has to be the same for every instance of this gateway. */
const MIGRATION_LOCK = 7_305_019_884_221;

export interface Migration {
  version: string;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.slice(0, 3), name: f.slice(4, -4), sql: readFileSync(`${dir}/${f}`, 'utf8') }));
}

async function applyPending(db: Db, migrations: Migration[]): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Set((await db.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    await db.transaction(async (tx) => {
      // A script of several statements; both drivers accept it as one simple-protocol query.
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    });
    applied.push(`${m.version}_${m.name}`);
  }
  return applied;
}

/** Applies every pending migration; answers the ones it applied. */
export async function migrate(db: Db, migrations = listMigrations()): Promise<string[]> {
  if (!(db instanceof PostgresDb)) return applyPending(db, migrations);
  return db.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      return await applyPending(session, migrations);
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
}

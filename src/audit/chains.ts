// The two chains the audit key anchors, as the checkpointer reads them: their links (seq, hash, the
// hash each points back to, the records counted through it), newest last. Registry links are audit
// entries (count = seq); decision links are batches (count = decision rows through the batch).
import { z } from 'zod';
import { int8, mapperFor } from '../whitelist/db/columns.ts';
import type { Db, Queryable } from '../whitelist/db/db.ts';
import type { ChainName } from './checkpoint.ts';

export interface ChainLink {
  seq: number;
  hash: string;
  prevHash: string;
  count: number;
}

export interface AuditChain {
  name: ChainName;
  /** The database the chain lives in (and its published checkpoints). */
  db: Db;
  /** Links after `after`, in seq order, at most `limit`. */
  links(q: Queryable, after: number, limit: number): Promise<ChainLink[]>;
}

const linkRow = z.object({ seq: int8, hash: z.string(), prev_hash: z.string(), count: int8 })
  .transform((r): ChainLink => ({ seq: r.seq, hash: r.hash, prevHash: r.prev_hash, count: r.count }));
type LinkRow = z.input<typeof linkRow>;

function chainOf(name: ChainName, db: Db, table: string, countColumn: string): AuditChain {
  const fromRow = mapperFor(table, 'seq', linkRow);
  return {
    name,
    db,
    async links(q, after, limit) {
      const rows = (await q.query<LinkRow>(`SELECT seq, hash, prev_hash, ${countColumn} AS count FROM ${table} WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, limit])).rows;
      return rows.map(fromRow);
    },
  };
}

export const registryChain = (db: Db): AuditChain => chainOf('registry', db, 'audit_log', 'seq');
export const decisionChain = (db: Db): AuditChain => chainOf('decision', db, 'decision_audit_batches', 'total');

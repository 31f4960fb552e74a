// The decision audit as a hash chain of batches (issue 13). Rows are many and written in bulk, so the
// link is a batch — the rows one drain (or one direct write) put into one month's partition — not a
// row: one hash per batch keeps the chain and its checkpoints small. Each batch is hashed over
//   content_hash = SHA-256 of, for every row in id order, canonicalJson(the row as decisionFromRow
//                  reads it back: keys sorted, NULL columns absent, decided_at an ISO instant) + "\n"
//   hash         = SHA-256 of canonicalJson({seq, month, writtenAt, rows, total, contentHash}) + "\n" + prev_hash
// so a row changed, moved to another batch, removed or added changes its batch's content hash. The
// content is hashed from the rows PostgreSQL answers (INSERT ... RETURNING), through the same mapper
// the verifier reads them with: what was hashed is what can be read back. A batch's rows are of one
// UTC month, so retention, which drops whole monthly partitions, removes whole batches: the verifier
// accepts a batch without rows only when its month is past retention.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChainAnchors } from '../audit/anchors.ts';
import { noAnchors } from '../audit/anchors.ts';
import { canonicalJson, GENESIS_HASH } from '../whitelist/audit.ts';
import { int8, mapperFor, RowError, timestamp } from '../whitelist/db/columns.ts';
import type { Db, Queryable } from '../whitelist/db/db.ts';
import { decisionFromRow, type DecisionAuditRow, type DecisionRecord } from './decisionAudit.ts';

export interface DecisionBatch {
  seq: number;
  /** The first day of the UTC month all its rows are in (YYYY-MM-01). */
  month: string;
  writtenAt: string;
  rows: number;
  /** Rows in this batch and every earlier one. */
  total: number;
  contentHash: string;
  prevHash: string;
  hash: string;
}

const sha256 = (...parts: string[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** The content hash of a batch's rows, whatever order they come in. */
export function rowsHash(records: readonly DecisionRecord[]): string {
  const h = createHash('sha256');
  for (const r of [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) h.update(`${canonicalJson(r)}\n`);
  return h.digest('hex');
}

export function batchHash(b: Omit<DecisionBatch, 'hash'>): string {
  const { seq, month, writtenAt, rows, total, contentHash } = b;
  return sha256(canonicalJson({ seq, month, writtenAt, rows, total, contentHash }), '\n', b.prevHash);
}

const monthOf = (decidedAt: string): string => {
  const at = new Date(decidedAt);
  return Number.isNaN(at.getTime()) ? decidedAt.slice(0, 7) + '-01' : `${at.toISOString().slice(0, 7)}-01`;
};

/** Milliseconds, as the row mapper will read it back: a finer instant could be changed unseen. */
const normalised = (decidedAt: string): string => {
  const at = new Date(decidedAt);
  return Number.isNaN(at.getTime()) ? decidedAt : at.toISOString();
};

const headRow = z.object({ seq: int8, total: int8, hash: z.string() });
const headFromRow = mapperFor('decision_audit_head', 'seq', headRow);

export async function readDecisionHead(db: Queryable, forUpdate = false): Promise<z.output<typeof headRow> | undefined> {
  const row = (await db.query<z.input<typeof headRow>>(`SELECT seq, total, hash FROM decision_audit_head WHERE id = 1${forUpdate ? ' FOR UPDATE' : ''}`)).rows[0];
  return row ? headFromRow(row) : undefined;
}

const COLUMNS = 12;

/**
 * Writes `entries` as chained batches, one per UTC month they fall in, in one transaction that holds
 * the chain's head: concurrent drains queue. A record already written (a redelivery) is skipped and
 * not counted; a batch that would be empty is not written.
 */
export async function writeChainedBatches(db: Db, now: number, entries: readonly DecisionRecord[]): Promise<DecisionBatch[]> {
  if (!entries.length) return [];
  const byMonth = new Map<string, DecisionRecord[]>();
  for (const e of entries) {
    const month = monthOf(e.decidedAt);
    byMonth.set(month, [...(byMonth.get(month) ?? []), { ...e, decidedAt: normalised(e.decidedAt) }]);
  }
  return db.transaction(async (tx) => {
    const head = await readDecisionHead(tx, true);
    if (!head) throw new Error('decision_audit_head is missing: migration 101 has not run');
    let { seq, total, hash: prevHash } = head;
    const written: DecisionBatch[] = [];
    for (const [month, group] of [...byMonth].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const params: unknown[] = [];
      const values = group.map((e, i) => {
        params.push(e.decidedAt, e.id, e.decision, e.reasons, e.interface, e.clientId ?? null, e.productId ?? null,
          e.controllerId ?? null, e.dataset ?? null, e.action ?? null, e.citizen ?? null, seq + 1);
        return `(${Array.from({ length: COLUMNS }, (_, j) => `$${i * COLUMNS + j + 1}`).join(', ')})`;
      });
      const inserted = (await tx.query<DecisionAuditRow>(`INSERT INTO decision_audit (decided_at, id, decision, reasons, interface, client_id, product_id,
        controller_id, dataset, action, citizen, batch) VALUES ${values.join(', ')} ON CONFLICT (decided_at, id) DO NOTHING RETURNING *`, params)).rows;
      if (!inserted.length) continue;
      // Who acted for the citizen, beside the row (migration 008: decision_audit is migration 100's).
      const acted = group.filter((e) => e.actor && e.relation && inserted.some((r) => r.id === e.id));
      for (const e of acted) {
        await tx.query('INSERT INTO decision_audit_actors (decided_at, id, actor, relation) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [e.decidedAt, e.id, e.actor, e.relation]);
      }
      const records = inserted.map(decisionFromRow);
      const partial: Omit<DecisionBatch, 'hash'> = {
        seq: seq + 1, month, writtenAt: new Date(now).toISOString(), rows: records.length, total: total + records.length,
        contentHash: rowsHash(records), prevHash,
      };
      const batch: DecisionBatch = { ...partial, hash: batchHash(partial) };
      await tx.query(`INSERT INTO decision_audit_batches (seq, month, written_at, rows, total, content_hash, prev_hash, hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [batch.seq, batch.month, batch.writtenAt, batch.rows, batch.total, batch.contentHash, batch.prevHash, batch.hash]);
      written.push(batch);
      ({ seq, total, hash: prevHash } = batch);
    }
    if (written.length) await tx.query('UPDATE decision_audit_head SET seq = $1, total = $2, hash = $3 WHERE id = 1', [seq, total, prevHash]);
    return written;
  });
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'is not a date');

const batchRow = z.object({
  seq: int8, month: day, written_at: timestamp, rows: z.number().int(), total: int8, content_hash: z.string(), prev_hash: z.string(), hash: z.string(),
}).transform((r): DecisionBatch => ({
  seq: r.seq, month: r.month, writtenAt: r.written_at, rows: r.rows, total: r.total, contentHash: r.content_hash, prevHash: r.prev_hash, hash: r.hash,
}));
export const batchFromRow = mapperFor('decision_audit_batches', 'seq', batchRow);
export type DecisionBatchRow = z.input<typeof batchRow>;
/** month as text: node-postgres would make a date column a Date at local midnight. */
export const BATCH_COLUMNS = "seq, to_char(month, 'YYYY-MM-DD') AS month, written_at, rows, total, content_hash, prev_hash, hash";

export interface BrokenBatch {
  seq: number;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'head_mismatch' | 'unreadable' | 'rows_missing' | 'rows_added' | 'rows_changed'
    | 'orphan_rows' | 'rewritten' | 'count_mismatch' | 'truncated' | 'checkpoint_conflict';
  detail: string;
}

export interface DecisionChainFacts {
  batches: number;
  rows: number;
  /** Batches past retention whose partition is gone, as retention does. */
  expired: number;
  /** Rows with no batch: written before migration 101 (or by an instance older than it); not covered. */
  unchained: number;
}

export type DecisionChainReport = (DecisionChainFacts & { ok: true; firstBroken?: undefined }) | (DecisionChainFacts & { ok: false; firstBroken: BrokenBatch });

/** The first month still kept at `now` with `retentionMonths` (as decision_audit_expire computes it). */
export function retentionCutoff(now: number, retentionMonths: number): string {
  const at = new Date(now);
  const cutoff = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - retentionMonths, 1));
  return cutoff.toISOString().slice(0, 10);
}

/**
 * Walks every batch in seq order and stops at the first that does not hold: the link (seq, prev_hash,
 * its own hash, the checkpoints), then its rows (all there with the content hashed, or all gone
 * because their month is past retention at `now`). Then the end: no checkpoint past it, the head row,
 * no rows naming a batch the chain does not have.
 */
export async function verifyDecisionChain(db: Queryable, options: { now: number; retentionMonths: number; anchors?: ChainAnchors; page?: number }): Promise<DecisionChainReport> {
  const { now, retentionMonths, anchors = noAnchors, page = 100 } = options;
  const cutoff = retentionCutoff(now, retentionMonths);
  const facts: DecisionChainFacts = { batches: 0, rows: 0, expired: 0, unchained: 0 };
  const broken = (b: BrokenBatch): DecisionChainReport => ({ ...facts, ok: false, firstBroken: b });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let total = 0;
  for (;;) {
    const rows = (await db.query<DecisionBatchRow>(`SELECT ${BATCH_COLUMNS} FROM decision_audit_batches WHERE seq >= $1 ORDER BY seq LIMIT $2`, [expectedSeq, page])).rows;
    if (!rows.length) break;
    const last = rows[rows.length - 1];
    const contents = new Map<number, DecisionRecord[]>();
    const decisionRows = (await db.query<DecisionAuditRow & { batch: string | number }>(
      'SELECT * FROM decision_audit WHERE batch >= $1 AND batch <= $2 ORDER BY batch, id', [expectedSeq, last?.seq ?? expectedSeq])).rows;
    for (const row of decisionRows) {
      const n = Number(row.batch);
      let record: DecisionRecord;
      try {
        record = decisionFromRow(row);
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        return broken({ seq: n, reason: 'unreadable', detail: `batch ${n}: ${err.message}` });
      }
      contents.set(n, [...(contents.get(n) ?? []), record]);
    }
    for (const row of rows) {
      let b: DecisionBatch;
      try {
        b = batchFromRow(row);
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        return broken({ seq: expectedSeq, reason: 'unreadable', detail: err.message });
      }
      if (b.seq !== expectedSeq) return broken({ seq: expectedSeq, reason: 'seq_gap', detail: `batch ${expectedSeq} is missing (next is ${b.seq})` });
      const anchored = anchors.check(b.seq, b.hash, b.total);
      if (anchored) return broken({ ...anchored, detail: `batch ${b.seq}: ${anchored.detail}` });
      if (b.prevHash !== prevHash) return broken({ seq: b.seq, reason: 'prev_hash_mismatch', detail: `batch ${b.seq} does not point at batch ${b.seq - 1}` });
      if (b.total !== total + b.rows || batchHash(b) !== b.hash) return broken({ seq: b.seq, reason: 'hash_mismatch', detail: `batch ${b.seq} was changed after it was written` });
      const records = contents.get(b.seq) ?? [];
      if (!records.length && b.month < cutoff) {
        facts.expired += 1;
      } else {
        if (records.length < b.rows) return broken({ seq: b.seq, reason: 'rows_missing', detail: `batch ${b.seq} (${b.month.slice(0, 7)}) wrote ${b.rows} decisions, ${records.length} are left: decision rows were deleted` });
        if (records.length > b.rows) return broken({ seq: b.seq, reason: 'rows_added', detail: `batch ${b.seq} wrote ${b.rows} decisions, ${records.length} name it: rows were added` });
        if (rowsHash(records) !== b.contentHash) return broken({ seq: b.seq, reason: 'rows_changed', detail: `a decision row of batch ${b.seq} was changed after it was written` });
        facts.rows += records.length;
      }
      prevHash = b.hash;
      total = b.total;
      expectedSeq += 1;
      facts.batches += 1;
    }
    if (rows.length < page) break;
  }
  const lastSeq = expectedSeq - 1;
  const truncated = anchors.afterEnd(lastSeq);
  if (truncated) return broken({ ...truncated, detail: `batch ${truncated.seq}: ${truncated.detail}` });
  const head = await readDecisionHead(db);
  if (head && (head.seq !== lastSeq || head.hash !== prevHash || head.total !== total)) {
    return broken({ seq: lastSeq + 1, reason: 'head_mismatch', detail: `the chain ends at batch ${lastSeq} but ${head.seq} were written: batches were removed` });
  }
  const counts = (await db.query<{ orphans: string | number; unchained: string | number }>(
    'SELECT count(*) FILTER (WHERE batch > $1) AS orphans, count(*) FILTER (WHERE batch IS NULL) AS unchained FROM decision_audit', [lastSeq])).rows[0];
  if (Number(counts?.orphans ?? 0) > 0) return broken({ seq: lastSeq + 1, reason: 'orphan_rows', detail: `${Number(counts?.orphans)} decision rows name batches after ${lastSeq}, which the chain does not have: its newest batches were removed` });
  facts.unchained = Number(counts?.unchained ?? 0);
  return { ...facts, ok: true };
}

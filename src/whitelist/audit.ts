// The audit trail: every registry change appended in the same transaction as the change, each entry
// hashed together with the previous entry's hash. Appends lock the single audit_head row, so two
// concurrent writers queue instead of forking the chain. verifyAuditChain() recomputes every link and,
// given the signed checkpoints (src/audit/), compares it with what they recorded, which a database
// superuser who recomputed the chain cannot match.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { noAnchors, type AnchorProblem, type ChainAnchors } from '../audit/anchors.ts';
import type { Clock } from '../clock.ts';
import { int8, mapperFor, oneOf, RowError, timestamp } from './db/columns.ts';
import type { Queryable } from './db/db.ts';
import type { AuditEntry, Role } from './model.ts';
import * as S from './schemas.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditActor {
  /** HSA-id, client_id or `system`; never a personnummer or a name. */
  actor: string;
  role: Role | 'system';
}

export interface AuditRecord {
  action: string;
  objectType: AuditEntry['objectType'];
  objectId: string;
  before: unknown;
  after: unknown;
}

/** JSON with object keys sorted at every depth and undefined members dropped: one byte string per value. */
export function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { seq, at, actor, role, action, objectType, objectId, before, after, prevHash } = entry;
  return createHash('sha256')
    .update(canonicalJson({ seq, at, actor, role, action, objectType, objectId, before: before ?? null, after: after ?? null }))
    .update('\n')
    .update(prevHash)
    .digest('hex');
}

/** What jsonb will give back: plain JSON, no undefined, no Date objects. */
const asStored = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

/** audit_head: the single row every append locks; its seq is the registry's revision. */
const auditHeadRow = z.object({ seq: int8, hash: z.string() });
export type AuditHeadRow = z.input<typeof auditHeadRow>;
export const auditHeadFromRow = mapperFor('audit_head', 'seq', auditHeadRow);

/** The head as it stands, or undefined before the audit migration has run. */
export async function readAuditHead(db: Queryable, forUpdate = false): Promise<{ seq: number; hash: string } | undefined> {
  const row = (await db.query<AuditHeadRow>(`SELECT seq, hash FROM audit_head WHERE id = 1${forUpdate ? ' FOR UPDATE' : ''}`)).rows[0];
  return row ? auditHeadFromRow(row) : undefined;
}

export async function appendAudit(tx: Queryable, clock: Clock, who: AuditActor, record: AuditRecord): Promise<AuditEntry> {
  const head = await readAuditHead(tx, true);
  if (!head) throw new Error('audit_head is missing: the audit migration has not run');
  const partial: Omit<AuditEntry, 'hash'> = {
    seq: head.seq + 1,
    at: new Date(clock.now()).toISOString(),
    actor: who.actor,
    role: who.role,
    action: record.action,
    objectType: record.objectType,
    objectId: record.objectId,
    before: asStored(record.before),
    after: asStored(record.after),
    prevHash: head.hash,
  };
  const entry: AuditEntry = { ...partial, hash: entryHash(partial) };
  await tx.query(
    `INSERT INTO audit_log (seq, at, actor, role, action, object_type, object_id, before, after, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [entry.seq, entry.at, entry.actor, entry.role, entry.action, entry.objectType, entry.objectId,
      JSON.stringify(entry.before), JSON.stringify(entry.after), entry.prevHash, entry.hash],
  );
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [entry.seq, entry.hash]);
  return entry;
}

const auditRow = z.object({
  seq: int8, at: timestamp, actor: z.string(), role: oneOf(S.auditRole), action: z.string(), object_type: oneOf(S.auditObjectType),
  object_id: z.string(), before: z.unknown(), after: z.unknown(), prev_hash: z.string(), hash: z.string(),
}).transform((r): AuditEntry => ({
  seq: r.seq, at: r.at, actor: r.actor, role: r.role, action: r.action, objectType: r.object_type, objectId: r.object_id,
  before: r.before ?? null, after: r.after ?? null, prevHash: r.prev_hash, hash: r.hash,
}));
export type AuditRow = z.input<typeof auditRow>;

export const AUDIT_COLUMNS = 'seq, at, actor, role, action, object_type, object_id, before, after, prev_hash, hash';

export const auditFromRow = mapperFor('audit_log', 'seq', auditRow);

export interface BrokenLink {
  seq: number;
  /**
   * unreadable: the row holds what appendAudit never writes (an unknown role or object type). The
   * anchor reasons (rewritten, count_mismatch, truncated, checkpoint_conflict) come from the signed
   * checkpoints (src/audit/anchors.ts): what a rewriter who recomputed the chain cannot hide.
   */
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'head_mismatch' | 'unreadable' | AnchorProblem['reason'];
  detail: string;
}

/** Intact, or broken with the first link that does not hold: a broken report always names it. */
export type ChainReport =
  | { ok: true; entries: number; firstBroken?: undefined }
  | { ok: false; entries: number; firstBroken: BrokenLink };

/**
 * Walks the whole chain in seq order and stops at the first link that does not hold: against itself
 * (each hash recomputed, each link pointing at the one before, the head row) and, given `anchors`,
 * against the signed checkpoints (each checkpointed hash and count, and no checkpoint past the end).
 */
export async function verifyAuditChain(db: Queryable, options: { batch?: number; anchors?: ChainAnchors } = {}): Promise<ChainReport> {
  const { batch = 1000, anchors = noAnchors } = options;
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  for (;;) {
    const rows = (await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, [expectedSeq, batch])).rows;
    for (const row of rows) {
      let e: AuditEntry;
      try {
        e = auditFromRow(row);
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        return { ok: false, entries, firstBroken: { seq: expectedSeq, reason: 'unreadable', detail: err.message } };
      }
      if (e.seq !== expectedSeq) {
        // A gap the checkpoints know about is named by them (the entry they signed is gone).
        const anchored = anchors.check(expectedSeq, '', expectedSeq);
        return { ok: false, entries, firstBroken: { seq: expectedSeq, reason: 'seq_gap', detail: `entry ${expectedSeq} is missing (next is ${e.seq})${anchored ? `; ${anchored.detail}` : ''}` } };
      }
      const anchored = anchors.check(e.seq, e.hash, e.seq);
      if (anchored) return { ok: false, entries, firstBroken: { ...anchored, detail: `entry ${e.seq}: ${anchored.detail}` } };
      if (e.prevHash !== prevHash) return { ok: false, entries, firstBroken: { seq: e.seq, reason: 'prev_hash_mismatch', detail: `entry ${e.seq} does not point at entry ${e.seq - 1}` } };
      if (entryHash(e) !== e.hash) return { ok: false, entries, firstBroken: { seq: e.seq, reason: 'hash_mismatch', detail: `entry ${e.seq} was changed after it was written` } };
      prevHash = e.hash;
      expectedSeq += 1;
      entries += 1;
    }
    if (rows.length < batch) break;
  }
  const truncated = anchors.afterEnd(entries);
  if (truncated) return { ok: false, entries, firstBroken: { ...truncated, detail: `entry ${truncated.seq}: ${truncated.detail}` } };
  const head = await readAuditHead(db);
  if (head && (head.seq !== entries || head.hash !== prevHash)) {
    return { ok: false, entries, firstBroken: { seq: entries + 1, reason: 'head_mismatch', detail: `the chain ends at entry ${entries} but ${head.seq} were written: entries were removed` } };
  }
  return { ok: true, entries };
}

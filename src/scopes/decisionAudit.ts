// The decision audit (docs/domain.md, rule 7): every decision, permit and deny, lands in PostgreSQL's
// decision_audit (partitioned by month, kept retentionMonths). A decision is answered only once its
// record is durably queued: appended to a Redis stream, which every instance drains in batches, or,
// when the stream cannot take it, written directly. When neither can, record() throws and the caller
// denies: no unlogged access. Redelivery after a crash is harmless (the row's key is its id). Rows are
// written in hash-chained batches (decisionChain.ts) whose heads the audit key checkpoints (src/audit/).
import { hostname } from 'node:os';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { inJob, type Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Db } from '../whitelist/db/db.ts';
import { mapperFor, nullable, oneOf, theRow, timestamp } from '../whitelist/db/columns.ts';
import { writeChainedBatches } from './decisionChain.ts';
import { watchDecisionAuditQueue } from '../http/metrics.ts';

const decision = z.enum(['permit', 'deny']);
const decisionInterface = z.enum(['decide', 'auth-request', 'pep']);

/** One decision as the stream carries it and the citizen's access log shows it. */
export const decisionRecord = z.object({
  id: z.string(),
  decidedAt: z.string(),
  decision,
  reasons: z.array(z.string()),
  interface: decisionInterface,
  clientId: z.string().optional(),
  productId: z.string().optional(),
  controllerId: z.string().optional(),
  dataset: z.string().optional(),
  action: z.string().optional(),
  /** The citizen's keyed pseudonym (AccountStore.accountIdFor), never the personnummer. */
  citizen: z.string().optional(),
  /** Who acted for the citizen (a guardian's or agent's pseudonym) and by what relation; absent when the citizen acted. */
  actor: z.string().optional(),
  relation: z.enum(['guardian', 'agent']).optional(),
});
export type DecisionRecord = z.output<typeof decisionRecord>;

const decisionAuditRow = z.object({
  decided_at: timestamp, id: z.string(), decision: oneOf(decision), reasons: z.array(z.string()), interface: oneOf(decisionInterface),
  client_id: nullable(z.string()), product_id: nullable(z.string()), controller_id: nullable(z.string()), dataset: nullable(z.string()),
  action: nullable(z.string()), citizen: nullable(z.string()),
}).transform((r): DecisionRecord => ({
  id: r.id, decidedAt: r.decided_at, decision: r.decision, reasons: r.reasons, interface: r.interface, clientId: r.client_id,
  productId: r.product_id, controllerId: r.controller_id, dataset: r.dataset, action: r.action, citizen: r.citizen,
}));
export type DecisionAuditRow = z.input<typeof decisionAuditRow>;
export const decisionFromRow = mapperFor('decision_audit', 'id', decisionAuditRow);

/** What decision_audit_prepare and decision_audit_expire answer: how many partitions they made or dropped. */
const partitionCount = z.object({ n: z.number().int() });
const partitionCountFromRow = mapperFor('partition count', 'n', partitionCount);

export class AuditUnavailable extends Error {
  constructor() {
    super('the decision audit can take no record');
    this.name = 'AuditUnavailable';
  }
}

const STREAM = 'pdp:audit';
const GROUP = 'decision-audit';
/** At most this many records go in one append (a batch never waits for more: see record). */
const BATCH_MAX = 256;

interface Waiting {
  entry: DecisionRecord;
  resolve: (how: 'queued' | 'written') => void;
  reject: (err: unknown) => void;
}

export interface DecisionAuditOptions {
  store: HotStore;
  db: Db;
  clock: Clock;
  logger: Logger;
  retentionMonths: number;
  monthsAhead: number;
  batchSize: number;
  drainIntervalMs: number;
}

export class DecisionAudit {
  readonly #o: DecisionAuditOptions;
  readonly #consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<number> | undefined;
  #preparedDay = '';
  #unwatch: (() => void) | undefined;
  /** Records waiting for the next append (one per turn of the event loop). */
  #waiting: Waiting[] = [];
  #flushScheduled = false;

  constructor(options: DecisionAuditOptions) {
    this.#o = options;
  }

  /**
   * Queues one record; throws AuditUnavailable when neither the stream nor the database takes it.
   * Records of decisions made in the same turn of the event loop go together, in one append (one trip
   * to Redis for all of them, issue 14): the first schedules the append for the end of the turn, so
   * none waits longer than that turn, and each resolves only once its batch is durably queued.
   */
  record(entry: DecisionRecord): Promise<'queued' | 'written'> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ entry, resolve, reject });
      if (this.#waiting.length >= BATCH_MAX) this.#flush();
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#waiting;
    if (!batch.length) return;
    this.#waiting = [];
    void this.#append(batch);
  }

  async #append(batch: Waiting[]): Promise<void> {
    const entries = batch.map((w) => w.entry);
    try {
      await this.#o.store.streamAppendAll(STREAM, entries.map((e) => JSON.stringify(e)));
      for (const w of batch) w.resolve('queued');
      return;
    } catch { /* the stream cannot take them: the database directly */ }
    try {
      // All or none went to the stream (MULTI), so the whole batch is written here, once.
      await this.#insert(entries);
      for (const w of batch) w.resolve('written');
    } catch (err) {
      this.#o.logger.error({ err: (err as Error).message, records: batch.length }, 'decision audit unavailable: denying');
      for (const w of batch) w.reject(new AuditUnavailable());
    }
  }

  /** Monthly partitions ahead of the clock, and old ones past retention dropped. */
  async maintain(): Promise<{ created: number; dropped: number }> {
    const at = new Date(this.#o.clock.now()).toISOString();
    const created = partitionCountFromRow(theRow(await this.#o.db.query<z.input<typeof partitionCount>>('SELECT decision_audit_prepare($1, $2) AS n', [at, this.#o.monthsAhead]), 'decision_audit_prepare')).n;
    const dropped = partitionCountFromRow(theRow(await this.#o.db.query<z.input<typeof partitionCount>>('SELECT decision_audit_expire($1, $2) AS n', [at, this.#o.retentionMonths]), 'decision_audit_expire')).n;
    this.#preparedDay = at.slice(0, 10);
    return { created, dropped };
  }

  async #insert(entries: DecisionRecord[]): Promise<void> {
    if (!entries.length) return;
    // Once a day (and at a new month), partitions ahead are made and expired ones dropped.
    if (new Date(this.#o.clock.now()).toISOString().slice(0, 10) !== this.#preparedDay) await this.maintain();
    // Written as chained batches (decisionChain.ts), so a deleted or changed row is found by audit:verify.
    await writeChainedBatches(this.#o.db, this.#o.clock.now(), entries);
  }

  /** Moves queued records into PostgreSQL until the stream is empty; answers how many it moved. */
  drain(): Promise<number> {
    // A drain is a job of its own (src/log.ts), whichever request or timer set it off.
    this.#draining ??= inJob('decision-audit-drain', async () => {
      let moved = 0;
      try {
        for (;;) {
          // Entries a crashed instance took but never wrote are taken over after 30 s.
          const batch = await this.#o.store.streamTake(STREAM, GROUP, this.#consumer, this.#o.batchSize, 30_000);
          if (!batch.length) break;
          const entries: DecisionRecord[] = [];
          for (const item of batch) {
            // A record that is not one (a bug upstream) would fail the whole batch's insert on every retry.
            let parsed: unknown;
            try {
              parsed = JSON.parse(item.value);
            } catch {
              parsed = undefined;
            }
            const record = decisionRecord.safeParse(parsed);
            if (record.success) entries.push(record.data);
            else this.#o.logger.error({ id: item.id }, 'unreadable decision audit entry dropped');
          }
          await this.#insert(entries);
          await this.#o.store.streamAck(STREAM, GROUP, batch.map((b) => b.id));
          moved += batch.length;
        }
      } finally {
        this.#draining = undefined;
      }
      if (moved) this.#o.logger.debug({ moved }, 'decision audit drained');
      return moved;
    });
    return this.#draining;
  }

  /**
   * "Who read my data": the decisions about one citizen (by pseudonym), newest first, for the citizen's
   * own access-log view (docs/domain.md, rule 7). Served by the (citizen, decided_at) index on every partition.
   */
  async forCitizen(citizen: string, range: { from: string; to: string; limit?: number }): Promise<DecisionRecord[]> {
    const rows = (await this.#o.db.query<DecisionAuditRow>(
      `SELECT * FROM decision_audit WHERE citizen = $1 AND decided_at >= $2 AND decided_at < $3 ORDER BY decided_at DESC, id LIMIT $4`,
      [citizen, range.from, range.to, Math.min(range.limit ?? 100, 1000)])).rows;
    return rows.map(decisionFromRow);
  }

  /**
   * The pseudonyms of the citizens whose data was released (permits) to a product at a controller with
   * decidedAt in [from, to], sorted: a breach report's exposure. Counts what is still queued as well as
   * what is written, so nothing waits on a drain (another instance's batch in flight included). The
   * stream is read first: a record leaves it only once it is written, so each record answered before
   * this call is seen in one place or the other. Throws when either cannot be read (no partial count).
   */
  async permittedCitizens(q: { productId: string; controllerId: string; from: string; to: string }): Promise<string[]> {
    const from = Date.parse(q.from);
    const to = Date.parse(q.to);
    const found = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = await this.#o.store.streamRange(STREAM, this.#o.batchSize, after);
      for (const item of page) {
        let parsed: unknown;
        try { parsed = JSON.parse(item.value); } catch { parsed = undefined; }
        const r = decisionRecord.safeParse(parsed);
        if (!r.success || r.data.decision !== 'permit' || !r.data.citizen) continue;
        if (r.data.productId !== q.productId || r.data.controllerId !== q.controllerId) continue;
        const at = Date.parse(r.data.decidedAt);
        if (at >= from && at <= to) found.add(r.data.citizen);
      }
      if (page.length < this.#o.batchSize) break;
      after = page.at(-1)?.id;
    }
    const rows = (await this.#o.db.query<{ citizen: string }>(`SELECT DISTINCT citizen FROM decision_audit
      WHERE product_id = $1 AND controller_id = $2 AND decision = 'permit' AND citizen IS NOT NULL
        AND decided_at >= $3 AND decided_at <= $4`, [q.productId, q.controllerId, q.from, q.to])).rows;
    for (const r of rows) found.add(r.citizen);
    return [...found].sort();
  }

  /** Records still waiting in the stream. */
  pending(): Promise<number> {
    return this.#o.store.streamLength(STREAM);
  }

  start(): void {
    // The queue's length is read at each scrape (/metrics: the audit backlog).
    this.#unwatch = watchDecisionAuditQueue(() => this.pending());
    const tick = () => {
      this.drain().catch((err: unknown) => this.#o.logger.warn({ err: (err as Error).message }, 'decision audit drain failed; retrying'))
        .finally(() => { if (this.#timer) this.#timer = setTimeout(tick, this.#o.drainIntervalMs).unref(); });
    };
    this.#timer = setTimeout(tick, this.#o.drainIntervalMs).unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unwatch?.();
    await this.#draining?.catch(() => undefined);
    // Whatever is queued now is written before the instance goes (best effort: it stays queued otherwise).
    await this.drain().catch(() => undefined);
  }
}

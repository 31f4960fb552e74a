// The decision audit (docs/domain.md, rule 7): every decision, permit and deny, lands in PostgreSQL's
// decision_audit (partitioned by month, kept retentionMonths). A decision is answered only once its
// record is durably queued: appended to a Redis stream, which every instance drains in batches, or,
// when the stream cannot take it, written directly. When neither can, record() throws and the caller
// denies: no unlogged access. Redelivery after a crash is harmless (the row's key is its id).
import { hostname } from 'node:os';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Db } from '../whitelist/db/db.ts';

export interface DecisionRecord {
  id: string;
  decidedAt: string;
  decision: 'permit' | 'deny';
  reasons: string[];
  interface: 'decide' | 'auth-request' | 'pep';
  clientId?: string | undefined;
  productId?: string | undefined;
  controllerId?: string | undefined;
  dataset?: string | undefined;
  action?: string | undefined;
  /** The citizen's keyed pseudonym (AccountStore.accountIdFor), never the personnummer. */
  citizen?: string | undefined;
}

export class AuditUnavailable extends Error {
  constructor() {
    super('the decision audit can take no record');
    this.name = 'AuditUnavailable';
  }
}

const STREAM = 'pdp:audit';
const GROUP = 'decision-audit';
const COLUMNS = 11;

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

  constructor(options: DecisionAuditOptions) {
    this.#o = options;
  }

  /** Queues one record; throws AuditUnavailable when neither the stream nor the database takes it. */
  async record(entry: DecisionRecord): Promise<'queued' | 'written'> {
    try {
      await this.#o.store.streamAppend(STREAM, JSON.stringify(entry));
      return 'queued';
    } catch {
      try {
        await this.#insert([entry]);
        return 'written';
      } catch (err) {
        this.#o.logger.error({ err: (err as Error).message }, 'decision audit unavailable: denying');
        throw new AuditUnavailable();
      }
    }
  }

  /** Monthly partitions ahead of the clock, and old ones past retention dropped. */
  async maintain(): Promise<{ created: number; dropped: number }> {
    const at = new Date(this.#o.clock.now()).toISOString();
    const created = (await this.#o.db.query<{ n: number }>('SELECT decision_audit_prepare($1, $2) AS n', [at, this.#o.monthsAhead])).rows[0]!.n;
    const dropped = (await this.#o.db.query<{ n: number }>('SELECT decision_audit_expire($1, $2) AS n', [at, this.#o.retentionMonths])).rows[0]!.n;
    this.#preparedDay = at.slice(0, 10);
    return { created: Number(created), dropped: Number(dropped) };
  }

  async #insert(entries: DecisionRecord[]): Promise<void> {
    if (!entries.length) return;
    // Once a day (and at a new month), partitions ahead are made and expired ones dropped.
    if (new Date(this.#o.clock.now()).toISOString().slice(0, 10) !== this.#preparedDay) await this.maintain();
    const params: unknown[] = [];
    const rows = entries.map((e, i) => {
      params.push(e.decidedAt, e.id, e.decision, e.reasons, e.interface, e.clientId ?? null, e.productId ?? null,
        e.controllerId ?? null, e.dataset ?? null, e.action ?? null, e.citizen ?? null);
      return `(${Array.from({ length: COLUMNS }, (_, j) => `$${i * COLUMNS + j + 1}`).join(', ')})`;
    });
    await this.#o.db.query(`INSERT INTO decision_audit (decided_at, id, decision, reasons, interface, client_id, product_id,
      controller_id, dataset, action, citizen) VALUES ${rows.join(', ')} ON CONFLICT (decided_at, id) DO NOTHING`, params);
  }

  /** Moves queued records into PostgreSQL until the stream is empty; answers how many it moved. */
  drain(): Promise<number> {
    this.#draining ??= (async () => {
      let moved = 0;
      try {
        for (;;) {
          // Entries a crashed instance took but never wrote are taken over after 30 s.
          const batch = await this.#o.store.streamTake(STREAM, GROUP, this.#consumer, this.#o.batchSize, 30_000);
          if (!batch.length) break;
          const entries: DecisionRecord[] = [];
          for (const item of batch) {
            try {
              entries.push(JSON.parse(item.value) as DecisionRecord);
            } catch {
              this.#o.logger.error({ id: item.id }, 'unreadable decision audit entry dropped');
            }
          }
          await this.#insert(entries);
          await this.#o.store.streamAck(STREAM, GROUP, batch.map((b) => b.id));
          moved += batch.length;
        }
      } finally {
        this.#draining = undefined;
      }
      return moved;
    })();
    return this.#draining;
  }

  /**
   * "Who read my data": the decisions about one citizen (by pseudonym), newest first, for the citizen's
   * own access-log view (docs/domain.md, rule 7). Served by the (citizen, decided_at) index on every partition.
   */
  async forCitizen(citizen: string, range: { from: string; to: string; limit?: number }): Promise<DecisionRecord[]> {
    const rows = (await this.#o.db.query<{ id: string; decided_at: Date | string; decision: 'permit' | 'deny'; reasons: string[]; interface: DecisionRecord['interface'];
      client_id: string | null; product_id: string | null; controller_id: string | null; dataset: string | null; action: string | null; citizen: string }>(
      `SELECT * FROM decision_audit WHERE citizen = $1 AND decided_at >= $2 AND decided_at < $3 ORDER BY decided_at DESC, id LIMIT $4`,
      [citizen, range.from, range.to, Math.min(range.limit ?? 100, 1000)])).rows;
    return rows.map((r) => ({
      id: r.id, decidedAt: new Date(r.decided_at).toISOString(), decision: r.decision, reasons: r.reasons, interface: r.interface,
      clientId: r.client_id ?? undefined, productId: r.product_id ?? undefined, controllerId: r.controller_id ?? undefined,
      dataset: r.dataset ?? undefined, action: r.action ?? undefined, citizen: r.citizen,
    }));
  }

  /** Records still waiting in the stream. */
  pending(): Promise<number> {
    return this.#o.store.streamLength(STREAM);
  }

  start(): void {
    const tick = () => {
      this.drain().catch((err: unknown) => this.#o.logger.warn({ err: (err as Error).message }, 'decision audit drain failed; retrying'))
        .finally(() => { if (this.#timer) this.#timer = setTimeout(tick, this.#o.drainIntervalMs).unref(); });
    };
    this.#timer = setTimeout(tick, this.#o.drainIntervalMs).unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#draining?.catch(() => undefined);
    // Whatever is queued now is written before the instance goes (best effort: it stays queued otherwise).
    await this.drain().catch(() => undefined);
  }
}

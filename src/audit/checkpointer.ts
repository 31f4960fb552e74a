// Signs where each audit chain stands and writes it outside the database: every
// audit.checkpointIntervalSeconds and once more on shutdown. A checkpoint covers the links written since
// the previous one (at most MAX_LINKS; more pending make several), and is only made when those links
// continue the previous checkpoint's head: a chain rewritten in the database is never signed over, it
// is logged as an error instead (and audit:verify names the entry). Instances take turns per chain
// (a PostgreSQL advisory lock), so two never sign the same links at once; the published copy in
// audit_checkpoints tells each where the last one stopped.
import type { JWK } from 'jose';
import type { Clock } from '../clock.ts';
import { inJob, type Logger } from '../log.ts';
import { GENESIS_HASH } from '../whitelist/audit.ts';
import type { Queryable } from '../whitelist/db/db.ts';
import type { AuditKeys } from './auditKey.ts';
import type { AuditChain } from './chains.ts';
import { MAX_LINKS, signCheckpoint, verifyCheckpoint, type Checkpoint, type ChainName } from './checkpoint.ts';
import type { CheckpointSink } from './sinks.ts';
import { checkpointFailures, watchCheckpoints } from '../http/metrics.ts';

/** Any fixed 64-bit numbers, one per chain; the same for every instance of this gateway. */
const LOCKS: Record<ChainName, number> = { registry: 7_305_019_884_301, decision: 7_305_019_884_302 };
/** Checkpoints one tick writes per chain at most; a backlog beyond is taken at the next tick. */
const MAX_ROUNDS = 20;

/** The chain in the database no longer continues what was checkpointed: nothing is signed. */
export class ChainDiverged extends Error {
  readonly chain: ChainName;
  readonly seq: number;
  constructor(chain: ChainName, seq: number, detail: string) {
    super(`the ${chain} audit chain does not continue its last checkpoint at link ${seq}: ${detail}`);
    this.name = 'ChainDiverged';
    this.chain = chain;
    this.seq = seq;
  }
}

export interface CheckpointerOptions {
  chains: AuditChain[];
  keys: AuditKeys;
  sinks: CheckpointSink[];
  clock: Clock;
  logger: Logger;
  issuer: string;
  intervalMs: number;
}

interface Position {
  seq: number;
  head: string;
}

export class Checkpointer {
  readonly #o: CheckpointerOptions;
  readonly #last = new Map<ChainName, Position>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<Checkpoint[]> | undefined;
  /** The checkpoint lag on /metrics: since the last run that left every chain checkpointed. */
  #watch: ReturnType<typeof watchCheckpoints> | undefined;

  constructor(options: CheckpointerOptions) {
    this.#o = options;
  }

  get publicJwks(): { keys: JWK[] } {
    return this.#o.keys.publicJwks;
  }

  /** Checkpoints every chain that moved; answers the checkpoints written. Throws what a chain or sink threw. */
  checkpoint(): Promise<Checkpoint[]> {
    // One run at a time in this instance; a caller arriving meanwhile waits for it and runs again.
    const run = (this.#running ?? Promise.resolve([])).catch(() => []).then(async () => {
      const out: Checkpoint[] = [];
      let failure: unknown;
      for (const chain of this.#o.chains) {
        try {
          out.push(...await this.#chain(chain));
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure) throw failure;
      return out;
    });
    this.#running = run;
    return run;
  }

  async #chain(chain: AuditChain): Promise<Checkpoint[]> {
    if (chain.db.kind !== 'postgres') return this.#advance(chain, chain.db);
    return chain.db.transaction(async (tx) => {
      const lock = (await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCKS[chain.name]])).rows[0];
      // Another instance is checkpointing this chain right now: its checkpoint covers these links.
      return lock?.ok ? this.#advance(chain, tx) : [];
    });
  }

  /** The newest validly signed checkpoint this instance knows of: its own, or the published copy's. */
  async #position(chain: AuditChain, q: Queryable): Promise<Position | undefined> {
    let best = this.#last.get(chain.name);
    const rows = (await q.query<{ signed: unknown }>('SELECT signed FROM audit_checkpoints WHERE chain = $1 ORDER BY seq DESC, id DESC LIMIT 20', [chain.name])).rows;
    for (const row of rows) {
      const check = await verifyCheckpoint(row.signed, this.#o.keys.publicJwks.keys);
      if (!check.ok || check.checkpoint.chain !== chain.name) continue;
      if (!best || check.checkpoint.seq > best.seq) best = { seq: check.checkpoint.seq, head: check.checkpoint.head };
      break;
    }
    return best;
  }

  async #advance(chain: AuditChain, q: Queryable): Promise<Checkpoint[]> {
    let last = await this.#position(chain, q);
    const written: Checkpoint[] = [];
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const after = last?.seq ?? 0;
      const links = await chain.links(q, after, MAX_LINKS);
      if (!links.length) {
        if (last) {
          // Nothing new: the checkpointed link must still be there as signed (a removed tail shows here).
          const [tip] = await chain.links(q, last.seq - 1, 1);
          if (tip?.seq !== last.seq || tip.hash !== last.head) throw new ChainDiverged(chain.name, last.seq, 'the checkpointed link is gone or changed');
        }
        break;
      }
      let prev = last?.head ?? GENESIS_HASH;
      let expected = after + 1;
      for (const link of links) {
        if (link.seq !== expected) throw new ChainDiverged(chain.name, expected, `link ${expected} is missing`);
        if (link.prevHash !== prev) throw new ChainDiverged(chain.name, link.seq, `link ${link.seq} does not point at link ${link.seq - 1} as checkpointed`);
        prev = link.hash;
        expected += 1;
      }
      const first = links[0];
      const tip = links[links.length - 1];
      if (!first || !tip) break;
      const checkpoint: Checkpoint = {
        iss: this.#o.issuer, chain: chain.name, seq: tip.seq, head: tip.hash, count: tip.count,
        from: first.seq, links: links.map((l) => l.hash), time: new Date(this.#o.clock.now()).toISOString(),
      };
      const signed = await signCheckpoint(this.#o.keys.signer, checkpoint);
      // Outside the database first: a checkpoint counts once every sink holds it.
      for (const sink of this.#o.sinks) await sink.append([signed]);
      await q.query('INSERT INTO audit_checkpoints (chain, seq, signed, written_at) VALUES ($1, $2, $3, $4)',
        [chain.name, checkpoint.seq, JSON.stringify(signed), checkpoint.time]);
      written.push(checkpoint);
      last = { seq: checkpoint.seq, head: checkpoint.head };
      this.#last.set(chain.name, last);
      if (links.length < MAX_LINKS) break;
    }
    return written;
  }

  #tick = (): void => inJob('audit-checkpoint', () => {
    this.checkpoint()
      .then((written) => {
        this.#watch?.ok(Date.now());
        for (const c of written) this.#o.logger.info({ chain: c.chain, seq: c.seq, count: c.count }, 'audit checkpoint written');
      })
      .catch((err: unknown) => {
        checkpointFailures.inc({ reason: err instanceof ChainDiverged ? 'chain_diverged' : 'unavailable' });
        if (err instanceof ChainDiverged) this.#o.logger.error({ chain: err.chain, seq: err.seq, err: err.message }, 'audit chain changed after its checkpoint: not checkpointed; run npm run audit:verify');
        else this.#o.logger.warn({ err: (err as Error).message }, 'audit checkpoint failed; retrying at the next interval');
      })
      .finally(() => {
        if (this.#timer) this.#timer = setTimeout(this.#tick, this.#o.intervalMs).unref();
      });
  });

  start(): void {
    this.#watch = watchCheckpoints(this, Date.now());
    this.#timer = setTimeout(this.#tick, this.#o.intervalMs).unref();
  }

  /** Stops the timer and writes a last checkpoint (the database must still be open). */
  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#watch?.stop();
    try {
      await this.checkpoint();
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'last audit checkpoint failed');
    }
  }
}

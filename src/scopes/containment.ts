// Breach containment (docs/domain.md, rule 3): a product that exceeds a volume limit, or keeps
// getting denials only a compromised client causes (other citizens, controllers that never approved
// it), is suspended at that controller at once: the suspension is recorded in PostgreSQL (every
// instance drops the controller from the product's live approvals on the announced registry change),
// every token of the client is revoked, the controller's webhook is called, and the citizens it
// touched in the window before the trip can be reported. Only an administrator lifts it.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { Db, Queryable } from '../whitelist/db/db.ts';
import { PG, pgCode } from '../whitelist/db/db.ts';
import { int8, json, mapperFor, oneOf, theRow, timestamp } from '../whitelist/db/columns.ts';
import {
  approvalLimitsFromRow, cohortFromRow, suspensionFromRow, type ApprovalLimitsRow, type CohortRow, type SuspensionRow,
} from '../whitelist/db/rows.ts';
import type { RegistrySnapshot, Suspension } from '../whitelist/model.ts';
import type { RegistryCache, RegistrySource } from '../whitelist/registryCache.ts';
import { revokeClientTokens } from '../idp/adapter.ts';

/** Denials an honest product does not cause: its user cannot pick another citizen or controller. */
export const SUSPICIOUS_REASONS = new Set(['controller_not_approved', 'citizen_not_token_subject', 'citizen_not_in_cohort']);

export interface ContainmentOptions {
  db: Db;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  registry: RegistryCache;
  suspiciousDenials: number;
  windowSeconds: number;
  webhookTimeoutMs: number;
}

export interface Trip {
  productId: string;
  clientId: string;
  controllerId: string;
  reason: 'citizen_volume_exceeded' | 'suspicious_denials';
  webhookUrl?: string | undefined;
  /** The exposure window (for the report); the containment window when the approval has none. */
  windowSeconds?: number | undefined;
}

export interface BreachReport {
  suspension: Suspension;
  windowStart: string;
  /** Pseudonyms of the citizens whose data was released to the product in the window before the trip. */
  citizens: string[];
  events: Array<{ at: string; kind: string; actor: string; detail: unknown }>;
}

/** containment_events: what containment did, as the breach report lists it. */
const containmentEventRow = z.object({
  seq: int8, at: timestamp, kind: oneOf(z.enum(['suspended', 'lifted', 'webhook'])), actor: z.string(),
  detail: json(z.record(z.string(), z.unknown())),
}).transform((r) => ({ at: r.at, kind: r.kind, actor: r.actor, detail: r.detail }));
export type ContainmentEventRow = z.input<typeof containmentEventRow>;
export const containmentEventFromRow = mapperFor('containment_events', 'seq', containmentEventRow);

export class Containment {
  readonly #o: ContainmentOptions;

  constructor(options: ContainmentOptions) {
    this.#o = options;
  }

  /** Counts a suspicious denial; trips when the count within the window reaches the threshold. */
  async noteSuspicious(trip: Omit<Trip, 'reason'>): Promise<Suspension | undefined> {
    const n = await this.#o.store.incr(`pdp:suspicious:${trip.productId}:${trip.controllerId}`, this.#o.windowSeconds);
    if (n < this.#o.suspiciousDenials) return undefined;
    return this.trip({ ...trip, reason: 'suspicious_denials' });
  }

  /** Suspends the product at the controller (once, however many instances trip together). */
  async trip(trip: Trip): Promise<Suspension | undefined> {
    const now = new Date(this.#o.clock.now()).toISOString();
    const id = randomUUID();
    const window = trip.windowSeconds ?? this.#o.windowSeconds;
    const touched = await this.#o.store.windowMembers(`pdp:citizens:${trip.productId}:${trip.controllerId}`, this.#o.clock.now(), window * 1000).catch(() => []);
    let suspension: Suspension;
    try {
      suspension = await this.#o.db.transaction(async (tx) => {
        const row = theRow(await tx.query<SuspensionRow>(`INSERT INTO product_suspensions (id, product_id, client_id, controller_id, reason, suspended_at)
          VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`, [id, trip.productId, trip.clientId, trip.controllerId, trip.reason, now]), 'INSERT INTO product_suspensions');
        await tx.query(`INSERT INTO containment_events (at, kind, suspension_id, product_id, controller_id, actor, detail)
          VALUES ($1, 'suspended', $2, $3, $4, 'system', $5)`, [now, id, trip.productId, trip.controllerId,
          JSON.stringify({ reason: trip.reason, windowSeconds: window, citizensInWindow: touched.length, citizens: touched })]);
        return suspensionFromRow(row);
      });
    } catch (err) {
      if (pgCode(err) === PG.uniqueViolation) return undefined; // another instance tripped first
      throw err;
    }
    // Order matters: the registry change first (no new permits at this controller on any instance),
    // then the tokens (the client must come back through the gate, which no longer lists the controller).
    await this.#o.registry.announce(`suspension:${id}`);
    const revoked = await revokeClientTokens(this.#o.store, trip.clientId).catch(() => -1);
    this.#o.logger.warn({ product: trip.productId, controller: trip.controllerId, reason: trip.reason, suspension: id, revoked }, 'breach containment: product suspended at controller');
    if (trip.webhookUrl) void this.#notify(trip.webhookUrl, suspension, window, touched);
    return suspension;
  }

  async #notify(url: string, s: Suspension, windowSeconds: number, touched: string[]): Promise<void> {
    // Pseudonyms only: the controller resolves them in its own systems if it must inform the citizens.
    const body = { event: 'product_suspended', suspensionId: s.id, productId: s.productId, controllerId: s.controllerId,
      reason: s.reason, suspendedAt: s.suspendedAt, windowSeconds, citizensInWindow: touched.length, citizens: touched };
    let outcome: Record<string, unknown>;
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(this.#o.webhookTimeoutMs) });
      outcome = { status: res.status };
      await res.body?.cancel();
    } catch (err) {
      outcome = { error: (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable' };
    }
    await this.#o.db.query(`INSERT INTO containment_events (at, kind, suspension_id, product_id, controller_id, actor, detail)
      VALUES ($1, 'webhook', $2, $3, $4, 'system', $5)`, [new Date(this.#o.clock.now()).toISOString(), s.id, s.productId, s.controllerId, JSON.stringify(outcome)])
      .catch(() => undefined);
  }

  /** Lifts a suspension (an administrator's explicit act, recorded with who did it). */
  async lift(id: string, actor: string, alsoInTransaction?: (tx: Queryable, lifted: Suspension) => Promise<unknown>): Promise<Suspension | undefined> {
    const now = new Date(this.#o.clock.now()).toISOString();
    const lifted = await this.#o.db.transaction(async (tx) => {
      const row = (await tx.query<SuspensionRow>(`UPDATE product_suspensions SET lifted_at = $2, lifted_by = $3
        WHERE id = $1 AND lifted_at IS NULL RETURNING *`, [id, now, actor])).rows[0];
      if (!row) return undefined;
      const value = suspensionFromRow(row);
      await tx.query(`INSERT INTO containment_events (at, kind, suspension_id, product_id, controller_id, actor, detail)
        VALUES ($1, 'lifted', $2, $3, $4, $5, '{}')`, [now, id, value.productId, value.controllerId, actor]);
      await alsoInTransaction?.(tx, value);
      return value;
    });
    if (lifted) {
      await this.#o.store.del(`pdp:suspicious:${lifted.productId}:${lifted.controllerId}`).catch(() => 0);
      await this.#o.registry.announce(`suspension-lifted:${id}`);
    }
    return lifted;
  }

  async find(id: string): Promise<Suspension | undefined> {
    const row = (await this.#o.db.query<SuspensionRow>('SELECT * FROM product_suspensions WHERE id = $1', [id])).rows[0];
    return row ? suspensionFromRow(row) : undefined;
  }

  async inForce(): Promise<Suspension[]> {
    return (await this.#o.db.query<SuspensionRow>('SELECT * FROM product_suspensions WHERE lifted_at IS NULL')).rows.map(suspensionFromRow);
  }

  /**
   * Which citizens' data the product obtained at that controller in the window before the trip:
   * every permit in the decision audit (the record of what was released), by pseudonym.
   */
  async report(id: string): Promise<BreachReport | undefined> {
    const suspension = await this.find(id);
    if (!suspension) return undefined;
    const events = (await this.#o.db.query<ContainmentEventRow>(
      'SELECT seq, at, kind, actor, detail FROM containment_events WHERE suspension_id = $1 ORDER BY seq', [id])).rows.map(containmentEventFromRow);
    const windowSeconds = Number(events.find((e) => e.kind === 'suspended')?.detail.windowSeconds ?? this.#o.windowSeconds);
    const windowStart = new Date(Date.parse(suspension.suspendedAt) - windowSeconds * 1000).toISOString();
    const citizens = (await this.#o.db.query<{ citizen: string }>(`SELECT DISTINCT citizen FROM decision_audit
      WHERE product_id = $1 AND controller_id = $2 AND decision = 'permit' AND citizen IS NOT NULL
        AND decided_at >= $3 AND decided_at <= $4 ORDER BY citizen`, [suspension.productId, suspension.controllerId, windowStart, suspension.suspendedAt])).rows.map((r) => r.citizen);
    return { suspension, windowStart, citizens, events };
  }
}

/**
 * The registry as the gate and the decision point read it, with what this issue keeps beside it:
 * containment suspensions in force, the controllers' cohorts, and limits set on approvals. Whatever
 * the underlying source (the test's own, or the PostgreSQL registry), these come from the database.
 */
export function withExposure(source: RegistrySource, db: Db): RegistrySource {
  return {
    async snapshot(): Promise<RegistrySnapshot> {
      const [base, suspensions, cohorts, limits] = await Promise.all([
        source.snapshot(),
        db.query<SuspensionRow>('SELECT * FROM product_suspensions WHERE lifted_at IS NULL'),
        db.query<CohortRow>('SELECT * FROM cohorts'),
        db.query<ApprovalLimitsRow>('SELECT approval_id, limits FROM approval_limits'),
      ]);
      const byApproval = new Map(limits.rows.map(approvalLimitsFromRow).map((r) => [r.approvalId, r.limits]));
      return {
        ...base,
        approvals: base.approvals.map((a) => {
          const set = byApproval.get(a.id);
          return set ? { ...a, limits: set } : a;
        }),
        cohorts: [...(base.cohorts ?? []), ...cohorts.rows.map(cohortFromRow)],
        suspensions: [...(base.suspensions ?? []), ...suspensions.rows.map(suspensionFromRow)],
      };
    },
  };
}

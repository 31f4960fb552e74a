// Breach containment (docs/domain.md, rule 3): a product that exceeds a volume limit, or keeps
// getting denials only a compromised client causes (other citizens, controllers that never approved
// it), is suspended at that controller at once: the suspension is recorded in PostgreSQL (every
// instance drops the controller from the product's live approvals on the announced registry change),
// every token of the client is revoked, the controller's webhook is called (a signed event, retried),
// and the citizens whose data it was given in the window can be reported — both read from the
// decision audit, the record of what was released. Only an administrator lifts it.
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
import type { DecisionAudit } from './decisionAudit.ts';
import { deliverWithRetries, type AttemptOutcome, type ContainmentEvent, type EventSigner } from './containmentWebhook.ts';
import { limitTrips, reasonLabel, suspensions } from '../http/metrics.ts';

/** Denials an honest product does not cause: its user cannot pick another citizen or controller. */
export const SUSPICIOUS_REASONS = new Set(['controller_not_approved', 'citizen_not_token_subject', 'citizen_not_in_cohort']);

export interface ContainmentOptions {
  db: Db;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  registry: RegistryCache;
  /** Where the exposure is read: the permits it recorded (queued ones included). */
  audit: Pick<DecisionAudit, 'permittedCitizens'>;
  /** Signs webhook events with the gateway's keys (absent: no webhook is sent, and that is logged). */
  signer?: EventSigner | undefined;
  suspiciousDenials: number;
  windowSeconds: number;
  webhookTimeoutMs: number;
  webhookAttempts: number;
  webhookBackoffMs: number;
}

/** The decision audit could not be read: no exposure figure is given rather than a wrong one. */
export class ReportUnavailable extends Error {
  constructor() {
    super('the decision audit cannot be read for the breach report');
    this.name = 'ReportUnavailable';
  }
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
  /** The lift, or now while the suspension is in force (a permit racing the trip on another instance counts). */
  windowEnd: string;
  /** Pseudonyms of the citizens whose data was released to the product at the controller in the window. */
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
  /** Webhook deliveries under way or done, by suspension id, the latest few (tests can wait on one). */
  readonly #deliveries = new Map<string, Promise<AttemptOutcome | undefined>>();

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
    limitTrips.inc({ reason: reasonLabel(trip.reason) });
    const now = new Date(this.#o.clock.now()).toISOString();
    const id = randomUUID();
    const window = trip.windowSeconds ?? this.#o.windowSeconds;
    let suspension: Suspension;
    try {
      suspension = await this.#o.db.transaction(async (tx) => {
        const row = theRow(await tx.query<SuspensionRow>(`INSERT INTO product_suspensions (id, product_id, client_id, controller_id, reason, suspended_at)
          VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`, [id, trip.productId, trip.clientId, trip.controllerId, trip.reason, now]), 'INSERT INTO product_suspensions');
        await tx.query(`INSERT INTO containment_events (at, kind, suspension_id, product_id, controller_id, actor, detail)
          VALUES ($1, 'suspended', $2, $3, $4, 'system', $5)`, [now, id, trip.productId, trip.controllerId,
          JSON.stringify({ reason: trip.reason, windowSeconds: window })]);
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
    suspensions.inc({ reason: reasonLabel(trip.reason) });
    if (trip.webhookUrl) {
      const delivery = this.#notify(trip.webhookUrl, suspension, window).catch((err: unknown) => {
        this.#o.logger.error({ err: (err as Error).message, suspension: id }, 'containment webhook failed');
        return undefined;
      });
      this.#deliveries.set(id, delivery);
      // Trips are rare, but an instance runs for months: keep only the latest.
      for (const old of this.#deliveries.keys()) if (this.#deliveries.size > 100) this.#deliveries.delete(old);
    }
    return suspension;
  }

  /** The webhook delivery of a suspension: its last attempt's outcome (undefined: none was made). */
  delivery(suspensionId: string): Promise<AttemptOutcome | undefined> | undefined {
    return this.#deliveries.get(suspensionId);
  }

  /**
   * The signed event, made once (every retry sends the same token, so a receiver dedupes on its jti)
   * when the first attempt can read the decision audit; until then each attempt tries again.
   */
  async #notify(url: string, s: Suspension, windowSeconds: number): Promise<AttemptOutcome | undefined> {
    const { signer } = this.#o;
    const where = { product: s.productId, controller: s.controllerId, suspension: s.id };
    if (!signer) {
      this.#o.logger.error(where, 'containment webhook not sent: no signing key');
      return undefined;
    }
    let citizensInWindow = -1;
    const body = async () => {
      const windowEnd = new Date(this.#o.clock.now()).toISOString();
      const windowStart = new Date(Date.parse(s.suspendedAt) - windowSeconds * 1000).toISOString();
      const citizens = await this.#exposure(s, windowStart, windowEnd);
      citizensInWindow = citizens.length;
      // Pseudonyms only: the controller resolves them in its own systems if it must inform the citizens.
      const event: ContainmentEvent = {
        event: 'product_suspended', suspensionId: s.id, productId: s.productId, controllerId: s.controllerId, reason: s.reason,
        suspendedAt: s.suspendedAt, windowSeconds, windowStart, windowEnd, citizensInWindow, citizens,
      };
      return signer.sign(event, this.#o.clock.now());
    };
    return deliverWithRetries({
      url, body, attempts: this.#o.webhookAttempts, backoffMs: this.#o.webhookBackoffMs, timeoutMs: this.#o.webhookTimeoutMs,
      onAttempt: async (outcome) => {
        // Counts and codes only: no pseudonym, no URL (it may carry the controller's secret) in the log.
        const detail = { ...outcome, ...(citizensInWindow >= 0 ? { citizensInWindow } : {}) };
        const level = outcome.delivered ? 'info' : outcome.final ? 'error' : 'warn';
        this.#o.logger[level]({ ...where, ...detail }, outcome.delivered ? 'containment webhook delivered'
          : outcome.final ? 'containment webhook gave up' : 'containment webhook attempt failed; retrying');
        await this.#o.db.query(`INSERT INTO containment_events (at, kind, suspension_id, product_id, controller_id, actor, detail)
          VALUES ($1, 'webhook', $2, $3, $4, 'system', $5)`, [new Date(this.#o.clock.now()).toISOString(), s.id, s.productId, s.controllerId, JSON.stringify(detail)])
          .catch(() => undefined);
      },
    });
  }

  /** The citizens whose data the decision audit shows released to the product at the controller in [from, to]. */
  async #exposure(s: Suspension, from: string, to: string): Promise<string[]> {
    try {
      return await this.#o.audit.permittedCitizens({ productId: s.productId, controllerId: s.controllerId, from, to });
    } catch {
      throw new ReportUnavailable();
    }
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
   * Which citizens' data the product obtained at that controller in the window: every permit in the
   * decision audit (the record of what was released), queued or written, by pseudonym. The window
   * runs from windowSeconds before the trip to the lift (now while in force), so a permit another
   * instance gave before the suspension reached it counts too. Throws ReportUnavailable when the
   * audit cannot be read.
   */
  async report(id: string): Promise<BreachReport | undefined> {
    const suspension = await this.find(id);
    if (!suspension) return undefined;
    const events = (await this.#o.db.query<ContainmentEventRow>(
      'SELECT seq, at, kind, actor, detail FROM containment_events WHERE suspension_id = $1 ORDER BY seq', [id])).rows.map(containmentEventFromRow);
    const windowSeconds = Number(events.find((e) => e.kind === 'suspended')?.detail.windowSeconds ?? this.#o.windowSeconds);
    const windowStart = new Date(Date.parse(suspension.suspendedAt) - windowSeconds * 1000).toISOString();
    const windowEnd = suspension.liftedAt ?? new Date(this.#o.clock.now()).toISOString();
    const citizens = await this.#exposure(suspension, windowStart, windowEnd);
    return { suspension, windowStart, windowEnd, citizens, events };
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

// Agents (ombud, docs/domain.md rule 10): a citizen (the principal) appoints another person (the agent)
// with a typed mandate — which kinds of data the agent may use for them — an expiry, a yearly
// confirmation and revocation at any time. The records live in PostgreSQL (migration 008), because a
// mandate is a legal fact the gateway must be able to show later, not a cache entry.
//
// Why the personnummer is kept beside the pseudonyms: the relation is checked against the population
// register at every use (is the principal alive, still the same person), and the agent is signed in as
// acting for the principal, whose identity the product is then given. The pseudonyms are the lookup keys.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../whitelist/db/db.ts';

/**
 * The data sets no agent ever reaches, whatever a mandate says: the healthcare record (patientdatalagen
 * keeps the medical record from agents; docs/domain.md rule 10). Enforced by the representation pipeline.
 */
export const HEALTHCARE_RECORD_DATASETS: ReadonlySet<string> = new Set(['care-documentation']);

/** The consents social-care documentation needs before an agent may read it (docs/domain.md rules 6, 10). */
export const SOCIAL_CARE_CONSENTS = ['secrecy_waiver', 'processing'] as const;
export type SocialCareConsent = (typeof SOCIAL_CARE_CONSENTS)[number];

/**
 * The kinds of mandate and the catalogue data sets each reaches. Typed, so a principal gives "bookings",
 * not a free list; none reaches the healthcare record.
 */
export const MANDATE_TYPES = {
  bookings: ['bookings'],
  listing: ['listing'],
  social_care_documentation: ['home-care-decisions'],
} as const satisfies Record<string, readonly string[]>;
export type MandateType = keyof typeof MANDATE_TYPES;
export const mandateType = z.enum(Object.keys(MANDATE_TYPES) as [MandateType, ...MandateType[]]);

/** The data sets a mandate's types reach. */
export const datasetsOf = (types: readonly MandateType[]): Set<string> => new Set(types.flatMap((t) => MANDATE_TYPES[t]));

export interface Mandate {
  id: string;
  /** The principal's and the agent's keyed pseudonyms (AccountStore.accountIdFor). */
  principal: string;
  agent: string;
  principalNumber: string;
  agentNumber: string;
  types: MandateType[];
  /** The consents given with a social-care mandate, and when. */
  consents: Partial<Record<SocialCareConsent, string>>;
  createdAt: string;
  /** The level of assurance of the principal's fresh sign-in when they appointed the agent. */
  appointedWith: string;
  expiresAt: string;
  /** The yearly confirmation: the principal is reminded to confirm by then. */
  confirmBy: string;
  revokedAt?: string;
}

const YEAR_MS = 365 * 86_400_000;

interface MandateRow {
  id: string; principal: string; agent: string; principal_number: string; agent_number: string; types: MandateType[] | string;
  consents: Record<string, string> | string; created_at: Date | string; appointed_with: string; expires_at: Date | string;
  confirm_by: Date | string; revoked_at: Date | string | null;
}

const iso = (v: Date | string): string => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());
const json = <T>(v: T | string): T => (typeof v === 'string' ? JSON.parse(v) as T : v);

function fromRow(r: MandateRow): Mandate {
  return {
    id: r.id, principal: r.principal, agent: r.agent, principalNumber: r.principal_number, agentNumber: r.agent_number,
    types: json(r.types), consents: json(r.consents), createdAt: iso(r.created_at), appointedWith: r.appointed_with,
    expiresAt: iso(r.expires_at), confirmBy: iso(r.confirm_by), ...(r.revoked_at ? { revokedAt: iso(r.revoked_at) } : {}),
  };
}

export interface Appointment {
  principal: string;
  principalNumber: string;
  agent: string;
  agentNumber: string;
  types: MandateType[];
  consents?: Partial<Record<SocialCareConsent, string>>;
  appointedWith: string;
  expiresAt: string;
}

/** What the representation pipeline reads of mandates. */
export interface MandateReader {
  find(id: string): Promise<Mandate | undefined>;
}

export class MandateStore implements MandateReader {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async appoint(a: Appointment): Promise<Mandate> {
    const now = this.#clock.now();
    const id = randomUUID();
    const confirmBy = new Date(Math.min(now + YEAR_MS, Date.parse(a.expiresAt))).toISOString();
    const row = (await this.#db.query<MandateRow>(`INSERT INTO representation_mandates
      (id, principal, agent, principal_number, agent_number, types, consents, created_at, appointed_with, expires_at, confirm_by)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
    [id, a.principal, a.agent, a.principalNumber, a.agentNumber, JSON.stringify(a.types), JSON.stringify(a.consents ?? {}),
      new Date(now).toISOString(), a.appointedWith, a.expiresAt, confirmBy])).rows[0];
    if (!row) throw new Error('mandate insert returned no row');
    // The yearly reminder is a record of its own: whoever sends reminders reads the due ones.
    await this.#db.query('INSERT INTO mandate_reminders (mandate_id, due_at) VALUES ($1, $2)', [id, confirmBy]);
    return fromRow(row);
  }

  async find(id: string): Promise<Mandate | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const row = (await this.#db.query<MandateRow>('SELECT * FROM representation_mandates WHERE id = $1', [id])).rows[0];
    return row ? fromRow(row) : undefined;
  }

  /** Mandates in which this pseudonym is the agent (whom they may act for) or the principal (who may act for them). */
  async forAgent(agent: string): Promise<Mandate[]> {
    return (await this.#db.query<MandateRow>('SELECT * FROM representation_mandates WHERE agent = $1 ORDER BY created_at', [agent])).rows.map(fromRow);
  }

  async forPrincipal(principal: string): Promise<Mandate[]> {
    return (await this.#db.query<MandateRow>('SELECT * FROM representation_mandates WHERE principal = $1 ORDER BY created_at', [principal])).rows.map(fromRow);
  }

  /** Revokes a mandate; only its principal may (false when it is not theirs, or already revoked). */
  async revoke(id: string, principal: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return false;
    const rows = (await this.#db.query<MandateRow>('UPDATE representation_mandates SET revoked_at = $3 WHERE id = $1 AND principal = $2 AND revoked_at IS NULL RETURNING *',
      [id, principal, new Date(this.#clock.now()).toISOString()])).rows;
    return rows.length === 1;
  }

  /** The yearly confirmations due by `at` and not yet sent (for whoever sends reminders). */
  async remindersDue(at: number): Promise<Array<{ mandateId: string; dueAt: string }>> {
    const rows = (await this.#db.query<{ mandate_id: string; due_at: Date | string }>(
      'SELECT mandate_id, due_at FROM mandate_reminders WHERE due_at <= $1 AND sent_at IS NULL ORDER BY due_at', [new Date(at).toISOString()])).rows;
    return rows.map((r) => ({ mandateId: r.mandate_id, dueAt: iso(r.due_at) }));
  }
}

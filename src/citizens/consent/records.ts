// Consent as a record (docs/domain.md, rule 6; migration 006): what a citizen consented to, to whom,
// when, how and in which words, and when it was withdrawn. The citizen is the account's keyed
// pseudonym, never the personnummer. A record is never deleted: withdrawing sets revoked_at, so a
// withdrawal stays traceable (and the data can be deleted where it went).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import type { Db, Queryable } from '../../whitelist/db/db.ts';
import { clean, mapperFor, nullable, oneOf, timestamp } from '../../whitelist/db/columns.ts';

/**
 * app_access: a product may reach a data set at a controller (or, with neither, receive the identity
 * claims). The three of §6.3.2, each its own record: the disclosing provider may lift secrecy, may
 * process the data for the disclosure, and the receiving provider may process what it received.
 */
export const CONSENT_KINDS = ['app_access', 'disclosure_secrecy', 'disclosure_processing', 'disclosure_receipt'] as const;
export type ConsentKind = (typeof CONSENT_KINDS)[number];

/** How a consent was given or withdrawn: the page, and the e-ID method the citizen was signed in with. */
export type ConsentHow = `${'consent_page' | 'account_page' | 'replaced' | 'api' | 'jump'}${'' | `:${string}`}`;

export interface ConsentRecord {
  id: string;
  citizen: string;
  kind: ConsentKind;
  productId: string;
  dataset?: string | undefined;
  controllerId?: string | undefined;
  /** The receiving provider of a disclosure. */
  recipientId?: string | undefined;
  actions: string[];
  claims: string[];
  /** The version of the consent text shown (a digest of the catalogue texts), and its language. */
  textVersion: string;
  locale: string;
  givenAt: string;
  givenHow: string;
  revokedAt?: string | undefined;
  revokedHow?: string | undefined;
}

export type ConsentInput = Omit<ConsentRecord, 'id' | 'givenAt' | 'revokedAt' | 'revokedHow'>;

const consentRow = z.object({
  id: z.string(), citizen: z.string(), kind: oneOf(z.enum(CONSENT_KINDS)), product_id: z.string(), dataset: nullable(z.string()),
  controller_id: nullable(z.string()), recipient_id: nullable(z.string()), actions: z.array(z.string()), claims: z.array(z.string()),
  text_version: z.string(), locale: z.string(), given_at: timestamp, given_how: z.string(), revoked_at: nullable(timestamp), revoked_how: nullable(z.string()),
}).transform((r): ConsentRecord => clean({
  id: r.id, citizen: r.citizen, kind: r.kind, productId: r.product_id, dataset: r.dataset, controllerId: r.controller_id, recipientId: r.recipient_id,
  actions: r.actions, claims: r.claims, textVersion: r.text_version, locale: r.locale, givenAt: r.given_at, givenHow: r.given_how,
  revokedAt: r.revoked_at, revokedHow: r.revoked_how,
}));
type ConsentRow = z.input<typeof consentRow>;
const fromRow = mapperFor('consents', 'id', consentRow);

/** The same thing consented to (citizen, product, kind, data set, controller, recipient). */
const sameSubject = (a: Pick<ConsentRecord, 'citizen' | 'productId' | 'kind' | 'dataset' | 'controllerId' | 'recipientId'>, b: typeof a): boolean =>
  a.citizen === b.citizen && a.productId === b.productId && a.kind === b.kind && (a.dataset ?? '') === (b.dataset ?? '')
  && (a.controllerId ?? '') === (b.controllerId ?? '') && (a.recipientId ?? '') === (b.recipientId ?? '');

const covers = (held: string[], wanted: string[]): boolean => wanted.every((w) => held.includes(w));

export type RevokeOneResult = { ok: true; record: ConsentRecord } | { ok: false; reason: 'consent_not_found' | 'consent_already_revoked' };

export class ConsentStore {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async #inForce(q: Queryable, citizen: string, productId?: string): Promise<ConsentRecord[]> {
    const rows = productId === undefined
      ? await q.query<ConsentRow>('SELECT * FROM consents WHERE citizen = $1 AND revoked_at IS NULL ORDER BY given_at, id', [citizen])
      : await q.query<ConsentRow>('SELECT * FROM consents WHERE citizen = $1 AND product_id = $2 AND revoked_at IS NULL ORDER BY given_at, id', [citizen, productId]);
    return rows.rows.map(fromRow);
  }

  /**
   * Records consents as given now. One already in force that covers the new one (same subject, at
   * least its actions and claims) is kept as it is; one that covers less is replaced (withdrawn as
   * `replaced`, and the wider one recorded), so each record says exactly what was shown and agreed.
   * Answers the records in force for what was given.
   */
  async give(inputs: ConsentInput[]): Promise<ConsentRecord[]> {
    if (!inputs.length) return [];
    const at = new Date(this.#clock.now()).toISOString();
    return this.#db.transaction(async (tx) => {
      const out: ConsentRecord[] = [];
      const held = new Map<string, ConsentRecord[]>();
      for (const input of inputs) {
        const key = `${input.citizen}\u0000${input.productId}`;
        let current = held.get(key);
        if (!current) held.set(key, (current = await this.#inForce(tx, input.citizen, input.productId)));
        const existing = current.find((c) => sameSubject(c, input));
        if (existing && covers(existing.actions, input.actions) && covers(existing.claims, input.claims)) {
          out.push(existing);
          continue;
        }
        if (existing) {
          await tx.query('UPDATE consents SET revoked_at = $2, revoked_how = $3 WHERE id = $1 AND revoked_at IS NULL', [existing.id, at, 'replaced']);
        }
        const actions = [...new Set([...(existing?.actions ?? []), ...input.actions])].sort();
        const claims = [...new Set([...(existing?.claims ?? []), ...input.claims])].sort();
        const row = (await tx.query<ConsentRow>(`INSERT INTO consents (id, citizen, kind, product_id, dataset, controller_id, recipient_id, actions, claims,
            text_version, locale, given_at, given_how) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`, [
          randomUUID(), input.citizen, input.kind, input.productId, input.dataset ?? null, input.controllerId ?? null, input.recipientId ?? null,
          actions, claims, input.textVersion, input.locale, at, input.givenHow,
        ])).rows[0];
        if (row) out.push(fromRow(row));
      }
      return out;
    });
  }

  /** Every consent of one citizen, given and withdrawn, newest first (the citizen's own page and export). */
  async forCitizen(citizen: string): Promise<ConsentRecord[]> {
    const rows = await this.#db.query<ConsentRow>('SELECT * FROM consents WHERE citizen = $1 ORDER BY given_at DESC, id', [citizen]);
    return rows.rows.map(fromRow);
  }

  /** The consents in force of one citizen (for one product). */
  inForce(citizen: string, productId?: string): Promise<ConsentRecord[]> {
    return this.#inForce(this.#db, citizen, productId);
  }

  /** Withdraws every app consent in force of one citizen for one product; answers the withdrawn records. */
  async revokeProduct(citizen: string, productId: string, how: ConsentHow): Promise<ConsentRecord[]> {
    const at = new Date(this.#clock.now()).toISOString();
    const rows = await this.#db.query<ConsentRow>(`UPDATE consents SET revoked_at = $3, revoked_how = $4
      WHERE citizen = $1 AND product_id = $2 AND kind = 'app_access' AND revoked_at IS NULL RETURNING *`, [citizen, productId, at, how]);
    return rows.rows.map(fromRow);
  }

  /**
   * Withdraws one consent, only the citizen's own: an id that is someone else's answers exactly as one
   * that does not exist (consent_not_found), so nothing about another citizen can be learnt from it.
   */
  async revokeOne(citizen: string, id: string, how: ConsentHow): Promise<RevokeOneResult> {
    const at = new Date(this.#clock.now()).toISOString();
    const rows = await this.#db.query<ConsentRow>(`UPDATE consents SET revoked_at = $3, revoked_how = $4
      WHERE id = $1 AND citizen = $2 AND revoked_at IS NULL RETURNING *`, [id, citizen, at, how]);
    const row = rows.rows[0];
    if (row) return { ok: true, record: fromRow(row) };
    const seen = await this.#db.query<{ n: number }>('SELECT 1 AS n FROM consents WHERE id = $1 AND citizen = $2', [id, citizen]);
    return { ok: false, reason: seen.rows.length ? 'consent_already_revoked' : 'consent_not_found' };
  }

  /**
   * What the decision point denies for: app consents withdrawn and not given again, as
   * "product, citizen" (the product as a whole: its claims consent) and "product, citizen, data set,
   * controller" (one data set at one controller).
   */
  async withdrawn(): Promise<Set<string>> {
    const rows = await this.#db.query<{ product_id: string; citizen: string; dataset: string | null; controller_id: string | null }>(`
      SELECT DISTINCT c.product_id, c.citizen, c.dataset, c.controller_id FROM consents c
      WHERE c.kind = 'app_access' AND c.revoked_at IS NOT NULL AND c.revoked_how <> 'replaced'
        AND NOT EXISTS (SELECT 1 FROM consents d WHERE d.kind = 'app_access' AND d.revoked_at IS NULL
          AND d.citizen = c.citizen AND d.product_id = c.product_id
          AND coalesce(d.dataset, '') = coalesce(c.dataset, '') AND coalesce(d.controller_id, '') = coalesce(c.controller_id, ''))`);
    return new Set(rows.rows.map((r) => withdrawnKey(r.product_id, r.citizen, r.dataset ?? undefined, r.controller_id ?? undefined)));
  }
}

/** The key of a withdrawn consent in the decision point's set. */
export const withdrawnKey = (productId: string, citizen: string, dataset?: string, controllerId?: string): string =>
  dataset === undefined ? `${productId}\u0000${citizen}` : `${productId}\u0000${citizen}\u0000${dataset}\u0000${controllerId ?? ''}`;

// What controller administrators change about exposure (docs/domain.md, rule 3: the limits live outside the
// product, set through another channel): the limits on their approvals, their cohorts, and lifting a
// containment suspension. Same role rules as the rest of the admin API (src/whitelist/authorization.ts):
// a controller_admin of that controller (an operator may also lift a suspension). Every change is
// written with its audit entry in one transaction and then announced, so every instance's gate and
// decision point see it on the next request.
import type { Clock } from '../clock.ts';
import type { Db, Queryable } from '../whitelist/db/db.ts';
import { appendAudit, type AuditActor } from '../whitelist/audit.ts';
import { authorize, isOperator, scopesOf, type ConcernedProduct, type Target } from '../whitelist/authorization.ts';
import { RegistryError, notFound, versionConflict } from '../whitelist/errors.ts';
import type { ExposureLimits, Principal, Suspension } from '../whitelist/model.ts';
import type { RegistryCache } from '../whitelist/registryCache.ts';
import type { AccountStore } from '../idp/accounts.ts';
import { parseIdentityNumber } from '../personnummer.ts';
import { ReportUnavailable, type BreachReport, type Containment } from './containment.ts';

export interface CohortView {
  id: string;
  controllerId: string;
  name: string;
  /** Pseudonyms: the personnummer sent in were never stored. */
  members: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface CohortRow { id: string; controller_id: string; name: string; members: string[]; version: number; created_at: Date | string; updated_at: Date | string }
const iso = (v: Date | string) => new Date(v).toISOString();
const cohortView = (r: CohortRow): CohortView => ({ id: r.id, controllerId: r.controller_id, name: r.name, members: r.members, version: r.version, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) });

/** Refuses as the registry does (403 with the rule's code); answers who the audit trail will name. */
function authorizeExposure(p: Principal, operation: 'exposure.manage' | 'suspension.manage', target: Target): AuditActor {
  const denial = authorize(p, operation, target);
  if (denial) throw new RegistryError(403, denial.code, denial.detail);
  const admin = p.roles.some((r) => r.role === 'controller_admin' && r.scope === target.controllerId);
  return { actor: p.actor, role: admin ? 'controller_admin' : 'operator' };
}

export interface ExposureAdminDeps {
  db: Db;
  clock: Clock;
  registry: RegistryCache;
  accounts: AccountStore;
  containment: Containment;
}

export class ExposureAdmin {
  readonly #d: ExposureAdminDeps;

  constructor(deps: ExposureAdminDeps) {
    this.#d = deps;
  }

  async #approvalController(approvalId: string): Promise<string> {
    const approval = (await this.#d.registry.snapshot()).approvals.find((a) => a.id === approvalId);
    if (!approval) throw notFound('approval', approvalId);
    return approval.controllerId;
  }

  async #write<T>(work: (tx: Queryable, now: string) => Promise<T>): Promise<T> {
    const now = new Date(this.#d.clock.now()).toISOString();
    const value = await this.#d.db.transaction((tx) => work(tx, now));
    await this.#d.registry.announce(`exposure:${now}`);
    return value;
  }

  // --- What a change is about, for separation of duties (read before it is made; src/whitelist/api/concerns.ts) ---

  async #productsConcerned(productIds: Iterable<string>): Promise<ConcernedProduct[]> {
    const ids = new Set(productIds);
    return (await this.#d.registry.snapshot()).products.filter((x) => ids.has(x.id)).map((x) => ({ id: x.id, supplierOrgNumber: x.supplierOrgNumber }));
  }

  /** The limits of an approval are about its product. */
  async approvalConcerns(approvalId: string): Promise<ConcernedProduct[]> {
    const approval = (await this.#d.registry.snapshot()).approvals.find((a) => a.id === approvalId);
    if (!approval) throw notFound('approval', approvalId);
    return this.#productsConcerned([approval.productId]);
  }

  /**
   * A cohort is about every product an approval of its controller limits to it (live or not: a
   * revoked approval's limits come back with nothing else if it is ever granted again). A new cohort's
   * id may already be named by such limits, so creating one is asked the same.
   */
  async cohortConcerns(controllerId: string, cohortId: string): Promise<ConcernedProduct[]> {
    const limited = (await this.#d.registry.snapshot()).approvals.filter((a) => a.controllerId === controllerId
      && a.limits?.citizens.mode === 'cohort' && a.limits.citizens.cohortId === cohortId);
    return this.#productsConcerned(limited.map((a) => a.productId));
  }

  /** Lifting a suspension is about the product it suspended. */
  async suspensionConcerns(id: string): Promise<ConcernedProduct[]> {
    const found = await this.#d.containment.find(id);
    if (!found) throw notFound('suspension', id);
    return this.#productsConcerned([found.productId]);
  }

  async getLimits(p: Principal, approvalId: string): Promise<{ approvalId: string; limits: ExposureLimits | null; version: number }> {
    authorizeExposure(p, 'exposure.manage', { controllerId: await this.#approvalController(approvalId) });
    const row = (await this.#d.db.query<{ limits: ExposureLimits; version: number }>('SELECT limits, version FROM approval_limits WHERE approval_id = $1', [approvalId])).rows[0];
    return { approvalId, limits: row?.limits ?? null, version: row?.version ?? 0 };
  }

  /** Sets the limits; `expected` is the version read (0 before any limits were set). */
  async putLimits(p: Principal, approvalId: string, expected: number, limits: ExposureLimits): Promise<{ approvalId: string; limits: ExposureLimits; version: number }> {
    const controllerId = await this.#approvalController(approvalId);
    const who = authorizeExposure(p, 'exposure.manage', { controllerId });
    if (limits.citizens.mode === 'cohort') await this.#requireCohort(controllerId, limits.citizens.cohortId);
    return this.#write(async (tx, now) => {
      const before = (await tx.query<{ limits: ExposureLimits; version: number }>('SELECT limits, version FROM approval_limits WHERE approval_id = $1 FOR UPDATE', [approvalId])).rows[0];
      const version = before?.version ?? 0;
      if (version !== expected) throw versionConflict('limits of approval', approvalId, expected, version);
      await tx.query(`INSERT INTO approval_limits (approval_id, limits, version, updated_by, created_at, updated_at) VALUES ($1, $2, 1, $3, $4, $4)
        ON CONFLICT (approval_id) DO UPDATE SET limits = $2, version = approval_limits.version + 1, updated_by = $3, updated_at = $4`,
      [approvalId, JSON.stringify(limits), who.actor, now]);
      await appendAudit(tx, this.#d.clock, who, { action: 'approval.limits', objectType: 'approval', objectId: approvalId, before: before?.limits ?? null, after: limits });
      return { approvalId, limits, version: version + 1 };
    });
  }

  async #requireCohort(controllerId: string, id: string): Promise<CohortRow> {
    const row = (await this.#d.db.query<CohortRow>('SELECT * FROM cohorts WHERE id = $1 AND controller_id = $2', [id, controllerId])).rows[0];
    if (!row) throw notFound('cohort', id);
    return row;
  }

  /** Personnummer in, pseudonyms out: the cohort never holds an identity number. */
  #pseudonyms(members: string[]): string[] {
    const bad = members.map((m, i) => [m, i] as const).filter(([m]) => !parseIdentityNumber(m));
    if (bad.length) {
      throw new RegistryError(400, 'validation_failed', 'members must be 12-digit personnummer or samordningsnummer',
        bad.slice(0, 20).map(([, i]) => ({ path: `members.${i}`, message: 'not a valid identity number' })));
    }
    return [...new Set(members.map((m) => this.#d.accounts.accountIdFor(m)))].sort();
  }

  async listCohorts(p: Principal, controllerId: string): Promise<CohortView[]> {
    authorizeExposure(p, 'exposure.manage', { controllerId });
    return (await this.#d.db.query<CohortRow>('SELECT * FROM cohorts WHERE controller_id = $1 ORDER BY id', [controllerId])).rows.map(cohortView);
  }

  async getCohort(p: Principal, controllerId: string, id: string): Promise<CohortView> {
    authorizeExposure(p, 'exposure.manage', { controllerId });
    return cohortView(await this.#requireCohort(controllerId, id));
  }

  async createCohort(p: Principal, controllerId: string, input: { id: string; name: string; members: string[] }): Promise<CohortView> {
    const who = authorizeExposure(p, 'exposure.manage', { controllerId });
    const members = this.#pseudonyms(input.members);
    return this.#write(async (tx, now) => {
      const existing = (await tx.query('SELECT 1 FROM cohorts WHERE id = $1', [input.id])).rows.length;
      if (existing) throw new RegistryError(409, 'duplicate', `cohort ${JSON.stringify(input.id)} exists`);
      const row = (await tx.query<CohortRow>(`INSERT INTO cohorts (id, controller_id, name, members, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING *`,
        [input.id, controllerId, input.name, JSON.stringify(members), now])).rows[0];
      if (!row) throw new Error('cohort insert returned no row');
      const view = cohortView(row);
      await appendAudit(tx, this.#d.clock, who, { action: 'cohort.create', objectType: 'cohort', objectId: input.id, before: null, after: { ...view, members: members.length } });
      return view;
    });
  }

  async putCohort(p: Principal, controllerId: string, id: string, expected: number, input: { name: string; members: string[] }): Promise<CohortView> {
    const who = authorizeExposure(p, 'exposure.manage', { controllerId });
    const members = this.#pseudonyms(input.members);
    return this.#write(async (tx, now) => {
      const before = (await tx.query<CohortRow>('SELECT * FROM cohorts WHERE id = $1 AND controller_id = $2 FOR UPDATE', [id, controllerId])).rows[0];
      if (!before) throw notFound('cohort', id);
      if (before.version !== expected) throw versionConflict('cohort', id, expected, before.version);
      const row = (await tx.query<CohortRow>('UPDATE cohorts SET name = $2, members = $3, version = version + 1, updated_at = $4 WHERE id = $1 RETURNING *',
        [id, input.name, JSON.stringify(members), now])).rows[0];
      if (!row) throw notFound('cohort', id);
      const view = cohortView(row);
      // The audit trail counts members (added, removed) rather than copying the list into every entry.
      const old = new Set(before.members);
      await appendAudit(tx, this.#d.clock, who, { action: 'cohort.update', objectType: 'cohort', objectId: id,
        before: { name: before.name, members: before.members.length, version: before.version },
        after: { name: view.name, members: members.length, added: members.filter((m) => !old.has(m)).length, removed: before.members.filter((m) => !members.includes(m)).length, version: view.version } });
      return view;
    });
  }

  async deleteCohort(p: Principal, controllerId: string, id: string, expected: number): Promise<void> {
    const who = authorizeExposure(p, 'exposure.manage', { controllerId });
    const inUse = (await this.#d.registry.snapshot()).approvals.some((a) => a.controllerId === controllerId && a.status === 'active'
      && a.limits?.citizens.mode === 'cohort' && a.limits.citizens.cohortId === id);
    if (inUse) throw new RegistryError(409, 'in_use', `cohort ${JSON.stringify(id)} limits a live approval: change the approval's limits first`);
    await this.#write(async (tx) => {
      const before = (await tx.query<CohortRow>('SELECT * FROM cohorts WHERE id = $1 AND controller_id = $2 FOR UPDATE', [id, controllerId])).rows[0];
      if (!before) throw notFound('cohort', id);
      if (before.version !== expected) throw versionConflict('cohort', id, expected, before.version);
      await tx.query('DELETE FROM cohorts WHERE id = $1', [id]);
      await appendAudit(tx, this.#d.clock, who, { action: 'cohort.delete', objectType: 'cohort', objectId: id, before: { name: before.name, members: before.members.length }, after: null });
    });
  }

  async listSuspensions(p: Principal): Promise<Suspension[]> {
    const denial = authorize(p, 'registry.read');
    if (denial) throw new RegistryError(403, denial.code, denial.detail);
    const operator = isOperator(p);
    const mine = new Set(scopesOf(p, 'controller_admin'));
    const all = await this.#d.containment.inForce();
    return all.filter((s) => operator || mine.has(s.controllerId));
  }

  async report(p: Principal, id: string): Promise<BreachReport> {
    const found = await this.#d.containment.find(id);
    if (!found) throw notFound('suspension', id);
    authorizeExposure(p, 'suspension.manage', { controllerId: found.controllerId });
    let report;
    try {
      report = await this.#d.containment.report(id);
    } catch (err) {
      // No figure rather than a wrong one: the exposure is read from the decision audit or not given.
      if (err instanceof ReportUnavailable) throw new RegistryError(503, 'audit_unavailable', err.message);
      throw err;
    }
    if (!report) throw notFound('suspension', id);
    return report;
  }

  /** Version of a suspension for If-Match: 1 while in force, 2 once lifted. */
  static version(s: Suspension): number {
    return s.liftedAt ? 2 : 1;
  }

  async lift(p: Principal, id: string, expected: number): Promise<Suspension> {
    const found = await this.#d.containment.find(id);
    if (!found) throw notFound('suspension', id);
    const who = authorizeExposure(p, 'suspension.manage', { controllerId: found.controllerId });
    if (ExposureAdmin.version(found) !== expected) throw versionConflict('suspension', id, expected, ExposureAdmin.version(found));
    const lifted = await this.#d.containment.lift(id, who.actor,
      (tx, after) => appendAudit(tx, this.#d.clock, who, { action: 'suspension.lift', objectType: 'suspension', objectId: id, before: found, after }));
    if (!lifted) throw versionConflict('suspension', id, expected, 2);
    return lifted;
  }
}

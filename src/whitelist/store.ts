// The registry's repository: rows in, model objects out, each row through its table's mapper
// (./db/rows.ts), so what a read answers has been checked, not cast. Every write runs in one
// transaction with its audit entry (nothing half-written), checks the version the caller read
// (optimistic concurrency), and answers the new audit revision so the caller can announce it. Who may
// write is not decided here (src/whitelist/service.ts); this layer only keeps the records and the
// trail consistent.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { PG, pgCode, type Db, type Queryable } from './db/db.ts';
import { theRow } from './db/columns.ts';
import {
  approvalFromRow, certificationFromRow, controllerFromRow, frameworkFromRow, jumpPolicyFromRow, policyFromRow, policyVersionFromRow, productFromRow, roleFromRow,
  type ApprovalRow, type CertificationRow, type ControllerRow, type FrameworkRow, type JumpPolicyRow, type PolicyRow, type PolicyVersion, type PolicyVersionRow,
  type ProductRow, type RoleRow,
} from './db/rows.ts';
import {
  appendAudit, auditFromRow, AUDIT_COLUMNS, readAuditHead, verifyAuditChain, type AuditActor, type AuditRow, type ChainReport,
} from './audit.ts';
import { notFound, RegistryError, versionConflict } from './errors.ts';
import type {
  Approval, AuditEntry, Certification, Controller, ControllerPolicy, JumpPolicy, Product, RegistrySnapshot,
  RoleAssignment, RoleSubject, TrustFramework,
} from './model.ts';

/** The tables the store locks rows of, with each one's key column and mapper. */
interface Table<Row, T> {
  name: string;
  key: string;
  what: string;
  map: (row: Row) => T;
}
const CONTROLLERS: Table<ControllerRow, Controller> = { name: 'controllers', key: 'id', what: 'controller', map: controllerFromRow };
const FRAMEWORKS: Table<FrameworkRow, TrustFramework> = { name: 'frameworks', key: 'id', what: 'framework', map: frameworkFromRow };
const PRODUCTS: Table<ProductRow, Product> = { name: 'products', key: 'id', what: 'product', map: productFromRow };
const CERTIFICATIONS: Table<CertificationRow, Certification> = { name: 'certifications', key: 'id', what: 'certification', map: certificationFromRow };
const APPROVALS: Table<ApprovalRow, Approval> = { name: 'approvals', key: 'id', what: 'approval', map: approvalFromRow };
const ROLES: Table<RoleRow, RoleAssignment> = { name: 'role_assignments', key: 'id', what: 'role assignment', map: roleFromRow };

/** Which field a unique constraint protects, for a 409 that names it. */
const DUPLICATE_FIELDS: Record<string, string> = {
  controllers_pkey: 'id', controllers_org_number_key: 'orgNumber', frameworks_pkey: 'id', products_pkey: 'id',
  products_client_id_key: 'client.clientId', certifications_pkey: 'id', approvals_pkey: 'id',
  approvals_one_active: 'an active approval for this controller, product and purpose',
  role_assignments_pkey: 'id', role_assignments_subject_kind_subject_id_role_scope_key: 'the same role for the same subject and scope',
};

async function guardDuplicate<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (pgCode(err) === PG.uniqueViolation) {
      const constraint = (err as { constraint?: string }).constraint ?? '';
      const field = DUPLICATE_FIELDS[constraint] ?? constraint;
      throw new RegistryError(409, 'duplicate', `a ${what} with this ${field || 'key'} already exists`);
    }
    throw err;
  }
}

export interface Written<T> {
  value: T;
  /** The audit seq of the change: the registry revision the change made. */
  revision: number;
}

export interface AuditQuery {
  objectType?: AuditEntry['objectType'];
  objectId?: string;
  /** Entries whose object is any of these (type, id) pairs; used to limit a controller admin's view. */
  objects?: Array<{ objectType: AuditEntry['objectType']; objectId: string }>;
  /** Entries by this actor (HSA-id, client_id or `system`). */
  actor?: string;
  /** Entries whose action is this one or starts with it and a dot (`approval` finds approval.revoke). */
  action?: string;
  /** Entries at or after `from` and before `to` (ISO instants). */
  from?: string;
  to?: string;
  limit?: number;
}

/** A change's reason, kept in its audit entry next to the object as it became (`after.reason`). */
const withReason = <T extends object>(value: T, reason: string | undefined): T | (T & { reason: string }) => (reason ? { ...value, reason } : value);

export class RegistryStore {
  readonly db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.db = db;
    this.#clock = clock;
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  /** Locks the row, checks it exists and is at the expected version; answers it as it was. */
  async #lock<Row, T extends { version: number }>(tx: Queryable, table: Table<Row, T>, id: string, expected?: number): Promise<T> {
    const row = (await tx.query<Row>(`SELECT * FROM ${table.name} WHERE ${table.key} = $1 FOR UPDATE`, [id])).rows[0];
    if (!row) throw notFound(table.what, id);
    const current = table.map(row);
    if (expected !== undefined && current.version !== expected) throw versionConflict(table.what, id, expected, current.version);
    return current;
  }

  async #write<T>(who: AuditActor, work: (tx: Queryable, now: string) => Promise<{ value: T; audit: Parameters<typeof appendAudit>[3] }>): Promise<Written<T>> {
    return this.db.transaction(async (tx) => {
      const { value, audit } = await work(tx, this.#now());
      const entry = await appendAudit(tx, this.#clock, who, audit);
      return { value, revision: entry.seq };
    });
  }

  // --- reads -------------------------------------------------------------------------------------

  /** Everything the token gate needs, read in one transaction so it is one consistent state. */
  async snapshot(): Promise<RegistrySnapshot> {
    return this.db.transaction(async (tx) => {
      const head = await readAuditHead(tx);
      const all = async <Row, T>(sql: string, map: (r: Row) => T) => (await tx.query<Row>(sql)).rows.map(map);
      return {
        revision: head?.seq ?? 0,
        controllers: await all('SELECT * FROM controllers ORDER BY id', controllerFromRow),
        frameworks: await all('SELECT * FROM frameworks ORDER BY id', frameworkFromRow),
        policies: await all('SELECT * FROM controller_policies ORDER BY controller_id', policyFromRow),
        products: await all('SELECT * FROM products ORDER BY id', productFromRow),
        certifications: await all('SELECT * FROM certifications ORDER BY created_at, id', certificationFromRow),
        approvals: await all('SELECT * FROM approvals ORDER BY created_at, id', approvalFromRow),
        jumpPolicies: await all('SELECT * FROM controller_jump_policies ORDER BY controller_id', jumpPolicyFromRow),
      };
    }, { isolation: 'repeatable read' });
  }

  async revision(): Promise<number> {
    return (await readAuditHead(this.db))?.seq ?? 0;
  }

  async #one<Row, T>(sql: string, params: unknown[], map: (r: Row) => T): Promise<T | undefined> {
    const row = (await this.db.query<Row>(sql, params)).rows[0];
    return row ? map(row) : undefined;
  }

  listControllers(): Promise<Controller[]> {
    return this.db.query<ControllerRow>('SELECT * FROM controllers ORDER BY id').then((r) => r.rows.map(controllerFromRow));
  }
  getController(id: string): Promise<Controller | undefined> {
    return this.#one('SELECT * FROM controllers WHERE id = $1', [id], controllerFromRow);
  }
  listFrameworks(): Promise<TrustFramework[]> {
    return this.db.query<FrameworkRow>('SELECT * FROM frameworks ORDER BY id').then((r) => r.rows.map(frameworkFromRow));
  }
  getFramework(id: string): Promise<TrustFramework | undefined> {
    return this.#one('SELECT * FROM frameworks WHERE id = $1', [id], frameworkFromRow);
  }
  getPolicy(controllerId: string): Promise<ControllerPolicy | undefined> {
    return this.#one('SELECT * FROM controller_policies WHERE controller_id = $1', [controllerId], policyFromRow);
  }
  getJumpPolicy(controllerId: string): Promise<JumpPolicy | undefined> {
    return this.#one('SELECT * FROM controller_jump_policies WHERE controller_id = $1', [controllerId], jumpPolicyFromRow);
  }
  async policyHistory(controllerId: string): Promise<PolicyVersion[]> {
    const rows = (await this.db.query<PolicyVersionRow>('SELECT * FROM controller_policy_versions WHERE controller_id = $1 ORDER BY version', [controllerId])).rows;
    return rows.map(policyVersionFromRow);
  }
  listProducts(filter: { supplierOrgNumber?: string } = {}): Promise<Product[]> {
    return filter.supplierOrgNumber
      ? this.db.query<ProductRow>('SELECT * FROM products WHERE supplier_org_number = $1 ORDER BY id', [filter.supplierOrgNumber]).then((r) => r.rows.map(productFromRow))
      : this.db.query<ProductRow>('SELECT * FROM products ORDER BY id').then((r) => r.rows.map(productFromRow));
  }
  getProduct(id: string): Promise<Product | undefined> {
    return this.#one('SELECT * FROM products WHERE id = $1', [id], productFromRow);
  }
  async listCertifications(filter: { productId?: string } = {}): Promise<Certification[]> {
    const rows = filter.productId
      ? (await this.db.query<CertificationRow>('SELECT * FROM certifications WHERE product_id = $1 ORDER BY created_at, id', [filter.productId])).rows
      : (await this.db.query<CertificationRow>('SELECT * FROM certifications ORDER BY created_at, id')).rows;
    return rows.map(certificationFromRow);
  }
  getCertification(id: string): Promise<Certification | undefined> {
    return this.#one('SELECT * FROM certifications WHERE id = $1', [id], certificationFromRow);
  }
  async listApprovals(filter: { controllerId?: string; productId?: string; productIds?: string[] } = {}): Promise<Approval[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.controllerId) { params.push(filter.controllerId); where.push(`controller_id = $${params.length}`); }
    if (filter.productId) { params.push(filter.productId); where.push(`product_id = $${params.length}`); }
    if (filter.productIds) { params.push(filter.productIds); where.push(`product_id = ANY($${params.length}::text[])`); }
    const rows = (await this.db.query<ApprovalRow>(`SELECT * FROM approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`, params)).rows;
    return rows.map(approvalFromRow);
  }
  getApproval(id: string): Promise<Approval | undefined> {
    return this.#one('SELECT * FROM approvals WHERE id = $1', [id], approvalFromRow);
  }
  listRoles(): Promise<RoleAssignment[]> {
    return this.db.query<RoleRow>('SELECT * FROM role_assignments ORDER BY created_at, id').then((r) => r.rows.map(roleFromRow));
  }
  getRole(id: string): Promise<RoleAssignment | undefined> {
    return this.#one('SELECT * FROM role_assignments WHERE id = $1', [id], roleFromRow);
  }
  async rolesOf(subject: RoleSubject): Promise<RoleAssignment[]> {
    const id = subject.kind === 'staff' ? subject.hsaId : subject.clientId;
    const rows = (await this.db.query<RoleRow>('SELECT * FROM role_assignments WHERE subject_kind = $1 AND subject_id = $2 ORDER BY created_at, id', [subject.kind, id])).rows;
    return rows.map(roleFromRow);
  }
  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.objectType) { params.push(query.objectType); where.push(`object_type = $${params.length}`); }
    if (query.objectId) { params.push(query.objectId); where.push(`object_id = $${params.length}`); }
    if (query.actor) { params.push(query.actor); where.push(`actor = $${params.length}`); }
    if (query.action) { params.push(query.action, `${query.action.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`); where.push(`(action = $${params.length - 1} OR action LIKE $${params.length})`); }
    if (query.from) { params.push(query.from); where.push(`at >= $${params.length}`); }
    if (query.to) { params.push(query.to); where.push(`at < $${params.length}`); }
    if (query.objects) {
      if (query.objects.length === 0) return [];
      params.push(query.objects.map((o) => `${o.objectType}|${o.objectId}`));
      where.push(`(object_type || '|' || object_id) = ANY($${params.length}::text[])`);
    }
    params.push(Math.min(query.limit ?? 500, 5000));
    const rows = (await this.db.query<AuditRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`, params,
    )).rows;
    return rows.map(auditFromRow);
  }
  verifyAudit(): Promise<ChainReport> {
    return verifyAuditChain(this.db);
  }

  // --- writes ------------------------------------------------------------------------------------

  createController(who: AuditActor, c: Omit<Controller, 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<Controller>> {
    return guardDuplicate('controller', () => this.#write(who, async (tx, now) => {
      const value = controllerFromRow(theRow(await tx.query<ControllerRow>(
        `INSERT INTO controllers (id, org_number, name, kind, hsa_id, datasets, webhook_url, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
        [c.id, c.orgNumber, c.name, c.kind, c.hsaId ?? null, JSON.stringify(c.datasets), c.webhookUrl ?? null, now],
      ), 'INSERT INTO controllers'));
      return { value, audit: { action: 'controller.create', objectType: 'controller', objectId: c.id, before: null, after: value } };
    }));
  }

  updateController(who: AuditActor, id: string, expected: number, c: Omit<Controller, 'id' | 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<Controller>> {
    return guardDuplicate('controller', () => this.#write(who, async (tx, now) => {
      const before = await this.#lock(tx, CONTROLLERS, id, expected);
      const value = controllerFromRow(theRow(await tx.query<ControllerRow>(
        `UPDATE controllers SET org_number = $2, name = $3, kind = $4, hsa_id = $5, datasets = $6, webhook_url = $7,
           version = version + 1, updated_at = $8 WHERE id = $1 AND version = $9 RETURNING *`,
        [id, c.orgNumber, c.name, c.kind, c.hsaId ?? null, JSON.stringify(c.datasets), c.webhookUrl ?? null, now, expected],
      ), 'UPDATE controllers'));
      return { value, audit: { action: 'controller.update', objectType: 'controller', objectId: id, before, after: value } };
    }));
  }

  createFramework(who: AuditActor, f: Omit<TrustFramework, 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<TrustFramework>> {
    return guardDuplicate('framework', () => this.#write(who, async (tx, now) => {
      const value = frameworkFromRow(theRow(await tx.query<FrameworkRow>(
        'INSERT INTO frameworks (id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING *',
        [f.id, f.name, f.description ?? null, now],
      ), 'INSERT INTO frameworks'));
      return { value, audit: { action: 'framework.create', objectType: 'framework', objectId: f.id, before: null, after: value } };
    }));
  }

  updateFramework(who: AuditActor, id: string, expected: number, f: Omit<TrustFramework, 'id' | 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<TrustFramework>> {
    return this.#write(who, async (tx, now) => {
      const before = await this.#lock(tx, FRAMEWORKS, id, expected);
      const value = frameworkFromRow(theRow(await tx.query<FrameworkRow>(
        'UPDATE frameworks SET name = $2, description = $3, version = version + 1, updated_at = $4 WHERE id = $1 AND version = $5 RETURNING *',
        [id, f.name, f.description ?? null, now, expected],
      ), 'UPDATE frameworks'));
      return { value, audit: { action: 'framework.update', objectType: 'framework', objectId: id, before, after: value } };
    });
  }

  /**
   * Sets a controller's policy: the first one needs no expected version (there is nothing to
   * overwrite), every later one does. Each version is also kept in controller_policy_versions.
   */
  putPolicy(who: AuditActor, controllerId: string, expected: number | undefined, accepts: ControllerPolicy['accepts'], guardianDatasets: string[] = []): Promise<Written<ControllerPolicy>> {
    return this.#write(who, async (tx, now) => {
      await this.#lock(tx, CONTROLLERS, controllerId);
      const currentRow = (await tx.query<PolicyRow>('SELECT * FROM controller_policies WHERE controller_id = $1 FOR UPDATE', [controllerId])).rows[0];
      const before = currentRow ? policyFromRow(currentRow) : null;
      let row: PolicyRow;
      if (!before) {
        if (expected !== undefined && expected !== 0) throw versionConflict('policy of', controllerId, expected, 0);
        row = theRow(await tx.query<PolicyRow>(
          'INSERT INTO controller_policies (controller_id, accepts, guardian_datasets, created_at, updated_at) VALUES ($1, $2, $4, $3, $3) RETURNING *',
          [controllerId, JSON.stringify(accepts), now, JSON.stringify(guardianDatasets)],
        ), 'INSERT INTO controller_policies');
      } else {
        if (expected === undefined) throw new RegistryError(428, 'precondition_required', `the policy of ${controllerId} exists: name the version you read (If-Match)`);
        if (before.version !== expected) throw versionConflict('policy of', controllerId, expected, before.version);
        row = theRow(await tx.query<PolicyRow>(
          'UPDATE controller_policies SET accepts = $2, guardian_datasets = $5, version = version + 1, updated_at = $3 WHERE controller_id = $1 AND version = $4 RETURNING *',
          [controllerId, JSON.stringify(accepts), now, expected, JSON.stringify(guardianDatasets)],
        ), 'UPDATE controller_policies');
      }
      const value = policyFromRow(row);
      await tx.query('INSERT INTO controller_policy_versions (controller_id, version, accepts, guardian_datasets, decided_by, created_at) VALUES ($1, $2, $3, $6, $4, $5)',
        [controllerId, value.version, JSON.stringify(accepts), who.actor, now, JSON.stringify(guardianDatasets)]);
      return { value, audit: { action: 'policy.set', objectType: 'policy', objectId: controllerId, before, after: value } };
    });
  }

  /** Sets a controller's jump policy; as putPolicy, the first needs no expected version, every later one does. */
  putJumpPolicy(who: AuditActor, controllerId: string, expected: number | undefined, policy: Pick<JumpPolicy, 'acceptedUpstreams' | 'minimumAcr'>): Promise<Written<JumpPolicy>> {
    return this.#write(who, async (tx, now) => {
      await this.#lock(tx, CONTROLLERS, controllerId);
      const currentRow = (await tx.query<JumpPolicyRow>('SELECT * FROM controller_jump_policies WHERE controller_id = $1 FOR UPDATE', [controllerId])).rows[0];
      const before = currentRow ? jumpPolicyFromRow(currentRow) : null;
      let row: JumpPolicyRow;
      if (!before) {
        if (expected !== undefined && expected !== 0) throw versionConflict('jump policy of', controllerId, expected, 0);
        row = theRow(await tx.query<JumpPolicyRow>(
          'INSERT INTO controller_jump_policies (controller_id, accepted_upstreams, minimum_acr, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING *',
          [controllerId, JSON.stringify(policy.acceptedUpstreams), policy.minimumAcr, now],
        ), 'INSERT INTO controller_jump_policies');
      } else {
        if (expected === undefined) throw new RegistryError(428, 'precondition_required', `the jump policy of ${controllerId} exists: name the version you read (If-Match)`);
        if (before.version !== expected) throw versionConflict('jump policy of', controllerId, expected, before.version);
        row = theRow(await tx.query<JumpPolicyRow>(
          `UPDATE controller_jump_policies SET accepted_upstreams = $2, minimum_acr = $3, version = version + 1, updated_at = $4
           WHERE controller_id = $1 AND version = $5 RETURNING *`,
          [controllerId, JSON.stringify(policy.acceptedUpstreams), policy.minimumAcr, now, expected],
        ), 'UPDATE controller_jump_policies');
      }
      const value = jumpPolicyFromRow(row);
      return { value, audit: { action: 'jump_policy.set', objectType: 'jump_policy', objectId: controllerId, before, after: value } };
    });
  }

  createProduct(who: AuditActor, p: Omit<Product, 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<Product>> {
    return guardDuplicate('product', () => this.#write(who, async (tx, now) => {
      const value = productFromRow(theRow(await tx.query<ProductRow>(
        `INSERT INTO products (id, name, supplier_org_number, supplier_name, purpose, contact, status, client_id, client,
           authn_methods, minimum_acr, requested_access, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING *`,
        [p.id, p.name, p.supplierOrgNumber, p.supplierName, p.purpose, JSON.stringify(p.contact), p.status, p.client.clientId,
          JSON.stringify(p.client), JSON.stringify(p.authnMethods), p.minimumAcr ?? null, JSON.stringify(p.requestedAccess), now],
      ), 'INSERT INTO products'));
      return { value, audit: { action: 'product.create', objectType: 'product', objectId: p.id, before: null, after: value } };
    }));
  }

  updateProduct(who: AuditActor, id: string, expected: number, p: Omit<Product, 'id' | 'status' | 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<Product>> {
    return guardDuplicate('product', () => this.#write(who, async (tx, now) => {
      const before = await this.#lock(tx, PRODUCTS, id, expected);
      const value = productFromRow(theRow(await tx.query<ProductRow>(
        `UPDATE products SET name = $2, supplier_org_number = $3, supplier_name = $4, purpose = $5, contact = $6, client_id = $7,
           client = $8, authn_methods = $9, minimum_acr = $10, requested_access = $11, version = version + 1, updated_at = $12
         WHERE id = $1 AND version = $13 RETURNING *`,
        [id, p.name, p.supplierOrgNumber, p.supplierName, p.purpose, JSON.stringify(p.contact), p.client.clientId, JSON.stringify(p.client),
          JSON.stringify(p.authnMethods), p.minimumAcr ?? null, JSON.stringify(p.requestedAccess), now, expected],
      ), 'UPDATE products'));
      return { value, audit: { action: 'product.update', objectType: 'product', objectId: id, before, after: value } };
    }));
  }

  setProductStatus(who: AuditActor, id: string, expected: number, status: Product['status'], reason?: string): Promise<Written<Product>> {
    return this.#write(who, async (tx, now) => {
      const before = await this.#lock(tx, PRODUCTS, id, expected);
      const value = productFromRow(theRow(await tx.query<ProductRow>(
        'UPDATE products SET status = $2, version = version + 1, updated_at = $3 WHERE id = $1 AND version = $4 RETURNING *',
        [id, status, now, expected],
      ), 'UPDATE products'));
      return { value, audit: { action: `product.status.${status}`, objectType: 'product', objectId: id, before, after: withReason(value, reason) } };
    });
  }

  createCertification(who: AuditActor, c: Omit<Certification, 'id' | 'status' | 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<Certification>> {
    const id = randomUUID();
    return guardDuplicate('certification', () => this.#write(who, async (tx, now) => {
      const value = certificationFromRow(theRow(await tx.query<CertificationRow>(
        `INSERT INTO certifications (id, product_id, framework_id, purpose, certified_by, issued_at, expires_at, evidence_ref, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'valid', $9, $9) RETURNING *`,
        [id, c.productId, c.frameworkId, c.purpose, c.certifiedBy, c.issuedAt, c.expiresAt, c.evidenceRef, now],
      ), 'INSERT INTO certifications'));
      return { value, audit: { action: 'certification.issue', objectType: 'certification', objectId: id, before: null, after: value } };
    }));
  }

  withdrawCertification(who: AuditActor, id: string, expected: number, reason?: string): Promise<Written<Certification>> {
    return this.#write(who, async (tx, now) => {
      const before = await this.#lock(tx, CERTIFICATIONS, id, expected);
      if (before.status === 'withdrawn') throw new RegistryError(409, 'already_withdrawn', `certification ${id} is already withdrawn`);
      const value = certificationFromRow(theRow(await tx.query<CertificationRow>(
        `UPDATE certifications SET status = 'withdrawn', version = version + 1, updated_at = $2 WHERE id = $1 AND version = $3 RETURNING *`,
        [id, now, expected],
      ), 'UPDATE certifications'));
      return { value, audit: { action: 'certification.withdraw', objectType: 'certification', objectId: id, before, after: withReason(value, reason) } };
    });
  }

  createApproval(who: AuditActor, a: Omit<Approval, 'id' | 'status' | 'revokedAt' | 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<Approval>> {
    const id = randomUUID();
    return guardDuplicate('approval', () => this.#write(who, async (tx, now) => {
      const value = approvalFromRow(theRow(await tx.query<ApprovalRow>(
        `INSERT INTO approvals (id, controller_id, product_id, purpose, access, basis, reviewer, certification_id, status, expires_at, decided_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $11, $11) RETURNING *`,
        [id, a.controllerId, a.productId, a.purpose, JSON.stringify(a.access), a.basis, a.reviewer ?? null, a.certificationId ?? null,
          a.expiresAt ?? null, a.decidedBy, now],
      ), 'INSERT INTO approvals'));
      return { value, audit: { action: 'approval.grant', objectType: 'approval', objectId: id, before: null, after: value } };
    }));
  }

  /** A revoked row with basis `certification` also blocks the policy's automatic approval (model.ts). */
  revokeApproval(who: AuditActor, id: string, expected: number, reason?: string): Promise<Written<Approval>> {
    return this.#write(who, async (tx, now) => {
      const before = await this.#lock(tx, APPROVALS, id, expected);
      if (before.status === 'revoked') throw new RegistryError(409, 'already_revoked', `approval ${id} is already revoked`);
      const value = approvalFromRow(theRow(await tx.query<ApprovalRow>(
        `UPDATE approvals SET status = 'revoked', revoked_at = $2, version = version + 1, updated_at = $2 WHERE id = $1 AND version = $3 RETURNING *`,
        [id, now, expected],
      ), 'UPDATE approvals'));
      return { value, audit: { action: 'approval.revoke', objectType: 'approval', objectId: id, before, after: withReason(value, reason) } };
    });
  }

  createRole(who: AuditActor, r: Omit<RoleAssignment, 'id' | 'version' | 'createdAt' | 'updatedAt'>): Promise<Written<RoleAssignment>> {
    const id = randomUUID();
    const subjectId = r.subject.kind === 'staff' ? r.subject.hsaId : r.subject.clientId;
    return guardDuplicate('role assignment', () => this.#write(who, async (tx, now) => {
      const value = roleFromRow(theRow(await tx.query<RoleRow>(
        `INSERT INTO role_assignments (id, subject_kind, subject_id, role, scope, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`,
        [id, r.subject.kind, subjectId, r.role, r.scope ?? '', now],
      ), 'INSERT INTO role_assignments'));
      return { value, audit: { action: 'role.assign', objectType: 'role', objectId: id, before: null, after: value } };
    }));
  }

  /**
   * Removes a role assignment. The last operator is kept: the operators' rows are locked first, so two
   * concurrent removals cannot each see "another operator is left".
   */
  deleteRole(who: AuditActor, id: string, expected: number | undefined): Promise<Written<RoleAssignment>> {
    return this.#write(who, async (tx) => {
      const operators = (await tx.query<{ id: string }>("SELECT id FROM role_assignments WHERE role = 'operator' ORDER BY id FOR UPDATE")).rows;
      const before = await this.#lock(tx, ROLES, id, expected);
      if (before.role === 'operator' && operators.length <= 1) {
        throw new RegistryError(409, 'last_operator', 'the last operator cannot be removed: assign another operator first');
      }
      await tx.query('DELETE FROM role_assignments WHERE id = $1', [id]);
      return { value: before, audit: { action: 'role.remove', objectType: 'role', objectId: id, before, after: null } };
    });
  }
}

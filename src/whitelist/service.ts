// The registry's rules: who may change what (src/whitelist/authorization.ts), what a change may say
// (catalogue, references, dates, client metadata), and then the store's one transaction with its
// audit entry. After the commit every change is announced on `registry:changed` so each gateway
// instance drops its cached snapshot.
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { AuditActor } from './audit.ts';
import { REGISTRY_CHANNEL } from './registryCache.ts';
import { liveApprovals, type LiveAccess } from './liveApprovals.ts';
import { authorize, isOperator, scopesOf, type Operation, type Target } from './authorization.ts';
import { productClientProblems } from './clientMetadata.ts';
import { accessWithin, DatasetCatalogue } from './datasets.ts';
import { invalid, notFound, RegistryError, type FieldError } from './errors.ts';
import type {
  Approval, AuditEntry, Certification, Controller, ControllerPolicy, DatasetAccess, JumpPolicy, Principal, Product,
  RegistrySnapshot, Role, RoleAssignment, TrustFramework,
} from './model.ts';
import type { AuditQuery, RegistryStore, Written } from './store.ts';
import type { z } from 'zod';
import type * as S from './schemas.ts';

export { REGISTRY_CHANNEL };

/** The seed and other start-up work act as `system`: no role checks, still validated and audited. */
export const SYSTEM: Principal = { subject: { kind: 'client', clientId: 'system' }, actor: 'system', roles: [] };

/** The role an operation is done in, for the audit trail. */
const ACTING_ROLE: Partial<Record<Operation, Role>> = {
  'controller.write': 'operator', 'framework.write': 'operator', 'product.write': 'operator', 'product.status': 'operator',
  'role.write': 'operator', 'policy.write': 'controller_admin', 'jump_policy.write': 'controller_admin', 'certification.issue': 'certifier',
  'certification.withdraw': 'certifier', 'approval.grant': 'controller_admin', 'approval.revoke': 'controller_admin',
};

export interface ServiceDeps {
  store: RegistryStore;
  hot: HotStore;
  clock: Clock;
  catalogue: DatasetCatalogue;
  /** Sandbox: http redirect URIs to localhost are allowed. */
  sandbox: boolean;
  /** Upstream names (loa.providers keys) and the acr values they yield. */
  authnMethods: string[];
  acrValues: string[];
  logger: Logger;
}

type ControllerIn = z.output<typeof S.controllerInput>;
type FrameworkIn = z.output<typeof S.frameworkInput>;
type ProductIn = z.output<typeof S.productInput>;
type CertificationIn = z.output<typeof S.certificationInput>;
type ApprovalIn = z.output<typeof S.approvalInput>;
type RoleIn = z.output<typeof S.roleInput>;
type PolicyIn = z.output<typeof S.policyInput>;
type JumpPolicyIn = z.output<typeof S.jumpPolicyInput>;

const clean = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export class RegistryService {
  readonly store: RegistryStore;
  readonly catalogue: DatasetCatalogue;
  readonly #deps: ServiceDeps;

  constructor(deps: ServiceDeps) {
    this.#deps = deps;
    this.store = deps.store;
    this.catalogue = deps.catalogue;
  }

  #now(): number {
    return this.#deps.clock.now();
  }

  /** Runs the operation's checks; answers who the audit trail will name. */
  #authorize(p: Principal, operation: Operation, target: Target = {}): AuditActor {
    if (p === SYSTEM) return { actor: 'system', role: 'system' };
    const denial = authorize(p, operation, target);
    if (denial) throw new RegistryError(403, denial.code, denial.detail);
    const role = ACTING_ROLE[operation] ?? p.roles[0]?.role;
    // Every rule begins with has_role, so this answers as that check would.
    if (!role) throw new RegistryError(403, 'no_role', `${p.actor} holds no role in the registry`);
    return { actor: p.actor, role };
  }

  async #announce<T>(written: Written<T>): Promise<T> {
    try {
      await this.#deps.hot.publish(REGISTRY_CHANNEL, String(written.revision));
    } catch (err) {
      // The change is committed; instances that miss the message re-read on their next revision check.
      this.#deps.logger.warn({ reason: 'registry_publish_failed', revision: written.revision, err: (err as Error).message }, 'registry change not announced');
    }
    return written.value;
  }

  #fieldErrors(code: string, detail: string, errors: FieldError[], status = 422): void {
    if (errors.length) throw new RegistryError(status, code, `${detail}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors);
  }

  async #requireController(id: string, path?: string): Promise<Controller> {
    const c = await this.store.getController(id);
    if (!c) throw path ? invalid('unknown_reference', `${path}: controller ${JSON.stringify(id)} does not exist`, [{ path, message: 'unknown controller' }]) : notFound('controller', id);
    return c;
  }

  async #requireProduct(id: string, path?: string): Promise<Product> {
    const p = await this.store.getProduct(id);
    if (!p) throw path ? invalid('unknown_reference', `${path}: product ${JSON.stringify(id)} does not exist`, [{ path, message: 'unknown product' }]) : notFound('product', id);
    return p;
  }

  /** The controller holds every data set it decides about. */
  #checkHeld(controller: Controller, access: DatasetAccess[], path: string): void {
    const errors = access.flatMap((a, i) => (controller.datasets.includes(a.dataset) ? [] : [{ path: `${path}.${i}.dataset`, message: `${controller.id} does not hold "${a.dataset}"` }]));
    this.#fieldErrors('dataset_not_held', `controller ${controller.id} can only decide about data sets it holds`, errors);
  }

  #checkFuture(value: string | undefined, path: string): void {
    if (value !== undefined && Date.parse(value) <= this.#now()) {
      throw invalid('invalid_date', `${path} must be in the future`, [{ path, message: 'is not in the future' }]);
    }
  }

  // --- principal ---------------------------------------------------------------------------------

  me(p: Principal): { actor: string; subject: Principal['subject']; roles: RoleAssignment[] } {
    return { actor: p.actor, subject: p.subject, roles: p.roles };
  }

  snapshot(): Promise<RegistrySnapshot> {
    return this.store.snapshot();
  }

  // --- controllers and policies --------------------------------------------------------------------

  async listControllers(p: Principal): Promise<Controller[]> {
    this.#authorize(p, 'registry.read');
    return this.store.listControllers();
  }

  async getController(p: Principal, id: string): Promise<Controller> {
    this.#authorize(p, 'registry.read');
    return this.#requireController(id);
  }

  #checkController(c: Omit<ControllerIn, 'id'>): void {
    this.#fieldErrors('unknown_dataset', 'controllers hold data sets from the catalogue', this.catalogue.checkIds(c.datasets, 'datasets'));
  }

  async createController(p: Principal, input: ControllerIn): Promise<Controller> {
    const who = this.#authorize(p, 'controller.write');
    this.#checkController(input);
    return this.#announce(await this.store.createController(who, clean(input)));
  }

  async updateController(p: Principal, id: string, expected: number, input: z.output<typeof S.controllerUpdate>): Promise<Controller> {
    const who = this.#authorize(p, 'controller.write');
    if (input.id !== undefined && input.id !== id) throw new RegistryError(400, 'validation_failed', 'id: the id in the body differs from the id in the path', [{ path: 'id', message: 'differs from the path' }]);
    const { id: _ignored, ...rest } = input;
    this.#checkController(rest);
    return this.#announce(await this.store.updateController(who, id, expected, clean(rest)));
  }

  async getPolicy(p: Principal, controllerId: string): Promise<ControllerPolicy> {
    this.#authorize(p, 'registry.read');
    await this.#requireController(controllerId);
    const policy = await this.store.getPolicy(controllerId);
    if (!policy) throw notFound('policy of controller', controllerId);
    return policy;
  }

  async putPolicy(p: Principal, controllerId: string, expected: number | undefined, input: PolicyIn): Promise<ControllerPolicy> {
    const who = this.#authorize(p, 'policy.write', { controllerId });
    const controller = await this.#requireController(controllerId);
    const errors: FieldError[] = [];
    for (const [i, a] of input.accepts.entries()) {
      if (!(await this.store.getFramework(a.frameworkId))) errors.push({ path: `accepts.${i}.frameworkId`, message: `unknown framework "${a.frameworkId}"` });
    }
    this.#fieldErrors('unknown_reference', 'a policy can only accept registered frameworks', errors);
    input.accepts.forEach((a, i) => this.#fieldErrors('unknown_dataset', 'a policy names data sets and actions from the catalogue', this.catalogue.checkAccess(a.access, `accepts.${i}.access`)));
    input.accepts.forEach((a, i) => this.#checkHeld(controller, a.access, `accepts.${i}.access`));
    const guardian = input.guardianDatasets ?? [];
    this.#fieldErrors('unknown_dataset', 'a guardian policy names data sets from the catalogue',
      this.catalogue.checkAccess(guardian.map((dataset) => ({ dataset, actions: ['read' as const] })), 'guardianDatasets'));
    return this.#announce(await this.store.putPolicy(who, controllerId, expected === 0 ? undefined : expected, input.accepts, guardian));
  }

  async getJumpPolicy(p: Principal, controllerId: string): Promise<JumpPolicy> {
    this.#authorize(p, 'registry.read');
    await this.#requireController(controllerId);
    const policy = await this.store.getJumpPolicy(controllerId);
    if (!policy) throw notFound('jump policy of controller', controllerId);
    return policy;
  }

  /** The upstreams are configured ones; the level one this gateway knows. */
  async putJumpPolicy(p: Principal, controllerId: string, expected: number | undefined, input: JumpPolicyIn): Promise<JumpPolicy> {
    const who = this.#authorize(p, 'jump_policy.write', { controllerId });
    await this.#requireController(controllerId);
    this.#fieldErrors('unknown_authn_method', 'a jump policy names configured upstreams', input.acceptedUpstreams.flatMap((m, i) =>
      (this.#deps.authnMethods.includes(m) ? [] : [{ path: `acceptedUpstreams.${i}`, message: `unknown sign-in method "${m}" (known: ${this.#deps.authnMethods.join(', ')})` }])));
    if (!this.#deps.acrValues.includes(input.minimumAcr)) {
      throw invalid('unknown_acr', `minimumAcr: ${JSON.stringify(input.minimumAcr)} is not a level of assurance this gateway knows`, [{ path: 'minimumAcr', message: 'unknown level of assurance' }]);
    }
    return this.#announce(await this.store.putJumpPolicy(who, controllerId, expected === 0 ? undefined : expected, input));
  }

  // --- frameworks --------------------------------------------------------------------------------

  async listFrameworks(p: Principal): Promise<TrustFramework[]> {
    this.#authorize(p, 'registry.read');
    return this.store.listFrameworks();
  }

  async getFramework(p: Principal, id: string): Promise<TrustFramework> {
    this.#authorize(p, 'registry.read');
    const f = await this.store.getFramework(id);
    if (!f) throw notFound('framework', id);
    return f;
  }

  async createFramework(p: Principal, input: FrameworkIn): Promise<TrustFramework> {
    const who = this.#authorize(p, 'framework.write');
    return this.#announce(await this.store.createFramework(who, clean(input)));
  }

  async updateFramework(p: Principal, id: string, expected: number, input: z.output<typeof S.frameworkUpdate>): Promise<TrustFramework> {
    const who = this.#authorize(p, 'framework.write');
    if (input.id !== undefined && input.id !== id) throw new RegistryError(400, 'validation_failed', 'id: the id in the body differs from the id in the path', [{ path: 'id', message: 'differs from the path' }]);
    const { id: _ignored, ...rest } = input;
    return this.#announce(await this.store.updateFramework(who, id, expected, clean(rest)));
  }

  // --- products ----------------------------------------------------------------------------------

  /** Operators, certifiers and controller admins see all products; a supplier only its own. */
  async listProducts(p: Principal): Promise<Product[]> {
    this.#authorize(p, 'registry.read');
    if (p === SYSTEM || p.roles.some((r) => r.role !== 'supplier')) return this.store.listProducts();
    const orgs = scopesOf(p, 'supplier');
    return (await this.store.listProducts()).filter((x) => orgs.includes(x.supplierOrgNumber));
  }

  async getProduct(p: Principal, id: string): Promise<Product> {
    const product = await this.#requireProduct(id);
    this.#authorize(p, 'product.read', { product });
    return product;
  }

  async #checkProduct(input: Omit<ProductIn, 'id'>): Promise<void> {
    const clientErrors = await productClientProblems(input.client, this.#deps.sandbox);
    const first = clientErrors[0]?.path ?? '';
    this.#fieldErrors(/redirectUris/i.test(first) ? 'invalid_redirect_uri' : /jwks/.test(first) ? 'invalid_jwks' : 'invalid_client_metadata',
      'the client metadata is not acceptable', clientErrors, 400);
    this.#fieldErrors('unknown_dataset', 'a product asks for data sets and actions from the catalogue', this.catalogue.checkAccess(input.requestedAccess, 'requestedAccess'));
    const methods = input.authnMethods.flatMap((m, i) => (this.#deps.authnMethods.includes(m) ? [] : [{ path: `authnMethods.${i}`, message: `unknown sign-in method "${m}" (known: ${this.#deps.authnMethods.join(', ')})` }]));
    this.#fieldErrors('unknown_authn_method', 'sign-in methods name configured upstreams', methods);
    if (input.minimumAcr !== undefined && !this.#deps.acrValues.includes(input.minimumAcr)) {
      throw invalid('unknown_acr', `minimumAcr: ${JSON.stringify(input.minimumAcr)} is not a level of assurance this gateway knows`, [{ path: 'minimumAcr', message: 'unknown level of assurance' }]);
    }
  }

  async createProduct(p: Principal, input: ProductIn): Promise<Product> {
    const who = this.#authorize(p, 'product.write');
    await this.#checkProduct(input);
    return this.#announce(await this.store.createProduct(who, clean({ ...input, client: clean(input.client), status: 'registered' as const })));
  }

  async updateProduct(p: Principal, id: string, expected: number, input: z.output<typeof S.productUpdate>): Promise<Product> {
    const who = this.#authorize(p, 'product.write');
    if (input.id !== undefined && input.id !== id) throw new RegistryError(400, 'validation_failed', 'id: the id in the body differs from the id in the path', [{ path: 'id', message: 'differs from the path' }]);
    const { id: _ignored, ...rest } = input;
    await this.#checkProduct(rest);
    return this.#announce(await this.store.updateProduct(who, id, expected, clean({ ...rest, client: clean(rest.client) })));
  }

  /** The product's live approvals per controller right now (src/whitelist/liveApprovals.ts). */
  async productAccess(p: Principal, id: string): Promise<Omit<LiveAccess, 'product'> & { productId: string; revision: number }> {
    await this.getProduct(p, id);
    const snapshot = await this.store.snapshot();
    const product = snapshot.products.find((x) => x.id === id);
    if (!product) throw notFound('product', id);
    const live = liveApprovals(snapshot, product, this.#now(), this.catalogue.list());
    return { productId: id, revision: snapshot.revision, approvals: live.approvals, lapses: live.lapses };
  }

  /**
   * "Väntar på mitt beslut": products that ask for data the controller holds and that it has not
   * decided on — no approval of its own (live, expired or revoked: a revoked one is a "no") and no
   * automatic sharing by its policy right now. Retired products wait for nobody.
   */
  async pendingFor(p: Principal, controllerId: string): Promise<Array<z.output<typeof S.pendingProduct>>> {
    this.#authorize(p, 'registry.read');
    if (!isOperator(p) && p !== SYSTEM && !scopesOf(p, 'controller_admin').includes(controllerId)) {
      throw new RegistryError(403, 'outside_controller', `${p.actor} administers no controller ${JSON.stringify(controllerId)}`);
    }
    const snapshot = await this.store.snapshot();
    const controller = snapshot.controllers.find((c) => c.id === controllerId);
    if (!controller) throw notFound('controller', controllerId);
    const decided = new Set(snapshot.approvals.filter((a) => a.controllerId === controllerId).map((a) => a.productId));
    const now = this.#now();
    return snapshot.products.flatMap((product) => {
      if (product.status === 'retired' || decided.has(product.id)) return [];
      const asks = product.requestedAccess.filter((a) => controller.datasets.includes(a.dataset));
      if (!asks.length) return [];
      if (liveApprovals(snapshot, product, now, this.catalogue.list()).approvals.some((a) => a.controllerId === controllerId)) return [];
      return [{ productId: product.id, name: product.name, supplierName: product.supplierName, supplierOrgNumber: product.supplierOrgNumber, purpose: product.purpose, status: product.status, asks, registeredAt: product.createdAt }];
    });
  }

  async setProductStatus(p: Principal, id: string, expected: number, status: Product['status'], reason?: string): Promise<Product> {
    const who = this.#authorize(p, 'product.status');
    const product = await this.#requireProduct(id);
    if (product.status === 'retired') throw new RegistryError(409, 'invalid_transition', `product ${id} is retired; a retired product does not come back`);
    if (product.status === status) throw new RegistryError(409, 'invalid_transition', `product ${id} is already ${status}`);
    return this.#announce(await this.store.setProductStatus(who, id, expected, status, reason));
  }

  // --- certifications ----------------------------------------------------------------------------

  async listCertifications(p: Principal, filter: { productId?: string | undefined }): Promise<Certification[]> {
    this.#authorize(p, 'registry.read');
    const all = await this.store.listCertifications(clean(filter));
    if (p === SYSTEM || p.roles.some((r) => r.role !== 'supplier')) return all;
    const own = new Set((await this.listProducts(p)).map((x) => x.id));
    return all.filter((c) => own.has(c.productId));
  }

  async getCertification(p: Principal, id: string): Promise<Certification> {
    this.#authorize(p, 'registry.read');
    const c = await this.store.getCertification(id);
    if (!c) throw notFound('certification', id);
    await this.getProduct(p, c.productId);
    return c;
  }

  async issueCertification(p: Principal, input: CertificationIn): Promise<Certification> {
    const product = await this.#requireProduct(input.productId, 'productId');
    const who = this.#authorize(p, 'certification.issue', { frameworkId: input.frameworkId, product });
    if (!(await this.store.getFramework(input.frameworkId))) throw invalid('unknown_reference', `frameworkId: framework ${JSON.stringify(input.frameworkId)} does not exist`, [{ path: 'frameworkId', message: 'unknown framework' }]);
    if (input.purpose !== product.purpose) throw invalid('purpose_mismatch', `purpose: product ${product.id} is registered for "${product.purpose}", not "${input.purpose}"`, [{ path: 'purpose', message: 'differs from the product\'s purpose' }]);
    if (Date.parse(input.issuedAt) > this.#now()) throw invalid('invalid_date', 'issuedAt must not be in the future', [{ path: 'issuedAt', message: 'is in the future' }]);
    this.#checkFuture(input.expiresAt, 'expiresAt');
    return this.#announce(await this.store.createCertification(who, input));
  }

  async withdrawCertification(p: Principal, id: string, expected: number, reason?: string): Promise<Certification> {
    const c = await this.store.getCertification(id);
    if (!c) throw notFound('certification', id);
    const who = this.#authorize(p, 'certification.withdraw', { frameworkId: c.frameworkId });
    return this.#announce(await this.store.withdrawCertification(who, id, expected, reason));
  }

  // --- approvals ---------------------------------------------------------------------------------

  /** Operators see all; a controller admin its controllers' approvals; a supplier its products'. */
  async listApprovals(p: Principal, filter: { controllerId?: string | undefined; productId?: string | undefined }): Promise<Approval[]> {
    this.#authorize(p, 'registry.read');
    if (p === SYSTEM || isOperator(p)) return this.store.listApprovals(clean(filter));
    const controllers = scopesOf(p, 'controller_admin');
    const suppliers = scopesOf(p, 'supplier');
    if (!controllers.length && !suppliers.length) throw new RegistryError(403, 'forbidden_role', 'approvals are visible to operators, controller admins and suppliers');
    const ownProducts = suppliers.length ? new Set((await this.store.listProducts()).filter((x) => suppliers.includes(x.supplierOrgNumber)).map((x) => x.id)) : new Set<string>();
    if (filter.controllerId && !controllers.includes(filter.controllerId) && !(filter.productId && ownProducts.has(filter.productId)) && !suppliers.length) {
      throw new RegistryError(403, 'outside_controller', `${p.actor} administers no controller ${JSON.stringify(filter.controllerId)}`);
    }
    return (await this.store.listApprovals(clean(filter))).filter((a) => controllers.includes(a.controllerId) || ownProducts.has(a.productId));
  }

  async getApproval(p: Principal, id: string): Promise<Approval> {
    const a = await this.store.getApproval(id);
    if (!a) throw notFound('approval', id);
    const visible = await this.listApprovals(p, { controllerId: undefined, productId: a.productId });
    if (!visible.some((x) => x.id === id)) throw new RegistryError(403, 'outside_controller', `${p.actor} cannot see approvals of controller ${a.controllerId}`);
    return a;
  }

  async grantApproval(p: Principal, input: ApprovalIn): Promise<Approval> {
    const product = await this.#requireProduct(input.productId, 'productId');
    const who = this.#authorize(p, 'approval.grant', { controllerId: input.controllerId, product });
    const controller = await this.#requireController(input.controllerId, 'controllerId');
    if (input.purpose !== product.purpose) throw invalid('purpose_mismatch', `purpose: product ${product.id} is registered for "${product.purpose}", not "${input.purpose}"`, [{ path: 'purpose', message: 'differs from the product\'s purpose' }]);
    if (product.status === 'retired') throw invalid('product_retired', `product ${product.id} is retired`);
    this.#fieldErrors('unknown_dataset', 'an approval names data sets and actions from the catalogue', this.catalogue.checkAccess(input.access, 'access'));
    this.#checkHeld(controller, input.access, 'access');
    if (!accessWithin(input.access, product.requestedAccess)) {
      throw invalid('exceeds_request', `access: an approval covers at most what product ${product.id} asks for`, [{ path: 'access', message: 'more than the product requests' }]);
    }
    this.#checkFuture(input.expiresAt, 'expiresAt');
    const basisErrors: FieldError[] = [];
    if (input.basis === 'trusted_reviewer' && !input.reviewer) basisErrors.push({ path: 'reviewer', message: 'basis trusted_reviewer names the reviewer' });
    if (input.basis !== 'trusted_reviewer' && input.reviewer) basisErrors.push({ path: 'reviewer', message: 'only basis trusted_reviewer has a reviewer' });
    if (input.basis === 'certification' && !input.certificationId) basisErrors.push({ path: 'certificationId', message: 'basis certification names the certification' });
    if (input.basis !== 'certification' && input.certificationId) basisErrors.push({ path: 'certificationId', message: 'only basis certification names a certification' });
    this.#fieldErrors('validation_failed', 'the basis and its details do not match', basisErrors, 400);
    if (input.basis === 'certification') await this.#checkCertificationBasis(controller, product, input);
    return this.#announce(await this.store.createApproval(who, clean({ ...input, decidedBy: p.actor })));
  }

  /** A certification basis holds only for a valid certification of this product under a framework the controller accepts for the purpose. */
  async #checkCertificationBasis(controller: Controller, product: Product, input: ApprovalIn): Promise<void> {
    const fail = (detail: string) => invalid('certification_not_accepted', `certificationId: ${detail}`, [{ path: 'certificationId', message: detail }]);
    // The basis checks already refused a certification basis without an id; none names no certification.
    const cert = input.certificationId === undefined ? undefined : await this.store.getCertification(input.certificationId);
    if (!cert || cert.productId !== product.id) throw fail(`no certification ${JSON.stringify(input.certificationId)} of product ${product.id}`);
    if (cert.status !== 'valid' || Date.parse(cert.expiresAt) <= this.#now()) throw fail('the certification is withdrawn or expired');
    const policy = await this.store.getPolicy(controller.id);
    if (!policy?.accepts.some((a) => a.frameworkId === cert.frameworkId && a.purpose === input.purpose)) {
      throw fail(`${controller.id}'s policy does not accept ${cert.frameworkId} for ${input.purpose}`);
    }
  }

  async revokeApproval(p: Principal, id: string, expected: number, reason?: string): Promise<Approval> {
    const a = await this.store.getApproval(id);
    if (!a) throw notFound('approval', id);
    const who = this.#authorize(p, 'approval.revoke', { controllerId: a.controllerId });
    return this.#announce(await this.store.revokeApproval(who, id, expected, reason));
  }

  // --- roles -------------------------------------------------------------------------------------

  async listRoles(p: Principal): Promise<RoleAssignment[]> {
    this.#authorize(p, 'role.read');
    return this.store.listRoles();
  }

  async assignRole(p: Principal, input: RoleIn): Promise<RoleAssignment> {
    const who = this.#authorize(p, 'role.write');
    const scopeError = (message: string) => invalid('invalid_scope', `scope: ${message}`, [{ path: 'scope', message }]);
    if (input.role === 'operator' && input.scope !== undefined) throw scopeError('an operator has no scope');
    const { scope } = input;
    if (input.role !== 'operator') {
      if (scope === undefined) throw scopeError(`a ${input.role} needs a scope`);
      if (input.role === 'controller_admin' && !(await this.store.getController(scope))) throw scopeError(`no controller ${JSON.stringify(scope)}`);
      if (input.role === 'certifier' && !(await this.store.getFramework(scope))) throw scopeError(`no framework ${JSON.stringify(scope)}`);
      if (input.role === 'supplier' && !/^\d{10}$/.test(scope)) throw scopeError('a supplier\'s scope is its organisation number (10 digits)');
    }
    return this.#announce(await this.store.createRole(who, clean(input)));
  }

  async removeRole(p: Principal, id: string, expected: number | undefined): Promise<RoleAssignment> {
    const who = this.#authorize(p, 'role.write');
    const role = await this.store.getRole(id);
    if (!role) throw notFound('role assignment', id);
    return this.#announce(await this.store.deleteRole(who, id, expected));
  }

  // --- audit -------------------------------------------------------------------------------------

  /** Operators read everything; a controller admin the entries of its controllers, their policies and approvals. */
  async listAudit(p: Principal, query: Omit<AuditQuery, 'objects'> & { productId?: string | undefined }): Promise<AuditEntry[]> {
    this.#authorize(p, 'registry.read');
    const { productId, ...rest } = query;
    // A product's history: its own entries and those about it (certifications, approvals and their limits).
    const about = productId === undefined ? undefined : [
      { objectType: 'product' as const, objectId: productId },
      ...(await this.store.listCertifications({ productId })).map((c) => ({ objectType: 'certification' as const, objectId: c.id })),
      ...(await this.store.listApprovals({ productId })).map((a) => ({ objectType: 'approval' as const, objectId: a.id })),
    ];
    const key = (o: { objectType: string; objectId: string }) => `${o.objectType}|${o.objectId}`;
    if (p === SYSTEM || isOperator(p)) return this.store.listAudit(clean({ ...rest, ...(about ? { objects: about } : {}) }));
    query = rest;
    const controllers = scopesOf(p, 'controller_admin');
    if (!controllers.length) throw new RegistryError(403, 'forbidden_role', 'the audit trail is visible to operators and controller admins');
    const approvals = await this.store.listApprovals();
    const objects = [
      ...controllers.flatMap((id) => [{ objectType: 'controller' as const, objectId: id }, { objectType: 'policy' as const, objectId: id }, { objectType: 'jump_policy' as const, objectId: id }]),
      ...approvals.filter((a) => controllers.includes(a.controllerId)).map((a) => ({ objectType: 'approval' as const, objectId: a.id })),
    ].filter((o) => (!query.objectType || o.objectType === query.objectType) && (!query.objectId || o.objectId === query.objectId))
      .filter((o) => !about || about.some((a) => key(a) === key(o)));
    return this.store.listAudit({ ...clean(query), objects });
  }
}

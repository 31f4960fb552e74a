// What each change of the registry is about, for separation of duties (docs/security-model.md,
// "Separation of duties"): every mutating route of the admin API names the products its change
// concerns, read from the registry before the change, and the router refuses the change when the
// actor speaks for the supplier of any of them (src/whitelist/authorization.ts, SEPARATION_OF_DUTIES).
// The answers lean towards "concerned": a change refused that could have been allowed is one more
// person asked to do it; a change allowed that should have been refused is the conflict of interest
// the rule exists to stop.
import { notFound } from '../errors.ts';
import type { ConcernedProduct } from '../authorization.ts';
import type { ControllerPolicy, DatasetAccess, Product } from '../model.ts';
import type { RegistryService } from '../service.ts';

const concerned = (p: Pick<Product, 'id' | 'supplierOrgNumber'>): ConcernedProduct => ({ id: p.id, supplierOrgNumber: p.supplierOrgNumber });

/** A change about no product, with the reason written where the route is declared. */
export const aboutNoProduct = (why: string): ((...args: unknown[]) => Promise<ConcernedProduct[]>) & { why: string } =>
  Object.assign(async () => [], { why });

/** The product named in a path: it must exist (the change itself would answer 404 too). */
export async function productNamed(s: RegistryService, id: string): Promise<ConcernedProduct[]> {
  const product = await s.store.getProduct(id);
  if (!product) throw notFound('product', id);
  return [concerned(product)];
}

/**
 * The product a body refers to. One that does not exist concerns nobody (the operation refuses the
 * reference itself, 422).
 */
export async function productReferenced(s: RegistryService, id: string): Promise<ConcernedProduct[]> {
  const product = await s.store.getProduct(id);
  return product ? [concerned(product)] : [];
}

/** A product's registration replaced: the product as it is, and as it would be (a new supplier is named too). */
export async function productReplaced(s: RegistryService, id: string, supplierOrgNumber: string): Promise<ConcernedProduct[]> {
  return [...await productNamed(s, id), { id, supplierOrgNumber }];
}

export async function approvalNamed(s: RegistryService, id: string): Promise<ConcernedProduct[]> {
  const approval = await s.store.getApproval(id);
  if (!approval) throw notFound('approval', id);
  return productReferenced(s, approval.productId);
}

export async function certificationNamed(s: RegistryService, id: string): Promise<ConcernedProduct[]> {
  const certification = await s.store.getCertification(id);
  if (!certification) throw notFound('certification', id);
  return productReferenced(s, certification.productId);
}

const acceptanceKey = (a: { frameworkId: string; purpose: string; access: DatasetAccess[] }): string =>
  JSON.stringify([a.frameworkId, a.purpose, [...a.access].map((x) => [x.dataset, [...x.actions].sort()]).sort()]);

/**
 * A controller policy is about every product registered for a purpose whose acceptance the change
 * adds, removes or alters: the policy decides what each of them gets from the controller without
 * further clicks — now, for those certified already, and the moment a certification is recorded for
 * the rest. A change that leaves every acceptance as it was (a reordering) concerns no product.
 */
export async function policyChange(s: RegistryService, controllerId: string, accepts: ControllerPolicy['accepts']): Promise<ConcernedProduct[]> {
  const before = (await s.store.getPolicy(controllerId))?.accepts ?? [];
  const was = new Set(before.map(acceptanceKey));
  const will = new Set(accepts.map(acceptanceKey));
  const purposes = new Set([...before.filter((a) => !will.has(acceptanceKey(a))), ...accepts.filter((a) => !was.has(acceptanceKey(a)))].map((a) => a.purpose));
  if (!purposes.size) return [];
  return (await s.store.listProducts()).filter((p) => purposes.has(p.purpose)).map(concerned);
}

/**
 * What a controller holds caps what every product gets from it (src/whitelist/liveApprovals.ts,
 * `ceiling`): a change of its data sets is about each product it approved (any approval, live or
 * not: a revoked one may be the controller's "no" to an automatic approval) and each product of a
 * purpose its policy accepts. A change of its name or other details concerns no product.
 */
export async function controllerChange(s: RegistryService, controllerId: string, datasets: string[]): Promise<ConcernedProduct[]> {
  const controller = await s.store.getController(controllerId);
  if (!controller) throw notFound('controller', controllerId);
  const same = controller.datasets.length === datasets.length && controller.datasets.every((d) => datasets.includes(d));
  if (same) return [];
  const approved = new Set((await s.store.listApprovals({ controllerId })).map((a) => a.productId));
  const purposes = new Set((await s.store.getPolicy(controllerId))?.accepts.map((a) => a.purpose) ?? []);
  return (await s.store.listProducts()).filter((p) => approved.has(p.id) || purposes.has(p.purpose)).map(concerned);
}

/**
 * A controller's jump policy decides which sessions made elsewhere may sign a citizen in to each
 * product it approved (src/federation/sso/jump.ts, `controllers_accept`): a change is about every
 * product it approved (live or not — a revoked approval may come back under the same policy). Setting
 * the same policy again concerns none.
 */
export async function jumpPolicyChange(s: RegistryService, controllerId: string, next: { acceptedUpstreams: string[]; minimumAcr: string }): Promise<ConcernedProduct[]> {
  const before = await s.store.getJumpPolicy(controllerId);
  const same = before !== undefined && before.minimumAcr === next.minimumAcr
    && before.acceptedUpstreams.length === next.acceptedUpstreams.length && before.acceptedUpstreams.every((u) => next.acceptedUpstreams.includes(u));
  if (same) return [];
  const approved = new Set((await s.store.listApprovals({ controllerId })).map((a) => a.productId));
  return (await s.store.listProducts()).filter((p) => approved.has(p.id)).map(concerned);
}

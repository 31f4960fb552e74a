// Which controllers let a product touch which data, right now (docs/domain.md, rule 2). Computed
// from one registry snapshot at the injected clock's time, never stored: an expired certification or a
// revoked approval stops counting the moment it happens, and the gate, introspection, the admin API
// and the policy decision point all read the same answer from here.
//
// A product gets access from controller X for its purpose U when:
//   (a) X approved it on its own review, or (b) on a trusted reviewer's review — while that approval is
//       active and not past its end date; or
//   (c) X approved it on a certification — while the certification is valid, unexpired, for U, and X's
//       policy still accepts its framework for U; or
//   (auto) X's policy accepts framework F for U and the product holds a valid F certification for U:
//       approved without further clicks, unless X revoked a certification-based approval of this product
//       for U (X's explicit "no").
// Every grant is cut to what the product asked for, what X holds, and what the catalogue allows.
import type { Action, Approval, ApprovalBasis, Certification, Controller, DatasetAccess, ExposureLimits, Product, RegistrySnapshot } from './model.ts';

/** One data set of the catalogue, as far as the gate needs it. */
export interface CatalogueEntry {
  id: string;
  actions: Action[];
}

export interface LiveApproval {
  controllerId: string;
  controllerOrgNumber: string;
  purpose: string;
  access: DatasetAccess[];
  basis: ApprovalBasis | 'policy';
  /** The approval row it rests on (absent for a policy-based automatic approval). */
  approvalId?: string;
  /** The certification it rests on, for (c) and automatic approvals. */
  certificationId?: string;
  frameworkId?: string;
  /** When it stops counting by itself (an approval's end date or a certification's expiry), ISO 8601. */
  until?: string;
  /** The controller's exposure limits on the approval row it rests on (issue 4). */
  limits?: ExposureLimits;
}

/** Why a candidate did not count; the gate turns the most telling one into its refusal reason. */
export type Lapse = 'approval_revoked' | 'approval_expired' | 'certification_expired' | 'certification_withdrawn' | 'framework_not_accepted' | 'nothing_in_common' | 'suspended_by_containment';

export interface LiveAccess {
  product: Product;
  approvals: LiveApproval[];
  lapses: Lapse[];
}

const ORDER: Action[] = ['read', 'write'];

/** The intersection of two access lists, data set by data set. */
export function intersectAccess(a: DatasetAccess[], b: DatasetAccess[]): DatasetAccess[] {
  const out: DatasetAccess[] = [];
  for (const x of a) {
    const y = b.find((e) => e.dataset === x.dataset);
    if (!y) continue;
    const actions = ORDER.filter((act) => x.actions.includes(act) && y.actions.includes(act));
    if (actions.length) out.push({ dataset: x.dataset, actions });
  }
  return out.sort((p, q) => p.dataset.localeCompare(q.dataset));
}

function certificationState(cert: Certification, productId: string, purpose: string, now: number): 'valid' | Lapse {
  if (cert.productId !== productId || cert.purpose !== purpose) return 'certification_withdrawn';
  if (cert.status !== 'valid') return 'certification_withdrawn';
  if (Date.parse(cert.issuedAt) > now) return 'certification_withdrawn';
  if (Date.parse(cert.expiresAt) <= now) return 'certification_expired';
  return 'valid';
}

function accepts(snapshot: RegistrySnapshot, controllerId: string, frameworkId: string, purpose: string) {
  const policy = snapshot.policies.find((p) => p.controllerId === controllerId);
  return policy?.accepts.find((a) => a.frameworkId === frameworkId && a.purpose === purpose);
}

/** What X can grant P at most: P's request, X's holdings, the catalogue's actions. */
function ceiling(product: Product, controller: Controller, catalogue: CatalogueEntry[] | undefined): DatasetAccess[] {
  let held: DatasetAccess[] = controller.datasets.map((dataset) => ({ dataset, actions: [...ORDER] }));
  if (catalogue) held = intersectAccess(held, catalogue.map((c) => ({ dataset: c.id, actions: c.actions })));
  return intersectAccess(product.requestedAccess, held);
}

function explicit(snapshot: RegistrySnapshot, product: Product, approval: Approval, controller: Controller, cap: DatasetAccess[], now: number): LiveApproval | Lapse {
  if (approval.expiresAt && Date.parse(approval.expiresAt) <= now) return 'approval_expired';
  let until = approval.expiresAt;
  let frameworkId: string | undefined;
  if (approval.basis === 'certification') {
    const cert = snapshot.certifications.find((c) => c.id === approval.certificationId);
    // A certification no longer in the registry counts as withdrawn.
    if (!cert) return 'certification_withdrawn';
    const state = certificationState(cert, product.id, approval.purpose, now);
    if (state !== 'valid') return state;
    if (!accepts(snapshot, controller.id, cert.frameworkId, approval.purpose)) return 'framework_not_accepted';
    frameworkId = cert.frameworkId;
    if (!until || Date.parse(cert.expiresAt) < Date.parse(until)) until = cert.expiresAt;
  }
  const access = intersectAccess(approval.access, cap);
  if (!access.length) return 'nothing_in_common';
  return {
    controllerId: controller.id,
    controllerOrgNumber: controller.orgNumber,
    purpose: approval.purpose,
    access,
    basis: approval.basis,
    approvalId: approval.id,
    ...(approval.certificationId ? { certificationId: approval.certificationId } : {}),
    ...(frameworkId ? { frameworkId } : {}),
    ...(until ? { until } : {}),
    ...(approval.limits ? { limits: approval.limits } : {}),
  };
}

/** Merges several live approvals of one controller into one entry per controller (access united). */
function mergePerController(list: LiveApproval[]): LiveApproval[] {
  const byController = new Map<string, LiveApproval>();
  for (const item of list) {
    const seen = byController.get(item.controllerId);
    if (!seen) {
      byController.set(item.controllerId, item);
      continue;
    }
    // Keep the first basis for the record; unite what they allow; it lasts as long as the longest.
    seen.until = seen.until && item.until ? (Date.parse(seen.until) > Date.parse(item.until) ? seen.until : item.until) : undefined;
    if (!seen.until) delete seen.until;
    // Limits on any row of this controller hold for all of them: the controller's strictest word wins
    // over a row that said nothing.
    if (!seen.limits && item.limits) seen.limits = item.limits;
    const access = new Map(seen.access.map((a) => [a.dataset, new Set(a.actions)]));
    for (const a of item.access) {
      for (const act of a.actions) {
        let acts = access.get(a.dataset);
        if (!acts) access.set(a.dataset, (acts = new Set()));
        acts.add(act);
      }
    }
    seen.access = [...access].map(([dataset, acts]) => ({ dataset, actions: ORDER.filter((x) => acts.has(x)) })).sort((p, q) => p.dataset.localeCompare(q.dataset));
  }
  return [...byController.values()].sort((a, b) => a.controllerId.localeCompare(b.controllerId));
}

/**
 * The product's live approvals at `now` (ms), one entry per controller, plus why other candidates did
 * not count. The product's own status is not looked at here: that is the gate's first check.
 */
export function liveApprovals(snapshot: RegistrySnapshot, product: Product, now: number, catalogue?: CatalogueEntry[]): LiveAccess {
  const found: LiveApproval[] = [];
  const lapses: Lapse[] = [];
  const controllers = new Map(snapshot.controllers.map((c) => [c.id, c]));
  const mine = snapshot.approvals.filter((a) => a.productId === product.id && a.purpose === product.purpose);

  for (const approval of mine) {
    if (approval.status !== 'active') {
      // The controller's explicit "no" says so, unless it approved the product again since.
      if (!mine.some((a) => a.controllerId === approval.controllerId && a.status === 'active')) lapses.push('approval_revoked');
      continue;
    }
    const controller = controllers.get(approval.controllerId);
    if (!controller) continue;
    const result = explicit(snapshot, product, approval, controller, ceiling(product, controller, catalogue), now);
    if (typeof result === 'string') lapses.push(result);
    else found.push(result);
  }

  // Automatic approvals: every controller whose policy accepts a framework the product is certified under.
  const certs = snapshot.certifications.filter((c) => c.productId === product.id && c.purpose === product.purpose);
  for (const cert of certs) {
    const state = certificationState(cert, product.id, product.purpose, now);
    let acceptedSomewhere = false;
    for (const policy of snapshot.policies) {
      const acceptance = policy.accepts.find((a) => a.frameworkId === cert.frameworkId && a.purpose === product.purpose);
      const controller = controllers.get(policy.controllerId);
      if (!acceptance || !controller) continue;
      acceptedSomewhere = true;
      const blocked = mine.some((a) => a.controllerId === controller.id && a.basis === 'certification' && a.status === 'revoked');
      if (blocked) continue;
      if (state !== 'valid') {
        lapses.push(state);
        continue;
      }
      const access = intersectAccess(acceptance.access, ceiling(product, controller, catalogue));
      if (!access.length) {
        lapses.push('nothing_in_common');
        continue;
      }
      found.push({
        controllerId: controller.id,
        controllerOrgNumber: controller.orgNumber,
        purpose: product.purpose,
        access,
        basis: 'policy',
        certificationId: cert.id,
        frameworkId: cert.frameworkId,
        until: cert.expiresAt,
      });
    }
    if (!acceptedSomewhere && state === 'valid') lapses.push('framework_not_accepted');
  }

  // Breach containment (issue 4): a suspension in force removes the controller until it is lifted.
  const suspended = new Set((snapshot.suspensions ?? []).filter((x) => x.productId === product.id && !x.liftedAt).map((x) => x.controllerId));
  const merged = mergePerController(found);
  if (suspended.size && merged.some((a) => suspended.has(a.controllerId))) lapses.push('suspended_by_containment');
  return { product, approvals: merged.filter((a) => !suspended.has(a.controllerId)), lapses };
}

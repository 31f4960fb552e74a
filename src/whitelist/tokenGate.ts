// The token gate (docs/architecture.md, flow 2): oidc-provider sees a product as a client only while it
// passes every check below, in order; the first that fails names the reason. Run once per request
// (ProductGate memoises it on the request), against the cached registry snapshot at the injected
// clock's time, so a suspension, a revocation or an expiry takes effect on the next request.
import { checksFor, Pipeline, type Verdict } from '../decision.ts';
import type { Product, RegistrySnapshot } from './model.ts';
import { liveApprovals, type CatalogueEntry, type LiveAccess } from './liveApprovals.ts';

export const GATE_REASONS = [
  'registry_unavailable',
  'product_unknown',
  'product_not_active',
  'product_suspended',
  'product_retired',
  'certification_expired',
  'certification_withdrawn',
  'framework_not_accepted',
  'approval_revoked',
  'approval_expired',
  'no_approval',
  'suspended_by_containment',
] as const;
export type GateReason = (typeof GATE_REASONS)[number];

export interface GateInput {
  snapshot: RegistrySnapshot;
  clientId: string;
  now: number;
  catalogue?: CatalogueEntry[] | undefined;
}

export type GateResult =
  | { ok: true; product: Product; live: LiveAccess }
  | { ok: false; check: string; reason: GateReason; product?: Product };

const { check } = checksFor<GateReason>();

/** Products by client_id, one index per snapshot object (a new snapshot brings a new object). */
const byClientId = new WeakMap<RegistrySnapshot, Map<string, Product>>();
export function productByClientId(snapshot: RegistrySnapshot, clientId: string): Product | undefined {
  let index = byClientId.get(snapshot);
  if (!index) byClientId.set(snapshot, (index = new Map(snapshot.products.map((p) => [p.client.clientId, p]))));
  return index.get(clientId);
}

export const productKnown = check('product_known', (s: GateInput) => {
  const product = productByClientId(s.snapshot, s.clientId);
  return product ? { product } : 'product_unknown';
});

export const productActive = check('product_active', (s: { product: Product }) => {
  switch (s.product.status) {
    case 'active': return undefined;
    case 'suspended': return 'product_suspended';
    case 'retired': return 'product_retired';
    default: return 'product_not_active';
  }
});

// Say what went wrong, most specific first: the supplier and the operator act on different causes.
// A revocation comes before framework_not_accepted: that one is about a certification nobody's policy
// takes, while the revocation is what the controller just did to this product.
const LAPSE_ORDER = ['suspended_by_containment', 'certification_expired', 'certification_withdrawn', 'approval_expired', 'approval_revoked', 'framework_not_accepted'] as const;

export const approvedByAController = check('approved_by_a_controller', (s: GateInput & { product: Product }) => {
  const live = liveApprovals(s.snapshot, s.product, s.now, s.catalogue);
  if (live.approvals.length) return { live };
  return LAPSE_ORDER.find((r) => live.lapses.includes(r as never)) ?? 'no_approval';
});

export const tokenGate = Pipeline.of<GateInput, GateReason>()
  .then(productKnown)
  .then(productActive)
  .then(approvedByAController);

/** Names of the checks, in the order they run (for documentation and tests). */
export const GATE_CHECKS = tokenGate.names;

export function runTokenGate(input: GateInput): GateResult {
  const verdict: Verdict<GateInput & { product: Product; live: LiveAccess }, GateReason> = tokenGate.runSync(input);
  if (verdict.ok) return { ok: true, product: verdict.state.product, live: verdict.state.live };
  const { product } = verdict.state;
  return { ok: false, check: verdict.check, reason: verdict.reason, ...(product ? { product } : {}) };
}

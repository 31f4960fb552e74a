// The token gate (ARCHITECTURE.md flow 2): oidc-provider sees a product as a client only while it
// passes every check below, in order; the first that fails names the reason. Run on every client
// lookup (authorization, PAR, token, introspection), against the cached registry snapshot at the
// injected clock's time, so a suspension, a revocation or an expiry takes effect on the next request.
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

interface GateState extends GateInput {
  product?: Product;
  live?: LiveAccess;
}

export type GateResult =
  | { ok: true; product: Product; live: LiveAccess }
  | { ok: false; check: string; reason: GateReason; product?: Product };

type Check = (state: GateState) => GateReason | undefined;

const checks: Array<[name: string, check: Check]> = [
  ['product_known', (s) => {
    s.product = s.snapshot.products.find((p) => p.client.clientId === s.clientId);
    return s.product ? undefined : 'product_unknown';
  }],
  ['product_active', (s) => {
    switch (s.product!.status) {
      case 'active': return undefined;
      case 'suspended': return 'product_suspended';
      case 'retired': return 'product_retired';
      default: return 'product_not_active';
    }
  }],
  ['approved_by_a_controller', (s) => {
    s.live = liveApprovals(s.snapshot, s.product!, s.now, s.catalogue);
    if (s.live.approvals.length) return undefined;
    // Say what went wrong, most specific first: the supplier and the operator act on different causes.
    const order: GateReason[] = ['suspended_by_containment', 'certification_expired', 'certification_withdrawn', 'approval_expired', 'framework_not_accepted'];
    return order.find((r) => s.live!.lapses.includes(r as never)) ?? 'no_approval';
  }],
];

/** Names of the checks, in the order they run (for documentation and tests). */
export const GATE_CHECKS = checks.map(([name]) => name);

export function runTokenGate(input: GateInput): GateResult {
  const state: GateState = { ...input };
  for (const [name, check] of checks) {
    const reason = check(state);
    if (reason) return { ok: false, check: name, reason, ...(state.product ? { product: state.product } : {}) };
  }
  return { ok: true, product: state.product!, live: state.live! };
}

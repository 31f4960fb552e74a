// Who may do what (docs/admin-api.md, "Roles and rules"): each operation is an
// ordered list of named checks, each able to stop the request with its own reason code, in the style
// of oidc-provider's lib/actions/authorization/. The first check that objects decides the answer.
import type { Principal, Role } from './model.ts';

export interface Target {
  controllerId?: string;
  frameworkId?: string;
  /** The product acted on; its supplier can never approve or certify it. */
  product?: { id: string; supplierOrgNumber: string };
}

export interface Denial {
  check: string;
  code: string;
  detail: string;
}

export interface Check {
  name: string;
  run(principal: Principal, target: Target): Denial | undefined;
}

const holds = (p: Principal, role: Role, scope?: string): boolean =>
  p.roles.some((r) => r.role === role && (scope === undefined || r.scope === scope));

export const checks = {
  hasRole: {
    name: 'has_role',
    run: (p) => (p.roles.length ? undefined : { check: 'has_role', code: 'no_role', detail: `${p.actor} holds no role in the registry` }),
  },
  /** A supplier never approves or certifies its own product, whatever other roles it holds. */
  notOwnProduct: {
    name: 'not_own_product',
    run: (p, t) => (t.product && holds(p, 'supplier', t.product.supplierOrgNumber)
      ? { check: 'not_own_product', code: 'own_product', detail: `${p.actor} is the supplier of product ${t.product.id} and can never approve or certify it` }
      : undefined),
  },
  role: (...roles: Role[]): Check => ({
    name: `role_${roles.join('_or_')}`,
    run: (p) => (roles.some((r) => holds(p, r)) ? undefined
      : { check: `role_${roles.join('_or_')}`, code: 'forbidden_role', detail: `this needs the role ${roles.join(' or ')}` }),
  }),
  withinController: {
    name: 'within_controller',
    run: (p, t) => (t.controllerId !== undefined && holds(p, 'controller_admin', t.controllerId) ? undefined
      : { check: 'within_controller', code: 'outside_controller', detail: `${p.actor} administers no controller ${JSON.stringify(t.controllerId ?? '')}` }),
  },
  withinFramework: {
    name: 'within_framework',
    run: (p, t) => (t.frameworkId !== undefined && holds(p, 'certifier', t.frameworkId) ? undefined
      : { check: 'within_framework', code: 'outside_framework', detail: `${p.actor} certifies under no framework ${JSON.stringify(t.frameworkId ?? '')}` }),
  },
  /** Operators, certifiers and controller admins see every product; a supplier only its own. */
  productVisible: {
    name: 'product_visible',
    run: (p, t) => (holds(p, 'operator') || holds(p, 'certifier') || holds(p, 'controller_admin')
      || (t.product && holds(p, 'supplier', t.product.supplierOrgNumber)) ? undefined
      : { check: 'product_visible', code: 'outside_supplier', detail: `${p.actor} is not the supplier of product ${t.product?.id ?? ''}` }),
  },
} satisfies Record<string, Check | ((...roles: Role[]) => Check)>;

export type Operation =
  | 'registry.read' | 'product.read'
  | 'controller.write' | 'framework.write' | 'product.write' | 'product.status' | 'role.write' | 'role.read'
  | 'policy.write' | 'certification.issue' | 'certification.withdraw' | 'approval.grant' | 'approval.revoke';

export const RULES: Record<Operation, Check[]> = {
  'registry.read': [checks.hasRole],
  'product.read': [checks.hasRole, checks.productVisible],
  'controller.write': [checks.hasRole, checks.role('operator')],
  'framework.write': [checks.hasRole, checks.role('operator')],
  'product.write': [checks.hasRole, checks.role('operator')],
  'product.status': [checks.hasRole, checks.role('operator')],
  'role.read': [checks.hasRole, checks.role('operator')],
  'role.write': [checks.hasRole, checks.role('operator')],
  'policy.write': [checks.hasRole, checks.role('controller_admin'), checks.withinController],
  'certification.issue': [checks.hasRole, checks.notOwnProduct, checks.role('certifier'), checks.withinFramework],
  'certification.withdraw': [checks.hasRole, checks.role('certifier'), checks.withinFramework],
  'approval.grant': [checks.hasRole, checks.notOwnProduct, checks.role('controller_admin'), checks.withinController],
  'approval.revoke': [checks.hasRole, checks.role('controller_admin'), checks.withinController],
};

/** The first objection to `operation` on `target`, or undefined when every check passes. */
export function authorize(principal: Principal, operation: Operation, target: Target = {}): Denial | undefined {
  for (const check of RULES[operation]) {
    const denial = check.run(principal, target);
    if (denial) return denial;
  }
  return undefined;
}

/** The controllers a principal administers, and the suppliers it speaks for. */
export const scopesOf = (p: Principal, role: Role): string[] => p.roles.filter((r) => r.role === role && r.scope).map((r) => r.scope!);
export const isOperator = (p: Principal): boolean => holds(p, 'operator');

// Who may do what (docs/admin-api.md, "Roles and rules"): each operation is a pipeline
// of the decision primitive (src/decision.ts), an ordered list of named checks over who is asking and
// what they act on, each able to stop the request with its own reason code. The first check that
// objects decides the answer; the lists are data, so the docs and the tests read the same rules.
import { checksFor, Pipeline, refuse } from '../decision.ts';
import type { Principal, Role } from './model.ts';

export const RULE_REASONS = ['no_role', 'own_product', 'forbidden_role', 'outside_controller', 'outside_framework', 'outside_supplier', 'undeclared_change'] as const;
export type RuleReason = (typeof RULE_REASONS)[number];

/** A product an admin change is about: its id and the organisation that supplies it. */
export interface ConcernedProduct {
  id: string;
  supplierOrgNumber: string;
}

export interface Target {
  controllerId?: string | undefined;
  frameworkId?: string | undefined;
  /** The product acted on; its supplier can never approve or certify it. */
  product?: ConcernedProduct | undefined;
}

/** What every rule is decided over: who is asking, and what they act on. */
export interface RuleState {
  principal: Principal;
  target: Target;
}

/** A refusal as the service and the admin API answer it (403 with the code and the detail). */
export interface Denial {
  check: string;
  code: RuleReason;
  detail: string;
}

const { check } = checksFor<RuleReason>();

const holds = (p: Principal, role: Role, scope?: string): boolean =>
  p.roles.some((r) => r.role === role && (scope === undefined || r.scope === scope));

/** `SE5591234567-LV01` -> `5591234567`: an HSA-id begins with the organisation number of its issuer. */
const HSA_ORG = /^SE(\d{10})-/;

/**
 * The organisations a principal speaks for, as far as separation of duties is concerned: every
 * organisation it holds the supplier role of, and, for staff, the organisation its HSA-id belongs to.
 * The second closes the gap of a colleague at the supplier who was given another role but not the
 * supplier's: they still work for the supplier.
 */
export function organisationsOf(p: Principal): string[] {
  const orgs = new Set(p.roles.flatMap((r) => (r.role === 'supplier' && r.scope ? [r.scope] : [])));
  const fromHsa = p.subject.kind === 'staff' ? HSA_ORG.exec(p.subject.hsaId)?.[1] : undefined;
  if (fromHsa) orgs.add(fromHsa);
  return [...orgs];
}

const suppliedBy = (p: Principal, product: ConcernedProduct): boolean => organisationsOf(p).includes(product.supplierOrgNumber);

export const hasRole = check('has_role', ({ principal: p }: RuleState) =>
  (p.roles.length ? undefined : refuse('no_role', `${p.actor} holds no role in the registry`)));

/** A supplier never approves or certifies its own product, whatever other roles it holds. */
export const notOwnProduct = check('not_own_product', ({ principal: p, target: t }: RuleState) =>
  (t.product && suppliedBy(p, t.product)
    ? refuse('own_product', `${p.actor} is the supplier of product ${t.product.id} and can never approve or certify it`)
    : undefined));

/** Holds one of `roles`, in any scope (the scope is the next check's business). */
export const role = (...roles: Role[]) => check(`role_${roles.join('_or_')}`, ({ principal: p }: RuleState) =>
  (roles.some((r) => holds(p, r)) ? undefined : refuse('forbidden_role', `this needs the role ${roles.join(' or ')}`)));

export const withinController = check('within_controller', ({ principal: p, target: t }: RuleState) =>
  (t.controllerId !== undefined && holds(p, 'controller_admin', t.controllerId) ? undefined
    : refuse('outside_controller', `${p.actor} administers no controller ${JSON.stringify(t.controllerId ?? '')}`)));

export const withinFramework = check('within_framework', ({ principal: p, target: t }: RuleState) =>
  (t.frameworkId !== undefined && holds(p, 'certifier', t.frameworkId) ? undefined
    : refuse('outside_framework', `${p.actor} certifies under no framework ${JSON.stringify(t.frameworkId ?? '')}`)));

/** Operators, certifiers and controller admins see every product; a supplier only its own. */
export const productVisible = check('product_visible', ({ principal: p, target: t }: RuleState) =>
  (holds(p, 'operator') || holds(p, 'certifier') || holds(p, 'controller_admin')
    || (t.product && holds(p, 'supplier', t.product.supplierOrgNumber)) ? undefined
    : refuse('outside_supplier', `${p.actor} is not the supplier of product ${t.product?.id ?? ''}`)));

/**
 * A containment suspension concerns the whole platform and one controller: the operator may act on
 * any, a controller_admin only on its own controller's.
 */
export const operatorOrControllerAdmin = check('operator_or_controller_admin', ({ principal: p, target: t }: RuleState) =>
  (holds(p, 'operator') || (t.controllerId !== undefined && holds(p, 'controller_admin', t.controllerId)) ? undefined
    : refuse('outside_controller', `${p.actor} is neither an operator nor an administrator of ${t.controllerId ?? ''}`)));

export type Operation =
  | 'registry.read' | 'product.read'
  | 'controller.write' | 'framework.write' | 'product.write' | 'product.status' | 'role.write' | 'role.read'
  | 'policy.write' | 'jump_policy.write' | 'certification.issue' | 'certification.withdraw' | 'approval.grant' | 'approval.revoke'
  /** Exposure limits on an approval and the controller's cohorts (src/scopes/exposureAdmin.ts). */
  | 'exposure.manage'
  /** A containment suspension's report and its lifting. */
  | 'suspension.manage';

export type Rule = Pipeline<RuleState, RuleState, RuleReason>;

const anyRole: Rule = Pipeline.of<RuleState, RuleReason>().then(hasRole);
const operatorOnly: Rule = anyRole.then(role('operator'));
const controllerAdmin: Rule = anyRole.then(role('controller_admin')).then(withinController);

export const RULES: Record<Operation, Rule> = {
  'registry.read': anyRole,
  'product.read': anyRole.then(productVisible),
  'controller.write': operatorOnly,
  'framework.write': operatorOnly,
  'product.write': operatorOnly,
  'product.status': operatorOnly,
  'role.read': operatorOnly,
  'role.write': operatorOnly,
  'policy.write': controllerAdmin,
  'jump_policy.write': controllerAdmin,
  'certification.issue': anyRole.then(notOwnProduct).then(role('certifier')).then(withinFramework),
  'certification.withdraw': anyRole.then(role('certifier')).then(withinFramework),
  'approval.grant': anyRole.then(notOwnProduct).then(role('controller_admin')).then(withinController),
  'approval.revoke': controllerAdmin,
  'exposure.manage': controllerAdmin,
  'suspension.manage': anyRole.then(operatorOrControllerAdmin),
};

/** The first objection to `operation` on `target`, or undefined when every check passes. */
export function authorize(principal: Principal, operation: Operation, target: Target = {}): Denial | undefined {
  const verdict = RULES[operation].runSync({ principal, target });
  if (verdict.ok) return undefined;
  return { check: verdict.check, code: verdict.reason, detail: verdict.detail ?? verdict.reason };
}

/** The controllers a principal administers, and the suppliers it speaks for. */
export const scopesOf = (p: Principal, role: Role): string[] => p.roles.flatMap((r) => (r.role === role && r.scope ? [r.scope] : []));
export const isOperator = (p: Principal): boolean => holds(p, 'operator');

// --- Separation of duties over every change (docs/security-model.md, "Separation of duties") -------
//
// Nobody changes anything about a product their own organisation supplies, whatever other roles they
// hold. The rule is not one operation's: every mutating route of the admin API declares which products
// it concerns (src/whitelist/api/route.ts, `concerns`), and the router runs this pipeline over that
// declaration before the operation's own rule. A change that declares nothing is refused (fail closed).

/** What a change concerns: the products it is about (none for a change about no product), or undeclared. */
export interface ChangeState {
  principal: Principal;
  concerns: readonly ConcernedProduct[] | undefined;
}

/** A change that does not say what it is about cannot be judged, so it is not made. */
export const changeDeclared = check('change_declared', ({ concerns }: ChangeState) =>
  (concerns ? undefined : refuse('undeclared_change', 'this change does not declare which products it concerns, so it is refused')));

/** The product the change concerns is not supplied by an organisation the actor speaks for. */
export const notAboutOwnProduct = check('not_about_own_product', ({ principal: p, concerns }: ChangeState) => {
  const own = (concerns ?? []).find((product) => suppliedBy(p, product));
  return own ? refuse('own_product', `${p.actor} speaks for ${own.supplierOrgNumber}, the supplier of product ${own.id}, and changes nothing about it`) : undefined;
});

export const SEPARATION_OF_DUTIES: Pipeline<ChangeState, ChangeState, RuleReason> = Pipeline.of<ChangeState, RuleReason>()
  .then(changeDeclared).then(notAboutOwnProduct);

/** The objection of separation of duties to a change concerning `concerns`, or undefined. */
export function separationOfDuties(principal: Principal, concerns: readonly ConcernedProduct[] | undefined): Denial | undefined {
  const verdict = SEPARATION_OF_DUTIES.runSync({ principal, concerns });
  if (verdict.ok) return undefined;
  return { check: verdict.check, code: verdict.reason, detail: verdict.detail ?? verdict.reason };
}

// The registry's rules (src/whitelist/authorization.ts) on their own: each operation's pipeline of
// named checks, in order, with its reason code; then each check by itself.
import test from 'ava';
import { Refusal } from '../../src/decision.ts';
import {
  authorize, changeDeclared, hasRole, notAboutOwnProduct, notOwnProduct, operatorOrControllerAdmin, organisationsOf, productVisible, role as role_, RULE_REASONS, RULES,
  SEPARATION_OF_DUTIES, separationOfDuties, withinController, withinFramework,
  type Operation, type RuleState, type Target,
} from '../../src/whitelist/authorization.ts';
import type { Principal, Role, RoleAssignment } from '../../src/whitelist/model.ts';

const role = (r: Role, scope?: string): RoleAssignment => ({ id: `${r}-${scope ?? ''}`, subject: { kind: 'staff', hsaId: 'SE5560000001-X1' }, role: r, ...(scope ? { scope } : {}), version: 1, createdAt: '', updatedAt: '' });
const who = (...roles: RoleAssignment[]): Principal => ({ subject: { kind: 'staff', hsaId: 'SE5560000001-X1' }, actor: 'SE5560000001-X1', roles });
const demo = { id: 'demo-rp', supplierOrgNumber: '5591234567' };

test('no role at all is refused first, whatever the operation', (t) => {
  for (const op of Object.keys(RULES) as Array<keyof typeof RULES>) t.is(authorize(who(), op)?.code, 'no_role', op);
});

test('approving: own product, then role, then controller, in that order', (t) => {
  const supplierAdmin = who(role('supplier', '5591234567'), role('controller_admin', 'vardbolaget'));
  t.deepEqual(authorize(supplierAdmin, 'approval.grant', { controllerId: 'vardbolaget', product: demo }), {
    check: 'not_own_product', code: 'own_product', detail: 'SE5560000001-X1 is the supplier of product demo-rp and can never approve or certify it',
  });
  t.is(authorize(supplierAdmin, 'approval.grant', { controllerId: 'vardbolaget', product: { id: 'other', supplierOrgNumber: '5560000000' } }), undefined);
  t.is(authorize(who(role('operator')), 'approval.grant', { controllerId: 'region-sandbox', product: demo })?.code, 'forbidden_role');
  t.is(authorize(who(role('controller_admin', 'sandvik-kommun')), 'approval.grant', { controllerId: 'region-sandbox', product: demo })?.code, 'outside_controller');
  t.is(authorize(who(role('controller_admin', 'region-sandbox')), 'approval.grant', { controllerId: 'region-sandbox', product: demo }), undefined);
  t.is(authorize(who(role('controller_admin', 'region-sandbox')), 'approval.revoke', { controllerId: 'sandvik-kommun' })?.code, 'outside_controller');
});

test('certifying: own product, certifier role, its framework only', (t) => {
  t.is(authorize(who(role('supplier', '5591234567'), role('certifier', 'np')), 'certification.issue', { frameworkId: 'np', product: demo })?.code, 'own_product');
  t.is(authorize(who(role('controller_admin', 'region-sandbox')), 'certification.issue', { frameworkId: 'np', product: demo })?.code, 'forbidden_role');
  t.is(authorize(who(role('certifier', 'nordic-medtest')), 'certification.issue', { frameworkId: 'np', product: demo })?.code, 'outside_framework');
  t.is(authorize(who(role('certifier', 'np')), 'certification.withdraw', { frameworkId: 'np' }), undefined);
});

test('operator-only writes and the supplier\'s view of products', (t) => {
  for (const op of ['controller.write', 'framework.write', 'product.write', 'product.status', 'role.write', 'role.read'] as const) {
    t.is(authorize(who(role('controller_admin', 'x')), op)?.code, 'forbidden_role', op);
    t.is(authorize(who(role('operator')), op), undefined, op);
  }
  t.is(authorize(who(role('supplier', '5591234567')), 'product.read', { product: demo }), undefined);
  t.is(authorize(who(role('supplier', '5560000000')), 'product.read', { product: demo })?.code, 'outside_supplier');
  t.is(authorize(who(role('certifier', 'np')), 'product.read', { product: demo }), undefined);
});

// Each check on its own, over the typed state { principal, target }.
const reasonOf = (c: { run(s: RuleState): unknown }, principal: Principal, target: Target = {}): string | undefined => {
  const outcome = c.run({ principal, target });
  if (outcome === undefined) return undefined;
  if (outcome instanceof Refusal) return outcome.reason;
  throw new Error(`a rule check answered ${JSON.stringify(outcome)}`);
};

test('has_role: any role passes, none is no_role with the actor named', (t) => {
  t.is(reasonOf(hasRole, who(role('supplier', '5560000000'))), undefined);
  const outcome = hasRole.run({ principal: who(), target: {} });
  t.true(outcome instanceof Refusal);
  t.deepEqual(outcome instanceof Refusal ? [outcome.reason, outcome.detail] : [], ['no_role', 'SE5560000001-X1 holds no role in the registry']);
});

test('not_own_product: only the supplier of the product acted on is refused', (t) => {
  const lars = who(role('supplier', '5591234567'), role('controller_admin', 'vardbolaget'));
  t.is(reasonOf(notOwnProduct, lars, { product: demo }), 'own_product');
  t.is(reasonOf(notOwnProduct, lars, { product: { id: 'other', supplierOrgNumber: '5560000000' } }), undefined);
  t.is(reasonOf(notOwnProduct, lars, {}), undefined, 'no product acted on');
  t.is(reasonOf(notOwnProduct, who(role('certifier', 'np')), { product: demo }), undefined);
});

test('role(...): one of the roles in any scope, named after them', (t) => {
  const either = role_('certifier', 'controller_admin');
  t.is(either.name, 'role_certifier_or_controller_admin');
  t.is(reasonOf(either, who(role('controller_admin', 'x'))), undefined);
  t.is(reasonOf(either, who(role('certifier', 'np'))), undefined);
  t.is(reasonOf(either, who(role('operator'))), 'forbidden_role');
  t.is(reasonOf(role_('operator'), who(role('supplier', '5591234567'))), 'forbidden_role');
});

test('within_controller: a controller_admin of exactly that controller', (t) => {
  t.is(reasonOf(withinController, who(role('controller_admin', 'region-sandbox')), { controllerId: 'region-sandbox' }), undefined);
  t.is(reasonOf(withinController, who(role('controller_admin', 'sandvik-kommun')), { controllerId: 'region-sandbox' }), 'outside_controller');
  t.is(reasonOf(withinController, who(role('controller_admin', 'region-sandbox')), {}), 'outside_controller', 'no controller named: refused');
  t.is(reasonOf(withinController, who(role('operator')), { controllerId: 'region-sandbox' }), 'outside_controller');
});

test('within_framework: a certifier of exactly that framework', (t) => {
  t.is(reasonOf(withinFramework, who(role('certifier', 'np')), { frameworkId: 'np' }), undefined);
  t.is(reasonOf(withinFramework, who(role('certifier', 'nordic-medtest')), { frameworkId: 'np' }), 'outside_framework');
  t.is(reasonOf(withinFramework, who(role('certifier', 'np')), {}), 'outside_framework');
});

test('product_visible: every role but a supplier sees all; a supplier its own', (t) => {
  for (const r of [role('operator'), role('certifier', 'np'), role('controller_admin', 'x')]) t.is(reasonOf(productVisible, who(r), { product: demo }), undefined, r.role);
  t.is(reasonOf(productVisible, who(role('supplier', '5591234567')), { product: demo }), undefined);
  t.is(reasonOf(productVisible, who(role('supplier', '5560000000')), { product: demo }), 'outside_supplier');
  t.is(reasonOf(productVisible, who(role('supplier', '5591234567')), {}), 'outside_supplier', 'no product: nothing to show a supplier');
});

test('operator_or_controller_admin: the operator, or an admin of that controller', (t) => {
  t.is(reasonOf(operatorOrControllerAdmin, who(role('operator')), { controllerId: 'region-a' }), undefined);
  t.is(reasonOf(operatorOrControllerAdmin, who(role('controller_admin', 'region-a')), { controllerId: 'region-a' }), undefined);
  t.is(reasonOf(operatorOrControllerAdmin, who(role('controller_admin', 'kommun-b')), { controllerId: 'region-a' }), 'outside_controller');
  t.is(reasonOf(operatorOrControllerAdmin, who(role('controller_admin', 'region-a')), {}), 'outside_controller');
  t.is(reasonOf(operatorOrControllerAdmin, who(role('certifier', 'np')), { controllerId: 'region-a' }), 'outside_controller');
});

test('each operation\'s rule is a pipeline whose checks are data, in order', (t) => {
  t.deepEqual(RULES['approval.grant'].names, ['has_role', 'not_own_product', 'role_controller_admin', 'within_controller']);
  t.deepEqual(RULES['certification.issue'].names, ['has_role', 'not_own_product', 'role_certifier', 'within_framework']);
  t.deepEqual(RULES['certification.withdraw'].names, ['has_role', 'role_certifier', 'within_framework']);
  t.deepEqual(RULES['product.read'].names, ['has_role', 'product_visible']);
  t.deepEqual(RULES['registry.read'].names, ['has_role']);
  for (const op of ['controller.write', 'framework.write', 'product.write', 'product.status', 'role.read', 'role.write'] as const) t.deepEqual(RULES[op].names, ['has_role', 'role_operator'], op);
  for (const op of ['policy.write', 'approval.revoke', 'exposure.manage'] as const) t.deepEqual(RULES[op].names, ['has_role', 'role_controller_admin', 'within_controller'], op);
  t.deepEqual(RULES['suspension.manage'].names, ['has_role', 'operator_or_controller_admin']);
  t.true(Object.values(RULES).every((rule) => rule.names[0] === 'has_role'), 'no role is always the first answer');
});

test('exposure: limits and cohorts are the controller admin\'s; a suspension also the operator\'s', (t) => {
  t.is(authorize(who(role('controller_admin', 'region-a')), 'exposure.manage', { controllerId: 'region-a' }), undefined);
  t.is(authorize(who(role('operator')), 'exposure.manage', { controllerId: 'region-a' })?.code, 'forbidden_role');
  t.like(authorize(who(role('controller_admin', 'kommun-b')), 'exposure.manage', { controllerId: 'region-a' }), { check: 'within_controller', code: 'outside_controller' });
  t.is(authorize(who(role('operator')), 'suspension.manage', { controllerId: 'region-a' }), undefined);
  t.deepEqual(authorize(who(role('controller_admin', 'kommun-b')), 'suspension.manage', { controllerId: 'region-a' }), {
    check: 'operator_or_controller_admin', code: 'outside_controller', detail: 'SE5560000001-X1 is neither an operator nor an administrator of region-a',
  });
});

test('the reason codes are the rules\' own union', (t) => {
  const seen = new Set<string>();
  const principals = [who(), who(role('operator')), who(role('supplier', '5591234567')), who(role('supplier', '5560000000')), who(role('certifier', 'x')), who(role('controller_admin', 'x'))];
  for (const op of Object.keys(RULES) as Operation[]) {
    for (const p of principals) {
      const code = authorize(p, op, { controllerId: 'y', frameworkId: 'y', product: demo })?.code;
      if (code) seen.add(code);
    }
  }
  for (const p of principals) for (const concerns of [undefined, [demo]]) {
    const code = separationOfDuties(p, concerns)?.code;
    if (code) seen.add(code);
  }
  t.deepEqual([...seen].sort(), [...RULE_REASONS].sort(), 'every reason is reachable, and no other');
});

// --- Separation of duties over every change ------------------------------------------------------

const staffOf = (hsaId: string, ...roles: RoleAssignment[]): Principal => ({ subject: { kind: 'staff', hsaId }, actor: hsaId, roles });

test('organisations a principal speaks for: its supplier roles, and its HSA-id\'s organisation', (t) => {
  t.deepEqual(organisationsOf(staffOf('SE5560000001-X1', role('supplier', '5591234567'), role('operator'))).sort(), ['5560000001', '5591234567']);
  t.deepEqual(organisationsOf(staffOf('SE2321000016-A1B2', role('controller_admin', 'region-sandbox'))), ['2321000016']);
  const client: Principal = { subject: { kind: 'client', clientId: 'gateway-cli' }, actor: 'gateway-cli', roles: [role('supplier', '5591234567'), role('operator')] };
  t.deepEqual(organisationsOf(client), ['5591234567'], 'a client has no HSA-id: only its supplier roles');
  t.deepEqual(organisationsOf({ ...client, roles: [role('operator')] }), []);
});

test('separation of duties: a declared change about one\'s own product is own_product, whatever the roles; undeclared is refused', (t) => {
  const all = who(role('operator'), role('supplier', '5591234567'), role('controller_admin', 'region-sandbox'), role('certifier', 'np'));
  t.deepEqual(SEPARATION_OF_DUTIES.names, ['change_declared', 'not_about_own_product']);
  t.like(separationOfDuties(all, [{ id: 'other', supplierOrgNumber: '5560000000' }, demo]), { check: 'not_about_own_product', code: 'own_product' });
  t.is(separationOfDuties(all, [{ id: 'other', supplierOrgNumber: '5560000000' }]), undefined, 'another organisation\'s product');
  t.is(separationOfDuties(all, []), undefined, 'a change declared about no product');
  t.deepEqual(separationOfDuties(all, undefined), { check: 'change_declared', code: 'undeclared_change', detail: 'this change does not declare which products it concerns, so it is refused' });
  t.is(separationOfDuties(who(role('operator')), undefined)?.code, 'undeclared_change', 'fail closed for anyone');
  // A colleague at the supplier without its role: the HSA-id names the organisation.
  t.is(separationOfDuties(staffOf('SE5591234567-KA01', role('controller_admin', 'vardbolaget')), [demo])?.code, 'own_product');
  t.is(authorize(staffOf('SE5591234567-KA01', role('controller_admin', 'vardbolaget')), 'approval.grant', { controllerId: 'vardbolaget', product: demo })?.code, 'own_product',
    'the approval rule\'s own check reads the same organisations');
});

test('change_declared and not_about_own_product on their own', (t) => {
  const lars = who(role('supplier', '5591234567'));
  const run = (c: typeof changeDeclared, concerns: Array<{ id: string; supplierOrgNumber: string }> | undefined) => {
    const outcome = c.run({ principal: lars, concerns });
    return outcome instanceof Refusal ? outcome.reason : outcome;
  };
  t.is(run(changeDeclared, []), undefined);
  t.is(run(changeDeclared, undefined), 'undeclared_change');
  t.is(run(notAboutOwnProduct, [demo]), 'own_product');
  t.is(run(notAboutOwnProduct, [{ id: 'x', supplierOrgNumber: '5560000000' }]), undefined);
  t.is(run(notAboutOwnProduct, undefined), undefined, 'nothing declared is the other check\'s refusal');
});

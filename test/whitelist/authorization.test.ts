// The authorization pipeline on its own: each named check, in order, with its reason code.
import test from 'ava';
import { authorize, RULES } from '../../src/whitelist/authorization.ts';
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

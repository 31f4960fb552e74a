// The admin API as data: every /admin/api/v1 route, in one table. The registry's routes are here; the
// exposure resources (limits, cohorts, suspensions) are the scopes' own (src/scopes/adminRoutes.ts)
// and join this table, so one router, one token check, one If-Match rule, one list shape and one
// OpenAPI document serve them all.
import { exposureRoutes } from '../../scopes/adminRoutes.ts';
import * as S from '../schemas.ts';
import { aboutNoProduct, approvalNamed, certificationNamed, controllerChange, jumpPolicyChange, policyChange, productNamed, productReferenced, productReplaced } from './concerns.ts';
import { items, object, routesOf, type RouteSpec } from './route.ts';

export { API_BASE, type Answer, type Call, type RouteSpec } from './route.ts';

const route = routesOf('registry');

export const registryRoutes: RouteSpec[] = [
  route({ method: 'get', path: '/me', summary: 'The caller and its roles', who: 'anyone authenticated', response: S.me, status: 200,
    handle: async (s, c) => ({ body: s.me(c.principal) }) }),

  route({ method: 'get', path: '/controllers', summary: 'List data controllers', who: 'any role', response: S.listOf(S.controller), status: 200,
    handle: async (s, c) => items(await s.listControllers(c.principal)) }),
  route({ method: 'post', path: '/controllers', summary: 'Register a data controller', who: 'operator', body: S.controllerInput, response: S.controller, status: 201,
    concerns: aboutNoProduct('a new controller has approved nothing and has no policy yet'),
    handle: async (s, c) => { const v = await s.createController(c.principal, c.body); return { ...object(v, 201), location: `/controllers/${v.id}` }; } }),
  route({ method: 'get', path: '/controllers/{id}', summary: 'One data controller', who: 'any role', response: S.controller, status: 200,
    handle: async (s, c) => object(await s.getController(c.principal, c.params.id)) }),
  route({ method: 'put', path: '/controllers/{id}', summary: 'Replace a data controller', who: 'operator', body: S.controllerUpdate, response: S.controller, status: 200, ifMatch: 'required',
    concerns: async (s, c) => controllerChange(s, c.params.id, c.body.datasets),
    handle: async (s, c) => object(await s.updateController(c.principal, c.params.id, c.expected, c.body)) }),
  route({ method: 'get', path: '/controllers/{id}/policy', summary: 'The controller\'s current policy', who: 'any role', response: S.policy, status: 200,
    handle: async (s, c) => object(await s.getPolicy(c.principal, c.params.id)) }),
  route({ method: 'put', path: '/controllers/{id}/policy', summary: 'Set the controller\'s policy (a new version each time; If-Match required once a policy exists)',
    who: 'controller_admin of this controller', body: S.policyInput, response: S.policy, status: 200, ifMatch: 'optional',
    concerns: async (s, c) => policyChange(s, c.params.id, c.body.accepts),
    handle: async (s, c) => object(await s.putPolicy(c.principal, c.params.id, c.expected, c.body)) }),
  route({ method: 'get', path: '/controllers/{id}/pending', summary: 'Products waiting for this controller\'s decision: they ask for data it holds, it has not approved or refused them, and its policy does not share with them',
    who: 'operator; controller_admin of this controller', response: S.listOf(S.pendingProduct), status: 200,
    handle: async (s, c) => items(await s.pendingFor(c.principal, c.params.id)) }),
  route({ method: 'get', path: '/controllers/{id}/jump-policy', summary: 'The controller\'s jump policy: which sessions made elsewhere it trusts for its approved products', who: 'any role',
    response: S.jumpPolicy, status: 200,
    handle: async (s, c) => object(await s.getJumpPolicy(c.principal, c.params.id)) }),
  route({ method: 'put', path: '/controllers/{id}/jump-policy', summary: 'Set the controller\'s jump policy (If-Match required once one exists)',
    who: 'controller_admin of this controller', body: S.jumpPolicyInput, response: S.jumpPolicy, status: 200, ifMatch: 'optional',
    concerns: async (s, c) => jumpPolicyChange(s, c.params.id, c.body),
    handle: async (s, c) => object(await s.putJumpPolicy(c.principal, c.params.id, c.expected, c.body)) }),

  route({ method: 'get', path: '/frameworks', summary: 'List trust frameworks', who: 'any role', response: S.listOf(S.framework), status: 200,
    handle: async (s, c) => items(await s.listFrameworks(c.principal)) }),
  route({ method: 'post', path: '/frameworks', summary: 'Register a trust framework', who: 'operator', body: S.frameworkInput, response: S.framework, status: 201,
    concerns: aboutNoProduct('a framework is a name and a description; certifications under it are changes of their own'),
    handle: async (s, c) => { const v = await s.createFramework(c.principal, c.body); return { ...object(v, 201), location: `/frameworks/${v.id}` }; } }),
  route({ method: 'get', path: '/frameworks/{id}', summary: 'One trust framework', who: 'any role', response: S.framework, status: 200,
    handle: async (s, c) => object(await s.getFramework(c.principal, c.params.id)) }),
  route({ method: 'put', path: '/frameworks/{id}', summary: 'Replace a trust framework', who: 'operator', body: S.frameworkUpdate, response: S.framework, status: 200, ifMatch: 'required',
    concerns: aboutNoProduct('a framework is a name and a description; certifications under it are changes of their own'),
    handle: async (s, c) => object(await s.updateFramework(c.principal, c.params.id, c.expected, c.body)) }),

  route({ method: 'get', path: '/products', summary: 'List products', who: 'operator, certifier, controller_admin: all; supplier: its own', response: S.listOf(S.product), status: 200,
    handle: async (s, c) => items(await s.listProducts(c.principal)) }),
  route({ method: 'post', path: '/products', summary: 'Register a product (status registered)', who: 'operator', body: S.productInput, response: S.product, status: 201,
    concerns: async (_s, c) => [{ id: c.body.id, supplierOrgNumber: c.body.supplierOrgNumber }],
    handle: async (s, c) => { const v = await s.createProduct(c.principal, c.body); return { ...object(v, 201), location: `/products/${v.id}` }; } }),
  route({ method: 'get', path: '/products/{id}', summary: 'One product', who: 'as GET /products', response: S.product, status: 200,
    handle: async (s, c) => object(await s.getProduct(c.principal, c.params.id)) }),
  route({ method: 'get', path: '/products/{id}/access', summary: 'The product\'s live approvals per controller, right now', who: 'as GET /products/{id}', response: S.productAccess, status: 200,
    handle: async (s, c) => ({ body: await s.productAccess(c.principal, c.params.id) }) }),
  route({ method: 'put', path: '/products/{id}', summary: 'Replace a product\'s registration (not its status)', who: 'operator', body: S.productUpdate, response: S.product, status: 200, ifMatch: 'required',
    concerns: async (s, c) => productReplaced(s, c.params.id, c.body.supplierOrgNumber),
    handle: async (s, c) => object(await s.updateProduct(c.principal, c.params.id, c.expected, c.body)) }),
  route({ method: 'post', path: '/products/{id}/status', summary: 'Activate, suspend or retire a product (the reason is kept in the audit entry)', who: 'operator', body: S.productStatusInput, response: S.product, status: 200, ifMatch: 'required',
    concerns: async (s, c) => productNamed(s, c.params.id),
    handle: async (s, c) => object(await s.setProductStatus(c.principal, c.params.id, c.expected, c.body.status, c.body.reason)) }),

  route({ method: 'get', path: '/certifications', summary: 'List certifications', who: 'any role (supplier: its own products)', query: S.certificationQuery, response: S.listOf(S.certification), status: 200,
    handle: async (s, c) => items(await s.listCertifications(c.principal, c.query)) }),
  route({ method: 'post', path: '/certifications', summary: 'Record a certification', who: 'certifier of the framework; never the product\'s supplier', body: S.certificationInput, response: S.certification, status: 201,
    concerns: async (s, c) => productReferenced(s, c.body.productId),
    handle: async (s, c) => { const v = await s.issueCertification(c.principal, c.body); return { ...object(v, 201), location: `/certifications/${v.id}` }; } }),
  route({ method: 'get', path: '/certifications/{id}', summary: 'One certification', who: 'any role (supplier: its own products)', response: S.certification, status: 200,
    handle: async (s, c) => object(await s.getCertification(c.principal, c.params.id)) }),
  route({ method: 'post', path: '/certifications/{id}/withdraw', summary: 'Withdraw a certification (the reason is kept in the audit entry)', who: 'certifier of that framework', body: S.reasonedAction, response: S.certification, status: 200, ifMatch: 'required',
    concerns: async (s, c) => certificationNamed(s, c.params.id),
    handle: async (s, c) => object(await s.withdrawCertification(c.principal, c.params.id, c.expected, c.body.reason)) }),

  route({ method: 'get', path: '/approvals', summary: 'List approvals', who: 'operator; controller_admin (own controller); supplier (own products)', query: S.approvalQuery, response: S.listOf(S.approval), status: 200,
    handle: async (s, c) => items(await s.listApprovals(c.principal, c.query)) }),
  route({ method: 'post', path: '/approvals', summary: 'Approve a product for a controller', who: 'controller_admin of the controller; never a supplier', body: S.approvalInput, response: S.approval, status: 201,
    concerns: async (s, c) => productReferenced(s, c.body.productId),
    handle: async (s, c) => { const v = await s.grantApproval(c.principal, c.body); return { ...object(v, 201), location: `/approvals/${v.id}` }; } }),
  route({ method: 'get', path: '/approvals/{id}', summary: 'One approval', who: 'as GET /approvals', response: S.approval, status: 200,
    handle: async (s, c) => object(await s.getApproval(c.principal, c.params.id)) }),
  route({ method: 'post', path: '/approvals/{id}/revoke', summary: 'Revoke an approval (the reason is kept in the audit entry)', who: 'controller_admin of that controller', body: S.reasonedAction, response: S.approval, status: 200, ifMatch: 'required',
    concerns: async (s, c) => approvalNamed(s, c.params.id),
    handle: async (s, c) => object(await s.revokeApproval(c.principal, c.params.id, c.expected, c.body.reason)) }),

  route({ method: 'get', path: '/roles', summary: 'List role assignments', who: 'operator', response: S.listOf(S.roleAssignment), status: 200,
    handle: async (s, c) => items(await s.listRoles(c.principal)) }),
  route({ method: 'post', path: '/roles', summary: 'Assign a role', who: 'operator', body: S.roleInput, response: S.roleAssignment, status: 201,
    concerns: aboutNoProduct('a role names a person and a scope; what its holder may then do about a product is judged when they do it'),
    handle: async (s, c) => { const v = await s.assignRole(c.principal, c.body); return { ...object(v, 201), location: `/roles/${v.id}` }; } }),
  route({ method: 'delete', path: '/roles/{id}', summary: 'Remove a role assignment (If-Match checked when sent)', who: 'operator', status: 204, ifMatch: 'optional',
    concerns: aboutNoProduct('a role names a person and a scope; what its holder may then do about a product is judged when they do it'),
    handle: async (s, c) => { await s.removeRole(c.principal, c.params.id, c.expected); return { status: 204 }; } }),

  route({ method: 'get', path: '/audit', summary: 'The audit trail, newest first', who: 'operator: all; controller_admin: its controller, policy and approvals', query: S.auditQuery, response: S.listOf(S.auditEntry), status: 200,
    handle: async (s, c) => items(await s.listAudit(c.principal, c.query)) }),
];

/** Every route of the admin API. */
export const routes: RouteSpec[] = [...registryRoutes, ...exposureRoutes];

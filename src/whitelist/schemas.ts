// The admin API's input and output shapes, as zod schemas: the same objects validate requests and
// generate the OpenAPI document (src/whitelist/api/openapi.ts), and they are where the registry's
// domain types come from (src/whitelist/model.ts infers them), so a field is described once. Inputs are
// strict, so a server-set field (version, createdAt, status where the server sets it) is refused with
// its name; the stored objects extend the inputs with those fields.
import { z } from 'zod';
import { HSA_ID } from '../idp/accounts.ts';
import { exposureLimitsSchema } from '../scopes/exposureLimits.ts';

export const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes, 2-63 characters');
export const orgNumber = z.string().regex(/^\d{10}$/, 'a Swedish organisation number: 10 digits');
const purpose = z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'a purpose id such as self-care');
const hsaId = z.string().regex(HSA_ID, 'an HSA-id such as SE2321000016-A1B2');
const clientId = z.string().min(3).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');
const text = (max = 200) => z.string().trim().min(1).max(max);
const instant = z.iso.datetime({ offset: true });

export const action = z.enum(['read', 'write']);
export const datasetAccess = z.strictObject({
  dataset: z.string().min(1).max(63),
  actions: z.array(action).min(1).max(2),
});

const versioned = { version: z.number().int(), createdAt: instant, updatedAt: instant };
/** What every stored registry object carries: writes name the version they expect (ETag / If-Match). */
export const versionedFields = z.object(versioned);

export const controllerKind = z.enum(['region', 'municipality', 'private_provider']);
export const controllerInput = z.strictObject({
  id: slug,
  orgNumber,
  name: text(),
  kind: controllerKind,
  hsaId: hsaId.optional(),
  datasets: z.array(z.string().min(1).max(63)).max(100).default([]),
  webhookUrl: z.url({ protocol: /^https$/ }).optional(),
});
export const controllerUpdate = controllerInput.extend({ id: slug.optional() });
export const controller = controllerInput.extend(versioned);

export const frameworkInput = z.strictObject({ id: slug, name: text(), description: text(2000).optional() });
export const frameworkUpdate = frameworkInput.extend({ id: slug.optional() });
export const framework = frameworkInput.extend(versioned);

export const policyAcceptance = z.strictObject({ frameworkId: slug, purpose, access: z.array(datasetAccess).min(1).max(50) });
export const policyInput = z.strictObject({
  accepts: z.array(policyAcceptance).max(100),
  /**
   * The controller's maturity policy (docs/domain.md, rule 9): the data sets a guardian may still use for
   * a child of 13 to 15. The assessment is the controller's; absent or empty: none.
   */
  guardianDatasets: z.array(slug).max(50).optional(),
});
export const policy = policyInput.extend({ controllerId: slug, ...versioned });

/**
 * A controller's jump policy (docs/sso.md, "Jumps"): a citizen signed in at another product reaches a
 * product this controller approved without a new sign-in only with a session made with one of
 * `acceptedUpstreams` (loa.providers keys) at `minimumAcr` or above. No policy: no jumps.
 */
export const jumpPolicyInput = z.strictObject({
  acceptedUpstreams: z.array(z.string().min(1).max(63)).max(20),
  minimumAcr: z.string().min(1).max(200),
});
export const jumpPolicy = jumpPolicyInput.extend({ controllerId: slug, ...versioned });

export const productClient = z.strictObject({
  clientId,
  redirectUris: z.array(z.string().max(2000)).min(1).max(20),
  postLogoutRedirectUris: z.array(z.string().max(2000)).max(20).default([]),
  /** OpenID Connect Back-Channel Logout: where the gateway POSTs a logout token when a session ends. */
  backchannelLogoutUri: z.string().max(2000).optional(),
  tokenEndpointAuthMethod: z.enum(['private_key_jwt', 'tls_client_auth']).default('private_key_jwt'),
  jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) }).optional(),
  jwksUri: z.string().max(2000).optional(),
  tlsClientAuthSubjectDn: z.string().max(1000).optional(),
  grantTypes: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).min(1).default(['authorization_code']),
  scope: z.string().max(2000).default('openid'),
  /**
   * Where the gateway sends a citizen who jumps here (OIDC Core §4's initiate_login_uri): the product
   * starts its own PAR request there with the jump ticket. Without it the product takes no jumps.
   */
  initiateLoginUri: z.string().max(2000).optional(),
  /** Deep links a jump may land on: each an exact URI, or a prefix when it ends with `*`. */
  jumpUris: z.array(z.string().max(2000)).max(20).optional(),
});
export const productStatus = z.enum(['registered', 'active', 'suspended', 'retired']);
export const productInput = z.strictObject({
  id: slug,
  name: text(),
  supplierOrgNumber: orgNumber,
  supplierName: text(),
  purpose,
  contact: z.strictObject({ name: text(), email: z.email() }),
  client: productClient,
  authnMethods: z.array(z.string().min(1).max(63)).min(1).max(20),
  minimumAcr: z.string().max(200).optional(),
  requestedAccess: z.array(datasetAccess).min(1).max(50),
});
export const productUpdate = productInput.extend({ id: slug.optional() });
/** Why a change was made, in the words of the person who made it: kept in the change's audit entry (`after.reason`). */
export const reason = z.string().trim().min(1).max(500);
export const productStatusInput = z.strictObject({ status: productStatus, reason: reason.optional() });
/** Revoking an approval or withdrawing a certification: the reason is optional for programs, the console asks for it. */
export const reasonedAction = z.strictObject({ reason: reason.optional() });
export const product = productInput.extend({ status: productStatus, ...versioned });

export const certificationInput = z.strictObject({
  productId: slug,
  frameworkId: slug,
  purpose,
  certifiedBy: text(),
  issuedAt: instant,
  expiresAt: instant,
  evidenceRef: text(2000),
});
export const certificationStatus = z.enum(['valid', 'withdrawn']);
export const certification = certificationInput.extend({ id: z.string(), status: certificationStatus, ...versioned });

/** The three bases for an approval (docs/domain.md, rule 2). */
export const approvalBasis = z.enum(['own_review', 'trusted_reviewer', 'certification']);
export const approvalStatus = z.enum(['active', 'revoked']);
export const approvalInput = z.strictObject({
  controllerId: slug,
  productId: slug,
  purpose,
  access: z.array(datasetAccess).min(1).max(50),
  basis: approvalBasis,
  reviewer: text().optional(),
  certificationId: z.string().max(64).optional(),
  expiresAt: instant.optional(),
});
export const approval = approvalInput.extend({
  id: z.string(), status: approvalStatus, decidedBy: z.string(), revokedAt: instant.optional(), ...versioned,
});
/** An approval as the gate and the decision point read it: with the exposure limits its controller set (issue 4). */
export const approvalWithLimits = approval.extend({ limits: exposureLimitsSchema.optional() });

export const roleName = z.enum(['operator', 'certifier', 'controller_admin', 'supplier']);
export const roleSubject = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('staff'), hsaId }),
  z.strictObject({ kind: z.literal('client'), clientId }),
]);
export const roleInput = z.strictObject({ subject: roleSubject, role: roleName, scope: z.string().min(1).max(63).optional() });
export const roleAssignment = roleInput.extend({ id: z.string(), ...versioned });

/** Who an audit entry says acted: a role, or `system` for the seed and other start-up work. */
export const auditRole = z.enum([...roleName.options, 'system']);
/** Every kind of object the audit trail records changes of (cohorts and suspensions: src/scopes/exposureAdmin.ts). */
export const auditObjectType = z.enum(['controller', 'framework', 'policy', 'product', 'certification', 'approval', 'role', 'cohort', 'suspension', 'jump_policy']);
export const auditEntry = z.object({
  seq: z.number().int(), at: instant, actor: z.string(), role: auditRole, action: z.string(),
  objectType: auditObjectType,
  objectId: z.string(), before: z.unknown(), after: z.unknown(), prevHash: z.string(), hash: z.string(),
});

export const me = z.object({
  actor: z.string(),
  subject: roleSubject,
  roles: z.array(roleAssignment),
});

export const liveApproval = z.object({
  controllerId: z.string(), controllerOrgNumber: z.string(), purpose: z.string(), access: z.array(datasetAccess),
  basis: z.enum([...approvalBasis.options, 'policy']), approvalId: z.string().optional(),
  certificationId: z.string().optional(), frameworkId: z.string().optional(), until: instant.optional(),
});
export const productAccess = z.object({
  productId: z.string(),
  revision: z.number().int(),
  approvals: z.array(liveApproval),
  lapses: z.array(z.enum(['approval_revoked', 'approval_expired', 'certification_expired', 'certification_withdrawn', 'framework_not_accepted', 'nothing_in_common', 'suspended_by_containment'])),
});

export const problem = z.object({
  type: z.string(), title: z.string(), status: z.number().int(), detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** Query parameters of the list endpoints. */
export const certificationQuery = z.strictObject({ productId: slug.optional() });
export const approvalQuery = z.strictObject({ controllerId: slug.optional(), productId: slug.optional() });
export const auditQuery = z.strictObject({
  objectType: auditEntry.shape.objectType.optional(),
  objectId: z.string().max(64).optional(),
  /** Who acted: an HSA-id, a client_id or `system`. */
  actor: z.string().min(1).max(128).optional(),
  /** The action, or the start of one: `approval` finds approval.grant, approval.revoke and approval.limits. */
  action: z.string().regex(/^[a-z_.]{1,64}$/, 'an action such as approval.revoke, or its start').optional(),
  from: instant.optional(),
  to: instant.optional(),
  /** A product's whole history: its own entries and those of its certifications, approvals (their limits included) and suspensions. */
  productId: slug.optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});

/** A product that asks for data a controller holds and that the controller has not decided on (no approval of its own, no automatic sharing). */
export const pendingProduct = z.object({
  productId: z.string(), name: z.string(), supplierName: z.string(), supplierOrgNumber: z.string(), purpose: z.string(), status: productStatus,
  asks: z.array(datasetAccess).describe('what the product asks for of the data sets this controller holds'),
  registeredAt: instant,
});

// The registry's tables as the database answers them (snake_case columns, see ../migrations/) and one
// mapper per table to the domain objects of ../model.ts. Enumerated columns and JSON columns are
// checked against the same schemas the admin API validates writes with (../schemas.ts): what went in
// through the API is what comes out, and anything else is a RowError.
import { z } from 'zod';
import * as S from '../schemas.ts';
import { exposureLimitsSchema } from '../../scopes/exposureLimits.ts';
import type {
  Approval, Certification, Cohort, Controller, ControllerPolicy, ExposureLimits, JumpPolicy, Product, RoleAssignment, RoleSubject,
  Suspension, TrustFramework, Versioned,
} from '../model.ts';
import { clean, json, mapperFor, nullable, oneOf, timestamp } from './columns.ts';

const versionColumns = { version: z.number().int(), created_at: timestamp, updated_at: timestamp };
const versioned = (r: { version: number; created_at: string; updated_at: string }): Versioned =>
  ({ version: r.version, createdAt: r.created_at, updatedAt: r.updated_at });

const controllerRow = z.object({
  id: z.string(), org_number: z.string(), name: z.string(), kind: oneOf(S.controllerKind), hsa_id: nullable(z.string()),
  datasets: json(S.controllerInput.shape.datasets), webhook_url: nullable(z.string()), ...versionColumns,
}).transform((r): Controller => clean({
  id: r.id, orgNumber: r.org_number, name: r.name, kind: r.kind, hsaId: r.hsa_id, datasets: r.datasets, webhookUrl: r.webhook_url, ...versioned(r),
}));
export type ControllerRow = z.input<typeof controllerRow>;
export const controllerFromRow = mapperFor('controllers', 'id', controllerRow);

const frameworkRow = z.object({
  id: z.string(), name: z.string(), description: nullable(z.string()), ...versionColumns,
}).transform((r): TrustFramework => clean({ id: r.id, name: r.name, description: r.description, ...versioned(r) }));
export type FrameworkRow = z.input<typeof frameworkRow>;
export const frameworkFromRow = mapperFor('frameworks', 'id', frameworkRow);

const policyRow = z.object({
  controller_id: z.string(), accepts: json(S.policyInput.shape.accepts), guardian_datasets: json(z.array(z.string())).optional(), ...versionColumns,
}).transform((r): ControllerPolicy => ({
  controllerId: r.controller_id, accepts: r.accepts, ...(r.guardian_datasets?.length ? { guardianDatasets: r.guardian_datasets } : {}), ...versioned(r),
}));
export type PolicyRow = z.input<typeof policyRow>;
export const policyFromRow = mapperFor('controller_policies', 'controller_id', policyRow);

const jumpPolicyRow = z.object({
  controller_id: z.string(), accepted_upstreams: json(S.jumpPolicyInput.shape.acceptedUpstreams), minimum_acr: z.string(), ...versionColumns,
}).transform((r): JumpPolicy => ({ controllerId: r.controller_id, acceptedUpstreams: r.accepted_upstreams, minimumAcr: r.minimum_acr, ...versioned(r) }));
export type JumpPolicyRow = z.input<typeof jumpPolicyRow>;
export const jumpPolicyFromRow = mapperFor('controller_jump_policies', 'controller_id', jumpPolicyRow);

/** One earlier (or the current) version of a controller's policy, with who set it. */
export interface PolicyVersion {
  version: number;
  accepts: ControllerPolicy['accepts'];
  decidedBy: string;
  createdAt: string;
}
const policyVersionRow = z.object({
  controller_id: z.string(), version: z.number().int(), accepts: json(S.policyInput.shape.accepts), decided_by: z.string(), created_at: timestamp,
}).transform((r): PolicyVersion => ({ version: r.version, accepts: r.accepts, decidedBy: r.decided_by, createdAt: r.created_at }));
export type PolicyVersionRow = z.input<typeof policyVersionRow>;
export const policyVersionFromRow = mapperFor('controller_policy_versions', 'controller_id', policyVersionRow);

const productRow = z.object({
  id: z.string(), name: z.string(), supplier_org_number: z.string(), supplier_name: z.string(), purpose: z.string(),
  contact: json(S.productInput.shape.contact), status: oneOf(S.productStatus), client: json(S.productClient),
  authn_methods: json(S.productInput.shape.authnMethods), minimum_acr: nullable(z.string()),
  requested_access: json(S.productInput.shape.requestedAccess), ...versionColumns,
}).transform((r): Product => clean({
  id: r.id, name: r.name, supplierOrgNumber: r.supplier_org_number, supplierName: r.supplier_name, purpose: r.purpose,
  contact: r.contact, status: r.status, client: clean(r.client), authnMethods: r.authn_methods, minimumAcr: r.minimum_acr,
  requestedAccess: r.requested_access, ...versioned(r),
}));
export type ProductRow = z.input<typeof productRow>;
export const productFromRow = mapperFor('products', 'id', productRow);

const certificationRow = z.object({
  id: z.string(), product_id: z.string(), framework_id: z.string(), purpose: z.string(), certified_by: z.string(),
  issued_at: timestamp, expires_at: timestamp, evidence_ref: z.string(), status: oneOf(S.certificationStatus), ...versionColumns,
}).transform((r): Certification => ({
  id: r.id, productId: r.product_id, frameworkId: r.framework_id, purpose: r.purpose, certifiedBy: r.certified_by,
  issuedAt: r.issued_at, expiresAt: r.expires_at, evidenceRef: r.evidence_ref, status: r.status, ...versioned(r),
}));
export type CertificationRow = z.input<typeof certificationRow>;
export const certificationFromRow = mapperFor('certifications', 'id', certificationRow);

const approvalRow = z.object({
  id: z.string(), controller_id: z.string(), product_id: z.string(), purpose: z.string(), access: json(S.approvalInput.shape.access),
  basis: oneOf(S.approvalBasis), reviewer: nullable(z.string()), certification_id: nullable(z.string()), status: oneOf(S.approvalStatus),
  expires_at: nullable(timestamp), decided_by: z.string(), revoked_at: nullable(timestamp), ...versionColumns,
}).transform((r): Approval => clean({
  id: r.id, controllerId: r.controller_id, productId: r.product_id, purpose: r.purpose, access: r.access, basis: r.basis,
  reviewer: r.reviewer, certificationId: r.certification_id, status: r.status, expiresAt: r.expires_at, decidedBy: r.decided_by,
  revokedAt: r.revoked_at, ...versioned(r),
}));
export type ApprovalRow = z.input<typeof approvalRow>;
export const approvalFromRow = mapperFor('approvals', 'id', approvalRow);

// The subject is kept as two columns (kind, id) so the database can index and constrain it.
const subjectKind = z.enum(['staff', 'client']) satisfies z.ZodType<RoleSubject['kind']>;
const roleRow = z.object({
  id: z.string(), subject_kind: oneOf(subjectKind), subject_id: z.string(), role: oneOf(S.roleName),
  // '' rather than NULL for an operator, so the unique constraint covers it.
  scope: z.string(), ...versionColumns,
}).transform((r): RoleAssignment => clean({
  id: r.id,
  subject: r.subject_kind === 'staff' ? { kind: 'staff', hsaId: r.subject_id } : { kind: 'client', clientId: r.subject_id },
  role: r.role, scope: r.scope === '' ? undefined : r.scope, ...versioned(r),
}));
export type RoleRow = z.input<typeof roleRow>;
export const roleFromRow = mapperFor('role_assignments', 'id', roleRow);

// --- exposure (migration 100): limits, cohorts, suspensions --------------------------------------

/** The limits a controller set on one approval. */
export interface ApprovalLimits {
  approvalId: string;
  limits: ExposureLimits;
}
const approvalLimitsRow = z.object({ approval_id: z.string(), limits: json(exposureLimitsSchema) })
  .transform((r): ApprovalLimits => ({ approvalId: r.approval_id, limits: r.limits }));
export type ApprovalLimitsRow = z.input<typeof approvalLimitsRow>;
export const approvalLimitsFromRow = mapperFor('approval_limits', 'approval_id', approvalLimitsRow);

const cohortRow = z.object({
  id: z.string(), controller_id: z.string(), name: z.string(), members: json(z.array(z.string())), ...versionColumns,
}).transform((r): Cohort => ({ id: r.id, controllerId: r.controller_id, name: r.name, members: r.members, ...versioned(r) }));
export type CohortRow = z.input<typeof cohortRow>;
export const cohortFromRow = mapperFor('cohorts', 'id', cohortRow);

const suspensionRow = z.object({
  id: z.string(), product_id: z.string(), client_id: z.string(), controller_id: z.string(), reason: z.string(),
  suspended_at: timestamp, lifted_at: nullable(timestamp), lifted_by: nullable(z.string()),
}).transform((r): Suspension => clean({
  id: r.id, productId: r.product_id, controllerId: r.controller_id, reason: r.reason, suspendedAt: r.suspended_at,
  liftedAt: r.lifted_at, liftedBy: r.lifted_by,
}));
export type SuspensionRow = z.input<typeof suspensionRow>;
export const suspensionFromRow = mapperFor('product_suspensions', 'id', suspensionRow);

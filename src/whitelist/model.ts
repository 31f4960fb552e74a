// The registry's vocabulary (docs/domain.md, rules 2-3): data controllers, the data sets they
// hold, trust frameworks and each controller's policy about them, products, certifications and
// approvals, and who may change what. These types are the contract between the store (PostgreSQL or
// PGlite), the admin API and console, and the token gate; nothing here touches storage or HTTP.
// Where the admin API has a schema for an object (src/whitelist/schemas.ts), the type is inferred from
// it, so the API, the stored rows and the code agree by construction.
import type { z } from 'zod';
import * as S from './schemas.ts';
import type { ExposureLimits } from '../scopes/exposureLimits.ts';

/** What a product may do with a data set. `write` covers booking, cancelling, reporting measurements. */
export type Action = z.output<typeof S.action>;
export const ACTIONS: readonly Action[] = S.action.options;

export type ControllerKind = z.output<typeof S.controllerKind>;

/** Every row carries a version; writes name the version they expect (ETag / If-Match). */
export type Versioned = z.output<typeof S.versionedFields>;

/**
 * A data controller (personuppgiftsansvarig): the only party that decides who may touch its data.
 * `id` is a stable slug used in URLs, tokens and PDP targets; `datasets` are catalogue ids it holds;
 * `webhookUrl` is called when a product is suspended for it (breach containment, issue 4).
 */
export type Controller = z.output<typeof S.controller>;

/** A trust framework (tillitsramverk), e.g. Nordic MedTest or N!P. */
export type TrustFramework = z.output<typeof S.framework>;

/**
 * One line of a controller's policy: "we accept certifications under F for purpose U, for these data
 * sets". `access` is what a certified product automatically gets: never more than it asks for.
 */
export type PolicyAcceptance = z.output<typeof S.policyAcceptance>;

/** A controller's explicit, versioned policy; each change is a new version (and an audit entry). */
export type ControllerPolicy = z.output<typeof S.policy>;

/** A controller's jump policy: which sessions made elsewhere it trusts for products it approved. */
export type JumpPolicy = z.output<typeof S.jumpPolicy>;

export type DatasetAccess = z.output<typeof S.datasetAccess>;

export type ProductStatus = z.output<typeof S.productStatus>;

/**
 * The OAuth client of a product, as oidc-provider will see it (FAPI 2.0 rules are added by the
 * gateway): public keys in `jwks` or at `jwksUri` for private_key_jwt; `scope` holds the OIDC scopes
 * beyond what approvals give.
 */
export type ProductClient = z.output<typeof S.productClient>;

/**
 * A third-party product (tredjepartsprodukt), run by a supplier. Approvals and certifications are per
 * `purpose`; `authnMethods` are the upstreams (loa.providers keys) its users may sign in with;
 * approvals can cover at most `requestedAccess`.
 */
export type Product = z.output<typeof S.product>;

export type CertificationStatus = z.output<typeof S.certificationStatus>;

/** Issued by a certification body (`certifiedBy`); `evidenceRef` says where the evidence is kept, never the evidence. */
export type Certification = z.output<typeof S.certification>;

/** The three bases for an approval (docs/domain.md, rule 2). */
export type ApprovalBasis = z.output<typeof S.approvalBasis>;
export type ApprovalStatus = z.output<typeof S.approvalStatus>;

/**
 * "Controller X approves product P for purpose U and these data sets and actions." A revoked row with
 * basis `certification` also blocks the automatic approval that X's policy would otherwise give P.
 * `reviewer` is set for basis trusted_reviewer, `certificationId` for basis certification; after
 * `expiresAt` it is not live; `limits` are the exposure limits the controller set (absent = defaults).
 */
export type Approval = z.output<typeof S.approvalWithLimits>;

// --- Exposure limits and breach containment (docs/domain.md, rule 3; issue 4) -------------
export type { ExposureLimits } from '../scopes/exposureLimits.ts';

/**
 * Which citizens a product may touch through this approval: only the one its token was issued for
 * (the default); the members of a cohort the controller maintains; or people the token's citizen may
 * act for (guardians, agents — refused until representation lands).
 */
export type CitizenScope = ExposureLimits['citizens'];

/** A list of citizens a controller maintains (e.g. one diabetes programme); keyed pseudonyms only. */
export interface Cohort extends Versioned {
  id: string;
  controllerId: string;
  name: string;
  /** AccountStore.accountIdFor(personnummer): never the personnummer itself. */
  members: string[];
}

/** A product stopped at one controller by breach containment, until an administrator lifts it. */
export interface Suspension {
  id: string;
  productId: string;
  controllerId: string;
  reason: string;
  suspendedAt: string;
  liftedAt?: string;
  liftedBy?: string;
}

export type Role = z.output<typeof S.roleName>;

/** Who holds a role: a member of staff by HSA-id, or an automation client (the CLI's) by client_id. */
export type RoleSubject = z.output<typeof S.roleSubject>;

/** `scope` is a frameworkId for a certifier, a controllerId for a controller_admin, an orgNumber for a supplier; an operator has none. */
export type RoleAssignment = z.output<typeof S.roleAssignment>;

/**
 * Who is acting, as resolved from a verified access token (and what GET /me shows). `actor` is for the
 * audit trail: an HSA-id or a client_id, never a personnummer or a name.
 */
export type Principal = z.output<typeof S.me>;

/** One entry of the append-only, hash-chained audit table. */
export type AuditEntry = z.output<typeof S.auditEntry>;

/**
 * Everything the token gate reads, in one consistent snapshot: products, approvals, certifications,
 * policies and controllers. The gate computes live approvals from it (src/whitelist/liveApprovals.ts);
 * the snapshot is cached per instance and dropped on every registry change (Redis pub/sub).
 */
export interface RegistrySnapshot {
  /** Monotonic: the highest audit seq included. */
  revision: number;
  controllers: Controller[];
  frameworks: TrustFramework[];
  policies: ControllerPolicy[];
  products: Product[];
  certifications: Certification[];
  approvals: Approval[];
  /** Controllers' cohorts (issue 4). */
  cohorts?: Cohort[];
  /** Containment suspensions in force (issue 4): the product is not approved at that controller. */
  suspensions?: Suspension[];
  /** Controllers' jump policies (issue 11); a controller without one accepts no jumps. */
  jumpPolicies?: JumpPolicy[];
}

// The registry's vocabulary (docs/domain.md, rules 2-3): data controllers, the data sets they
// hold, trust frameworks and each controller's policy about them, products, certifications and
// approvals, and who may change what. These types are the contract between the store (PostgreSQL or
// PGlite), the admin API and console, and the token gate; nothing here touches storage or HTTP.

/** What a product may do with a data set. `write` covers booking, cancelling, reporting measurements. */
export type Action = 'read' | 'write';
export const ACTIONS: readonly Action[] = ['read', 'write'];

export type ControllerKind = 'region' | 'municipality' | 'private_provider';

/** Every row carries a version; writes name the version they expect (ETag / If-Match). */
export interface Versioned {
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A data controller (personuppgiftsansvarig): the only party that decides who may touch its data. */
export interface Controller extends Versioned {
  /** Stable slug, e.g. `region-sandbox`; used in URLs, tokens and PDP targets. */
  id: string;
  /** Swedish organisation number, 10 digits. */
  orgNumber: string;
  name: string;
  kind: ControllerKind;
  /** HSA-id of the organisation, when it has one (healthcare). */
  hsaId?: string;
  /** Data-set ids (from the catalogue) this controller holds. */
  datasets: string[];
  /** Called when a product is suspended for this controller (breach containment, issue 4). */
  webhookUrl?: string;
}

/** A trust framework (tillitsramverk), e.g. Nordic MedTest or N!P. */
export interface TrustFramework extends Versioned {
  id: string;
  name: string;
  description?: string;
}

/** One line of a controller's policy: "we accept certifications under F for purpose U, for these data sets". */
export interface PolicyAcceptance {
  frameworkId: string;
  purpose: string;
  /** What a certified product automatically gets: never more than the product itself asks for. */
  access: DatasetAccess[];
}

/** A controller's explicit, versioned policy; each change is a new version (and an audit entry). */
export interface ControllerPolicy extends Versioned {
  controllerId: string;
  accepts: PolicyAcceptance[];
}

export interface DatasetAccess {
  dataset: string;
  actions: Action[];
}

export type ProductStatus = 'registered' | 'active' | 'suspended' | 'retired';

/** The OAuth client of a product, as oidc-provider will see it (FAPI 2.0 rules are added by the gateway). */
export interface ProductClient {
  clientId: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  tokenEndpointAuthMethod: 'private_key_jwt' | 'tls_client_auth';
  /** Public keys for private_key_jwt: one of jwks or jwksUri. */
  jwks?: { keys: Array<Record<string, unknown>> };
  jwksUri?: string;
  tlsClientAuthSubjectDn?: string;
  grantTypes: Array<'authorization_code' | 'refresh_token' | 'client_credentials'>;
  /** Extra OIDC scopes beyond what approvals give, e.g. `openid profile https://id.oidc.se/scope/naturalPersonNumber`. */
  scope: string;
}

/** A third-party product (tredjepartsprodukt), run by a supplier. */
export interface Product extends Versioned {
  id: string;
  name: string;
  supplierOrgNumber: string;
  supplierName: string;
  /** Purpose id, e.g. `self-care`, `diabetes-care`; approvals and certifications are per purpose. */
  purpose: string;
  contact: { name: string; email: string };
  status: ProductStatus;
  client: ProductClient;
  /** Upstreams (keys of loa.providers) its users may sign in with, and its minimum acr. */
  authnMethods: string[];
  minimumAcr?: string;
  /** What the product asks for; approvals can cover at most this. */
  requestedAccess: DatasetAccess[];
}

export type CertificationStatus = 'valid' | 'withdrawn';

export interface Certification extends Versioned {
  id: string;
  productId: string;
  frameworkId: string;
  purpose: string;
  /** The certification body (organisation name) that issued it. */
  certifiedBy: string;
  issuedAt: string;
  expiresAt: string;
  /** Where the evidence is kept (report id, URL); never the evidence itself. */
  evidenceRef: string;
  status: CertificationStatus;
}

/** The three bases for an approval (docs/domain.md, rule 2). */
export type ApprovalBasis = 'own_review' | 'trusted_reviewer' | 'certification';
export type ApprovalStatus = 'active' | 'revoked';

/**
 * "Controller X approves product P for purpose U and these data sets and actions." A revoked row with
 * basis `certification` also blocks the automatic approval that X's policy would otherwise give P.
 */
export interface Approval extends Versioned {
  id: string;
  controllerId: string;
  productId: string;
  purpose: string;
  access: DatasetAccess[];
  basis: ApprovalBasis;
  /** basis trusted_reviewer: who reviewed. */
  reviewer?: string;
  /** basis certification: the certification it rests on. */
  certificationId?: string;
  status: ApprovalStatus;
  /** Optional end date; the approval is not live after it. */
  expiresAt?: string;
  decidedBy: string;
  revokedAt?: string;
  /** Exposure limits the controller set on this approval (issue 4); absent = the defaults. */
  limits?: ExposureLimits;
}

// --- Exposure limits and breach containment (docs/domain.md, rule 3; issue 4) -------------
/**
 * Which citizens a product may touch through this approval: only the one its token was issued for
 * (the default); the members of a cohort the controller maintains; or people the token's citizen may
 * act for (guardians, agents — refused until representation lands).
 */
export type CitizenScope = { mode: 'token_subject' } | { mode: 'cohort'; cohortId: string } | { mode: 'represented' };

export interface ExposureLimits {
  citizens: CitizenScope;
  /** The most distinct citizens the product may touch at this controller per sliding window. */
  maxCitizens?: { count: number; windowSeconds: number };
  /** Decisions per second for this product at this controller. */
  maxRequestsPerSecond?: number;
}

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

export type Role = 'operator' | 'certifier' | 'controller_admin' | 'supplier';

/** Who holds a role: a member of staff by HSA-id, or an automation client (the CLI's) by client_id. */
export type RoleSubject = { kind: 'staff'; hsaId: string } | { kind: 'client'; clientId: string };

export interface RoleAssignment extends Versioned {
  id: string;
  subject: RoleSubject;
  role: Role;
  /** certifier: a frameworkId; controller_admin: a controllerId; supplier: a supplier orgNumber; operator: none. */
  scope?: string;
}

/** Who is acting, as resolved from a verified access token. */
export interface Principal {
  subject: RoleSubject;
  /** For the audit trail: an HSA-id or a client_id, never a personnummer or a name. */
  actor: string;
  roles: RoleAssignment[];
}

/** One entry of the append-only, hash-chained audit table. */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  role: Role | 'system';
  action: string;
  objectType: 'controller' | 'framework' | 'policy' | 'product' | 'certification' | 'approval' | 'role' | 'cohort' | 'suspension';
  objectId: string;
  before: unknown;
  after: unknown;
  prevHash: string;
  hash: string;
}

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
}

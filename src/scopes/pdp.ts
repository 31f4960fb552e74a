// The policy decision point (docs/architecture.md, flow 3): a data request — an access token with its proof
// of possession, and a target (controller, data set, citizen, action) — is permitted only when every
// check below passes, in order; the first that fails names the reason. Nothing the product sends can
// widen a decision: the target is checked against the registry's live approvals and the controller's
// exposure limits, never against anything in the token the product could have chosen beyond narrowing.
// Every decision is audited; a permit only once its record is durably queued. Whatever cannot be read
// (Redis, the registry, the audit) makes the answer a deny with 503 (fail closed).
//
// The checks run as one pipeline of the decision primitive (src/decision.ts); each is exported and
// tested on its own (test/scopes/pdpChecks.test.ts). The token gate runs once per decision, in
// product_active, through the instance's ProductGate: verifying the token reads the store only.
import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { AccountStore } from '../idp/accounts.ts';
import {
  ACCESS_TOKEN_ERROR_REASONS, AccessTokenError, challengeFor, verifyAccessToken, type ResourceRequest, type VerifiedAccessToken,
} from '../idp/accessToken.ts';
import { checksFor, Pipeline, refuse, type RunOptions } from '../decision.ts';
import { parseIdentityNumber } from '../personnummer.ts';
import type { Action, Cohort, Controller, ExposureLimits, Product, RegistrySnapshot } from '../whitelist/model.ts';
import type { CatalogueEntry, LiveApproval } from '../whitelist/liveApprovals.ts';
import type { ProductGate } from '../whitelist/productGate.ts';
import { GATE_REASONS } from '../whitelist/tokenGate.ts';
import { DATASET_ACCESS } from '../whitelist/authorizationDetails.ts';
import { AuditUnavailable, type DecisionAudit, type DecisionRecord } from './decisionAudit.ts';
import { SUSPICIOUS_REASONS, type Containment } from './containment.ts';
import { DEFAULT_LIMITS } from './exposureLimits.ts';
import type { ProtectedIdentity } from '../citizens/protectedIdentity.ts';
import { REPRESENTATION_REASONS, type Relation } from '../citizens/representation/pipeline.ts';
import { claimOf, type Representation } from '../citizens/representation/representation.ts';
import type { WithdrawnConsents } from '../citizens/consent/withdrawn.ts';

export interface Target {
  controller: string;
  dataset: string;
  /** The citizen's personnummer or samordningsnummer, 12 digits. */
  citizen: string;
  action: string;
}

export interface DecisionRequest {
  interface: DecisionRecord['interface'];
  /** The HTTP request as the client addressed it (DPoP htu/htm are checked against it). */
  http: ResourceRequest;
  /** Unvalidated: the first check validates it. */
  target: Partial<Record<keyof Target, unknown>>;
}

/** What the enforcement point passes on to the data API with a permit. */
export interface Obligations {
  controller: string;
  dataset: string;
  action: Action;
  citizenPseudonym: string;
  product: string;
  clientId: string;
  /** The citizen has protected identity, or the register could not say otherwise: address and contact are withheld downstream. */
  protectedIdentity?: boolean;
  /** Who acted for the citizen (a guardian, an agent), by pseudonym and relation; absent when the citizen acted. */
  actor?: { pseudonym: string; relation: Relation };
}

interface DecisionCommon {
  id: string;
  /** Never empty: a permit says 'permitted', a denial its one reason. */
  reasons: [string, ...string[]];
  /** The check that denied. */
  check?: string;
  /** For the HTTP forms: 200 permit; 400 bad input; 401 token or proof; 403 policy; 429 rate; 503 fail closed. */
  status: number;
  /** WWW-Authenticate for a 401. */
  challenge?: string;
}

/** A permit always carries what the data API is told; a denial never does. */
export type Decision =
  | (DecisionCommon & { decision: 'permit'; obligations: Obligations })
  | (DecisionCommon & { decision: 'deny'; obligations?: undefined });

export type Permit = Extract<Decision, { decision: 'permit' }>;

export interface PdpDeps {
  provider: Provider;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  /** The token gate, as oidc-provider's Client lookups see it (it reads the registry cache). */
  gate: ProductGate;
  accounts: AccountStore;
  audit: DecisionAudit;
  containment: Containment;
  catalogue: CatalogueEntry[];
  /** The population register's protection marks; without it every permit is marked protected (fail closed). */
  protection?: ProtectedIdentity | undefined;
  /** Guardians and agents (src/citizens/representation/): without it, a token acting for someone is denied. */
  representation?: Pick<Representation, 'forSession' | 'check'> | undefined;
  /** The citizens' withdrawn consents (src/citizens/consent/); without it nothing is withdrawn. */
  consents?: WithdrawnConsents | undefined;
}

/** 400: the target is malformed, or names what the catalogue or the registry does not know. */
const TARGET_REASONS = ['controller_invalid', 'dataset_invalid', 'action_invalid', 'citizen_invalid', 'dataset_unknown', 'controller_unknown'] as const;
/** 403: the registry's live approvals or the controller's exposure limits do not allow it. */
const POLICY_REASONS = [
  'controller_not_approved',
  'dataset_not_covered',
  'action_not_covered',
  'outside_token_details',
  /** A token acting for someone, at an approval whose citizens are only the token's own subject. */
  'representation_not_permitted',
  /** The token acts for someone, but the session's choice is gone (signed out, or chosen again). */
  'representation_ended',
  'cohort_unknown',
  'citizen_not_in_cohort',
  'subject_required',
  'citizen_not_token_subject',
  'citizen_volume_exceeded',
  'consent_revoked',
] as const;
/** 503: what cannot be read or recorded (the gate's registry_unavailable too): deny, fail closed. */
const FAIL_CLOSED_REASONS = ['store_unavailable', 'audit_unavailable', 'internal_error', 'register_unavailable', 'mandates_unavailable'] as const;
/** 403: the representation pipeline's refusals (src/citizens/representation/pipeline.ts), but what it cannot read. */
const REPRESENTATION_POLICY_REASONS = REPRESENTATION_REASONS.filter((r): r is Exclude<typeof r, 'register_unavailable' | 'mandates_unavailable'> =>
  r !== 'register_unavailable' && r !== 'mandates_unavailable');

/** Every reason a decision can be denied for: the target, the token and its proof, the gate, policy, rate, fail-closed. */
export const PDP_REASONS = [...TARGET_REASONS, ...ACCESS_TOKEN_ERROR_REASONS, ...GATE_REASONS, ...POLICY_REASONS, ...REPRESENTATION_REASONS, 'rate_limited', ...FAIL_CLOSED_REASONS] as const;
export type PdpReason = (typeof PDP_REASONS)[number];
export type DenyStatus = 400 | 401 | 403 | 429 | 503;

const each = <R extends string, V>(reasons: readonly R[], value: V) => Object.fromEntries(reasons.map((r) => [r, value])) as Record<R, V>;

/** The HTTP status of a deny, by reason: 400 bad input; 401 token or proof; 403 policy; 429 rate; 503 fail closed. */
export const PDP_STATUS = {
  ...each(TARGET_REASONS, 400),
  ...each(ACCESS_TOKEN_ERROR_REASONS, 401),
  ...each(GATE_REASONS, 403),
  ...each(POLICY_REASONS, 403),
  ...each(REPRESENTATION_POLICY_REASONS, 403),
  rate_limited: 429,
  // Last, so that nothing listed above can turn a registry outage into a plain 403.
  registry_unavailable: 503,
  ...each(FAIL_CLOSED_REASONS, 503),
} as const satisfies Record<PdpReason, DenyStatus>;

/** One decision: its id (the audit record's, and the id the answer names). */
export interface DecisionScope {
  id: string;
}

export interface DecisionInput {
  req: DecisionRequest;
  decision: DecisionScope;
}

const { check, asyncCheck } = checksFor<PdpReason, PdpDeps>();

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Errors from the store or the registry: the decision cannot be made, so it is a deny (fail closed). */
export class Unavailable extends Error {
  readonly reason: 'store_unavailable' | 'registry_unavailable';
  constructor(reason: 'store_unavailable' | 'registry_unavailable') {
    super(reason);
    this.reason = reason;
  }
}

async function reachable<T>(reason: Unavailable['reason'], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AccessTokenError) throw err;
    throw new Unavailable(reason);
  }
}

// Indexes for the decision path, one per object they index: a new snapshot (or catalogue) brings new
// objects, so nothing here outlives the registry content it was made from.
const indexes = <K extends object, V>(make: (key: K) => V) => {
  const made = new WeakMap<K, V>();
  return (key: K): V => {
    let value = made.get(key);
    if (value === undefined) made.set(key, (value = make(key)));
    return value;
  };
};
const catalogueIds = indexes((catalogue: CatalogueEntry[]) => new Set(catalogue.map((c) => c.id)));
const controllersById = indexes((snapshot: RegistrySnapshot) => new Map(snapshot.controllers.map((c) => [c.id, c])));
/** Cohorts by "controller id, cohort id": a cohort counts only at its own controller. */
const cohortsByController = indexes((snapshot: RegistrySnapshot) => new Map((snapshot.cohorts ?? []).map((c) => [`${c.controllerId}\u0000${c.id}`, c])));
/** "product id, controller id" of the containment suspensions in force. */
const suspendedPairs = indexes((snapshot: RegistrySnapshot) => new Set((snapshot.suspensions ?? []).filter((x) => !x.liftedAt).map((x) => `${x.productId}\u0000${x.controllerId}`)));
/** Cohorts can be long: one Set per cohort object of a snapshot. */
const membersOf = indexes((cohort: Cohort) => new Set(cohort.members));

/** The approval's exposure limits; an approval without any has the defaults. */
export const limitsOf = (approval: LiveApproval): ExposureLimits => approval.limits ?? DEFAULT_LIMITS;

export const targetValid = check('target_valid', (s: { req: DecisionRequest }, d) => {
  const t = s.req.target;
  if (typeof t.controller !== 'string' || !SLUG.test(t.controller)) return 'controller_invalid';
  if (typeof t.dataset !== 'string' || !SLUG.test(t.dataset)) return 'dataset_invalid';
  if (t.action !== 'read' && t.action !== 'write') return 'action_invalid';
  if (typeof t.citizen !== 'string' || !parseIdentityNumber(t.citizen)) return 'citizen_invalid';
  if (!catalogueIds(d.catalogue).has(t.dataset)) return 'dataset_unknown';
  const target: Target & { action: Action } = { controller: t.controller, dataset: t.dataset, citizen: t.citizen, action: t.action };
  return { target, pseudonym: d.accounts.accountIdFor(t.citizen) };
});

/** A bad token or proof refuses with the WWW-Authenticate challenge (RFC 9449 §7.1) as its detail. */
export const tokenActiveAndBound = asyncCheck('token_active_and_bound', async (s: { req: DecisionRequest }, d) => {
  try {
    return { token: await reachable('store_unavailable', () => verifyAccessToken(d.provider, s.req.http, { store: d.store, clock: d.clock })) };
  } catch (err) {
    if (err instanceof AccessTokenError) return refuse(err.reason, challengeFor(err));
    throw err;
  }
});

export const productActive = asyncCheck('product_active', async (s: { token: VerifiedAccessToken }, d) => {
  // One run per decision, and nothing else in it asks again: no per-request memo to keep.
  const run = await d.gate.run(s.token.clientId);
  if (!run.snapshot) return 'registry_unavailable';
  // A product live nowhere fails here; "approved, but not by this controller" is the next checks' answer.
  // The product the gate found and refused goes with the refusal, for the audit record and containment.
  if (!run.result.ok) return refuse(run.result.reason, undefined, run.result.product ? { product: run.result.product } : undefined);
  return { snapshot: run.snapshot, product: run.result.product, live: run.result.live.approvals };
});

/**
 * The citizen withdrew the product's access (as a whole, or to this data set at this controller) on
 * their own page: denied whoever holds the token, a cohort's client-credentials token included. The
 * citizen's own tokens were deleted at the withdrawal already; this holds for everything else.
 */
export const consentInForce = asyncCheck('consent_in_force', async (s: { product: Product; target: Target; pseudonym: string }, d) => {
  if (!d.consents) return undefined;
  const { consents } = d;
  const withdrawn = await reachable('registry_unavailable', () => consents.withdrawn(s.product.id, s.pseudonym, s.target.dataset, s.target.controller));
  return withdrawn ? 'consent_revoked' : undefined;
});

export const controllerKnown = check('controller_known', (s: { snapshot: RegistrySnapshot; target: Target }) => {
  const controller = controllersById(s.snapshot).get(s.target.controller);
  return controller ? { controller } : 'controller_unknown';
});

/**
 * "product id, controller id, purpose" where the controller revoked its approval of the product and has
 * not approved it again: the product was told no, so its call there is a stale one, not a probe, and
 * the supplier is told why (not controller_not_approved, which containment counts as suspicious).
 */
const revokedPairs = indexes((snapshot: RegistrySnapshot) => {
  const revoked = new Set<string>();
  const active = new Set<string>();
  for (const a of snapshot.approvals) (a.status === 'active' ? active : revoked).add(`${a.productId}\u0000${a.controllerId}\u0000${a.purpose}`);
  for (const pair of active) revoked.delete(pair);
  return revoked;
});

export const approvalLiveForController = check('approval_live_for_controller', (s: { live: LiveApproval[]; snapshot: RegistrySnapshot; product: Product; target: Target }) => {
  const approval = s.live.find((a) => a.controllerId === s.target.controller);
  if (approval) return { approval };
  if (suspendedPairs(s.snapshot).has(`${s.product.id}\u0000${s.target.controller}`)) return 'suspended_by_containment';
  return revokedPairs(s.snapshot).has(`${s.product.id}\u0000${s.target.controller}\u0000${s.product.purpose}`) ? 'approval_revoked' : 'controller_not_approved';
});

export const datasetAndActionCovered = check('dataset_and_action_covered', (s: { target: Target & { action: Action }; approval: LiveApproval; token: VerifiedAccessToken }) => {
  const { dataset, action, controller } = s.target;
  const access = s.approval.access.find((a) => a.dataset === dataset);
  if (!access) return 'dataset_not_covered';
  if (!access.actions.includes(action)) return 'action_not_covered';
  // The token may have been narrowed (RFC 9396) below the live approvals: it is held to that.
  const details = s.token.authorizationDetails as Array<{ type?: string; dataset?: string; actions?: string[]; controllers?: string[] }> | undefined;
  if (details && !details.some((x) => x.type === DATASET_ACCESS && x.dataset === dataset
    && (!x.actions || x.actions.includes(action)) && (!x.controllers || x.controllers.includes(controller)))) {
    return 'outside_token_details';
  }
  return undefined;
});

export const citizenAllowed = check('citizen_allowed', (s: { approval: LiveApproval; snapshot: RegistrySnapshot; target: Target; token: VerifiedAccessToken; pseudonym: string }) => {
  const limits = limitsOf(s.approval);
  const scope = limits.citizens;
  switch (scope.mode) {
    case 'represented':
      // The token's subject is the represented citizen (or the citizen acting alone); whether the
      // actor may act for them is representation_holds' to say.
      if (!s.token.accountId) return 'subject_required';
      return s.token.accountId === s.pseudonym ? { limits } : 'citizen_not_token_subject';
    case 'cohort': {
      const cohort = cohortsByController(s.snapshot).get(`${s.target.controller}\u0000${scope.cohortId}`);
      if (!cohort) return 'cohort_unknown';
      return membersOf(cohort).has(s.pseudonym) ? { limits } : 'citizen_not_in_cohort';
    }
    default:
      // A client-credentials token is nobody's: it reaches citizens only through a cohort.
      if (!s.token.accountId) return 'subject_required';
      // Someone acting for the citizen reaches their data only where the controller allows representation.
      if (s.token.act) return 'representation_not_permitted';
      return s.token.accountId === s.pseudonym ? { limits } : 'citizen_not_token_subject';
  }
});

/** Refusals that would tell the product something the register says about a person: answered as representation_ended. */
const PRIVATE_REPRESENTATION_REASONS: ReadonlySet<string> = new Set(['no_relation', 'guardianship_blocked', 'subject_deceased', 'actor_deceased']);

/**
 * A token acting for someone (`act`): the relation is checked again, now, for this controller's data
 * set (docs/domain.md rules 9 and 10) — guardian age and the controller's maturity policy, the agent's
 * mandate, never the healthcare record through an agent. The actor joins the decision and its record.
 */
export const representationHolds = asyncCheck('representation_holds', async (s: { token: VerifiedAccessToken; target: Target; snapshot: RegistrySnapshot; decision: DecisionScope }, d) => {
  if (!s.token.act) return undefined;
  if (!d.representation) return 'representation_ended';
  const acting = await reachable('store_unavailable', async () => d.representation?.forSession(s.token.sessionUid));
  if (!acting || acting.subject !== s.token.accountId) return 'representation_ended';
  const policy = s.snapshot.policies.find((p) => p.controllerId === s.target.controller);
  const verdict = await d.representation.check(claimOf(acting), {
    kind: 'data', controller: s.target.controller, dataset: s.target.dataset, guardianDatasets: policy?.guardianDatasets ?? [],
  });
  if (!verdict.ok) {
    // What the register says about the other person (a blocked custody, a death) is not the product's
    // to learn: it is told the representation ended; the log keeps why, without personal data.
    if (PRIVATE_REPRESENTATION_REASONS.has(verdict.reason)) {
      d.logger.info({ decision: s.decision.id, check: verdict.check, reason: verdict.reason }, 'representation refused at the decision point');
      return 'representation_ended';
    }
    return refuse(verdict.reason, verdict.check);
  }
  return { actor: { pseudonym: acting.actor, relation: acting.relation } };
});

export const volumeWithinLimits = asyncCheck('volume_within_limits', async (s: { limits: ExposureLimits; product: Product; target: Target; pseudonym: string }, d) => {
  const { maxRequestsPerSecond, maxCitizens } = s.limits;
  const pair = `${s.product.id}:${s.target.controller}`;
  const now = d.clock.now();
  if (maxRequestsPerSecond) {
    const n = await reachable('store_unavailable', () => d.store.incr(`pdp:rps:${pair}:${Math.floor(now / 1000)}`, 2));
    if (n > maxRequestsPerSecond) return 'rate_limited';
  }
  if (maxCitizens) {
    const w = await reachable('store_unavailable', () => d.store.windowAdd(`pdp:citizens:${pair}`, s.pseudonym, now, maxCitizens.windowSeconds * 1000, maxCitizens.count));
    // Containment trips on this reason once the deny is recorded.
    if (!w.admitted) return 'citizen_volume_exceeded';
  }
  return undefined;
});

export const decisionPipeline = Pipeline.of<DecisionInput, PdpReason, PdpDeps>()
  .then(targetValid)
  .then(tokenActiveAndBound)
  .then(productActive)
  .then(consentInForce)
  .then(controllerKnown)
  .then(approvalLiveForController)
  .then(datasetAndActionCovered)
  .then(citizenAllowed)
  .then(representationHolds)
  .then(volumeWithinLimits);

/** Names of the checks, in the order they run (audit_queued follows them). */
export const PDP_CHECKS = [...decisionPipeline.names, 'audit_queued'];

/** A check that throws: what could not be read names its reason; anything else is internal_error, logged. */
export function failClosed(logger: Logger): NonNullable<RunOptions<PdpReason>['unexpected']> {
  return (err, check) => {
    if (err instanceof Unavailable) return err.reason;
    logger.error({ err: (err as Error).message, check }, 'decision check failed: denying');
    return 'internal_error';
  };
}

type Decided = Partial<DecisionInput & { target: Target & { action: Action }; pseudonym: string; token: VerifiedAccessToken; product: Product; controller: Controller; approval: LiveApproval; actor: Obligations['actor'] }>;

export class PolicyDecisionPoint {
  readonly #d: PdpDeps;
  readonly #options: RunOptions<PdpReason>;

  constructor(deps: PdpDeps) {
    this.#d = deps;
    this.#options = { unexpected: failClosed(deps.logger) };
  }

  async decide(req: DecisionRequest): Promise<Decision> {
    const d = this.#d;
    const scope: DecisionScope = { id: randomUUID() };
    const { id } = scope;
    const verdict = await decisionPipeline.run({ req, decision: scope }, d, this.#options);
    const s: Decided = verdict.state;
    const { product } = s;
    const record: DecisionRecord = {
      id,
      decidedAt: new Date(d.clock.now()).toISOString(),
      decision: verdict.ok ? 'permit' : 'deny',
      reasons: verdict.ok ? ['permitted'] : [verdict.reason],
      interface: req.interface,
      clientId: s.token?.clientId,
      productId: product?.id,
      controllerId: s.target?.controller ?? (typeof req.target.controller === 'string' ? req.target.controller.slice(0, 64) : undefined),
      dataset: s.target?.dataset ?? (typeof req.target.dataset === 'string' ? req.target.dataset.slice(0, 64) : undefined),
      action: s.target?.action,
      citizen: s.pseudonym,
      ...(s.actor ? { actor: s.actor.pseudonym, relation: s.actor.relation } : {}),
    };
    let queued = true;
    try {
      await d.audit.record(record);
    } catch (err) {
      if (!(err instanceof AuditUnavailable)) throw err;
      queued = false;
    }
    if (!verdict.ok) return this.#deny(id, s, product, verdict);
    // No unlogged access: a permit that cannot be recorded is not given.
    if (!queued) return this.#deny(id, s, product, { check: 'audit_queued', reason: 'audit_unavailable' });
    // Not a check: it never refuses. It says how the permitted data must be handled (the PEP strips
    // address and contact; the assertion tells the data API), and an unanswered register means protected.
    const { target, pseudonym, product: permitted, token, actor } = verdict.state;
    const protectedIdentity = d.protection ? (await d.protection.status(target.citizen)).protected : true;
    return {
      id,
      decision: 'permit',
      reasons: ['permitted'],
      status: 200,
      obligations: { controller: target.controller, dataset: target.dataset, action: target.action, citizenPseudonym: pseudonym, product: permitted.id, clientId: token.clientId, protectedIdentity, ...(actor ? { actor } : {}) },
    };
  }

  async #deny(id: string, s: Decided, product: Product | undefined, refused: { check: string; reason: PdpReason; detail?: string | undefined }): Promise<Decision> {
    await this.#contain(s, product, refused.reason);
    const status = PDP_STATUS[refused.reason];
    // The token check's refusal carries its WWW-Authenticate challenge as the detail.
    const challenge = status === 401 ? refused.detail : undefined;
    return { id, decision: 'deny', reasons: [refused.reason], check: refused.check, status, ...(challenge ? { challenge } : {}) };
  }

  async #contain(s: Decided, product: Product | undefined, reason: PdpReason): Promise<void> {
    if (!product || !s.token || !s.target) return;
    const trip = {
      productId: product.id,
      clientId: s.token.clientId,
      controllerId: s.target.controller,
      webhookUrl: s.controller?.webhookUrl,
      windowSeconds: s.approval ? limitsOf(s.approval).maxCitizens?.windowSeconds : undefined,
    };
    try {
      if (reason === 'citizen_volume_exceeded') await this.#d.containment.trip({ ...trip, reason });
      else if (SUSPICIOUS_REASONS.has(reason)) await this.#d.containment.noteSuspicious(trip);
    } catch (err) {
      this.#d.logger.error({ err: (err as Error).message, product: product.id, controller: s.target.controller }, 'breach containment failed');
    }
  }
}

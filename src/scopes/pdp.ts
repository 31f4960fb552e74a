// The policy decision point (docs/architecture.md, flow 3): a data request — an access token with its proof
// of possession, and a target (controller, data set, citizen, action) — is permitted only when every
// check below passes, in order; the first that fails names the reason. Nothing the product sends can
// widen a decision: the target is checked against the registry's live approvals and the controller's
// exposure limits, never against anything in the token the product could have chosen beyond narrowing.
// Every decision is audited; a permit only once its record is durably queued. Whatever cannot be read
// (Redis, the registry, the audit) makes the answer a deny with 503 (fail closed).
import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { AccountStore } from '../idp/accounts.ts';
import { AccessTokenError, challengeFor, verifyAccessToken, type ResourceRequest, type VerifiedAccessToken } from '../idp/accessToken.ts';
import { parseIdentityNumber } from '../personnummer.ts';
import type { Action, Cohort, ExposureLimits, Product, RegistrySnapshot } from '../whitelist/model.ts';
import type { CatalogueEntry, LiveApproval } from '../whitelist/liveApprovals.ts';
import type { RegistryCache } from '../whitelist/registryCache.ts';
import { runTokenGate } from '../whitelist/tokenGate.ts';
import { DATASET_ACCESS } from '../whitelist/authorizationDetails.ts';
import { AuditUnavailable, type DecisionAudit, type DecisionRecord } from './decisionAudit.ts';
import { SUSPICIOUS_REASONS, type Containment } from './containment.ts';
import { DEFAULT_LIMITS } from './exposureLimits.ts';

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
}

export interface Decision {
  id: string;
  decision: 'permit' | 'deny';
  reasons: string[];
  /** The check that denied. */
  check?: string;
  /** For the HTTP forms: 200 permit; 400 bad input; 401 token or proof; 403 policy; 429 rate; 503 fail closed. */
  status: number;
  /** WWW-Authenticate for a 401. */
  challenge?: string;
  obligations?: Obligations;
}

export interface PdpDeps {
  provider: Provider;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  registry: RegistryCache;
  accounts: AccountStore;
  audit: DecisionAudit;
  containment: Containment;
  catalogue: CatalogueEntry[];
}

interface State {
  req: DecisionRequest;
  target?: Target & { action: Action };
  token?: VerifiedAccessToken;
  snapshot?: RegistrySnapshot;
  product?: Product;
  live?: LiveApproval[];
  approval?: LiveApproval;
  limits?: ExposureLimits;
  pseudonym?: string;
  /** Set by a check that wants containment to trip after the deny is recorded. */
  trip?: 'citizen_volume_exceeded';
}

interface Denial {
  reason: string;
  status: number;
  challenge?: string;
}

type Check = (s: State, d: PdpDeps) => Promise<Denial | undefined> | Denial | undefined;

const deny = (reason: string, status = 403): Denial => ({ reason, status });
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** Errors from the store or the registry: the decision cannot be made, so it is a deny (fail closed). */
class Unavailable extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

async function reachable<T>(reason: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AccessTokenError) throw err;
    throw new Unavailable(reason);
  }
}

/** Cohorts can be long: one Set per cohort object of a snapshot (a new snapshot brings new objects). */
const memberSets = new WeakMap<Cohort, Set<string>>();
function membersOf(cohort: Cohort): Set<string> {
  let set = memberSets.get(cohort);
  if (!set) memberSets.set(cohort, (set = new Set(cohort.members)));
  return set;
}

const checks: Array<[name: string, check: Check]> = [
  ['target_valid', (s, d) => {
    const t = s.req.target;
    if (typeof t.controller !== 'string' || !SLUG.test(t.controller)) return deny('controller_invalid', 400);
    if (typeof t.dataset !== 'string' || !SLUG.test(t.dataset)) return deny('dataset_invalid', 400);
    if (t.action !== 'read' && t.action !== 'write') return deny('action_invalid', 400);
    if (typeof t.citizen !== 'string' || !parseIdentityNumber(t.citizen)) return deny('citizen_invalid', 400);
    if (!d.catalogue.some((c) => c.id === t.dataset)) return deny('dataset_unknown', 400);
    s.target = { controller: t.controller, dataset: t.dataset, citizen: t.citizen, action: t.action };
    s.pseudonym = d.accounts.accountIdFor(t.citizen);
    return undefined;
  }],
  ['token_active_and_bound', async (s, d) => {
    try {
      s.token = await reachable('store_unavailable', () => verifyAccessToken(d.provider, s.req.http, { store: d.store, clock: d.clock }));
      return undefined;
    } catch (err) {
      if (err instanceof AccessTokenError) return { reason: err.reason, status: 401, challenge: challengeFor(err) };
      throw err;
    }
  }],
  ['product_active', async (s, d) => {
    s.snapshot = await reachable('registry_unavailable', () => d.registry.snapshot());
    const gate = runTokenGate({ snapshot: s.snapshot, clientId: s.token!.clientId, now: d.clock.now(), catalogue: d.catalogue });
    if (gate.product) s.product = gate.product;
    // A product live nowhere fails here; "approved, but not by this controller" is the next checks' answer.
    if (!gate.ok) return deny(gate.reason === 'product_unknown' ? 'product_unknown' : gate.reason);
    s.live = gate.live.approvals;
    return undefined;
  }],
  ['controller_known', (s) => (s.snapshot!.controllers.some((c) => c.id === s.target!.controller) ? undefined : deny('controller_unknown', 400))],
  ['approval_live_for_controller', (s) => {
    s.approval = s.live!.find((a) => a.controllerId === s.target!.controller);
    if (s.approval) return undefined;
    const suspended = s.snapshot!.suspensions?.some((x) => x.productId === s.product!.id && x.controllerId === s.target!.controller && !x.liftedAt);
    return deny(suspended ? 'suspended_by_containment' : 'controller_not_approved');
  }],
  ['dataset_and_action_covered', (s) => {
    const { dataset, action, controller } = s.target!;
    const access = s.approval!.access.find((a) => a.dataset === dataset);
    if (!access) return deny('dataset_not_covered');
    if (!access.actions.includes(action)) return deny('action_not_covered');
    // The token may have been narrowed (RFC 9396) below the live approvals: it is held to that.
    const details = s.token!.authorizationDetails as Array<{ type?: string; dataset?: string; actions?: string[]; controllers?: string[] }> | undefined;
    if (details && !details.some((x) => x.type === DATASET_ACCESS && x.dataset === dataset
      && (!x.actions || x.actions.includes(action)) && (!x.controllers || x.controllers.includes(controller)))) {
      return deny('outside_token_details');
    }
    return undefined;
  }],
  ['citizen_allowed', (s) => {
    s.limits = s.approval!.limits ?? DEFAULT_LIMITS;
    const scope = s.limits.citizens;
    switch (scope.mode) {
      case 'represented':
        return deny('representation_unavailable');
      case 'cohort': {
        const cohort = s.snapshot!.cohorts?.find((c) => c.id === scope.cohortId && c.controllerId === s.target!.controller);
        if (!cohort) return deny('cohort_unknown');
        return membersOf(cohort).has(s.pseudonym!) ? undefined : deny('citizen_not_in_cohort');
      }
      default:
        // A client-credentials token is nobody's: it reaches citizens only through a cohort.
        if (!s.token!.accountId) return deny('subject_required');
        return s.token!.accountId === s.pseudonym ? undefined : deny('citizen_not_token_subject');
    }
  }],
  ['volume_within_limits', async (s, d) => {
    const { maxRequestsPerSecond, maxCitizens } = s.limits!;
    const pair = `${s.product!.id}:${s.target!.controller}`;
    const now = d.clock.now();
    if (maxRequestsPerSecond) {
      const n = await reachable('store_unavailable', () => d.store.incr(`pdp:rps:${pair}:${Math.floor(now / 1000)}`, 2));
      if (n > maxRequestsPerSecond) return deny('rate_limited', 429);
    }
    if (maxCitizens) {
      const w = await reachable('store_unavailable', () => d.store.windowAdd(`pdp:citizens:${pair}`, s.pseudonym!, now, maxCitizens.windowSeconds * 1000, maxCitizens.count));
      if (!w.admitted) {
        s.trip = 'citizen_volume_exceeded';
        return deny('citizen_volume_exceeded');
      }
    }
    return undefined;
  }],
];

/** Names of the checks, in the order they run (audit_queued follows them). */
export const PDP_CHECKS = [...checks.map(([name]) => name), 'audit_queued'];

export class PolicyDecisionPoint {
  readonly #d: PdpDeps;

  constructor(deps: PdpDeps) {
    this.#d = deps;
  }

  async decide(req: DecisionRequest): Promise<Decision> {
    const d = this.#d;
    const s: State = { req };
    const id = randomUUID();
    let denial: (Denial & { check: string }) | undefined;
    for (const [name, check] of checks) {
      try {
        const result = await check(s, d);
        if (result) { denial = { ...result, check: name }; break; }
      } catch (err) {
        const reason = err instanceof Unavailable ? err.reason : 'internal_error';
        if (!(err instanceof Unavailable)) d.logger.error({ err: (err as Error).message, check: name }, 'decision check failed: denying');
        denial = { reason, status: 503, check: name };
        break;
      }
    }
    const record: DecisionRecord = {
      id,
      decidedAt: new Date(d.clock.now()).toISOString(),
      decision: denial ? 'deny' : 'permit',
      reasons: denial ? [denial.reason] : ['permitted'],
      interface: req.interface,
      clientId: s.token?.clientId,
      productId: s.product?.id,
      controllerId: s.target?.controller ?? (typeof req.target.controller === 'string' ? req.target.controller.slice(0, 64) : undefined),
      dataset: s.target?.dataset ?? (typeof req.target.dataset === 'string' ? req.target.dataset.slice(0, 64) : undefined),
      action: s.target?.action,
      citizen: s.pseudonym,
    };
    try {
      await d.audit.record(record);
    } catch (err) {
      if (!(err instanceof AuditUnavailable)) throw err;
      // No unlogged access: a permit that cannot be recorded is not given.
      if (!denial) denial = { reason: 'audit_unavailable', status: 503, check: 'audit_queued' };
    }
    if (denial) {
      await this.#contain(s, denial.reason);
      return { id, decision: 'deny', reasons: [denial.reason], check: denial.check, status: denial.status, ...(denial.challenge ? { challenge: denial.challenge } : {}) };
    }
    return {
      id,
      decision: 'permit',
      reasons: ['permitted'],
      status: 200,
      obligations: {
        controller: s.target!.controller,
        dataset: s.target!.dataset,
        action: s.target!.action,
        citizenPseudonym: s.pseudonym!,
        product: s.product!.id,
        clientId: s.token!.clientId,
      },
    };
  }

  async #contain(s: State, reason: string): Promise<void> {
    if (!s.product || !s.token || !s.target) return;
    const controller = s.snapshot?.controllers.find((c) => c.id === s.target!.controller);
    const trip = {
      productId: s.product.id,
      clientId: s.token.clientId,
      controllerId: s.target.controller,
      webhookUrl: controller?.webhookUrl,
      windowSeconds: s.limits?.maxCitizens?.windowSeconds,
    };
    try {
      if (s.trip) await this.#d.containment.trip({ ...trip, reason: s.trip });
      else if (SUSPICIOUS_REASONS.has(reason)) await this.#d.containment.noteSuspicious(trip);
    } catch (err) {
      this.#d.logger.error({ err: (err as Error).message, product: s.product.id, controller: s.target.controller }, 'breach containment failed');
    }
  }
}

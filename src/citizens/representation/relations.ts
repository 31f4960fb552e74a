// The relations a citizen's own page shows (/account, "Mina ombud och vårdnadshavare"): who may act for
// them and for whom they may act, and the principal's two actions — appoint an agent (at a fresh, strong
// sign-in) and revoke a mandate at any time. Nothing here answers about anyone but the signed-in citizen:
// a refusal names its reason, never whether another person exists.
import type { Clock } from '../../clock.ts';
import type { AccountStore } from '../../idp/accounts.ts';
import { LOA } from '../../idp/claims.ts';
import { parseIdentityNumber } from '../../personnummer.ts';
import { RegisterUnavailable, type PopulationRegister } from '../register/register.ts';
import { HEALTHCARE_RECORD_DATASETS, MANDATE_TYPES, SOCIAL_CARE_CONSENTS, datasetsOf, mandateType, type Mandate, type MandateStore, type MandateType, type SocialCareConsent } from './mandates.ts';
import { ageFrom, type Relation } from './pipeline.ts';
import type { Representation } from './representation.ts';

/** One person on either side of a relation, as the citizen's page lists them (names, never numbers). */
export interface RelationLine {
  relation: Relation;
  name: string;
  /** A child's age, for a guardian's relation. */
  age?: number;
  /** Whether it can be used now; `reason` says why not (the pipeline's reason, e.g. child_acts_alone). */
  usable: boolean;
  reason?: string;
  mandate?: Pick<Mandate, 'id' | 'types' | 'expiresAt' | 'confirmBy' | 'createdAt'> & { revokedAt?: string };
}

export interface CitizenRelations {
  /** People this citizen may act for (their children, their principals). */
  actsFor: RelationLine[];
  /** People who may act for this citizen (their guardians, their agents). */
  actedForBy: RelationLine[];
}

/** What the principal's sign-in must be to appoint: strong (loa3 or above), and fresh. */
export interface PrincipalSignIn {
  personalNumber: string;
  acr: string;
  /** Seconds since the epoch of the e-ID sign-in. */
  loginTs: number;
}

export const APPOINT_REASONS = [
  'sign_in_not_strong', 'sign_in_not_fresh', 'agent_invalid', 'agent_not_appointable', 'types_invalid', 'healthcare_record_never_via_agent',
  'consents_missing', 'expiry_invalid', 'register_unavailable',
] as const;
export type AppointReason = (typeof APPOINT_REASONS)[number];

export type AppointOutcome = { ok: true; mandate: Mandate } | { ok: false; reason: AppointReason };

/** A sign-in older than this is not fresh enough to appoint someone to act for you. */
export const FRESH_SIGN_IN_SECONDS = 600;
/** The longest a mandate may run before it is given again (its yearly confirmation comes in between). */
export const MAX_MANDATE_DAYS = 3 * 365;
const STRONG = new Set<string>([LOA.loa3, LOA.loa4]);

const summary = (m: Mandate): NonNullable<RelationLine['mandate']> => ({
  id: m.id, types: m.types, expiresAt: m.expiresAt, confirmBy: m.confirmBy, createdAt: m.createdAt, ...(m.revokedAt ? { revokedAt: m.revokedAt } : {}),
});

export interface RelationsDeps {
  register: PopulationRegister;
  mandates: MandateStore;
  accounts: AccountStore;
  clock: Clock;
  representation: Representation;
}

export class Relations {
  readonly #d: RelationsDeps;

  constructor(deps: RelationsDeps) {
    this.#d = deps;
  }

  /** For a signed-in citizen: who may act for them, and for whom they may act, each with whether it can be used now. */
  async of(personalNumber: string): Promise<CitizenRelations> {
    const { register, mandates, accounts, clock, representation } = this.#d;
    const me = await register.lookup(personalNumber);
    const pseudonym = accounts.accountIdFor(personalNumber);
    const line = async (relation: Relation, other: string, claim: { actor: string; subject: string }, mandate?: Mandate): Promise<RelationLine | undefined> => {
      const person = await register.lookup(other);
      if (!person) return undefined;
      const verdict = await representation.check({ ...claim, relation, mandateId: mandate?.id }, { kind: 'sign_in' });
      return {
        relation, name: person.name, ...(relation === 'guardian' ? { age: ageFrom((claim.subject === other ? person : me ?? person).birthDate, clock.now()) } : {}),
        usable: verdict.ok, ...(verdict.ok ? {} : { reason: verdict.reason }), ...(mandate ? { mandate: summary(mandate) } : {}),
      };
    };
    const actsFor = [
      ...await Promise.all((me?.custodyOf ?? []).map((c) => line('guardian', c.personalNumber, { actor: personalNumber, subject: c.personalNumber }))),
      ...await Promise.all((await mandates.forAgent(pseudonym)).map((m) => line('agent', m.principalNumber, { actor: personalNumber, subject: m.principalNumber }, m))),
    ];
    const actedForBy = [
      ...await Promise.all((me?.guardians ?? []).map((g) => line('guardian', g.personalNumber, { actor: g.personalNumber, subject: personalNumber }))),
      ...await Promise.all((await mandates.forPrincipal(pseudonym)).map((m) => line('agent', m.agentNumber, { actor: m.agentNumber, subject: personalNumber }, m))),
    ];
    const present = (l: RelationLine | undefined): l is RelationLine => l !== undefined;
    return { actsFor: actsFor.filter(present), actedForBy: actedForBy.filter(present) };
  }

  /**
   * The principal appoints an agent: only at a strong sign-in made in the last minutes (rule 10, "the
   * agent signs in strongly too" — and so does the principal who gives the mandate); typed, with an
   * expiry, never the healthcare record, and social-care documentation only with both consents.
   */
  async appoint(principal: PrincipalSignIn, request: { agent: unknown; types: unknown; expiresAt: unknown; consents?: unknown }): Promise<AppointOutcome> {
    const { register, mandates, accounts, clock } = this.#d;
    const now = clock.now();
    if (!STRONG.has(principal.acr)) return { ok: false, reason: 'sign_in_not_strong' };
    if (now / 1000 - principal.loginTs > FRESH_SIGN_IN_SECONDS || principal.loginTs * 1000 > now + 60_000) return { ok: false, reason: 'sign_in_not_fresh' };
    const agentNumber = typeof request.agent === 'string' ? parseIdentityNumber(request.agent)?.value : undefined;
    if (!agentNumber || agentNumber === principal.personalNumber) return { ok: false, reason: 'agent_invalid' };
    if (!Array.isArray(request.types) || request.types.some((t) => typeof t === 'string' && HEALTHCARE_RECORD_DATASETS.has(t))) {
      return { ok: false, reason: Array.isArray(request.types) ? 'healthcare_record_never_via_agent' : 'types_invalid' };
    }
    const parsed = mandateType.array().min(1).max(Object.keys(MANDATE_TYPES).length).safeParse(request.types);
    if (!parsed.success) return { ok: false, reason: 'types_invalid' };
    const types = [...new Set(parsed.data)] as MandateType[];
    const expiresAt = typeof request.expiresAt === 'string' ? Date.parse(request.expiresAt) : Number.NaN;
    if (!Number.isFinite(expiresAt) || expiresAt <= now || expiresAt > now + MAX_MANDATE_DAYS * 86_400_000) return { ok: false, reason: 'expiry_invalid' };
    const consents: Partial<Record<SocialCareConsent, string>> = {};
    const given = (request.consents && typeof request.consents === 'object' ? request.consents : {}) as Record<string, unknown>;
    for (const c of SOCIAL_CARE_CONSENTS) if (given[c] === true) consents[c] = new Date(now).toISOString();
    if (types.includes('social_care_documentation') && SOCIAL_CARE_CONSENTS.some((c) => !consents[c])) return { ok: false, reason: 'consents_missing' };
    // Never reachable by construction; kept as the rule's own guard in case a type is added carelessly.
    if ([...datasetsOf(types)].some((d) => HEALTHCARE_RECORD_DATASETS.has(d))) return { ok: false, reason: 'healthcare_record_never_via_agent' };
    let agent;
    try {
      agent = await register.lookup(agentNumber);
    } catch (err) {
      if (err instanceof RegisterUnavailable) return { ok: false, reason: 'register_unavailable' };
      throw err;
    }
    // Unknown and deceased read the same: the answer says nothing about another person.
    if (!agent || agent.deceased || ageFrom(agent.birthDate, now) < 18) return { ok: false, reason: 'agent_not_appointable' };
    const mandate = await mandates.appoint({
      principal: accounts.accountIdFor(principal.personalNumber), principalNumber: principal.personalNumber,
      agent: accounts.accountIdFor(agentNumber), agentNumber, types, consents, appointedWith: principal.acr, expiresAt: new Date(expiresAt).toISOString(),
    });
    return { ok: true, mandate };
  }

  /** The principal revokes a mandate, at any time; false when it is not theirs or already revoked (the same answer). */
  revoke(principalNumber: string, mandateId: string): Promise<boolean> {
    return this.#d.mandates.revoke(mandateId, this.#d.accounts.accountIdFor(principalNumber));
  }
}

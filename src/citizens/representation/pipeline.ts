// May this person act for that citizen, here and now? (docs/domain.md, rules 9 and 10.) One pipeline
// of the decision primitive (src/decision.ts), run at sign-in (the choice of whom to act for), at every
// token issue and refresh, and at the policy decision point for each data request made for someone
// else. Every run asks the population register again (through its cache, at most 24 h old) and reads
// the mandate again, so a child turning 16, a blocked guardianship or a revoked mandate takes effect
// within the cache's bound, without anyone logging out.
//
// The claim is what the sign-in stored server-side, never what a browser or a product sent: a forged
// claim (wrong number, a relation that does not exist) is refused here with `no_relation`, which says
// nothing about whether the other person exists.
import { checksFor, Pipeline, refuse, type RunOptions } from '../../decision.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import { parseIdentityNumber } from '../../personnummer.ts';
import { RegisterUnavailable, type Guardianship, type PopulationRegister, type RegisterRecord } from '../register/register.ts';
import { datasetsOf, HEALTHCARE_RECORD_DATASETS, SOCIAL_CARE_CONSENTS, MANDATE_TYPES, type Mandate, type MandateReader } from './mandates.ts';

export const REPRESENTATION_REASONS = [
  /** The claim is not one (bad numbers, unknown relation, no mandate id for an agent): tampered input. */
  'claim_malformed',
  /** Acting for oneself is no representation. */
  'acting_for_self',
  /** Neither a custody relation in the register nor a mandate joins the two (also: the other person is unknown). */
  'no_relation',
  'actor_deceased',
  'subject_deceased',
  /** The register marks the guardianship as not to be used (a child taken into care under LVU). */
  'guardianship_blocked',
  /** From 16 the child acts alone. */
  'child_acts_alone',
  'mandate_revoked',
  'mandate_expired',
  /** Never through an agent, whatever the mandate says (patientdatalagen). */
  'healthcare_record_never_via_agent',
  'outside_mandate',
  /** Social-care documentation needs both consents recorded on the mandate. */
  'consents_missing',
  /** 13-15: the controller's maturity policy does not let a guardian use this data set. */
  'guardian_not_allowed_by_controller',
  /** The register or the mandates could not be read: refuse (fail closed). */
  'register_unavailable',
  'mandates_unavailable',
] as const;
export type RepresentationReason = (typeof REPRESENTATION_REASONS)[number];

export const RELATIONS = ['guardian', 'agent'] as const;
export type Relation = (typeof RELATIONS)[number];

/** Who acts, for whom, by what relation: stored by the sign-in, never taken from a request. */
export interface RepresentationClaim {
  /** The acting person's personnummer (signed in with their own e-ID). */
  actor: string;
  /** The represented citizen's personnummer. */
  subject: string;
  relation: Relation;
  /** For an agent: the mandate the choice was made under. */
  mandateId?: string | undefined;
}

/** What the representation is used for: signing in (and token issue), or one data request. */
export type RepresentationUse =
  | { kind: 'sign_in' }
  | {
    kind: 'data';
    controller: string;
    dataset: string;
    /** The controller's maturity policy: data sets a guardian may use for a 13-15 year old. */
    guardianDatasets: readonly string[];
  };

export interface RepresentationInput {
  claim: RepresentationClaim;
  use: RepresentationUse;
}

export interface RepresentationDeps {
  register: PopulationRegister;
  mandates: MandateReader;
  clock: Clock;
}

const { check, asyncCheck } = checksFor<RepresentationReason, RepresentationDeps>();

/** Age in whole years on the clock's day, from the register's birth date (YYYY-MM-DD). */
export function ageFrom(birthDate: string, atMs: number): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const at = new Date(atMs);
  let age = at.getUTCFullYear() - y;
  if (at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d)) age -= 1;
  return age;
}

const MANDATE_ID = /^[0-9a-f-]{36}$/;

export const claimWellFormed = check('claim_well_formed', (s: RepresentationInput) => {
  const { actor, subject, relation, mandateId } = s.claim;
  if (!parseIdentityNumber(actor) || !parseIdentityNumber(subject) || !RELATIONS.includes(relation)) return 'claim_malformed';
  if (relation === 'agent' && (typeof mandateId !== 'string' || !MANDATE_ID.test(mandateId))) return 'claim_malformed';
  if (actor === subject) return 'acting_for_self';
  return undefined;
});

/** Both people, as the register says now; someone unknown there is no relation (and nothing more is said). */
export const peopleInRegister = asyncCheck('people_in_register', async (s: RepresentationInput, d) => {
  let actor: RegisterRecord | undefined;
  let subject: RegisterRecord | undefined;
  try {
    [actor, subject] = await Promise.all([d.register.lookup(s.claim.actor), d.register.lookup(s.claim.subject)]);
  } catch (err) {
    if (err instanceof RegisterUnavailable) return 'register_unavailable';
    throw err;
  }
  if (!actor || !subject) return 'no_relation';
  if (actor.deceased) return 'actor_deceased';
  if (subject.deceased) return 'subject_deceased';
  return { actorRecord: actor, subjectRecord: subject };
});

/** The relation exists: custody on both sides of the register, or a mandate naming exactly these two. */
export const relationExists = asyncCheck('relation_exists', async (s: RepresentationInput & { actorRecord: RegisterRecord; subjectRecord: RegisterRecord }, d) => {
  const { claim } = s;
  if (claim.relation === 'guardian') {
    const custody = s.actorRecord.custodyOf.find((g) => g.personalNumber === claim.subject);
    const guardian = s.subjectRecord.guardians.find((g) => g.personalNumber === claim.actor);
    if (!custody || !guardian) return 'no_relation';
    // Either side of the register marking the custody blocked blocks it.
    const blocked = custody.blocked ?? guardian.blocked;
    return { custody: { personalNumber: claim.subject, ...(blocked ? { blocked } : {}) } satisfies Guardianship };
  }
  let mandate: Mandate | undefined;
  try {
    mandate = claim.mandateId ? await d.mandates.find(claim.mandateId) : undefined;
  } catch {
    return 'mandates_unavailable';
  }
  if (!mandate || mandate.principalNumber !== claim.subject || mandate.agentNumber !== claim.actor) return 'no_relation';
  return { mandate };
});

export const guardianshipNotBlocked = check('guardianship_not_blocked', (s: { custody?: Guardianship }) =>
  (s.custody?.blocked ? refuse('guardianship_blocked', s.custody.blocked) : undefined));

/** Under 13 the guardian acts; 13 to 15 the controller decides per data set; from 16 the child alone. */
export const childUnder16 = check('child_under_16', (s: RepresentationInput & { subjectRecord: RegisterRecord }, d) => {
  if (s.claim.relation !== 'guardian') return undefined;
  const age = ageFrom(s.subjectRecord.birthDate, d.clock.now());
  return age >= 16 ? 'child_acts_alone' : { subjectAge: age };
});

export const mandateInForce = check('mandate_in_force', (s: { mandate?: Mandate }, d) => {
  if (!s.mandate) return undefined;
  if (s.mandate.revokedAt) return 'mandate_revoked';
  return Date.parse(s.mandate.expiresAt) <= d.clock.now() ? 'mandate_expired' : undefined;
});

/** The healthcare record is never released through an agent, whatever a mandate says (rule 10). */
export const noHealthcareRecordViaAgent = check('no_healthcare_record_via_agent', (s: RepresentationInput) =>
  (s.claim.relation === 'agent' && s.use.kind === 'data' && HEALTHCARE_RECORD_DATASETS.has(s.use.dataset) ? 'healthcare_record_never_via_agent' : undefined));

export const mandateCoversDataset = check('mandate_covers_dataset', (s: RepresentationInput & { mandate?: Mandate }) => {
  if (!s.mandate || s.use.kind !== 'data') return undefined;
  const { dataset } = s.use;
  if (!datasetsOf(s.mandate.types).has(dataset)) return 'outside_mandate';
  const social = (MANDATE_TYPES.social_care_documentation as readonly string[]).includes(dataset);
  if (social && SOCIAL_CARE_CONSENTS.some((c) => !s.mandate?.consents[c])) return 'consents_missing';
  return undefined;
});

/** 13-15: only the data sets the controller's maturity policy names (the assessment is the controller's). */
export const guardianPolicyAllows = check('guardian_policy_allows', (s: RepresentationInput & { subjectAge?: number }) => {
  if (s.claim.relation !== 'guardian' || s.use.kind !== 'data' || s.subjectAge === undefined || s.subjectAge < 13) return undefined;
  return s.use.guardianDatasets.includes(s.use.dataset) ? undefined : 'guardian_not_allowed_by_controller';
});

export const representationPipeline = Pipeline.of<RepresentationInput, RepresentationReason, RepresentationDeps>()
  .then(claimWellFormed)
  .then(peopleInRegister)
  .then(relationExists)
  .then(guardianshipNotBlocked)
  .then(childUnder16)
  .then(mandateInForce)
  .then(noHealthcareRecordViaAgent)
  .then(mandateCoversDataset)
  .then(guardianPolicyAllows);

export const REPRESENTATION_CHECKS = representationPipeline.names;

/** An unexpected error in a check refuses (fail closed) and is logged without personal data. */
export function representationFailClosed(logger: Logger): NonNullable<RunOptions<RepresentationReason>['unexpected']> {
  return (err, check) => {
    logger.error({ err: (err as Error).message, check }, 'representation check failed: refusing');
    return check === 'relation_exists' ? 'mandates_unavailable' : 'register_unavailable';
  };
}

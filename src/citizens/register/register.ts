// The population register as the gateway reads it: one interface shaped like what Navet and the
// PU-service deliver about a person (name, birth date, deceased, protected identity, address and
// contact, guardianship), whatever answers behind it (the sandbox's personas, a cache, later a real
// client). Callers never see which; production refuses the sandbox's (src/config.ts).

/** The kind of protection the register marks a person with (docs/domain.md, rule 11). */
export type ProtectionMark =
  /** Sekretessmarkering: the record is kept, and released only after a secrecy assessment. */
  | 'sekretessmarkering'
  /** Skyddad folkbokföring: the person is registered somewhere other than where they live. */
  | 'skyddad-folkbokforing';

export interface PostalAddress {
  /** Street and number (utdelningsadress). */
  streetAddress: string;
  postalCode: string;
  /** Post town (postort). */
  locality: string;
  /** ISO 3166-1 alpha-2; the register's addresses are Swedish unless it says otherwise. */
  country: string;
}

export interface Contact {
  email?: string;
  /** E.164, e.g. +46701234567. */
  phoneNumber?: string;
}

/** Why the register says a guardian may not act (the relation exists, but the gateway must refuse it). */
export type GuardianshipBlock =
  /** The child is taken into care under LVU (lagen med särskilda bestämmelser om vård av unga). */
  | 'lvu'
  /** Any other restriction the register records (a court order and the like). */
  | 'other';

/** One custody relation, seen from either end. */
export interface Guardianship {
  /** The other person's personnummer (the guardian's, or the child's). */
  personalNumber: string;
  /** Set when the relation exists but must not be used to act for the child. */
  blocked?: GuardianshipBlock;
}

/** What the register says about one person. */
export interface RegisterRecord {
  /** 12 digits, as looked up. */
  personalNumber: string;
  /** True for a samordningsnummer. */
  coordinationNumber: boolean;
  /** YYYY-MM-DD; ages are computed from it on the caller's clock (personnummer.ts ageOn). */
  birthDate: string;
  givenName: string;
  surname: string;
  name: string;
  /** Date of death (YYYY-MM-DD) when the person is deceased. */
  deceased?: string;
  /** Present when the person has protected identity; such a person's address and contact are never released. */
  protection?: ProtectionMark;
  /** The registered address; a protected person's is never released, whatever is here. */
  address?: PostalAddress;
  contact?: Contact;
  /** The person's guardians (vårdnadshavare), for a child. */
  guardians: Guardianship[];
  /** The children this person has custody of. */
  custodyOf: Guardianship[];
}

/** Whether a record marks protected identity; one predicate so every caller reads it the same way. */
export const isProtected = (record: Pick<RegisterRecord, 'protection'>): boolean => record.protection !== undefined;

export interface PopulationRegister {
  /**
   * The person with this personnummer or samordningsnummer (12 digits), or undefined when the register
   * has nobody by that number (a malformed number included). Throws RegisterUnavailable when the
   * register cannot be asked: callers fail closed.
   */
  lookup(personalNumber: string): Promise<RegisterRecord | undefined>;
}

/** The register could not answer (down, timed out, refused us); never means "no such person". */
export class RegisterUnavailable extends Error {
  constructor(message = 'the population register cannot be asked') {
    super(message);
    this.name = 'RegisterUnavailable';
  }
}

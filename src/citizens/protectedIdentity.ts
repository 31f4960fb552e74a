// Protected identity (docs/domain.md, rule 11): for a person with protected registration (skyddad
// folkbokföring, sekretessmarkering) address and contact data never leave the gateway. One answer to
// "is this person protected?", asked of the population register through its cache, and failing closed:
// a person the register cannot be asked about, or does not know, counts as protected, so nothing the
// register or a data API holds about where they live or how to reach them is released on a guess
// (docs/security-model.md, "Protected identity").
import { isProtected, type Contact, type PopulationRegister, type PostalAddress, type RegisterRecord } from './register/register.ts';

/** Why the answer is what it is; only `register_unmarked` lets address and contact through. */
export type ProtectionBasis = 'register_marked' | 'register_unmarked' | 'not_in_register' | 'register_unavailable';

export interface ProtectionStatus {
  /** True unless the register said, within its cache bound, that the person has no protection mark. */
  protected: boolean;
  basis: ProtectionBasis;
  /** The register's record, when it gave one. */
  record?: RegisterRecord;
}

export class ProtectedIdentity {
  readonly #register: PopulationRegister;

  constructor(register: PopulationRegister) {
    this.#register = register;
  }

  async status(personalNumber: string): Promise<ProtectionStatus> {
    let record: RegisterRecord | undefined;
    try {
      record = await this.#register.lookup(personalNumber);
    } catch {
      // RegisterUnavailable, or anything else the register throws: an unanswered question, so fail closed.
      return { protected: true, basis: 'register_unavailable' };
    }
    if (!record) return { protected: true, basis: 'not_in_register' };
    return isProtected(record) ? { protected: true, basis: 'register_marked', record } : { protected: false, basis: 'register_unmarked', record };
  }
}

/** What may be released about where a person lives and how to reach them: nothing unless known unprotected. */
export function releasableContact(status: ProtectionStatus): { address?: PostalAddress; contact?: Contact } {
  if (status.protected || status.basis !== 'register_unmarked' || !status.record) return {};
  const { address, contact } = status.record;
  return { ...(address ? { address } : {}), ...(contact ? { contact } : {}) };
}

/**
 * Address and contact fields of data API responses, removed wherever they occur for a protected person.
 * Names, not paths: a field of that name is dropped at any depth, so a response that nests the
 * citizen's address somewhere new loses it too (a unit's address with it: failing closed). FHIR's
 * Patient (`address`, `telecom`, `contact`) and the usual JSON spellings are covered.
 */
export const DEFAULT_PROTECTED_FIELDS = [
  'address', 'addresses', 'streetAddress', 'street_address', 'postalCode', 'postal_code', 'zip', 'locality', 'city',
  'co', 'careOf', 'postalAddress', 'homeAddress', 'registeredAddress',
  'email', 'emailAddress', 'phone', 'phoneNumber', 'phone_number', 'mobile', 'mobilePhone', 'telephone', 'telecom', 'contact', 'contactDetails',
] as const;

/** Field names as matched: lower case, so `PhoneNumber` and `phonenumber` are one field. */
export const fieldSet = (fields: Iterable<string>): ReadonlySet<string> => new Set([...fields].map((f) => f.toLowerCase()));

/** A copy of a parsed JSON value without the fields named (at any depth); `removed` counts them. */
export function stripFields(value: unknown, fields: ReadonlySet<string>): { value: unknown; removed: number } {
  let removed = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) {
      if (fields.has(k.toLowerCase())) {
        removed += 1;
        continue;
      }
      out[k] = walk(inner);
    }
    return out;
  };
  return { value: walk(value), removed };
}

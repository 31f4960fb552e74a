// From a verified Freja eID result to the person the gateway signs in, and the registration level
// the LoA table (config.loa.providers.freja.levels) turns into an acr. Only a Swedish personnummer
// or samordningsnummer identifies a citizen here: Freja also has users identified by a foreign
// document, and they have no account in a Swedish health-care federation.
import type { VerifiedIdentity } from '../../idp/accounts.ts';
import { parseIdentityNumber } from '../../personnummer.ts';
import type { ResultDetails } from './result.ts';

export type IdentityRejection = 'ssn_missing' | 'ssn_not_swedish' | 'ssn_invalid' | 'name_missing' | 'registration_level_missing';

export class FrejaIdentityRejected extends Error {
  readonly reason: IdentityRejection;
  constructor(reason: IdentityRejection) {
    super(`Freja eID identity refused: ${reason}`);
    this.name = 'FrejaIdentityRejected';
    this.reason = reason;
  }
}

export interface FrejaSignIn {
  identity: VerifiedIdentity;
  /** Freja's own level (BASIC, EXTENDED, PLUS); the LoA table decides what it is worth. */
  registrationLevel: string;
}

export function signInFrom(details: ResultDetails): FrejaSignIn {
  const attrs = details.requestedAttributes;
  if (!attrs?.ssn) throw new FrejaIdentityRejected('ssn_missing');
  if (attrs.ssn.country !== 'SE') throw new FrejaIdentityRejected('ssn_not_swedish');
  const parsed = parseIdentityNumber(attrs.ssn.ssn);
  if (!parsed) throw new FrejaIdentityRejected('ssn_invalid');
  const name = attrs.basicUserInfo;
  if (!name || !name.name.trim() || !name.surname.trim()) throw new FrejaIdentityRejected('name_missing');
  if (!attrs.registrationLevel) throw new FrejaIdentityRejected('registration_level_missing');
  return {
    identity: { kind: 'citizen', personalNumber: parsed.value, givenName: name.name.trim(), surname: name.surname.trim() },
    registrationLevel: attrs.registrationLevel,
  };
}

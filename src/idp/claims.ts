// Claims of the Swedish OpenID Connect profile (oidc-sweden), and which scope releases which.
import type { AccountRecord } from './accounts.ts';
import { releasableContact, type ProtectionStatus } from '../citizens/protectedIdentity.ts';

/** Set (true) in the ID token and userinfo of a person with protected identity, or one the register could not vouch for. */
export const PROTECTED_IDENTITY_CLAIM = 'protected_identity';

export const SE = {
  personalIdentityNumber: 'https://id.oidc.se/claim/personalIdentityNumber',
  coordinationNumber: 'https://id.oidc.se/claim/coordinationNumber',
  authnProvider: 'https://id.oidc.se/claim/authnProvider',
  orgAffiliation: 'https://id.oidc.se/claim/orgAffiliation',
  orgNumber: 'https://id.oidc.se/claim/orgNumber',
  orgName: 'https://id.oidc.se/claim/orgName',
  naturalPersonNumberScope: 'https://id.oidc.se/scope/naturalPersonNumber',
  naturalPersonOrgIdScope: 'https://id.oidc.se/scope/naturalPersonOrgId',
} as const;

export const LOA = {
  loa2: 'http://id.elegnamnden.se/loa/1.0/loa2',
  loa3: 'http://id.elegnamnden.se/loa/1.0/loa3',
  loa4: 'http://id.elegnamnden.se/loa/1.0/loa4',
} as const;

/**
 * Scope -> claims. The personnummer is released only under the naturalPersonNumber scope, and a
 * client gets that scope only when its registration allows it (client `scope` metadata).
 */
export const scopeClaims: Record<string, Array<string | null> | null> = {
  // acr and auth_time belong in every ID token: the relying party must see how strongly and when
  // the citizen signed in (docs/domain.md, rule 1).
  // `act` (RFC 8693 §4.1) only when someone acts for the citizen (src/citizens/representation/).
  openid: ['sub', 'acr', 'auth_time', SE.authnProvider, PROTECTED_IDENTITY_CLAIM, 'act'],
  profile: ['given_name', 'family_name', 'name'],
  // From the population register, and never for a person with protected identity (docs/domain.md, rule 11).
  address: ['address'],
  email: ['email'],
  phone: ['phone_number'],
  [SE.naturalPersonNumberScope]: [SE.personalIdentityNumber, SE.coordinationNumber],
  // Staff: the HSA-id as the personal part of orgAffiliation (<personal-id>@<org-number>).
  [SE.naturalPersonOrgIdScope]: ['name', 'given_name', 'family_name', SE.orgAffiliation, SE.orgName, SE.orgNumber],
};

/**
 * The claims an account can release; oidc-provider filters them by the granted scopes. A citizen's
 * address and contact come from the population register (`protection`, asked when the claims are made)
 * and only when it says the person is not protected; otherwise the protected_identity flag goes instead.
 */
export function accountClaims(record: AccountRecord, authnProvider: string | undefined, protection?: ProtectionStatus): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    given_name: record.givenName,
    family_name: record.surname,
    name: record.name,
  };
  // A coordination number is flagged by releasing it under its own claim, never as a personnummer.
  if (record.personalNumber) {
    if (record.coordinationNumber) claims[SE.coordinationNumber] = record.personalNumber;
    else claims[SE.personalIdentityNumber] = record.personalNumber;
  }
  if (record.kind === 'staff') {
    if (record.orgNumber) {
      claims[SE.orgAffiliation] = `${record.hsaId}@${record.orgNumber}`;
      claims[SE.orgNumber] = record.orgNumber;
    }
    if (record.orgName) claims[SE.orgName] = record.orgName;
  }
  if (authnProvider) claims[SE.authnProvider] = authnProvider;
  if (record.kind === 'citizen' && protection) {
    if (protection.protected) claims[PROTECTED_IDENTITY_CLAIM] = true;
    const { address, contact } = releasableContact(protection);
    // OpenID Connect Core §5.1.1's address claim.
    if (address) claims.address = { street_address: address.streetAddress, postal_code: address.postalCode, locality: address.locality, country: address.country };
    if (contact?.email) claims.email = contact.email;
    if (contact?.phoneNumber) claims.phone_number = contact.phoneNumber;
  }
  return claims;
}

// Claims of the Swedish OpenID Connect profile (oidc-sweden), and which scope releases which.
import type { AccountRecord } from './accounts.ts';

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
  openid: ['sub', 'acr', 'auth_time', SE.authnProvider, 'act'],
  profile: ['given_name', 'family_name', 'name'],
  [SE.naturalPersonNumberScope]: [SE.personalIdentityNumber, SE.coordinationNumber],
  // Staff: the HSA-id as the personal part of orgAffiliation (<personal-id>@<org-number>).
  [SE.naturalPersonOrgIdScope]: ['name', 'given_name', 'family_name', SE.orgAffiliation, SE.orgName, SE.orgNumber],
};

/** The claims an account can release; oidc-provider filters them by the granted scopes. */
export function accountClaims(record: AccountRecord, authnProvider: string | undefined): Record<string, string> {
  const claims: Record<string, string> = {
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
  return claims;
}

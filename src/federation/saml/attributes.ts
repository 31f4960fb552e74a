// SAML attributes -> the gateway's identities. Names follow the Swedish eID framework's attribute
// specification (ELN-0604: urn:oid names) and, for the HSA-id, Sambi's attribute profile as the Inera
// IdP releases it. Every single-valued attribute must appear once with one value; anything else is
// refused rather than picking one.
import type { VerifiedIdentity, VerifiedStaffIdentity } from '../../idp/accounts.ts';
import { NS, XmlRefused, children, textOf } from './xml.ts';

export const ATTR = {
  employeeHsaId: 'http://sambi.se/attributes/1/employeeHsaId',
  personalIdentityNumber: 'urn:oid:1.2.752.29.4.13',
  givenName: 'urn:oid:2.5.4.42',
  sn: 'urn:oid:2.5.4.4',
  displayName: 'urn:oid:2.16.840.1.113730.3.1.241',
  orgAffiliation: 'urn:oid:1.2.752.201.3.1',
  organizationIdentifier: 'urn:oid:2.5.4.97',
  organizationName: 'urn:oid:2.5.4.10',
} as const;

export const FRIENDLY_NAMES: Record<string, string> = {
  [ATTR.employeeHsaId]: 'employeeHsaId',
  [ATTR.personalIdentityNumber]: 'personalIdentityNumber',
  [ATTR.givenName]: 'givenName',
  [ATTR.sn]: 'sn',
  [ATTR.displayName]: 'displayName',
  [ATTR.orgAffiliation]: 'orgAffiliation',
  [ATTR.organizationIdentifier]: 'orgNumber',
  [ATTR.organizationName]: 'o',
};

/** Attribute name -> values, from the assertion's AttributeStatement(s). */
export function readAttributes(assertion: Element): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) throw new XmlRefused('attribute_malformed');
      if (out.has(name)) throw new XmlRefused('attribute_repeated', FRIENDLY_NAMES[name] ?? 'attribute');
      out.set(name, children(attribute, NS.assertion, 'AttributeValue').map(textOf));
    }
  }
  return out;
}

function single(attrs: Map<string, string[]>, name: string, required: true): string;
function single(attrs: Map<string, string[]>, name: string, required: false): string | undefined;
function single(attrs: Map<string, string[]>, name: string, required: boolean): string | undefined {
  const values = attrs.get(name);
  if (!values || values.length === 0 || values[0] === '') {
    if (required) throw new XmlRefused('attribute_missing', FRIENDLY_NAMES[name] ?? name);
    return undefined;
  }
  if (values.length > 1) throw new XmlRefused('attribute_multivalued', FRIENDLY_NAMES[name] ?? name);
  return values[0];
}

/** A staff member from the SITHS IdP: the HSA-id is the identity, orgAffiliation must agree with it. */
export function staffIdentity(attrs: Map<string, string[]>): VerifiedStaffIdentity {
  const hsaId = single(attrs, ATTR.employeeHsaId, true);
  const affiliation = single(attrs, ATTR.orgAffiliation, false);
  let orgNumber = single(attrs, ATTR.organizationIdentifier, false);
  if (affiliation) {
    // orgAffiliation is <personal identifier>@<organisation number>; here the personal part is the HSA-id.
    const at = affiliation.lastIndexOf('@');
    const person = affiliation.slice(0, at);
    const org = affiliation.slice(at + 1);
    if (at < 1 || person !== hsaId || !/^\d{10}$/.test(org)) throw new XmlRefused('org_affiliation_mismatch');
    if (orgNumber !== undefined && orgNumber !== org) throw new XmlRefused('org_affiliation_mismatch');
    orgNumber = org;
  }
  const personalNumber = single(attrs, ATTR.personalIdentityNumber, false);
  const name = single(attrs, ATTR.displayName, false);
  const orgName = single(attrs, ATTR.organizationName, false);
  return {
    kind: 'staff',
    hsaId,
    givenName: single(attrs, ATTR.givenName, true),
    surname: single(attrs, ATTR.sn, true),
    ...(name ? { name } : {}),
    ...(personalNumber ? { personalNumber } : {}),
    ...(orgNumber ? { orgNumber } : {}),
    ...(orgName ? { orgName } : {}),
  };
}

/** A citizen from the national portal's IdP. */
export function citizenIdentity(attrs: Map<string, string[]>): VerifiedIdentity {
  const name = single(attrs, ATTR.displayName, false);
  return {
    kind: 'citizen',
    personalNumber: single(attrs, ATTR.personalIdentityNumber, true),
    givenName: single(attrs, ATTR.givenName, true),
    surname: single(attrs, ATTR.sn, true),
    ...(name ? { name } : {}),
  };
}

// From a verified card certificate to the staff identity a login is made of. A SITHS authentication
// certificate names the person (givenName, surname, CN), the HSA-id (subject serialNumber) and the
// organisation's name (O); it carries no organisation number, so that comes from the HSA-id, whose
// first part is the issuing organisation's number (SE<org number>-<local part>).
import type { VerifiedStaffIdentity } from '../../idp/accounts.ts';
import type { StaffCertificateIdentity } from '../mtls/sithsCertificate.ts';

/** The 10-digit organisation number inside an HSA-id (a 12-digit "16" form loses its century prefix). */
export function orgNumberOf(hsaId: string): string | undefined {
  const digits = /^[A-Z]{2}(\d{10}|16\d{10})-/.exec(hsaId)?.[1];
  if (!digits) return undefined;
  return digits.length === 12 ? digits.slice(2) : digits;
}

/** The staff identity, or undefined when the certificate lacks a name part a staff account needs. */
export function staffIdentityFrom(cert: StaffCertificateIdentity): VerifiedStaffIdentity | undefined {
  if (!cert.givenName || !cert.surname) return undefined;
  const orgNumber = orgNumberOf(cert.hsaId);
  return {
    kind: 'staff',
    hsaId: cert.hsaId,
    givenName: cert.givenName,
    surname: cert.surname,
    name: cert.commonName,
    ...(orgNumber ? { orgNumber } : {}),
    ...(cert.organizationName ? { orgName: cert.organizationName } : {}),
  };
}

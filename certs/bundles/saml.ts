// SAML: the gateway's SP signing key and certificate (AuthnRequests, published in /saml/metadata) and
// one signing key and certificate per simulated IdP (the SITHS IdP and the national portal's IdP).
// SAML metadata carries the certificates themselves, so they are self-signed, as real IdP and SP
// metadata certificates usually are: trust comes from the metadata file, never from a CA.
import { LEAF_VALIDITY_DAYS, defineBundle, issue } from '../pki.ts';

const signingOnly = (): object[] => [
  { name: 'basicConstraints', cA: false, critical: true },
  { name: 'keyUsage', digitalSignature: true, critical: true },
];

export const samlBundle = defineBundle({
  name: 'saml',
  files: {
    spKey: 'saml-sp.key',
    spCert: 'saml-sp.crt',
    sithsIdpKey: 'saml-idp-siths.key',
    sithsIdpCert: 'saml-idp-siths.crt',
    portalIdpKey: 'saml-idp-portal.key',
    portalIdpCert: 'saml-idp-portal.crt',
  },
  certificates: ['spCert', 'sithsIdpCert', 'portalIdpCert'],
  async generate() {
    const [sp, siths, portal] = await Promise.all([
      issue({ commonName: 'Sandbox gateway SAML SP signing', validityDays: LEAF_VALIDITY_DAYS, extensions: signingOnly() }),
      issue({ commonName: 'Sandbox SITHS IdP signing', validityDays: LEAF_VALIDITY_DAYS, extensions: signingOnly() }),
      issue({ commonName: 'Sandbox national portal IdP signing', validityDays: LEAF_VALIDITY_DAYS, extensions: signingOnly() }),
    ]);
    return {
      spKey: sp.keyPem,
      spCert: sp.certPem,
      sithsIdpKey: siths.keyPem,
      sithsIdpCert: siths.certPem,
      portalIdpKey: portal.keyPem,
      portalIdpCert: portal.certPem,
    };
  },
});

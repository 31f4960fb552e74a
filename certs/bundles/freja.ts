// Freja eID: the REST API's TLS server (with its own CA, which relying parties pin), the relying
// party's client certificate, and the key Freja signs authentication results (JWS) with.
import { CA_VALIDITY_DAYS, LEAF_VALIDITY_DAYS, caExtensions, defineBundle, issue, leafExtensions, localhostNames, pkcs12 } from '../pki.ts';

export const frejaBundle = defineBundle({
  name: 'freja',
  files: {
    serverCaCert: 'freja-server-ca.crt',
    serverCaKey: 'freja-server-ca.key',
    serverCert: 'freja-server.crt',
    serverKey: 'freja-server.key',
    rpCaCert: 'freja-rp-ca.crt',
    rpCaKey: 'freja-rp-ca.key',
    rpP12: 'freja-rp.p12',
    rpCert: 'freja-rp.crt',
    signingCert: 'freja-jws-signing.crt',
    signingKey: 'freja-jws-signing.key',
  },
  certificates: ['serverCaCert', 'serverCert', 'rpCaCert', 'rpCert', 'signingCert'],
  async generate(passphrase) {
    // Three unrelated roots, as with Freja: the TLS server CA, the CA Freja trusts for relying
    // parties' client certificates, and the result-signing certificate, which relying parties
    // configure by itself (they trust that certificate, not a CA), so no TLS key can sign a result.
    const [serverCa, rpCa, signing] = await Promise.all([
      issue({ commonName: 'Sandbox Freja eID Server Root CA', validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
      issue({ commonName: 'Sandbox Freja eID RP Root CA', validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
      issue({
        commonName: 'Sandbox Freja eID result signing',
        validityDays: LEAF_VALIDITY_DAYS,
        extensions: [
          { name: 'basicConstraints', cA: false, critical: true },
          { name: 'keyUsage', digitalSignature: true, critical: true },
        ],
      }),
    ]);
    const [server, rp] = await Promise.all([
      issue({ commonName: 'localhost', validityDays: LEAF_VALIDITY_DAYS, issuer: serverCa, extensions: leafExtensions('serverAuth', localhostNames()) }),
      issue({ commonName: 'Sandbox gateway relying party (Freja eID)', validityDays: LEAF_VALIDITY_DAYS, issuer: rpCa, extensions: leafExtensions('clientAuth') }),
    ]);
    return {
      serverCaCert: serverCa.certPem,
      serverCaKey: serverCa.keyPem,
      serverCert: server.certPem,
      serverKey: server.keyPem,
      rpCaCert: rpCa.certPem,
      rpCaKey: rpCa.keyPem,
      rpP12: pkcs12(rp, [rpCa], passphrase, 'sandbox-rp-freja'),
      rpCert: rp.certPem,
      signingCert: signing.certPem,
      signingKey: signing.keyPem,
    };
  },
});

// BankID: the RP API's TLS server (with its own pinned CA) and the relying party's client certificate.
import { CA_VALIDITY_DAYS, LEAF_VALIDITY_DAYS, caExtensions, defineBundle, issue, leafExtensions, localhostNames, pkcs12 } from '../pki.ts';

export const bankidBundle = defineBundle({
  name: 'bankid',
  files: {
    serverCaCert: 'bankid-server-ca.crt',
    serverCaKey: 'bankid-server-ca.key',
    serverCert: 'bankid-server.crt',
    serverKey: 'bankid-server.key',
    rpCaCert: 'bankid-rp-ca.crt',
    rpCaKey: 'bankid-rp-ca.key',
    rpP12: 'bankid-rp.p12',
    rpCert: 'bankid-rp.crt',
  },
  certificates: ['serverCaCert', 'serverCert', 'rpCaCert', 'rpCert'],
  async generate(passphrase) {
    // Two unrelated CAs, as with BankID: the server CA is what relying parties pin, the RP CA is what
    // BankID trusts for client certificates. Keeping them apart lets tests prove each side checks the right one.
    const [serverCa, rpCa] = await Promise.all([
      issue({ commonName: 'Sandbox BankID Server Root CA', validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
      issue({ commonName: 'Sandbox BankID RP Root CA', validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
    ]);
    const [server, rp] = await Promise.all([
      issue({ commonName: 'localhost', validityDays: LEAF_VALIDITY_DAYS, issuer: serverCa, extensions: leafExtensions('serverAuth', localhostNames()) }),
      issue({ commonName: 'Sandbox gateway relying party', validityDays: LEAF_VALIDITY_DAYS, issuer: rpCa, extensions: leafExtensions('clientAuth') }),
    ]);
    return {
      serverCaCert: serverCa.certPem,
      serverCaKey: serverCa.keyPem,
      serverCert: server.certPem,
      serverKey: server.keyPem,
      rpCaCert: rpCa.certPem,
      rpCaKey: rpCa.keyPem,
      rpP12: pkcs12(rp, [rpCa], passphrase, 'sandbox-rp'),
      rpCert: rp.certPem,
    };
  },
});

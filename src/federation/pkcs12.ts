// The relying party's TLS client certificate from a PKCS#12 file, shared by every e-ID client that
// speaks mutual TLS to its upstream (BankID, Freja eID).
import forge from 'node-forge';

/** A PKCS#12 bag type's OID by forge's name for it; forge's table is typed as open-ended, so look it up checked. */
function bagTypeOid(name: 'pkcs8ShroudedKeyBag' | 'keyBag' | 'certBag'): string {
  const oid = forge.pki.oids[name];
  if (!oid) throw new Error(`node-forge has no OID for the PKCS#12 bag type ${name}`);
  return oid;
}

/**
 * Opens the relying party's PKCS#12 with node-forge rather than Node's `pfx` option: OpenSSL 3 refuses
 * the legacy algorithms many issued .p12 files still use, and forge reads those as well as modern ones.
 */
export function loadRpPkcs12(pfx: Buffer, passphrase: string, who: string): { keyPem: string; certChainPem: string } {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(pfx.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, passphrase);
  } catch (err) {
    // Deliberately vague about the passphrase: the error may end up in a log.
    throw new Error(`${who}: cannot open the PKCS#12 file (not PKCS#12, or the passphrase does not match)`, { cause: err });
  }
  const keyOids = [bagTypeOid('pkcs8ShroudedKeyBag'), bagTypeOid('keyBag')];
  const key = keyOids
    .flatMap((oid) => p12.getBags({ bagType: oid })[oid] ?? [])
    .map((bag) => bag.key)
    .find((k): k is forge.pki.rsa.PrivateKey => Boolean(k));
  if (!key) throw new Error(`${who}: the PKCS#12 file holds no private key`);
  const certOid = bagTypeOid('certBag');
  const certs = (p12.getBags({ bagType: certOid })[certOid] ?? [])
    .map((bag) => bag.cert)
    .filter((c): c is forge.pki.Certificate => Boolean(c));
  const matches = (c: forge.pki.Certificate): boolean => {
    const pub = c.publicKey as forge.pki.rsa.PublicKey;
    return Boolean(pub.n) && pub.n.equals(key.n) && pub.e.equals(key.e);
  };
  const leaf = certs.find(matches);
  if (!leaf) throw new Error(`${who}: the PKCS#12 file holds no certificate for its private key`);
  // The leaf first, then whatever chain came with it, as TLS expects.
  const chain = [leaf, ...certs.filter((c) => c !== leaf)];
  return {
    keyPem: forge.pki.privateKeyToPem(key),
    certChainPem: chain.map((c) => forge.pki.certificateToPem(c)).join(''),
  };
}

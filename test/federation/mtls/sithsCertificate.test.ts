// The card-certificate verifier against the sandbox SITHS PKI: who a good card names, and one refusal
// per reason code, each made by changing one thing (the card, the CA, the CRL or the clock).
import { X509Certificate } from 'node:crypto';
import test from 'ava';
import forge from 'node-forge';
import { ManualClock } from '../../../src/clock.ts';
import { DAY_MS } from '../../../certs/pki.ts';
import { SITHS_ISSUING_CA_NAME, issueCard } from '../../../certs/bundles/siths.ts';
import { buildCrl, parseCrl } from '../../../src/federation/mtls/crl.ts';
import {
  CertificateError, CrlFormatError, SithsCertificateVerifier, isHsaId, type CertificateErrorReason, type StaffCertificateIdentity,
} from '../../../src/federation/mtls/sithsCertificate.ts';
import { sara, siths, tomas, verifier } from './fixtures.ts';

const saraHolder = { givenName: sara.givenName, surname: sara.surname, hsaId: sara.hsaId, orgName: sara.orgName };

function refusal(t: { throws: (fn: () => unknown, expectations: object) => unknown }, fn: () => unknown, reason: CertificateErrorReason): CertificateError {
  return t.throws(fn, { instanceOf: CertificateError, message: new RegExp(`: ${reason}\\b`) }) as CertificateError;
}

const pemToDer = (pem: string): Buffer => new X509Certificate(pem).raw;

test('sara\'s card: HSA-id, names, organisation, serial, issuer and notAfter', async (t) => {
  const f = await siths();
  const pem = f.text('saraCert');
  const x509 = new X509Certificate(pem);
  const identity = verifier(f).verify(pem);
  t.deepEqual(identity, {
    hsaId: 'SE2321000016-A1B2',
    givenName: 'Sara',
    surname: 'Sjöström',
    commonName: 'Sara Sjöström',
    organizationName: 'Region Sandbox',
    serialNumberHex: x509.serialNumber.toUpperCase(),
    issuer: `CN=${SITHS_ISSUING_CA_NAME},O=Sandbox - not for production,C=SE`,
    notAfter: new Date(x509.validTo),
  } satisfies StaffCertificateIdentity);
});

test('tomas\'s card, from another organisation', async (t) => {
  const f = await siths();
  const identity = verifier(f).verify(f.text('tomasCert'));
  t.is(identity.hsaId, tomas.hsaId);
  t.is(identity.organizationName, 'Sandvik kommun (sandlåda)');
  t.is(identity.surname, 'Tell');
});

test('the card is read from DER, PEM text, PEM bytes and a proxy\'s URL-encoded PEM alike', async (t) => {
  const f = await siths();
  const v = verifier(f);
  const pem = f.text('saraCert');
  const forms: Array<string | Buffer> = [pem, Buffer.from(pem), pemToDer(pem), encodeURIComponent(pem), pemToDer(pem).toString('base64')];
  for (const form of forms) t.is(v.verify(form).hsaId, sara.hsaId);
});

test('an old card listed on the CRL is revoked', async (t) => {
  const f = await siths();
  const err = refusal(t, () => verifier(f).verify(f.text('revokedCert')), 'revoked');
  t.is(err.reason, 'revoked');
  // The same holder's current card still passes: revocation is by serial, not by person.
  t.is(verifier(f).verify(f.text('saraCert')).hsaId, sara.hsaId);
});

test('a card past its notAfter is expired; a good card is expired once the clock passes its notAfter', async (t) => {
  const f = await siths();
  t.is(refusal(t, () => verifier(f).verify(f.text('expiredCert')), 'expired').reason, 'expired');

  // Sara's current card outlives the sandbox CRL, so a CRL current at that time is loaded as well.
  const notAfter = new X509Certificate(f.text('saraCert')).validToDate.getTime();
  const lateCrl = buildCrl({
    issuerCertificate: f.text('issuingCaCert'),
    issuerKey: f.issuing.key,
    revoked: [],
    thisUpdate: new Date(notAfter - DAY_MS),
    nextUpdate: new Date(notAfter + DAY_MS),
    crlNumber: 2,
  });
  const before = verifier(f, new ManualClock(notAfter - 1000), { crls: [lateCrl.der] });
  t.is(before.verify(f.text('saraCert')).hsaId, sara.hsaId);
  const after = verifier(f, new ManualClock(notAfter + 1000), { crls: [lateCrl.der] });
  t.is(refusal(t, () => after.verify(f.text('saraCert')), 'expired').detail, undefined);
});

test('a card before its notBefore is not_yet_valid', async (t) => {
  const f = await siths();
  const notBefore = new X509Certificate(f.text('saraCert')).validFromDate.getTime();
  t.is(refusal(t, () => verifier(f, new ManualClock(notBefore - 1000)).verify(f.text('saraCert')), 'not_yet_valid').reason, 'not_yet_valid');
});

test('a card from a CA outside the trust list is unknown_ca, with or without its root in the chain', async (t) => {
  const f = await siths();
  const v = verifier(f);
  t.is(refusal(t, () => v.verify(f.text('unknownCert')), 'unknown_ca').detail, 'no_issuer');
  t.is(refusal(t, () => v.verify(f.text('unknownCert'), [f.text('unknownCaCert')]), 'unknown_ca').detail, 'untrusted_root');
});

test('a tampered card signature, or a tampered HSA-id under a good signature, is bad_signature', async (t) => {
  const f = await siths();
  const v = verifier(f);
  const der = pemToDer(f.text('saraCert'));

  const badSignature = Buffer.from(der);
  badSignature[badSignature.length - 1]! ^= 0x01;
  t.is(refusal(t, () => v.verify(badSignature), 'bad_signature').reason, 'bad_signature');

  // Sara's card with tomas's HSA-id pasted in: same length, so it still parses.
  const at = der.indexOf(Buffer.from(sara.hsaId));
  t.true(at > 0);
  const forged = Buffer.from(der);
  Buffer.from('SE2321000016-B1B2').copy(forged, at);
  t.is(refusal(t, () => v.verify(forged), 'bad_signature').reason, 'bad_signature');
});

test('a card whose issuer is not a CA is refused; so is a second CA level under the pathLen 0 issuing CA', async (t) => {
  const f = await siths();
  const v = verifier(f);
  // A "card" signed with sara's card key: names chain, signature verifies, but sara's card is no CA.
  const saraIssued = { cert: forge.pki.certificateFromPem(f.text('saraCert')), key: forge.pki.privateKeyFromPem(f.text('saraKey')) as forge.pki.rsa.PrivateKey, certPem: f.text('saraCert'), keyPem: f.text('saraKey') };
  const underLeaf = await issueCard({ issuer: saraIssued, holder: { ...saraHolder, givenName: 'Tomas', surname: 'Tell', hsaId: tomas.hsaId } });
  t.is(refusal(t, () => v.verify(underLeaf.certPem, [f.text('saraCert')]), 'unknown_ca').detail, 'issuer_not_ca');

  // A sub-CA issued by the issuing CA (which allows no CA below it), and a card from that sub-CA.
  const subCa = await issueCard({
    issuer: f.issuing,
    holder: { givenName: 'Sub', surname: 'CA', hsaId: 'SE2321000016-SUB1', orgName: 'Sandbox' },
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
  });
  const card = await issueCard({ issuer: subCa, holder: saraHolder });
  t.is(refusal(t, () => v.verify(card.certPem, [subCa.certPem]), 'unknown_ca').detail, 'path_length');
});

test('the client\'s chain can supply the issuing CA when only the root is configured', async (t) => {
  const f = await siths();
  const rootOnly = verifier(f, new ManualClock(), { trustedCaPems: [f.text('rootCaCert')] });
  t.is(rootOnly.verify(f.text('saraCert'), [f.text('issuingCaCert')]).hsaId, sara.hsaId);
  t.is(refusal(t, () => rootOnly.verify(f.text('saraCert')), 'unknown_ca').reason, 'unknown_ca');
  // The chain is only a hint: an unrelated certificate in it changes nothing.
  t.is(rootOnly.verify(f.text('saraCert'), [f.text('unknownCaCert'), f.text('issuingCaCert')]).hsaId, sara.hsaId);
});

test('a tampered CRL, or one signed by another key under the issuing CA\'s name, is crl_bad_signature', async (t) => {
  const f = await siths();
  const crl = Buffer.from(f.bytes('crl'));
  crl[crl.length - 1]! ^= 0x01;
  t.is(refusal(t, () => verifier(f, new ManualClock(), { crls: [crl] }).verify(f.text('saraCert')), 'crl_bad_signature').reason, 'crl_bad_signature');

  // An attacker's empty CRL in the issuing CA's name, signed with the root's key: it must not un-revoke.
  const forged = buildCrl({
    issuerCertificate: f.text('issuingCaCert'),
    issuerKey: f.root.key,
    revoked: [],
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + DAY_MS),
    crlNumber: 99,
  });
  const v = verifier(f, new ManualClock(), { crls: [forged.der] });
  refusal(t, () => v.verify(f.text('revokedCert')), 'crl_bad_signature');
  refusal(t, () => v.verify(f.text('saraCert')), 'crl_bad_signature');
});

test('the clock past the CRL\'s nextUpdate is crl_expired for every card (fail closed)', async (t) => {
  const f = await siths();
  const nextUpdate = parseCrl(f.bytes('crl')).nextUpdate!.getTime();
  t.is(verifier(f, new ManualClock(nextUpdate - 1000)).verify(f.text('saraCert')).hsaId, sara.hsaId);
  const clock = new ManualClock(nextUpdate + 1000);
  refusal(t, () => verifier(f, clock).verify(f.text('saraCert')), 'crl_expired');
  refusal(t, () => verifier(f, clock).verify(f.text('tomasCert')), 'crl_expired');
});

test('no CRL for the card\'s issuer is crl_missing, also when other CAs\' CRLs are loaded', async (t) => {
  const f = await siths();
  refusal(t, () => verifier(f, new ManualClock(), { crls: [] }).verify(f.text('saraCert')), 'crl_missing');
  const rootCrl = buildCrl({
    issuerCertificate: f.text('rootCaCert'),
    issuerKey: f.root.key,
    revoked: [],
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + DAY_MS),
    crlNumber: 1,
  });
  refusal(t, () => verifier(f, new ManualClock(), { crls: [rootCrl.pem] }).verify(f.text('saraCert')), 'crl_missing');
  // With both, the root's CRL also covers the issuing CA, and neither lists anything sara holds.
  t.is(verifier(f, new ManualClock(), { crls: [rootCrl.pem, f.bytes('crl')] }).verify(f.text('saraCert')).hsaId, sara.hsaId);
});

test('the root\'s CRL listing the issuing CA revokes every card under it', async (t) => {
  const f = await siths();
  const arl = buildCrl({
    issuerCertificate: f.text('rootCaCert'),
    issuerKey: f.root.key,
    revoked: [{ serialNumberHex: f.issuing.cert.serialNumber, revocationDate: new Date(Date.now() - 60_000), reason: 'cACompromise' }],
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + DAY_MS),
    crlNumber: 1,
  });
  t.is(refusal(t, () => verifier(f, new ManualClock(), { crls: [arl.der, f.bytes('crl')] }).verify(f.text('saraCert')), 'revoked').detail, 'ca');
});

test('a server-only certificate, or one without digitalSignature, is key_usage', async (t) => {
  const f = await siths();
  const v = verifier(f);
  const base = [{ name: 'subjectKeyIdentifier' }, { name: 'authorityKeyIdentifier', keyIdentifier: f.issuing.cert.generateSubjectKeyIdentifier().getBytes() }];
  const serverOnly = await issueCard({
    issuer: f.issuing,
    holder: saraHolder,
    extensions: [{ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true }, { name: 'extKeyUsage', serverAuth: true }, ...base],
  });
  t.is(refusal(t, () => v.verify(serverOnly.certPem), 'key_usage').detail, 'no_client_auth');
  // Not even when the EKU is optional: an EKU that lists other purposes excludes client authentication.
  refusal(t, () => verifier(f, new ManualClock(), { requireClientAuthEku: false }).verify(serverOnly.certPem), 'key_usage');

  const encipherOnly = await issueCard({
    issuer: f.issuing,
    holder: saraHolder,
    extensions: [{ name: 'keyUsage', keyEncipherment: true, critical: true }, { name: 'extKeyUsage', clientAuth: true }, ...base],
  });
  t.is(refusal(t, () => v.verify(encipherOnly.certPem), 'key_usage').detail, 'no_digital_signature');

  const noEku = await issueCard({
    issuer: f.issuing,
    holder: saraHolder,
    extensions: [{ name: 'keyUsage', digitalSignature: true, critical: true }, ...base],
  });
  refusal(t, () => v.verify(noEku.certPem), 'key_usage');
  // Unknown to the CRL but otherwise good: accepted once the EKU is not required.
  t.is(verifier(f, new ManualClock(), { requireClientAuthEku: false }).verify(noEku.certPem).hsaId, sara.hsaId);

  // The issuing CA's own certificate is no card.
  refusal(t, () => verifier(f, new ManualClock(), { trustedCaPems: [f.text('rootCaCert')] }).verify(f.text('issuingCaCert')), 'key_usage');
});

test('a card with a personnummer or nothing in the subject serialNumber is no_hsa_id, and the error does not repeat it', async (t) => {
  const f = await siths();
  const v = verifier(f);
  const idCard = await issueCard({ issuer: f.issuing, holder: { ...saraHolder, hsaId: sara.personalNumber } });
  const err = refusal(t, () => v.verify(idCard.certPem), 'no_hsa_id');
  t.false(err.message.includes(sara.personalNumber));
  t.false(err.message.includes(sara.surname));

  const noSerial = forge.pki.createCertificate();
  noSerial.publicKey = forge.pki.setRsaPublicKey(f.issuing.key.n, f.issuing.key.e);
  noSerial.serialNumber = '01';
  noSerial.validity.notBefore = new Date(Date.now() - 60_000);
  noSerial.validity.notAfter = new Date(Date.now() + DAY_MS);
  noSerial.setSubject([{ shortName: 'C', value: 'SE' }, { shortName: 'CN', value: 'No HSA' }]);
  noSerial.setIssuer(f.issuing.cert.subject.attributes);
  noSerial.setExtensions([{ name: 'keyUsage', digitalSignature: true, critical: true }, { name: 'extKeyUsage', clientAuth: true }]);
  noSerial.sign(f.issuing.key, forge.md.sha256.create());
  refusal(t, () => v.verify(forge.pki.certificateToPem(noSerial)), 'no_hsa_id');
});

test('HSA-id shape: country, organisation number, dash, suffix', (t) => {
  for (const ok of ['SE2321000016-A1B2', 'SE2120001234-T001', 'SE162321000016-15CQ']) t.true(isHsaId(ok), ok);
  for (const bad of ['197208142385', '19720814-2385', 'SE2321000016', 'SE2321000016-', 'se2321000016-A1B2', 'SE232100001-A1B2', 'SE2321000016-A1 B2', ` SE2321000016-A1B2`, 'SE2321000016-12345678901234567890']) {
    t.false(isHsaId(bad), bad);
  }
});

test('malformed input is malformed, never a crash', async (t) => {
  const f = await siths();
  const v = verifier(f);
  for (const garbage of ['', 'not a certificate', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]), Buffer.alloc(200, 0x30), f.text('crlPem')]) {
    refusal(t, () => v.verify(garbage), 'malformed');
  }
  refusal(t, () => v.verify(f.text('saraCert'), ['garbage']), 'malformed');
});

test('setCrls swaps the CRLs at once, and keeps the old ones when a new one is unreadable', async (t) => {
  const f = await siths();
  const v = verifier(f);
  t.is(v.verify(f.text('saraCert')).hsaId, sara.hsaId);

  const current = parseCrl(f.bytes('crl'));
  const next = buildCrl({
    issuerCertificate: f.text('issuingCaCert'),
    issuerKey: f.text('issuingCaKey'),
    revoked: [
      ...[...current.revoked].map(([serialNumberHex, e]) => ({ serialNumberHex, revocationDate: e.revocationDate })),
      { serialNumberHex: new X509Certificate(f.text('saraCert')).serialNumber, revocationDate: new Date(), reason: 'keyCompromise' },
    ],
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + DAY_MS),
    crlNumber: 2,
  });
  t.throws(() => v.setCrls([next.pem, 'garbage']), { instanceOf: CrlFormatError, message: /crls\[1\]/ });
  t.is(v.verify(f.text('saraCert')).hsaId, sara.hsaId, 'the failed swap left the old CRL in place');

  v.setCrls([next.pem]);
  refusal(t, () => v.verify(f.text('saraCert')), 'revoked');
  // With the old and the new CRL both loaded, the newer one (higher cRLNumber) decides.
  v.setCrls([f.bytes('crl'), next.der]);
  refusal(t, () => v.verify(f.text('saraCert')), 'revoked');
  refusal(t, () => v.verify(f.text('revokedCert')), 'revoked');
});

test('crlStatus reports each CRL\'s issuer, number, window and whether it is usable', async (t) => {
  const f = await siths();
  const crl = parseCrl(f.bytes('crl'));
  const [status] = verifier(f).crlStatus();
  t.like(status, { crlNumber: '1', revokedCount: 1, signatureValid: true, current: true });
  t.regex(status!.issuer, new RegExp(SITHS_ISSUING_CA_NAME));
  t.deepEqual(status!.nextUpdate, crl.nextUpdate);
  const [late] = verifier(f, new ManualClock(crl.nextUpdate!.getTime() + 1)).crlStatus();
  t.false(late!.current);
});

test('the trust list takes CA certificates only, and at least one', async (t) => {
  const f = await siths();
  t.throws(() => verifier(f, new ManualClock(), { trustedCaPems: [f.text('saraCert')] }), { instanceOf: TypeError, message: /not a CA/ });
  t.throws(() => verifier(f, new ManualClock(), { trustedCaPems: [] }), { instanceOf: TypeError });
  t.throws(() => verifier(f, new ManualClock(), { trustedCaPems: ['nothing here'] }), { instanceOf: TypeError });
  // One string may hold the whole bundle (issuing CA and root).
  t.is(new SithsCertificateVerifier({ trustedCaPems: [f.text('caBundle')], crls: [f.text('crlPem')], clock: new ManualClock() }).verify(f.text('saraCert')).hsaId, sara.hsaId);
});

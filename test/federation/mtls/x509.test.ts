// What the library reading of a certificate gives the card checks (src/federation/mtls/x509.ts).
import { X509Certificate } from 'node:crypto';
import test from 'ava';
import forge from 'node-forge';
import { OID } from '../../../src/federation/mtls/oids.ts';
import { CertificateFormatError, normalizeSerialHex, readCertificate, sameName } from '../../../src/federation/mtls/x509.ts';
import { sara, siths } from './fixtures.ts';

test('a card: serial, names, key usage, extended key usage, key identifiers and critical flags', async (t) => {
  const f = await siths();
  const x509 = new X509Certificate(f.text('saraCert'));
  const card = readCertificate(x509.raw);
  t.is(card.serialNumberHex, x509.serialNumber.toUpperCase());
  t.is(card.signatureAlgorithm, OID.sha256WithRSAEncryption);
  t.true(card.subject.attributes.some((a) => a.oid === OID.serialNumber && a.value === sara.hsaId));
  t.true(card.subject.attributes.some((a) => a.oid === OID.givenName && a.value === sara.givenName));
  t.deepEqual(card.basicConstraints, { cA: false });
  t.true(card.keyUsage?.has('digitalSignature'));
  t.false(card.keyUsage?.has('keyCertSign'));
  t.true(card.extKeyUsage?.includes(OID.clientAuth));
  t.true(card.extensions.some((e) => e.oid === OID.keyUsage && e.critical));
  t.true(card.extensions.some((e) => e.oid === OID.authorityKeyIdentifier && !e.critical));
  t.is(card.authorityKeyIdentifier, forge.util.bytesToHex(f.issuing.cert.generateSubjectKeyIdentifier().getBytes()));

  const issuing = readCertificate(new X509Certificate(f.text('issuingCaCert')).raw);
  t.deepEqual(issuing.basicConstraints, { cA: true, pathLenConstraint: 0 });
  t.is(issuing.subjectKeyIdentifier, card.authorityKeyIdentifier);
  t.true(sameName(card.issuer, issuing.subject));
  t.false(sameName(card.subject, issuing.subject));
});

test('the same bytes give the same reading; other bytes are read afresh', async (t) => {
  const f = await siths();
  const der = new X509Certificate(f.text('saraCert')).raw;
  t.is(readCertificate(der), readCertificate(Buffer.from(der)));
  t.not(readCertificate(der), readCertificate(new X509Certificate(f.text('tomasCert')).raw));
  t.throws(() => readCertificate(Buffer.from('not a certificate')), { instanceOf: CertificateFormatError });
});

test('serials compare in X509Certificate\'s form: upper case, no sign padding, no colons', (t) => {
  t.is(normalizeSerialHex('00:7f:aa'), '7FAA');
  t.is(normalizeSerialHex('abc'), '0ABC');
  t.is(normalizeSerialHex('0080'), '80');
  t.throws(() => normalizeSerialHex('xyz'), { instanceOf: CertificateFormatError });
});

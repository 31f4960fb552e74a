// CRLs built with @peculiar/asn1-x509 and read back: the structure of RFC 5280 section 5, OpenSSL's reading of
// the same bytes (when the openssl command is there), signatures, refusals, and the sandbox's renewal.
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import forge from 'node-forge';
import { DAY_MS } from '../../../certs/pki.ts';
import { CRL_VALIDITY_DAYS, SITHS_ISSUING_CA_NAME, renewSithsCrl } from '../../../certs/bundles/siths.ts';
import { AsnConvert, AsnIntegerConverter, OctetString } from '@peculiar/asn1-schema';
import { CertificateList, Extension } from '@peculiar/asn1-x509';
import { OID } from '../../../src/federation/mtls/oids.ts';
import { CrlFormatError, buildCrl, crlSignedBy, parseCrl } from '../../../src/federation/mtls/crl.ts';
import { siths } from './fixtures.ts';

const run = promisify(execFile);
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const withOpenssl = hasOpenssl ? test : test.skip;

const hour = 3_600_000;

test('the sandbox CRL: v2, the issuing CA\'s name and key id, the revoked card, CRL number 1, a 7-day window', async (t) => {
  const f = await siths();
  const der = parseCrl(f.bytes('crl'));
  const pem = parseCrl(f.text('crlPem'));
  t.true(der.der.equals(pem.der), 'the DER and PEM files hold the same CRL');
  t.is(der.version, 2);
  t.is(der.signatureAlgorithm, OID.sha256WithRSAEncryption);
  t.is(der.issuer.text, `CN=${SITHS_ISSUING_CA_NAME},O=Sandbox - not for production,C=SE`);
  t.is(der.crlNumber, 1n);
  t.is(der.authorityKeyIdentifier, forge.util.bytesToHex(f.issuing.cert.generateSubjectKeyIdentifier().getBytes()));
  const revokedSerial = new X509Certificate(f.text('revokedCert')).serialNumber.toUpperCase();
  t.deepEqual([...der.revoked.keys()], [revokedSerial]);
  t.is(der.revoked.get(revokedSerial)?.reason, 'superseded');
  t.false(der.revoked.has(new X509Certificate(f.text('saraCert')).serialNumber.toUpperCase()));
  t.is(der.nextUpdate!.getTime() - der.thisUpdate.getTime(), CRL_VALIDITY_DAYS * DAY_MS + hour);
  t.true(der.thisUpdate.getTime() <= Date.now());
});

test('the signature verifies with the issuing CA\'s key only, and not after a change', async (t) => {
  const f = await siths();
  const crl = parseCrl(f.bytes('crl'));
  t.true(crlSignedBy(crl, new X509Certificate(f.text('issuingCaCert')).publicKey));
  t.false(crlSignedBy(crl, new X509Certificate(f.text('rootCaCert')).publicKey));
  const changed = Buffer.from(f.bytes('crl'));
  // A byte inside the revocation date of the one entry: still a valid CRL structurally.
  const at = changed.indexOf(Buffer.from(forge.asn1.dateToUtcTime(crl.revoked.values().next().value!.revocationDate), 'latin1'));
  t.true(at > 0);
  changed[at + 1] = changed[at + 1] === 0x30 ? 0x31 : 0x30;
  const tampered = parseCrl(changed);
  t.false(crlSignedBy(tampered, new X509Certificate(f.text('issuingCaCert')).publicKey));
});

withOpenssl('OpenSSL reads the CRL, verifies its signature and refuses the revoked card with it', async (t) => {
  const f = await siths();
  const dir = f.certs.dir;
  const s = f.certs.siths;
  const { stdout: text } = await run('openssl', ['crl', '-inform', 'DER', '-in', s.crl, '-noout', '-text']);
  t.regex(text, /Version 2/);
  t.regex(text, /CRL Number:\s+1/);
  t.regex(text, new RegExp(new X509Certificate(f.text('revokedCert')).serialNumber, 'i'));
  const verified = await run('openssl', ['crl', '-in', s.crlPem, '-CAfile', s.issuingCaCert, '-noout']);
  t.regex(verified.stderr + verified.stdout, /verify OK/);

  const check = (cert: string) => run('openssl', ['verify', '-CAfile', s.caBundle, '-crl_check', '-CRLfile', s.crlPem, '-purpose', 'sslclient', cert], { cwd: dir });
  await t.notThrowsAsync(check(s.saraCert));
  const refused = await t.throwsAsync(check(s.revokedCert));
  t.regex(String((refused as Error & { stdout?: string }).stdout) + refused!.message, /certificate revoked/);
});

test('build and parse agree on many entries, large serials, reasons and dates after 2049', (t) => {
  const now = Date.now();
  return siths().then((f) => {
    const revoked = [
      { serialNumberHex: '01', revocationDate: new Date(now - DAY_MS) },
      { serialNumberHex: 'ff00ff00ff00ff00ff00ff00ff00ff00ff', revocationDate: new Date(now - 2 * DAY_MS), reason: 'keyCompromise' as const },
      { serialNumberHex: '00:7F:AA', revocationDate: new Date(now - 3 * DAY_MS), reason: 'cessationOfOperation' as const },
    ];
    const built = buildCrl({
      issuerCertificate: f.text('issuingCaCert'),
      issuerKey: f.text('issuingCaKey'),
      revoked,
      thisUpdate: new Date(Date.UTC(2049, 11, 31, 23, 0, 0)),
      nextUpdate: new Date(Date.UTC(2050, 0, 7, 0, 0, 0)),
      crlNumber: 2n ** 70n,
    });
    const crl = parseCrl(built.pem);
    t.deepEqual([...crl.revoked.keys()], ['01', 'FF00FF00FF00FF00FF00FF00FF00FF00FF', '7FAA']);
    t.is(crl.revoked.get('FF00FF00FF00FF00FF00FF00FF00FF00FF')?.reason, 'keyCompromise');
    t.is(crl.revoked.get('7FAA')?.reason, 'cessationOfOperation');
    t.is(crl.revoked.get('01')?.reason, undefined);
    t.is(crl.crlNumber, 2n ** 70n);
    t.is(crl.thisUpdate.toISOString(), '2049-12-31T23:00:00.000Z');
    t.is(crl.nextUpdate!.toISOString(), '2050-01-07T00:00:00.000Z');
    // Whole-second times only: a CRL carries no milliseconds.
    t.is(crl.revoked.get('01')!.revocationDate.getTime(), Math.floor((now - DAY_MS) / 1000) * 1000);
    t.true(crlSignedBy(crl, new X509Certificate(f.text('issuingCaCert')).publicKey));

    const empty = parseCrl(buildCrl({
      issuerCertificate: f.text('issuingCaCert'), issuerKey: f.issuing.key, revoked: [],
      thisUpdate: new Date(now), nextUpdate: new Date(now + DAY_MS), crlNumber: 3,
    }).der);
    t.is(empty.revoked.size, 0);
    t.throws(() => buildCrl({
      issuerCertificate: f.text('issuingCaCert'), issuerKey: f.issuing.key, revoked: [],
      thisUpdate: new Date(now), nextUpdate: new Date(now), crlNumber: 4,
    }), { instanceOf: RangeError });
  });
});

/** One Extension around a DER value. */
const extensionNode = (oid: string, critical: boolean, value: ArrayBuffer): Extension =>
  new Extension({ extnID: oid, critical, extnValue: new OctetString(value) });

/** The sandbox CRL with one more extension in crlExtensions (its signature no longer matters). */
function withExtension(der: Buffer, extension: Extension): Buffer {
  const crl = AsnConvert.parse(der, CertificateList);
  crl.tbsCertList.crlExtensions = [...(crl.tbsCertList.crlExtensions ?? []), extension];
  delete crl.tbsCertListRaw;
  return Buffer.from(AsnConvert.serialize(crl));
}

test('garbage, truncation, a certificate, and unprocessed critical extensions are refused', async (t) => {
  const f = await siths();
  const good = f.bytes('crl');
  for (const bad of ['', 'garbage', f.text('saraCert'), good.subarray(0, good.length - 10), Buffer.concat([good, Buffer.from([0])]), new X509Certificate(f.text('saraCert')).raw]) {
    t.throws(() => parseCrl(bad), { instanceOf: CrlFormatError });
  }
  t.throws(() => parseCrl(f.text('crlPem') + f.text('crlPem')), { instanceOf: CrlFormatError }, 'one CRL per input');
  const int = (n: number): ArrayBuffer => AsnIntegerConverter.toASN(n).toBER();
  // A delta CRL lists changes only: reading it as complete would un-revoke cards.
  t.throws(() => parseCrl(withExtension(good, extensionNode(OID.deltaCRLIndicator, true, int(1)))), { instanceOf: CrlFormatError, message: /critical/ });
  t.throws(() => parseCrl(withExtension(good, extensionNode('1.2.3.4', true, int(1)))), { instanceOf: CrlFormatError });
  // The same unknown extension, not critical, is passed over.
  t.notThrows(() => parseCrl(withExtension(good, extensionNode('1.2.3.4', false, int(1)))));
});

test('renewSithsCrl keeps a fresh CRL and re-signs one near nextUpdate with the next number and the same entries', async (t) => {
  const f = await siths();
  // A copy, so other tests in this file keep the original.
  const dir = mkdtempSync(join(tmpdir(), 'siths-crl-'));
  const paths = { ...f.certs.siths, crl: join(dir, 'ca.crl'), crlPem: join(dir, 'ca.crl.pem') };
  copyFileSync(f.certs.siths.crl, paths.crl);
  copyFileSync(f.certs.siths.crlPem, paths.crlPem);
  const before = parseCrl(readFileSync(paths.crl));

  const fresh = await renewSithsCrl(paths);
  t.false(fresh.renewed);
  t.deepEqual(readFileSync(paths.crl), before.der);

  const later = new Date(before.nextUpdate!.getTime() - DAY_MS);
  const renewed = await renewSithsCrl(paths, { now: later });
  t.true(renewed.renewed);
  t.is(renewed.crlNumber, 2n);
  const after = parseCrl(readFileSync(paths.crl));
  t.true(after.der.equals(parseCrl(readFileSync(paths.crlPem, 'utf8')).der));
  t.is(after.crlNumber, 2n);
  t.is(after.nextUpdate!.getTime(), Math.floor((later.getTime() + CRL_VALIDITY_DAYS * DAY_MS) / 1000) * 1000);
  t.deepEqual([...after.revoked.keys()], [...before.revoked.keys()]);
  t.deepEqual(after.revoked.get([...before.revoked.keys()][0]!), before.revoked.get([...before.revoked.keys()][0]!));
  t.true(crlSignedBy(after, new X509Certificate(f.text('issuingCaCert')).publicKey));

  // An unreadable CRL file is replaced, with the revoked card listed again.
  writeFileSync(paths.crl, 'broken');
  const rebuilt = await renewSithsCrl(paths);
  t.true(rebuilt.renewed);
  t.true(parseCrl(readFileSync(paths.crl)).revoked.has(new X509Certificate(f.text('revokedCert')).serialNumber.toUpperCase()));
});

// The sandbox PKI: what is made, that it chains as BankID's does (two separate CAs), that the
// PKCS#12 opens with the published test passphrase, and that a second run reuses everything.
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import forge from 'node-forge';
import { ensureSandboxCerts, SANDBOX_PASSPHRASE } from '../../../certs/make-sandbox-certs.ts';
import { serialNumber } from '../../../certs/pki.ts';
import { loadPkcs12 } from '../../../src/federation/bankid/client.ts';
import { tempCerts } from './fixtures.ts';

const cert = (path: string): X509Certificate => new X509Certificate(readFileSync(path));

test('makes both CAs, the server and RP certificates, the PKCS#12 and a manifest', async (t) => {
  const certs = await tempCerts();
  // How long generation takes is a figure for the log, not an assertion: timed tests fail on a loaded
  // machine and pass on a fast one without telling anything about the code.
  t.log(`sandbox certificate generation: ${Math.round(certs.generationMs)} ms`);
  t.true(certs.generationMs > 0);

  const serverCa = cert(certs.bankid.serverCaCert);
  const rpCa = cert(certs.bankid.rpCaCert);
  const server = cert(certs.bankid.serverCert);
  const rp = cert(certs.bankid.rpCert);
  t.regex(serverCa.subject, /CN=Sandbox BankID Server Root CA/);
  t.regex(rpCa.subject, /CN=Sandbox BankID RP Root CA/);
  t.true(serverCa.ca && rpCa.ca);
  t.false(server.ca || rp.ca);

  // Each leaf chains to its own CA and not to the other one.
  t.true(server.verify(serverCa.publicKey));
  t.false(server.verify(rpCa.publicKey));
  t.true(rp.verify(rpCa.publicKey));
  t.false(rp.verify(serverCa.publicKey));

  t.truthy(server.checkHost('localhost'));
  t.truthy(server.checkIP('127.0.0.1'));
  t.truthy(server.checkIP('::1'));

  const manifest = JSON.parse(readFileSync(certs.manifestPath, 'utf8')) as { generatedBy: string; passphrase: string; bundles: { bankid: { files: Record<string, string> } } };
  t.is(manifest.generatedBy, 'sandbox');
  t.is(manifest.passphrase, 'qwerty123');
  t.is(certs.passphrase, SANDBOX_PASSPHRASE);
  for (const [logical, path] of Object.entries(certs.bankid)) {
    t.is(join(certs.dir, manifest.bundles.bankid.files[logical]!), path, logical);
  }
  // Private keys are for the owner only.
  t.is(statSync(certs.bankid.rpP12).mode & 0o077, 0);
  t.is(statSync(certs.bankid.serverKey).mode & 0o077, 0);
});

test('the RP PKCS#12 opens with qwerty123 and holds the RP certificate with its chain', async (t) => {
  const certs = await tempCerts();
  const { keyPem, certChainPem } = loadPkcs12(readFileSync(certs.bankid.rpP12), 'qwerty123');
  t.regex(keyPem, /BEGIN RSA PRIVATE KEY/);
  const chain = certChainPem.split(/(?=-----BEGIN CERTIFICATE-----)/);
  t.is(chain.length, 2);
  t.is(new X509Certificate(chain[0]!).fingerprint256, cert(certs.bankid.rpCert).fingerprint256);
  t.throws(() => loadPkcs12(readFileSync(certs.bankid.rpP12), 'wrong'), { message: /cannot open the PKCS#12/ });
});

test('a second run reuses the files; a missing file regenerates its bundle', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankid-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await ensureSandboxCerts(dir);
  const before = readFileSync(first.bankid.serverCert, 'utf8');
  const started = performance.now();
  const second = await ensureSandboxCerts(dir);
  t.log(`reuse: ${Math.round(performance.now() - started)} ms`);
  t.deepEqual(second, first);
  t.is(readFileSync(second.bankid.serverCert, 'utf8'), before);

  unlinkSync(first.bankid.serverKey);
  const third = await ensureSandboxCerts(dir);
  const after = readFileSync(third.bankid.serverCert, 'utf8');
  t.not(after, before, 'the server certificate was made again with its new key');
  // The new key and certificate belong together.
  t.true(cert(third.bankid.serverCert).checkPrivateKey(createPrivateKey(readFileSync(third.bankid.serverKey))));
});

test('concurrent processes on one folder end with one consistent set (the directory lock)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankid-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = new URL('../../../certs/make-sandbox-certs.ts', import.meta.url).pathname;
  const run = promisify(execFile);
  await Promise.all([1, 2, 3].map(() => run(process.execPath, [script, dir])));
  const certs = await ensureSandboxCerts(dir);
  // Without the lock, one process's key could end up beside another's certificate.
  t.true(cert(certs.bankid.serverCert).checkPrivateKey(createPrivateKey(readFileSync(certs.bankid.serverKey))));
  t.true(cert(certs.bankid.serverCert).verify(cert(certs.bankid.serverCaCert).publicKey));
  t.true(cert(certs.bankid.rpCert).verify(cert(certs.bankid.rpCaCert).publicKey));
  const { certChainPem } = loadPkcs12(readFileSync(certs.bankid.rpP12), certs.passphrase);
  t.is(new X509Certificate(certChainPem.split(/(?=-----BEGIN CERTIFICATE-----)/)[0]!).fingerprint256, cert(certs.bankid.rpCert).fingerprint256);
});

test('concurrent callers on one folder end with one consistent set', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bankid-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const results = await Promise.all([ensureSandboxCerts(dir), ensureSandboxCerts(dir), ensureSandboxCerts(dir)]);
  t.deepEqual(results[1], results[0]);
  const server = cert(results[0]!.bankid.serverCert);
  t.true(server.verify(cert(results[0]!.bankid.serverCaCert).publicKey));
});

test('every serial number is a positive, minimally encoded DER INTEGER (OpenSSL refuses padding)', (t) => {
  // The cause of the intermittent "certificate: not parseable": about one serial in 512 came out of forge
  // as 00 0x.., which OpenSSL (X509Certificate) refuses. Encode each serial exactly as forge does.
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i += 1) {
    const serial = serialNumber();
    const der = Buffer.from(forge.asn1.toDer(forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false, forge.util.hexToBytes(serial))).getBytes(), 'binary');
    const content = der.subarray(2);
    if (content[0]! >= 0x80 || (content[0] === 0 && content.length > 1 && content[1]! < 0x80)) {
      t.fail(`serial ${serial} encodes as ${content.toString('hex')}`);
      return;
    }
    t.true(content.length <= 20);
    seen.add(serial);
  }
  t.is(seen.size, 20_000);
});

test('a certificate whose serial starts with a zero octet is the one OpenSSL cannot read', (t) => {
  // Pins the failure mode the serial format avoids, so a change in forge or OpenSSL shows up here.
  const keys = forge.pki.rsa.generateKeyPair({ bits: 512, e: 0x10001 });
  const make = (serial: string): string => {
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = serial;
    cert.validity.notBefore = new Date();
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    cert.setSubject([{ shortName: 'CN', value: 'serial test' }]);
    cert.setIssuer([{ shortName: 'CN', value: 'serial test' }]);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };
  t.throws(() => new X509Certificate(make(`0007f${'ab'.repeat(14)}`)), { message: /padding/ });
  t.notThrows(() => new X509Certificate(make(serialNumber())));
});

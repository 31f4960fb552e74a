// The forms a card certificate arrives in (src/federation/mtls/certificateInput.ts): DER from the TLS
// socket, PEM, and a proxy header's PEM with its line breaks turned into spaces or tabs, URL-encoded,
// or base64 DER. Exactly one certificate, nothing around it.
import { X509Certificate } from 'node:crypto';
import test from 'ava';
import { CertificateError } from '../../../src/federation/mtls/certificateError.ts';
import { certificateFromHeader, toCertificateDer } from '../../../src/federation/mtls/certificateInput.ts';
import { siths } from './fixtures.ts';

const detailOf = (work: () => unknown): string | undefined => {
  try {
    work();
  } catch (err) {
    if (err instanceof CertificateError) return `${err.reason}${err.detail ? `/${err.detail}` : ''}`;
    throw err;
  }
  return 'accepted';
};

test('PEM with line breaks as spaces or tabs (as TLS proxies pass it) reads as the same DER', async (t) => {
  const f = await siths();
  const pem = f.text('saraCert');
  const der = new X509Certificate(pem).raw;
  const [, body = ''] = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem) ?? [];
  const lines = body.trim().split('\n');
  const forms = {
    spaces: pem.replace(/\n/g, ' '),
    tabs: pem.replace(/\n/g, '\t'),
    nginx: `-----BEGIN CERTIFICATE-----\n${lines.map((l) => `\t${l}`).join('\n')}\n-----END CERTIFICATE-----`,
    urlEncoded: encodeURIComponent(pem),
    base64Der: der.toString('base64'),
  };
  for (const [name, form] of Object.entries(forms)) t.true(certificateFromHeader(form).equals(der), name);
});

test('DER with bytes after the certificate, or text that is not a certificate, is refused', async (t) => {
  const f = await siths();
  const der = new X509Certificate(f.text('saraCert')).raw;
  t.true(toCertificateDer(der).equals(der));
  t.is(detailOf(() => toCertificateDer(Buffer.concat([der, Buffer.from([1, 2, 3, 4, 5])]))), 'malformed/not_one_certificate');
  t.regex(detailOf(() => toCertificateDer(Buffer.concat([Buffer.from([0]), der]))) ?? '', /^malformed\//, 'a byte before the certificate');
  // A PEM file whose header line holds a non-ASCII name is still PEM, not DER.
  const withHeader = Buffer.from(`subject=CN=Sjöström\n${f.text('saraCert')}`, 'utf8');
  t.true(toCertificateDer(withHeader).equals(der));
});

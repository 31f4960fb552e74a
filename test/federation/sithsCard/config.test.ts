// Configuration of card sign-in: production names what it still needs, and start-up stops with the
// field's name when the CAs or CRLs cannot be used, instead of running a card check that cannot work.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError, loadConfig, productionProblems } from '../../../src/config.ts';
import { orgNumberOf } from '../../../src/federation/sithsCard/identity.ts';
import { startTestGateway } from '../../helpers/gateway.ts';

const facts = { generatedKeys: false, generatedSecrets: false };
const sithsProblems = (env: Record<string, string>) =>
  productionProblems(loadConfig({ env: { NODE_ENV: 'production', ...env } }), facts).filter((p) => p.startsWith('sithsCard'));

test('production needs CAs, CRLs, an https publicUrl and the listener or a trusted proxy', (t) => {
  const problems = sithsProblems({}).join('\n');
  t.regex(problems, /sithsCard\.caFiles, sithsCard\.crlFiles/);
  t.regex(problems, /sithsCard\.listen: production needs the card listener/);
  t.regex(problems, /sithsCard\.publicUrl/);

  const common = { GATEWAY__sithsCard__caFiles: '["/etc/siths/cas.pem"]', GATEWAY__sithsCard__crlFiles: '["/var/lib/siths/ca.crl"]', GATEWAY__sithsCard__publicUrl: 'https://card.example.se' };
  t.deepEqual(sithsProblems({ ...common, GATEWAY__sithsCard__trustForwardedCertificate: 'true' }), []);
  t.deepEqual(sithsProblems({ ...common, GATEWAY__sithsCard__listen__enabled: 'true', GATEWAY__sithsCard__listen__certFile: '/a.crt', GATEWAY__sithsCard__listen__keyFile: '/a.key' }), []);
  t.is(sithsProblems({ ...common, GATEWAY__sithsCard__listen__enabled: 'true' }).length, 1, 'a listener without its certificate is not enough');
  t.deepEqual(sithsProblems({ GATEWAY__sithsCard__enabled: 'false' }), []);
  t.deepEqual(productionProblems(loadConfig({ env: {} }), facts).filter((p) => p.startsWith('sithsCard')), [], 'the sandbox fills in its own PKI');
});

test('start-up stops naming the field when CRLs are missing or CA files are unreadable or not CAs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'siths-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'not-a-ca.pem'), 'hello');
  await t.throwsAsync(startTestGateway({ overrides: { sithsCard: { caFiles: [join(dir, 'missing.pem')], crlFiles: [join(dir, 'x.crl')] } } }), { instanceOf: ConfigError, message: /sithsCard\.caFiles: cannot read/ });
  await t.throwsAsync(startTestGateway({ overrides: { sithsCard: { caFiles: [join(dir, 'not-a-ca.pem')] } } }), { instanceOf: ConfigError, message: /sithsCard\.crlFiles/ });
  await t.throwsAsync(startTestGateway({ overrides: { sithsCard: { caFiles: [join(dir, 'not-a-ca.pem')], crlFiles: [join(dir, 'not-a-ca.pem')] } } }), { instanceOf: ConfigError, message: /sithsCard: trustedCaPems\[0\]: no PEM certificate/ });
});

test('the organisation number comes from the HSA-id', (t) => {
  t.is(orgNumberOf('SE2321000016-A1B2'), '2321000016');
  t.is(orgNumberOf('SE162321000016-A1B2'), '2321000016');
  t.is(orgNumberOf('SE23210000-A1B2'), undefined);
  t.is(orgNumberOf('197208142385'), undefined);
});

test('publicUrl sends the browser to another host for the card (a proxy on its own name)', async (t) => {
  const { staffClient, startCardSignIn } = await import('./fixtures.ts');
  const staff = await staffClient('siths-public-url-rp', 'https://public-url.example.test/cb');
  const gw = await startTestGateway({ clients: [staff.config], overrides: { sithsCard: { trustForwardedCertificate: true, publicUrl: 'https://card.gateway.example.test/' } } });
  t.teardown(() => gw.close());
  const s = await startCardSignIn(gw, staff);
  t.regex(s.cardUrl, /^https:\/\/card\.gateway\.example\.test\/siths\/card\/[A-Za-z0-9_-]{43}$/);
});

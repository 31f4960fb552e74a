// Freja eID's configuration: production refuses the simulator and needs every file the real REST API
// needs to be trusted; a sandbox without freja.baseUrl runs the simulator.
import test from 'ava';
import { loadConfig, productionProblems } from '../../../src/config.ts';

const facts = { generatedKeys: false, generatedSecrets: false };

test('production refuses the Freja simulator and a Freja without baseUrl, pfxFile, caFile or signingCertFiles', (t) => {
  const bare = productionProblems(loadConfig({ env: { NODE_ENV: 'production', GATEWAY__freja__simulator__enabled: 'true' } }), facts).join('\n');
  t.regex(bare, /freja\.simulator\.enabled: the Freja eID simulator cannot run in production/);
  t.regex(bare, /freja: production needs freja\.baseUrl, freja\.pfxFile, freja\.caFile and freja\.signingCertFiles/);

  const withoutSigning = productionProblems(loadConfig({
    env: { NODE_ENV: 'production', FREJA_BASE_URL: 'https://services.test.frejaeid.com', FREJA_PFX_FILE: '/s/rp.p12', FREJA_CA_FILE: '/s/ca.pem' },
  }), facts).join('\n');
  t.regex(withoutSigning, /freja\.signingCertFiles/, 'results must be verifiable');

  const complete = productionProblems(loadConfig({
    env: {
      NODE_ENV: 'production', FREJA_BASE_URL: 'https://services.test.frejaeid.com', FREJA_PFX_FILE: '/s/rp.p12', FREJA_CA_FILE: '/s/ca.pem',
      GATEWAY__freja__signingCertFiles: '["/s/freja-signing.pem"]',
    },
  }), facts);
  t.false(complete.some((p) => p.startsWith('freja')), complete.join('\n'));

  const fast = productionProblems(loadConfig({ env: { NODE_ENV: 'production', GATEWAY__freja__pollIntervalMs: '200' } }), facts).join('\n');
  t.regex(fast, /freja\.pollIntervalMs/);
  t.false(productionProblems(loadConfig({ env: { NODE_ENV: 'production', GATEWAY__freja__enabled: 'false' } }), facts).some((p) => p.startsWith('freja:')), 'a disabled Freja needs nothing');
});

test('the sandbox may run the simulator; the environment names the real API', (t) => {
  t.deepEqual(productionProblems(loadConfig({ env: {} }), facts), []);
  const config = loadConfig({ env: { FREJA_BASE_URL: 'https://services.test.frejaeid.com', FREJA_PASSPHRASE_FILE: '/s/pass' } });
  t.is(config.freja.baseUrl, 'https://services.test.frejaeid.com');
  t.is(config.freja.passphraseFile, '/s/pass');
  t.is(config.freja.launchUrl, 'frejaeid://bindUserToTransaction');
});

test('a gateway pointed at a Freja REST API without its trust files does not start, and says which are missing', async (t) => {
  const { startTestGateway } = await import('../../helpers/gateway.ts');
  const { ConfigError } = await import('../../../src/config.ts');
  const err = await t.throwsAsync(startTestGateway({ overrides: { freja: { baseUrl: 'https://services.test.frejaeid.com' } } }), { instanceOf: ConfigError });
  t.regex(err!.message, /freja\.pfxFile/);
  t.regex(err!.message, /freja\.caFile/);
  t.regex(err!.message, /freja\.signingCertFiles/);
});

// The HSM signer's configuration on its own: production accepts keys in an HSM instead of a JWKS file
// but not without a PIN, and the PIN file is read as its first line.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, productionProblems } from '../../src/config.ts';
import { pinOf } from '../../src/idp/keys/pkcs11.ts';

const production = (keys: Record<string, unknown>) => parseConfig({ mode: 'production', issuer: 'https://gw.example.test', keys: { secretsFile: '/s.json', ...keys } });
const keyProblems = (keys: Record<string, unknown>) => productionProblems(production(keys), { generatedKeys: false, generatedSecrets: false }).filter((p) => p.startsWith('keys.'));

test('production: keys in an HSM need no JWKS file, but a PIN', (t) => {
  t.deepEqual(keyProblems({ signer: 'pkcs11', pkcs11: { tokenLabel: 'gw', pinFile: '/run/secrets/pin' } }), []);
  t.regex(keyProblems({ signer: 'pkcs11', pkcs11: { tokenLabel: 'gw' } }).join('\n'), /keys\.pkcs11: the HSM needs the user PIN/);
  t.regex(keyProblems({}).join('\n'), /keys\.jwksFile/, 'the in-process signer still needs its file');
});

test('the PIN file: its first line; an empty or missing file is refused without echoing anything', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pin-'));
  const file = join(dir, 'pin');
  writeFileSync(file, '123456\nignored\n');
  const base = parseConfig({}).keys.pkcs11;
  t.is(pinOf({ ...base, pinFile: file }), '123456');
  writeFileSync(file, '');
  t.throws(() => pinOf({ ...base, pinFile: file }), { message: /is empty/ });
  t.throws(() => pinOf({ ...base, pinFile: join(dir, 'missing') }), { message: /cannot read .*ENOENT/ });
  t.throws(() => pinOf(base), { message: /no PIN/ });
  t.is(pinOf({ ...base, pin: '654321' }), '654321');
});

test('bad HSM settings are refused with the field named', (t) => {
  t.throws(() => parseConfig({ keys: { signer: 'hsm' } }), { message: /keys\.signer/ });
  t.throws(() => parseConfig({ keys: { pkcs11: { refreshSeconds: 0 } } }), { message: /keys\.pkcs11\.refreshSeconds/ });
  t.throws(() => parseConfig({ keys: { pkcs11: { tokenLabel: 'x'.repeat(33) } } }), { message: /keys\.pkcs11\.tokenLabel/ });
});

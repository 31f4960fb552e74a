import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError, productionProblems } from '../../src/config.ts';

test('no configuration at all is the sandbox', (t) => {
  const config = loadConfig({ env: {} });
  t.is(config.mode, 'sandbox');
  t.is(config.issuer, 'http://localhost:3000');
  t.is(config.store.redisUrl, undefined);
  t.is(config.bankid.collectIntervalMs, 2000);
});

test('without a stated issuer the sandbox is its own issuer at the port it listens on; a stated one wins', (t) => {
  t.is(loadConfig({ env: { PORT: '3999' } }).issuer, 'http://localhost:3999');
  t.is(loadConfig({ env: { PORT: '3999', ISSUER: 'https://gw.example.se' } }).issuer, 'https://gw.example.se');
});

test('environment overrides the file, named and GATEWAY__ variables alike', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ http: { port: 4000 }, bankid: { timeoutMs: 4000 } }));
  const config = loadConfig({ env: { GATEWAY_CONFIG: file, PORT: '5000', GATEWAY__bankid__timeoutMs: '7000', GATEWAY__bankid__simulator__enabled: 'false' } });
  t.is(config.http.port, 5000);
  t.is(config.bankid.timeoutMs, 7000);
  t.false(config.bankid.simulator.enabled, '"false" from the environment is false');
});

test('a bad value stops start-up naming the field and the fix', (t) => {
  const err = t.throws(() => loadConfig({ env: { PORT: 'eighty', REDIS_URL: 'http://nope' } }), { instanceOf: ConfigError })!;
  const message = err.message;
  t.regex(message, /http\.port/);
  t.regex(message, /store\.redisUrl: must start with redis:\/\//);
  t.regex(message, /GATEWAY__http__port/, 'says how to fix it');
});

test('a client with private_key_jwt but no keys is refused', (t) => {
  const err = t.throws(() => loadConfig({ env: {}, overrides: { clients: [{ client_id: 'app1', client_name: 'App', redirect_uris: ['https://a.test/cb'] }] } }), { instanceOf: ConfigError })!;
  t.regex(err.message, /clients\.0.*jwks/);
});

test('an unreadable or broken config file is a ConfigError, not a crash', (t) => {
  t.throws(() => loadConfig({ env: { GATEWAY_CONFIG: '/nonexistent/config.json' } }), { instanceOf: ConfigError, message: /cannot read/ });
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  writeFileSync(join(dir, 'bad.json'), '{ not json');
  t.throws(() => loadConfig({ env: { GATEWAY_CONFIG: join(dir, 'bad.json') } }), { instanceOf: ConfigError, message: /not valid JSON/ });
});

test('production refuses the simulator, the memory store, generated keys and an http issuer, saying why', (t) => {
  const config = loadConfig({ env: { NODE_ENV: 'production', GATEWAY__bankid__simulator__enabled: 'true' } });
  t.is(config.mode, 'production');
  const problems = productionProblems(config, { generatedKeys: true, generatedSecrets: true }).join('\n');
  t.regex(problems, /store\.redisUrl: production needs Redis/);
  t.regex(problems, /bankid\.simulator\.enabled/);
  t.regex(problems, /keys\.jwksFile/);
  t.regex(problems, /keys\.secretsFile/);
  t.regex(problems, /issuer: production needs an https/);
  t.deepEqual(productionProblems(loadConfig({ env: {} }), { generatedKeys: true, generatedSecrets: true }), [], 'the sandbox may');
});

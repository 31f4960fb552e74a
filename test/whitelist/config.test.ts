// The registry's configuration: PostgreSQL in production, a valid catalogue, named errors.
import test from 'ava';
import { ConfigError, loadConfig, productionProblems } from '../../src/config.ts';

const facts = { generatedKeys: false, generatedSecrets: false };

test('production refuses PGlite and accepts DATABASE_URL', (t) => {
  t.regex(productionProblems(loadConfig({ env: { NODE_ENV: 'production' } }), facts).join('\n'), /registry\.databaseUrl: production keeps the registry in PostgreSQL/);
  const config = loadConfig({ env: { NODE_ENV: 'production', DATABASE_URL: 'postgres://gateway@db/registry', DATABASE_ADMIN_URL: 'postgres://owner@db/registry' } });
  t.is(config.registry.databaseUrl, 'postgres://gateway@db/registry');
  t.is(config.registry.adminDatabaseUrl, 'postgres://owner@db/registry');
  t.false(productionProblems(config, facts).some((p) => p.startsWith('registry')));
});

test('bad registry settings and catalogues stop start-up with the field named', (t) => {
  const url = t.throws(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' } }), { instanceOf: ConfigError });
  t.regex(url!.message, /registry\.databaseUrl: must start with postgres/);
  const dup = t.throws(() => loadConfig({ env: {}, overrides: { datasets: [
    { id: 'bookings', names: { sv: 'B', en: 'B' }, sensitivity: 'low', actions: ['read'] },
    { id: 'bookings', names: { sv: 'B', en: 'B' }, sensitivity: 'low', actions: ['read'] },
  ] } }), { instanceOf: ConfigError });
  t.regex(dup!.message, /datasets: data-set ids must be unique/);
  const action = t.throws(() => loadConfig({ env: {}, overrides: { datasets: [{ id: 'bookings', names: { sv: 'B', en: 'B' }, sensitivity: 'low', actions: ['delete'] }] } }), { instanceOf: ConfigError });
  t.regex(action!.message, /datasets\.0\.actions\.0/);
  t.is(loadConfig({ env: {} }).registry.appRole, 'gateway_app');
});

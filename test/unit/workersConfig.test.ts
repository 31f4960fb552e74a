// Issue 14's settings on their own: how many workers run and when more than one is refused, the
// restart back-off, and the Redis topology's validation.
import test from 'ava';
import { loadConfig, parseConfig, productionProblems, workerCount, workerProblems } from '../../src/config.ts';
import { restartDelay } from '../../src/http/cluster.ts';

const shared = { store: { redisUrl: 'redis://127.0.0.1:6379' }, registry: { databaseUrl: 'postgres://gw@127.0.0.1/gw' } };

test('workers: every core in production, one in the sandbox, GATEWAY_WORKERS over both', (t) => {
  t.is(workerCount(parseConfig({}), 8), 1);
  t.is(workerCount(parseConfig({ mode: 'production' }), 8), 8);
  t.is(workerCount(loadConfig({ env: { GATEWAY_WORKERS: '3' } }), 8), 3);
  t.is(workerCount(loadConfig({ env: { GATEWAY_WORKERS: '3', NODE_ENV: 'production' } }), 1), 3);
  t.throws(() => loadConfig({ env: { GATEWAY_WORKERS: '0' } }), { message: /http\.workers/ });
});

test('more than one worker needs Redis and PostgreSQL: the embedded store and PGlite are per process', (t) => {
  t.deepEqual(workerProblems(parseConfig({}), 1), []);
  const problems = workerProblems(parseConfig({}), 2);
  t.is(problems.length, 2);
  t.regex(problems.join('\n'), /need Redis.*GATEWAY_WORKERS=1/);
  t.regex(problems.join('\n'), /need PostgreSQL/);
  t.deepEqual(workerProblems(parseConfig(shared), 4), []);
  t.deepEqual(workerProblems(parseConfig({ ...shared, store: { redis: { mode: 'cluster', nodes: ['10.0.0.1:6379'] } } }), 4), []);
});

test('a worker that keeps dying is restarted later each time, up to the cap', (t) => {
  t.deepEqual([1, 2, 3, 4, 10].map((n) => restartDelay(n, 250, 15_000)), [250, 500, 1000, 2000, 15_000]);
});

test('Redis topology: Sentinel needs its Sentinels and master name, no URL beside them; production accepts it instead of a URL', (t) => {
  const sentinel = parseConfig({ mode: 'production', store: { redis: { mode: 'sentinel', nodes: ['10.0.0.1:26379'], masterName: 'gw', waitReplicas: 1 } } });
  t.is(sentinel.store.redis.waitReplicas, 1);
  t.throws(() => parseConfig({ store: { redis: { mode: 'sentinel', nodes: ['10.0.0.1:26379'] } } }), { message: /store\.redis\.masterName: name the master set/ });
  t.throws(() => parseConfig({ store: { redis: { mode: 'sentinel', masterName: 'gw' } } }), { message: /store\.redis\.nodes: list the Sentinels/ });
  t.throws(() => parseConfig({ store: { redisUrl: 'redis://x:6379', redis: { mode: 'sentinel', nodes: ['a:1'], masterName: 'gw' } } }), { message: /store\.redisUrl: leave it unset/ });
  const facts = { generatedKeys: false, generatedSecrets: false };
  t.false(productionProblems(sentinel, facts).some((p) => p.startsWith('store.redisUrl')), 'a Sentinel topology is Redis');
  t.true(productionProblems(parseConfig({ mode: 'production' }), facts).some((p) => p.startsWith('store.redisUrl')));
});

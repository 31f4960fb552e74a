// Redis Cluster through configuration (issue 14, item 4), against a real 3-master cluster the test
// starts: the store's keys spread over the masters' slots, and still every operation is exact — a
// delete of keys in different slots, one winner of a race, a citizen limit that admits exactly its
// count under parallel decisions (one single-key script per window), pub/sub between instances.
// Then the gateway on it: a whole sign-in, the token, a permit, a revocation.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { RedisStore } from '../../src/store/redisStore.ts';
import { parseConfig } from '../../src/config.ts';
import { startCluster, keySlot, type ClusterSetup } from '../helpers/redisTopology.ts';
import { clientCredentialsToken } from '../scopes/pdpFixture.ts';
import { ANNA, LIMIT, startTopologyGateway, type TopologyGateway } from './topologyFixture.ts';

let cluster: ClusterSetup;
let topo: TopologyGateway | undefined;
const stores: RedisStore[] = [];

test.before(async () => {
  cluster = await startCluster();
});

test.after.always(async () => {
  await topo?.close();
  for (const s of stores) await s.close().catch(() => undefined);
  await cluster?.stop();
});

async function store(prefix = `c${randomUUID().slice(0, 8)}:`): Promise<RedisStore> {
  const s = await RedisStore.connect({ topology: { mode: 'cluster', nodes: cluster.nodes, password: cluster.password }, keyPrefix: prefix });
  stores.push(s);
  return s;
}

test.serial('the configuration names the mode and its nodes, and refuses a cluster without them', (t) => {
  const config = parseConfig({ store: { redis: { mode: 'cluster', nodes: cluster.nodes } } });
  t.is(config.store.redis.mode, 'cluster');
  t.throws(() => parseConfig({ store: { redis: { mode: 'cluster' } } }), { message: /store\.redis\.nodes: list some of the cluster's masters/ });
  t.throws(() => parseConfig({ store: { redis: { mode: 'cluster', nodes: ['nowhere'] } } }), { message: /host:port/ });
  t.throws(() => parseConfig({ store: { keyPrefix: '{gw}:' } }), { message: /one Redis Cluster slot/ });
});

test.serial('keys spread over the slots, and deletes, races and counters across them are exact', async (t) => {
  const s = await store('spread:');
  const keys = ['session:a', 'session:b', 'grant:c', 'code:d', 'replay:e'];
  const slots = new Set(await Promise.all(keys.map((k) => keySlot(cluster, `spread:${k}`))));
  t.true(slots.size > 1, 'the keys of one delete live in different slots');
  for (const k of keys) await s.set(k, k, 60);
  t.is(await s.del(...keys, 'missing'), keys.length, 'a delete across slots deletes each and counts them');
  for (const k of keys) t.is(await s.get(k), undefined);

  const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => s.setIfAbsent('once', String(i), 60)));
  t.is(wins.filter(Boolean).length, 1, 'one winner');
  const counts = await Promise.all(Array.from({ length: 30 }, () => s.incr('n', 60)));
  t.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1));
  const now = Date.now();
  const admitted = await Promise.all(Array.from({ length: 40 }, (_, i) => s.windowAdd('w', `m${i}`, now, 60_000, 7)));
  t.is(admitted.filter((a) => a.admitted).length, 7, 'the window admits exactly its maximum');
  t.is((await s.windowMembers('w', now, 60_000)).length, 7);

  await s.streamAppend('q', 'one');
  await s.streamAppend('q', 'two');
  t.deepEqual((await s.streamTake('q', 'g', 'c1', 10, 60_000)).map((e) => e.value), ['one', 'two']);
  await s.ping();
});

test.serial('a publish reaches the other instance once, and its own subscribers before it resolves', async (t) => {
  const prefix = `ps${randomUUID().slice(0, 8)}:`;
  const [a, b] = [await store(prefix), await store(prefix)];
  const atA: string[] = [];
  const atB: string[] = [];
  await a.subscribe('registry:changed', (m) => atA.push(m));
  await b.subscribe('registry:changed', (m) => atB.push(m));
  await a.publish('registry:changed', 'v2');
  t.deepEqual(atA, ['v2']);
  for (let i = 0; i < 50 && atB.length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(atB, ['v2']);
  t.deepEqual(atA, ['v2'], 'not twice');
});

test.serial('the gateway on the cluster: sign-in, token, permit, revocation; a limit of K permits exactly K of N parallel decisions', async (t) => {
  topo = await startTopologyGateway({ mode: 'cluster', nodes: cluster.nodes, password: cluster.password });
  t.is(topo.gw.store.kind, 'redis');
  const ready = await fetch(`${topo.gw.url}/readyz`);
  t.is(ready.status, 200);

  const anna = await topo.signIn(ANNA);
  t.is((await topo.bookings(anna, ANNA)).body.decision, 'permit');
  t.like((await topo.bookings(anna, '197501012343')).body, { decision: 'deny', reasons: ['citizen_not_token_subject'] });
  t.true((await oidc.tokenIntrospection(anna.rp.config, anna.token)).active);
  await oidc.tokenRevocation(anna.rp.config, anna.token);
  t.false((await oidc.tokenIntrospection(anna.rp.config, anna.token)).active, 'revoked across slots');
  t.is((await topo.bookings(anna, ANNA)).status, 401);

  const spray = await clientCredentialsToken(topo.gw, topo.spray);
  const answers = await Promise.all(topo.cohort.map((c) => topo!.bookings(spray, c)));
  const permits = answers.filter((a) => a.body.decision === 'permit').length;
  t.log(`${permits} permits of ${answers.length} parallel decisions (limit ${LIMIT}); statuses ${[...new Set(answers.map((a) => a.status))].join(', ')}`);
  t.is(permits, LIMIT);
  // The limit's trip suspends the product and revokes its tokens (containment), so the refusals after
  // the first name the suspension or the revoked token; none is an error.
  t.true(answers.some((a) => (a.body.reasons as string[] | undefined)?.includes('citizen_volume_exceeded')), 'the limit refused the next citizen');
  const others = answers.filter((a) => a.body.decision !== 'permit' && (a.body.decision !== 'deny' || a.status >= 500));
  t.deepEqual(others.map((a) => `${a.status} ${JSON.stringify(a.body)}`), [], 'every other decision is a deny, never an error');
});

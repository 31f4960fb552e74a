// One contract, two stores: the embedded memory store must behave as Redis does.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/clock.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { RedisStore } from '../../src/store/redisStore.ts';
import type { HotStore } from '../../src/store/hotStore.ts';
import { redisForTests, startRedisServer } from '../helpers/redisServer.ts';

interface Backend {
  name: string;
  make(): Promise<HotStore>;
  /** Two handles on one store, as two gateway instances sharing it would have. */
  pair(): Promise<[HotStore, HotStore]>;
  /** Lets TTLs pass: the clock for memory, real time for Redis. */
  pass(seconds: number): Promise<void>;
}

const clock = new ManualClock();
let redis: { url: string; stop(): Promise<void> };
test.before(async () => {
  redis = await redisForTests();
});
test.after.always(async () => redis?.stop());

const backends: Backend[] = [
  {
    name: 'memory',
    make: async () => new MemoryStore(clock),
    pair: async () => { const m = new MemoryStore(clock); return [m, m]; },
    pass: async (s) => clock.advance(s * 1000),
  },
  {
    name: 'redis',
    make: () => RedisStore.connect({ url: redis.url, keyPrefix: `t${randomUUID()}:` }),
    pair: async () => {
      const prefix = `t${randomUUID()}:`;
      return [await RedisStore.connect({ url: redis.url, keyPrefix: prefix }), await RedisStore.connect({ url: redis.url, keyPrefix: prefix })];
    },
    pass: (s) => new Promise((r) => setTimeout(r, s * 1000 + 150)),
  },
];

for (const b of backends) {
  test(`${b.name}: get, set, overwrite, delete`, async (t) => {
    const s = await b.make();
    t.is(await s.get('a'), undefined);
    await s.set('a', '1');
    t.is(await s.get('a'), '1');
    await s.set('a', '2', 60);
    t.is(await s.get('a'), '2');
    t.true((await s.ttl('a'))! > 50);
    t.is(await s.del('a', 'missing'), 1);
    t.is(await s.get('a'), undefined);
    t.is(await s.ttl('a'), undefined);
    await s.set('b', 'x');
    t.is(await s.ttl('b'), -1, 'no TTL');
    await s.close();
  });

  test(`${b.name}: TTL expires keys, sets and counters`, async (t) => {
    const s = await b.make();
    await s.set('k', 'v', 1);
    await s.setAdd('set', 'm', 1);
    t.is(await s.incr('n', 1), 1);
    t.is(await s.incr('n', 1), 2);
    await b.pass(1);
    t.is(await s.get('k'), undefined);
    t.deepEqual(await s.setMembers('set'), []);
    t.is(await s.incr('n', 1), 1, 'a new window');
    await s.close();
  });

  test(`${b.name}: setIfAbsent and getDel have exactly one winner under concurrency`, async (t) => {
    const s = await b.make();
    const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => s.setIfAbsent('once', String(i), 60)));
    t.is(wins.filter(Boolean).length, 1);
    const got = await Promise.all(Array.from({ length: 20 }, () => s.getDel('once')));
    t.is(got.filter((v) => v !== undefined).length, 1);
    t.is(await s.get('once'), undefined);
    await s.close();
  });

  test(`${b.name}: sets`, async (t) => {
    const s = await b.make();
    await s.setAdd('s', 'a');
    await s.setAdd('s', 'b', 60);
    await s.setAdd('s', 'a');
    t.deepEqual((await s.setMembers('s')).sort(), ['a', 'b']);
    await s.close();
  });
}

for (const b of backends) {
  test(`${b.name}: a publish reaches this instance's own subscribers before it resolves, and only once`, async (t) => {
    const s = await b.make();
    const got: string[] = [];
    await s.subscribe('registry:changed', (m) => got.push(m));
    await s.publish('registry:changed', 'mine');
    t.deepEqual(got, ['mine'], 'seen by the time the publisher resumes');
    await new Promise((r) => setTimeout(r, 150));
    t.deepEqual(got, ['mine'], 'not delivered a second time by the server');
    await s.close();
  });

  test(`${b.name}: publish reaches every subscriber of the channel, and only until it unsubscribes`, async (t) => {
    const [a, c] = await b.pair();
    const got: string[] = [];
    const other: string[] = [];
    const unsubscribe = await c.subscribe('registry:changed', (m) => got.push(m));
    await c.subscribe('another', (m) => other.push(m));
    await a.publish('registry:changed', '41');
    await a.publish('registry:changed', '42');
    for (let i = 0; i < 50 && got.length < 2; i += 1) await new Promise((r) => setTimeout(r, 20));
    t.deepEqual(got, ['41', '42']);
    t.deepEqual(other, []);
    await unsubscribe();
    await a.publish('registry:changed', '43');
    await new Promise((r) => setTimeout(r, 100));
    t.deepEqual(got, ['41', '42']);
    await a.close();
    if (c !== a) await c.close();
  });
}

test('redis: a subscription lost with the server comes back and says so (onReconnect)', async (t) => {
  const server = await startRedisServer();
  const pub = await RedisStore.connect({ url: server.url });
  const sub = await RedisStore.connect({ url: server.url });
  try {
    const got: string[] = [];
    let reconnects = 0;
    await sub.subscribe('registry:changed', (m) => got.push(m), () => { reconnects += 1; });
    server.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    await server.restart();
    for (let i = 0; i < 60 && reconnects === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
    t.is(reconnects, 1, 'the subscriber was told that messages may have been lost');
    for (let i = 0; i < 60 && got.length === 0; i += 1) {
      await pub.publish('registry:changed', 'after').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
    t.true(got.includes('after'), 'the subscription works again without a restart');
  } finally {
    await pub.close();
    await sub.close();
    await server.stop();
  }
});

test('redis: a stopped server makes commands fail fast, without crashing, and it heals on restart', async (t) => {
  const server = await startRedisServer();
  const s = await RedisStore.connect({ url: server.url, commandTimeoutMs: 500 });
  try {
    await s.set('x', '1');
    server.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await t.throwsAsync(s.get('x'));
    await t.throwsAsync(s.ping());
    t.true(Date.now() - started < 1500, `failed in ${Date.now() - started} ms`);
    await server.restart();
    let healed = false;
    for (let i = 0; i < 50 && !healed; i += 1) {
      healed = await s.ping().then(() => true, () => false);
      if (!healed) await new Promise((r) => setTimeout(r, 100));
    }
    t.true(healed, 'the same store works again after Redis came back');
    t.is(await s.get('x'), undefined, 'Redis came back empty');
  } finally {
    await s.close();
    await server.stop();
  }
});

// --- exposure windows and the audit stream (issue 4) -------------------------------------------
for (const b of backends) {
  test(`${b.name}: a sliding window admits at most max distinct members, refreshes known ones, and forgets old ones`, async (t) => {
    const s = await b.make();
    const now = Date.now();
    t.deepEqual(await s.windowAdd('w', 'a', now, 10_000, 2), { admitted: true, size: 1 });
    t.deepEqual(await s.windowAdd('w', 'b', now + 1, 10_000, 2), { admitted: true, size: 2 });
    t.deepEqual(await s.windowAdd('w', 'c', now + 2, 10_000, 2), { admitted: false, size: 2 }, 'a third member is refused');
    t.deepEqual(await s.windowAdd('w', 'a', now + 3, 10_000, 2), { admitted: true, size: 2 }, 'a known member passes');
    t.deepEqual(await s.windowMembers('w', now + 3, 10_000), ['a', 'b']);
    // b was last seen at now+1: past now+10_001 it has left the window, a (now+3) has not.
    t.deepEqual(await s.windowAdd('w', 'c', now + 10_002, 10_000, 2), { admitted: true, size: 2 });
    t.deepEqual(await s.windowMembers('w', now + 10_002, 10_000), ['a', 'c']);
    await s.close();
  });

  test(`${b.name}: a stream delivers each entry once per group, again only when unacknowledged past the idle time`, async (t) => {
    const [a, c] = await b.pair();
    const ids = [await a.streamAppend('q', 'one'), await a.streamAppend('q', 'two'), await a.streamAppend('q', 'three')];
    t.is(new Set(ids).size, 3);
    t.is(await a.streamLength('q'), 3);
    const first = await a.streamTake('q', 'g', 'c1', 2, 60_000);
    t.deepEqual(first.map((e) => e.value), ['one', 'two']);
    const second = await c.streamTake('q', 'g', 'c2', 10, 60_000);
    t.deepEqual(second.map((e) => e.value), ['three'], 'another consumer gets only what nobody took');
    await c.streamAck('q', 'g', second.map((e) => e.id));
    t.deepEqual(await c.streamTake('q', 'g', 'c2', 10, 60_000), [], 'nothing new, and c1\'s entries are not idle yet');
    t.is(await a.streamLength('q'), 2, 'acknowledged entries are removed');
    // c1 "crashes" without acknowledging: after the idle time its entries go to the next taker.
    await b.pass(1);
    const retaken = await c.streamTake('q', 'g', 'c2', 10, 500);
    t.deepEqual(retaken.map((e) => e.value), ['one', 'two']);
    await c.streamAck('q', 'g', retaken.map((e) => e.id));
    t.is(await a.streamLength('q'), 0);
    await a.close();
    if (c !== a) await c.close();
  });

  test(`${b.name}: entries appended together arrive in order, each with its own id, and nothing for nothing`, async (t) => {
    const [a, c] = await b.pair();
    await a.streamAppend('m', 'm0');
    const ids = await a.streamAppendAll('m', ['m1', 'm2', 'm3']);
    t.is(ids.length, 3);
    t.is(new Set(ids).size, 3);
    t.deepEqual(await a.streamAppendAll('m', []), []);
    const taken = await c.streamTake('m', 'g', 'c1', 10, 60_000);
    t.deepEqual(taken.map((e) => e.value), ['m0', 'm1', 'm2', 'm3']);
    t.deepEqual(taken.slice(1).map((e) => e.id), ids);
    await a.close();
    if (c !== a) await c.close();
  });

  test(`${b.name}: a stream's range lists what is not acknowledged yet, taken or not, in pages`, async (t) => {
    const [a, c] = await b.pair();
    for (const v of ['r1', 'r2', 'r3', 'r4']) await a.streamAppend('r', v);
    const taken = await c.streamTake('r', 'g', 'c1', 2, 60_000);
    t.deepEqual((await c.streamRange('r', 10)).map((e) => e.value), ['r1', 'r2', 'r3', 'r4'], 'taken but unacknowledged entries are still listed');
    await c.streamAck('r', 'g', taken.slice(0, 1).map((e) => e.id));
    const page = await a.streamRange('r', 2);
    t.deepEqual(page.map((e) => e.value), ['r2', 'r3']);
    t.deepEqual((await a.streamRange('r', 2, page[1]!.id)).map((e) => e.value), ['r4']);
    const last = (await a.streamRange('r', 10)).at(-1);
    t.is(last?.value, 'r4');
    t.deepEqual(await a.streamRange('r', 2, last?.id), [], 'nothing after the last');
    t.deepEqual(await a.streamRange('nothing-here', 5), []);
    await a.close();
    if (c !== a) await c.close();
  });
}

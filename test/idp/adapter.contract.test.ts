// The oidc-provider adapter contract, run on the memory store and on a real Redis.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Adapter } from 'oidc-provider';
import { ManualClock } from '../../src/clock.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';
import { RedisStore } from '../../src/store/redisStore.ts';
import type { HotStore } from '../../src/store/hotStore.ts';
import { createAdapterFactory } from '../../src/idp/adapter.ts';
import { redisForTests } from '../helpers/redisServer.ts';

const clock = new ManualClock();
let redis: { url: string; stop(): Promise<void> };
test.before(async () => {
  redis = await redisForTests();
});
test.after.always(async () => redis?.stop());

const backends: Array<{ name: string; make(): Promise<HotStore>; pass(s: number): Promise<void> }> = [
  { name: 'memory', make: async () => new MemoryStore(clock), pass: async (s) => clock.advance(s * 1000) },
  { name: 'redis', make: () => RedisStore.connect({ url: redis.url, keyPrefix: `a${randomUUID()}:` }), pass: (s) => new Promise((r) => setTimeout(r, s * 1000 + 150)) },
];

const models = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'Session', 'Grant', 'Interaction', 'ReplayDetection', 'PushedAuthorizationRequest', 'ClientCredentials', 'DeviceCode'];

for (const b of backends) {
  const adapters = async () => {
    const store = await b.make();
    const factory = createAdapterFactory(store);
    const cache = new Map<string, Adapter>();
    return { store, get: (m: string) => cache.get(m) ?? cache.set(m, factory(m)).get(m)! };
  };

  test(`${b.name}: upsert and find round-trip for every model, unknown ids are undefined`, async (t) => {
    const { store, get } = await adapters();
    for (const model of models) {
      const id = randomUUID();
      const payload = { jti: id, kind: model, accountId: 'acc', nested: { a: [1, 2] } };
      await get(model).upsert(id, payload, 60);
      t.deepEqual(await get(model).find(id), payload, model);
      t.is(await get(model).find(randomUUID()), undefined, model);
    }
    // Models are separate namespaces.
    await get('AccessToken').upsert('same', { kind: 'AccessToken' }, 60);
    t.is(await get('RefreshToken').find('same'), undefined);
    await store.close();
  });

  test(`${b.name}: TTL is honoured`, async (t) => {
    const { store, get } = await adapters();
    await get('AuthorizationCode').upsert('c1', { kind: 'AuthorizationCode' }, 1);
    await get('Session').upsert('s1', { kind: 'Session', uid: 'u1' }, 1);
    t.truthy(await get('AuthorizationCode').find('c1'));
    await b.pass(1);
    t.is(await get('AuthorizationCode').find('c1'), undefined);
    t.is(await get('Session').findByUid('u1'), undefined);
    await store.close();
  });

  test(`${b.name}: findByUid and findByUserCode`, async (t) => {
    const { store, get } = await adapters();
    await get('Session').upsert('sess', { kind: 'Session', uid: 'uid-1', accountId: 'x' }, 60);
    t.is((await get('Session').findByUid('uid-1'))?.accountId, 'x');
    t.is(await get('Session').findByUid('uid-2'), undefined);
    await get('DeviceCode').upsert('dc', { kind: 'DeviceCode', userCode: 'ABCD-EFGH' }, 60);
    t.is((await get('DeviceCode').findByUserCode('ABCD-EFGH'))?.kind, 'DeviceCode');
    await get('Session').destroy('sess');
    t.is(await get('Session').findByUid('uid-1'), undefined, 'destroy removes the uid index');
    await store.close();
  });

  test(`${b.name}: consume marks the record and keeps it until expiry`, async (t) => {
    const { store, get } = await adapters();
    await get('AuthorizationCode').upsert('code', { kind: 'AuthorizationCode', grantId: 'g' }, 60);
    t.is((await get('AuthorizationCode').find('code'))?.consumed, undefined);
    await get('AuthorizationCode').consume('code');
    const consumed = await get('AuthorizationCode').find('code');
    t.is(typeof consumed?.consumed, 'number');
    t.true((await store.ttl('oidc:AuthorizationCode:code'))! > 50, 'TTL kept');
    await store.close();
  });

  test(`${b.name}: destroy and revokeByGrantId`, async (t) => {
    const { store, get } = await adapters();
    await get('AccessToken').upsert('at1', { kind: 'AccessToken', grantId: 'g1' }, 60);
    await get('RefreshToken').upsert('rt1', { kind: 'RefreshToken', grantId: 'g1' }, 60);
    await get('AuthorizationCode').upsert('ac1', { kind: 'AuthorizationCode', grantId: 'g1' }, 60);
    await get('AccessToken').upsert('at2', { kind: 'AccessToken', grantId: 'g2' }, 60);
    await get('AccessToken').revokeByGrantId('g1');
    t.is(await get('AccessToken').find('at1'), undefined);
    t.is(await get('RefreshToken').find('rt1'), undefined);
    t.is(await get('AuthorizationCode').find('ac1'), undefined);
    t.truthy(await get('AccessToken').find('at2'), 'another grant untouched');
    await get('AccessToken').destroy('at2');
    t.is(await get('AccessToken').find('at2'), undefined);
    await store.close();
  });
}

// Card sign-in on a real Redis: the start and result tickets live in the shared store (any instance
// can serve any leg), are taken once with GETDEL, and expire by the store's TTL as well as the clock.
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { SE } from '../../../src/idp/claims.ts';
import { TICKET_TTL_SECONDS } from '../../../src/federation/sithsCard/tickets.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import { redisForTests } from '../../helpers/redisServer.ts';
import { cardFiles, finishAtClient, presentCard, sara, staffClient, startCardSignIn, tokensFor } from './fixtures.ts';

test('sara signs in with her card on Redis; the tickets are gone afterwards and carry a TTL while they live', async (t) => {
  const redis = await redisForTests();
  const prefix = `card${randomUUID()}:`;
  const staff = await staffClient('siths-redis-rp', 'https://redis-staff.example.test/cb');
  const gw = await startTestGateway({ clients: [staff.config], overrides: { store: { redisUrl: redis.url, keyPrefix: prefix } } });
  t.teardown(async () => {
    await gw.close();
    await redis.stop();
  });
  t.is(gw.store.kind, 'redis');
  const files = await cardFiles(gw);
  const s = await startCardSignIn(gw, staff);
  const startTicket = s.cardUrl.split('/').pop()!;
  const ttl = await gw.store.ttl(`sithsCard:start:${startTicket}`);
  t.true(ttl !== undefined && ttl > 0 && ttl <= TICKET_TTL_SECONDS, `start ticket TTL ${ttl}`);

  const card = await presentCard(files, s.cardUrl, files.card('sara'));
  t.is(await gw.store.get(`sithsCard:start:${startTicket}`), undefined, 'the start ticket was taken');
  const resultTicket = new URL(card.location!).searchParams.get('ticket')!;
  t.truthy(await gw.store.get(`sithsCard:result:${resultTicket}`));
  const claims = (await tokensFor(s, await finishAtClient(s, card.location!))).claims()!;
  t.is(claims[SE.orgAffiliation], `${sara.hsaId}@${sara.orgAffiliation}`);
  t.is(await gw.store.get(`sithsCard:result:${resultTicket}`), undefined, 'the result ticket was taken');
});

test('with Redis gone, the card listener answers 503 with a page, never a 500', async (t) => {
  const { startRedisServer } = await import('../../helpers/redisServer.ts');
  const redis = await startRedisServer();
  const staff = await staffClient('siths-redis-down-rp', 'https://redis-down.example.test/cb');
  const gw = await startTestGateway({ clients: [staff.config], overrides: { store: { redisUrl: redis.url, keyPrefix: `down${randomUUID()}:` } } });
  t.teardown(async () => {
    await gw.close().catch(() => undefined);
    await redis.stop();
  });
  const files = await cardFiles(gw);
  const s = await startCardSignIn(gw, staff);
  redis.kill('SIGKILL');
  const answer = await presentCard(files, s.cardUrl, files.card('sara'));
  t.is(answer.status, 503);
  t.regex(answer.text, /temporarily_unavailable/);
});

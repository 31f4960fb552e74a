// Redis Sentinel through configuration (issue 14, item 4), against real servers the test starts: a
// master, two replicas, three Sentinels. The gateway signs a citizen in and decides on it; then the
// master is killed in the middle of a stream of decisions. While the Sentinels fail over no decision
// is a permit (the store cannot be reached: 503, fail closed); afterwards permits come back without a
// restart, and the session and token written before the kill — each write waited for a replica
// (store.redis.waitReplicas) — are still there on the new master.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { RedisStore } from '../../src/store/redisStore.ts';
import { startSentinelSetup, type SentinelSetup } from '../helpers/redisTopology.ts';
import { ANNA, startTopologyGateway, type TopologyGateway } from './topologyFixture.ts';

let setup: SentinelSetup;
let topo: TopologyGateway | undefined;
const stores: RedisStore[] = [];

test.before(async () => {
  setup = await startSentinelSetup();
});

test.after.always(async () => {
  await topo?.close();
  for (const s of stores) await s.close().catch(() => undefined);
  await setup?.stop();
});

const topology = () => ({ mode: 'sentinel' as const, nodes: setup.sentinels, masterName: setup.masterName, waitReplicas: 1 });

test.serial('the store through the Sentinels: commands reach the master, a publish reaches the other instance', async (t) => {
  const prefix = `s${randomUUID().slice(0, 8)}:`;
  const a = await RedisStore.connect({ topology: topology(), keyPrefix: prefix });
  const b = await RedisStore.connect({ topology: topology(), keyPrefix: prefix });
  stores.push(a, b);
  await a.set('k', 'v', 60);
  t.is(await b.get('k'), 'v');
  t.true(await a.setIfAbsent('once', '1', 60));
  t.false(await b.setIfAbsent('once', '2', 60));
  const atB: string[] = [];
  await b.subscribe('registry:changed', (m) => atB.push(m));
  await a.publish('registry:changed', 'v2');
  for (let i = 0; i < 50 && atB.length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(atB, ['v2']);
});

test.serial('a failover mid-load gives no permit while the master is gone, loses no replicated session, and heals without a restart', async (t) => {
  topo = await startTopologyGateway(topology());
  const { gw } = topo;
  t.is((await fetch(`${gw.url}/readyz`)).status, 200);
  const anna = await topo.signIn(ANNA);
  t.is((await topo.bookings(anna, ANNA)).body.decision, 'permit');

  const watcher = await RedisStore.connect({ topology: { ...topology(), waitReplicas: 0 }, keyPrefix: 'watch:' });
  stores.push(watcher);
  let resyncs = 0;
  await watcher.subscribe('nothing', () => undefined, () => { resyncs += 1; });

  // Decisions at concurrency 4 until told to stop; each answer with when it was sent and received.
  const answers: Array<{ sent: number; received: number; status: number; decision: unknown }> = [];
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const sent = Date.now();
      const res = await topo!.bookings(anna, ANNA).catch(() => ({ status: 0, body: {} as Record<string, unknown> }));
      answers.push({ sent, received: Date.now(), status: res.status, decision: res.body.decision });
    }
  };
  const load = Promise.all([worker(), worker(), worker(), worker()]);
  await new Promise((r) => setTimeout(r, 300));

  const oldMaster = setup.master.port;
  const killedAt = Date.now();
  await setup.master.kill('SIGKILL');
  // The Sentinels notice (down-after 1 s), agree and promote a replica.
  let promotedAt = 0;
  for (let i = 0; i < 200 && !promotedAt; i += 1) {
    if ((await setup.currentMasterPort().catch(() => oldMaster)) !== oldMaster) promotedAt = Date.now();
    else await new Promise((r) => setTimeout(r, 50));
  }
  t.true(promotedAt > 0, 'the Sentinels promoted a replica');
  // Permits come back on the new master, without restarting the gateway.
  let healedAt = 0;
  for (let i = 0; i < 300 && !healedAt; i += 1) {
    await new Promise((r) => setTimeout(r, 50));
    if (answers.some((a) => a.sent > promotedAt && a.decision === 'permit')) healedAt = Date.now();
  }
  stop = true;
  await load;
  t.true(healedAt > 0, 'permits again after the failover');

  const sentDuring = answers.filter((a) => a.sent > killedAt && a.sent < promotedAt);
  t.log(`${answers.length} decisions; ${sentDuring.length} asked while failing over (${promotedAt - killedAt} ms): ${sentDuring.map((a) => `${a.status}${a.decision === 'permit' ? ' permit' : ''}`).join(', ')}; healed ${healedAt - promotedAt} ms after promotion`);
  t.true(answers.some((a) => a.status === 503 && a.received > killedAt), 'decisions in flight or asked while the master was gone were refused: 503');
  t.false(answers.some((a) => a.decision === 'permit' && a.sent > killedAt && a.received < promotedAt), 'no permit while no master was there');
  t.true(answers.every((a) => a.decision === 'permit' || a.status === 503), `only permits and 503s: ${[...new Set(answers.map((a) => a.status))].join(', ')}`);
  // The watcher learns of the new master from the Sentinels' messages or its next topology scan.
  for (let i = 0; i < 100 && resyncs === 0; i += 1) await new Promise((r) => setTimeout(r, 100));
  t.true(resyncs >= 1, 'subscribers were told that messages may have been lost');

  // What was written (and replicated) before the kill is on the new master: the token, the grant.
  t.true((await oidc.tokenIntrospection(anna.rp.config, anna.token)).active, 'the token issued before the failover is still active');
  t.is((await topo.bookings(anna, ANNA)).body.decision, 'permit');
  t.is((await fetch(`${gw.url}/readyz`)).status, 200);
  // And the gateway still signs people in.
  const again = await topo.signIn(ANNA);
  t.is((await topo.bookings(again, ANNA)).body.decision, 'permit');
});

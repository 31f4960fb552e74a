// Volume limits on the injectable clock (docs/architecture.md, "One clock"): requests per second per product per
// controller, and a sliding window of distinct citizens that forgets citizens as time passes; and a
// token narrowed with RFC 9396 is held to its narrowing. The embedded memory store here (the Redis
// implementation of the same window is covered by the HotStore contract and the PDP tests).
import test from 'ava';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { startTestGateway, type TestClient } from '../helpers/gateway.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, memoryDb, productFor, proof, rpFor, type Holder } from './pdpFixture.ts';

const clock = new ManualClock(Date.now());
let db: PgliteDb;
let gw: Gateway;
const clients: Record<string, TestClient> = {};
const people = citizens(4, 600);

test.before(async () => {
  db = await memoryDb();
  clients.rate = await clientFor('rate', ['client_credentials']);
  clients.window = await clientFor('window', ['client_credentials']);
  clients.narrow = await clientFor('narrow', ['client_credentials']);
  const cohort = { citizens: { mode: 'cohort' as const, cohortId: 'all' } };
  const registry = new TestRegistry(snapshot({
    controllers: [controller('region-a', ['bookings']), controller('kommun-b', ['bookings'])],
    products: [productFor(clients.rate, 'p-rate'), productFor(clients.window, 'p-window'), productFor(clients.narrow, 'p-narrow')],
    approvals: [
      approval('a-rate', 'region-a', 'p-rate', { limits: { ...cohort, maxRequestsPerSecond: 3 } }),
      approval('a-window', 'region-a', 'p-window', { limits: { ...cohort, maxCitizens: { count: 2, windowSeconds: 60 } } }),
      approval('a-narrow', 'region-a', 'p-narrow', { limits: cohort }),
      approval('b-narrow', 'kommun-b', 'p-narrow', { limits: cohort }),
    ],
  }));
  gw = await startTestGateway({ registry, db, clock });
  registry.current.cohorts = ['region-a', 'kommun-b'].map((c) => ({ id: 'all', controllerId: c, name: 'all', members: people.map((p) => gw.pdp!.accounts.accountIdFor(p)), version: 1, createdAt: '', updatedAt: '' }));
  gw.registry!.invalidate();
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
});

async function decideAt(holder: Holder, citizen: string, controllerId = 'region-a') {
  const url = `${gw.url}/pdp/v1/decide`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, 'POST', url, holder.token, clock.now()) },
    body: JSON.stringify({ target: { controller: controllerId, dataset: 'bookings', citizen, action: 'read' } }),
  });
  return { status: res.status, body: await res.json() as { decision: string; reasons: string[] } };
}

test.serial('requests per second: the fourth in one second is a 429 deny; the next second passes', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.rate!);
  const answers = [];
  for (let i = 0; i < 4; i += 1) answers.push(await decideAt(holder, people[0]!));
  t.deepEqual(answers.map((a) => a.body.decision), ['permit', 'permit', 'permit', 'deny']);
  t.like(answers[3], { status: 429, body: { reasons: ['rate_limited'] } });
  clock.advance(1000);
  t.is((await decideAt(holder, people[0]!)).body.decision, 'permit');
  t.deepEqual(await gw.pdp!.containment.inForce(), [], 'a rate limit throttles; it does not trip containment');
});

test.serial('distinct citizens per sliding window: a citizen already in the window passes, the window forgets as time passes', async (t) => {
  const holder = await clientCredentialsToken(gw, clients.window!);
  const [a, b, c] = people as [string, string, string];
  t.is((await decideAt(holder, a)).body.decision, 'permit');
  clock.advance(30_000);
  t.is((await decideAt(holder, b)).body.decision, 'permit');
  t.is((await decideAt(holder, a)).body.decision, 'permit', 'a known citizen is no new exposure');
  clock.advance(40_000);
  // a was refreshed at 30 s, b seen at 30 s: at 70 s both are still in the 60-s window.
  clock.advance(21_000);
  // at 91 s both have left it: a third citizen is admitted without tripping.
  t.is((await decideAt(holder, c)).body.decision, 'permit');
  t.deepEqual(await gw.pdp!.containment.inForce(), []);
});

test.serial('a token narrowed to one controller with RFC 9396 is held to it', async (t) => {
  const config = await rpFor(gw, clients.narrow!);
  const keys = await oidc.randomDPoPKeyPair('ES256');
  const tokens = await oidc.clientCredentialsGrant(config, {
    authorization_details: JSON.stringify([{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['kommun-b'] }]),
  }, { DPoP: oidc.getDPoPHandle(config, keys) });
  const holder = { token: tokens.access_token, keys };
  t.is((await decideAt(holder, people[0]!, 'kommun-b')).body.decision, 'permit');
  t.deepEqual((await decideAt(holder, people[0]!, 'region-a')).body.reasons, ['outside_token_details'], 'region-a approves, but the token was narrowed away from it');
});

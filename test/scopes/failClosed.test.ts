// Fail closed (issue 4, point 7): with Redis stopped every decision is a deny (503 + Retry-After on the
// HTTP forms), on every interface; when Redis is back, decisions recover without a restart; a registry
// that cannot be read is a deny too. Every answered decision, the outage's included, is audited once.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';
import type { TestClient } from '../helpers/gateway.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, decide, memoryDb, productFor, proof, startPdpGateway, viaPep, type Holder } from './pdpFixture.ts';

let redis: RedisServer;
let db: PgliteDb;
let gw: Gateway;
let client: TestClient;
const [member] = citizens(1, 700) as [string];
const registry = new TestRegistry(snapshot());
let failRegistry = false;

test.before(async () => {
  redis = await startRedisServer();
  db = await memoryDb();
  client = await clientFor('fail-closed', ['client_credentials']);
  registry.current = snapshot({
    controllers: [controller('region-a', ['bookings'])],
    products: [productFor(client, 'p-fc')],
    approvals: [approval('a-fc', 'region-a', 'p-fc', { limits: { citizens: { mode: 'cohort', cohortId: 'fc' } } })],
  });
  const source = { snapshot: async () => { if (failRegistry) throw new Error('registry down'); return registry.snapshot(); } };
  gw = await startPdpGateway(source as unknown as TestRegistry, db, redis.url);
  registry.current.cohorts = [{ id: 'fc', controllerId: 'region-a', name: 'fc', members: [gw.pdp!.accounts.accountIdFor(member)], version: 1, createdAt: '', updatedAt: '' }];
  gw.registry!.invalidate();
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
});

const target = { controller: 'region-a', dataset: 'bookings', citizen: member, action: 'read' };

async function authRequest(holder: Holder): Promise<Response> {
  const uri = `/data/region-a/bookings?citizen=${member}`;
  return fetch(`${gw.url}/pdp/v1/auth-request`, {
    headers: { 'x-original-uri': uri, 'x-original-method': 'GET', authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, 'GET', `${gw.url}${uri}`, holder.token) },
  });
}

test.serial('with Redis stopped every decision is a deny with 503 and Retry-After; it recovers without a restart; each decision is audited once', async (t) => {
  const ids: string[] = [];
  const holder = await clientCredentialsToken(gw, client);
  const before = await decide(gw, holder, target);
  t.is(before.body.decision, 'permit');
  ids.push(before.body.decisionId as string);
  // The queue is Redis: what it holds is as durable as Redis's persistence (none in this test server).
  await gw.pdp!.audit.drain();

  redis.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 3; i += 1) {
    const res = await decide(gw, holder, target);
    t.is(res.status, 503);
    t.like(res.body, { decision: 'deny', reasons: ['store_unavailable'] });
    t.truthy(res.headers.get('retry-after'));
    ids.push(res.body.decisionId as string);
  }
  const viaAuth = await authRequest(holder);
  t.is(viaAuth.status, 503);
  t.truthy(viaAuth.headers.get('retry-after'));
  ids.push(((await viaAuth.json()) as { decisionId: string }).decisionId);
  // The admin API cannot look the token up either: 503 with Retry-After, never a 500.
  const adminUrl = `${gw.url}/admin/api/v1/suspensions`;
  const viaAdmin = await fetch(adminUrl, { headers: { authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, 'GET', adminUrl, holder.token) } });
  t.is(viaAdmin.status, 503);
  t.truthy(viaAdmin.headers.get('retry-after'));
  t.like(await viaAdmin.json(), { type: 'urn:gateway:problem:store_unavailable' });
  const viaProxy = await viaPep(gw, holder, `/data/region-a/bookings?citizen=${member}`);
  t.is(viaProxy.status, 503);
  t.falsy(viaProxy.body.items);
  ids.push(viaProxy.body.decisionId as string);

  await redis.restart();
  let recovered: Awaited<ReturnType<typeof decide>> | undefined;
  for (let i = 0; i < 50; i += 1) {
    // Redis came back empty: its tokens are gone with it, so the product fetches a new one.
    const fresh = await clientCredentialsToken(gw, client).catch(() => undefined);
    if (fresh) {
      recovered = await decide(gw, fresh, target);
      if (recovered.body.decisionId) ids.push(recovered.body.decisionId as string);
      if (recovered.body.decision === 'permit') break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  t.is(recovered?.body.decision, 'permit', 'decisions recover when Redis is back');

  await gw.pdp!.audit.drain();
  const rows = (await db.query<{ id: string; decision: string; reasons: string[] }>('SELECT id, decision, reasons FROM decision_audit WHERE id = ANY($1::uuid[])', [ids])).rows;
  t.deepEqual(rows.map((r) => r.id).sort(), [...ids].sort(), 'one record per decision answered, the outage\'s too');
  t.is(rows.filter((r) => r.decision === 'permit').length, 2);
});

test.serial('a registry that cannot be read is a deny with 503', async (t) => {
  const holder = await clientCredentialsToken(gw, client);
  failRegistry = true;
  gw.registry!.invalidate();
  try {
    const res = await decide(gw, holder, target);
    t.is(res.status, 503);
    t.like(res.body, { decision: 'deny', reasons: ['registry_unavailable'] });
  } finally {
    failRegistry = false;
    gw.registry!.invalidate();
  }
  const back = await clientCredentialsToken(gw, client);
  t.is((await decide(gw, back, target)).body.decision, 'permit');
});

// Exposure limits, cohorts and suspensions through the admin API, routes of its one route table (the
// same token check, If-Match rule, list shape and problem codes as every admin route): only a
// controller_admin of the approval's controller sets limits (with If-Match), cohorts take personnummer
// and keep pseudonyms, every change is in the audit log, and the decision point follows at once.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { approval, controller, snapshot } from '../whitelist/snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { TestRegistry, citizens, clientCredentialsToken, clientFor, decide, memoryDb, productFor, proof, startPdpGateway, type Holder } from './pdpFixture.ts';

let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;
let cli: TestClient;
let product: TestClient;
const [x, y] = citizens(2, 900) as [string, string];

test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  cli = await makeTestClient('gateway-cli', 'https://cli.example.test/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  product = await clientFor('limits-app', ['client_credentials']);
  const registry = new TestRegistry(snapshot({
    controllers: [controller('region-a', ['bookings']), controller('kommun-b', ['bookings'])],
    products: [productFor(product, 'p-lim')],
    approvals: [approval('a-lim', 'region-a', 'p-lim'), approval('b-lim', 'kommun-b', 'p-lim')],
  }));
  gw = await startPdpGateway(registry, db, redis.url, { clients: [cli.config] });
  await db.query(`INSERT INTO role_assignments (id, subject_kind, subject_id, role, scope, created_at, updated_at)
    VALUES ($1, 'client', 'gateway-cli', 'controller_admin', 'region-a', now(), now())`, [randomUUID()]);
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
});

async function admin(holder: Holder, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const url = `${gw.url}/admin/api/v1${path}`;
  const res = await fetch(url, {
    method,
    headers: { authorization: `DPoP ${holder.token}`, dpop: await proof(holder.keys, method, url, holder.token), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, etag: res.headers.get('etag'), body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

test.serial('a controller admin sets cohort limits with If-Match; the decision point follows; every change is audited', async (t) => {
  const op = await clientCredentialsToken(gw, cli);
  const app = await clientCredentialsToken(gw, product);
  const target = (citizen: string) => ({ controller: 'region-a', dataset: 'bookings', citizen, action: 'read' });
  t.deepEqual((await decide(gw, app, target(x))).body.reasons, ['subject_required'], 'no limits yet: a client-credentials token reaches nobody');

  const created = await admin(op, 'POST', '/controllers/region-a/cohorts', { id: 'diabetes', name: 'Diabetesprogrammet', members: [x] });
  t.is(created.status, 201);
  t.is(created.etag, '"1"');
  t.deepEqual(created.body.members, [gw.pdp!.accounts.accountIdFor(x)]);
  t.false(JSON.stringify(created.body).includes(x), 'the personnummer is not kept');
  // The admin API's conventions (one route table): a bad member is validation_failed, as any bad input.
  t.like((await admin(op, 'POST', '/controllers/region-a/cohorts', { id: 'bad', name: 'x', members: ['198003121235'] })).body, { type: 'urn:gateway:problem:validation_failed' });
  const listed = await admin(op, 'GET', '/controllers/region-a/cohorts');
  t.like(listed, { status: 200, etag: null });
  t.deepEqual((listed.body.items as Array<{ id: string }>).map((c) => c.id), ['diabetes'], 'a list is { items: [...] }');
  t.like(await admin(op, 'GET', '/controllers/region-a/cohorts/diabetes'), { status: 200, etag: '"1"', body: { id: 'diabetes', controllerId: 'region-a' } });

  const read = await admin(op, 'GET', '/approvals/a-lim/limits');
  t.like(read, { status: 200, etag: '"0"', body: { limits: null } });
  const limits = { citizens: { mode: 'cohort', cohortId: 'diabetes' } };
  t.like(await admin(op, 'PUT', '/approvals/a-lim/limits', limits), { status: 428, body: { type: 'urn:gateway:problem:precondition_required' } }, 'If-Match is required');
  t.like(await admin(op, 'PUT', '/approvals/a-lim/limits', limits, { 'if-match': 'v0' }), { status: 400, body: { type: 'urn:gateway:problem:validation_failed' } }, 'not an ETag');
  const put = await admin(op, 'PUT', '/approvals/a-lim/limits', limits, { 'if-match': '"0"' });
  t.like(put, { status: 200, etag: '"1"' });
  t.like(await admin(op, 'PUT', '/approvals/a-lim/limits', limits, { 'if-match': '"0"' }), { status: 412, body: { type: 'urn:gateway:problem:version_conflict' } }, 'a stale version is refused');
  t.like(await admin(op, 'PUT', '/approvals/a-lim/limits', { citizens: { mode: 'everyone' } }, { 'if-match': '"1"' }), { status: 400, body: { type: 'urn:gateway:problem:validation_failed' } });
  t.is((await admin(op, 'PUT', '/approvals/a-lim/limits', { citizens: { mode: 'cohort', cohortId: 'nope' } }, { 'if-match': '"1"' })).status, 404);

  t.is((await decide(gw, app, target(x))).body.decision, 'permit');
  t.deepEqual((await decide(gw, app, target(y))).body.reasons, ['citizen_not_in_cohort']);

  // The cohort changes (y in, x out): the next decision follows.
  const updated = await admin(op, 'PUT', '/controllers/region-a/cohorts/diabetes', { name: 'Diabetesprogrammet', members: [y] }, { 'if-match': '"1"' });
  t.like(updated, { status: 200, etag: '"2"' });
  t.is((await decide(gw, app, target(y))).body.decision, 'permit');
  t.deepEqual((await decide(gw, app, target(x))).body.reasons, ['citizen_not_in_cohort']);
  t.is((await admin(op, 'DELETE', '/controllers/region-a/cohorts/diabetes', undefined, { 'if-match': '"2"' })).status, 409, 'a cohort in use stays');

  t.is((await admin(op, 'PUT', '/approvals/a-lim/limits', { citizens: { mode: 'represented' } }, { 'if-match': '"1"' })).status, 200);
  // Representation reaches only the citizen a person's token was issued for: a service token is nobody's.
  t.deepEqual((await decide(gw, app, target(y))).body.reasons, ['subject_required']);

  const audit = (await db.query<{ actor: string; action: string; object_id: string }>(`SELECT actor, action, object_id FROM audit_log ORDER BY seq`)).rows;
  t.deepEqual(audit.map((a) => `${a.actor} ${a.action} ${a.object_id}`), [
    'gateway-cli cohort.create diabetes', 'gateway-cli approval.limits a-lim', 'gateway-cli cohort.update diabetes', 'gateway-cli approval.limits a-lim',
  ]);
});

test.serial('the admin API refuses other controllers, products\' tokens and missing proofs', async (t) => {
  const op = await clientCredentialsToken(gw, cli);
  const app = await clientCredentialsToken(gw, product);
  t.like(await admin(op, 'PUT', '/approvals/b-lim/limits', { citizens: { mode: 'token_subject' } }, { 'if-match': '"0"' }), { status: 403, body: { type: 'urn:gateway:problem:outside_controller' } });
  t.like(await admin(op, 'GET', '/controllers/kommun-b/cohorts'), { status: 403 });
  t.like(await admin(app, 'GET', '/approvals/a-lim/limits'), { status: 403, body: { type: 'urn:gateway:problem:not_admin_client' } });
  const noProof = await fetch(`${gw.url}/admin/api/v1/approvals/a-lim/limits`, { headers: { authorization: `DPoP ${op.token}` } });
  t.is(noProof.status, 401);
  t.is((await admin(op, 'GET', '/approvals/nope/limits')).status, 404);
});

test.serial('a containment suspension is listed, reported and lifted through the admin API, audited', async (t) => {
  const op = await clientCredentialsToken(gw, cli);
  await gw.pdp!.audit.drain();
  const s = await gw.pdp!.containment.trip({ productId: 'p-lim', clientId: product.config.client_id, controllerId: 'region-a', reason: 'suspicious_denials' });
  const listed = await admin(op, 'GET', '/suspensions');
  t.like((listed.body.items as Array<Record<string, unknown>>).find((x) => x.id === s!.id), { controllerId: 'region-a', version: 1 }, 'a list is { items: [...] }');
  await gw.pdp!.audit.drain();
  const report = await admin(op, 'GET', `/suspensions/${s!.id}/report`);
  t.is(report.status, 200);
  t.deepEqual(report.body.citizens, [x, y].map((c) => gw.pdp!.accounts.accountIdFor(c)).sort(), 'the citizens whose data the product got at region-a before the trip');
  const app = await clientCredentialsToken(gw, product).catch(() => undefined);
  t.truthy(app, 'kommun-b still approves the product, so it still gets tokens');
  t.deepEqual((await decide(gw, app!, { controller: 'region-a', dataset: 'bookings', citizen: x, action: 'read' })).body.reasons, ['suspended_by_containment']);
  t.is((await admin(op, 'POST', `/suspensions/${s!.id}/lift`)).status, 428);
  t.like(await admin(op, 'POST', `/suspensions/${s!.id}/lift`, undefined, { 'if-match': '"1"' }), { status: 200, etag: '"2"', body: { liftedBy: 'gateway-cli' } });
  t.is((await admin(op, 'POST', `/suspensions/${s!.id}/lift`, undefined, { 'if-match': '"1"' })).status, 412);
  t.notDeepEqual((await decide(gw, app!, { controller: 'region-a', dataset: 'bookings', citizen: x, action: 'read' })).body.reasons, ['suspended_by_containment']);
  const audit = (await db.query<{ action: string }>(`SELECT action FROM audit_log WHERE object_type = 'suspension'`)).rows;
  t.deepEqual(audit.map((a) => a.action), ['suspension.lift']);
});

test.serial('path ids are validated: a NUL byte or another odd id is a 400 that names the parameter, never a 500', async (t) => {
  const op = await clientCredentialsToken(gw, cli);
  for (const path of ['/approvals/a%00lim/limits', '/controllers/region-a/cohorts/x%00y', '/suspensions/%00/report', '/controllers/REGION-A/cohorts', '/approvals/%E2%80%AE/limits']) {
    const reply = await admin(op, 'GET', path);
    t.like(reply, { status: 400, body: { type: 'urn:gateway:problem:validation_failed' } }, path);
    t.regex(String(reply.body.detail), /^path\./, path);
  }
  t.like(await admin(op, 'POST', '/suspensions/a%00b/lift', undefined, { 'if-match': '"1"' }), { status: 400, body: { type: 'urn:gateway:problem:validation_failed' } });
  const anonymous = await fetch(`${gw.url}/admin/api/v1/approvals/a%00lim/limits`);
  t.is(anonymous.status, 401, 'the token is checked before anything else is read');
});

test.serial('the exposure routes are in the admin API\'s OpenAPI document, with their If-Match rules', async (t) => {
  const doc = (await (await fetch(`${gw.url}/admin/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string; required: boolean }> }>> };
  const contract: Record<string, string[]> = {
    '/approvals/{id}/limits': ['get', 'put'], '/controllers/{id}/cohorts': ['get', 'post'], '/controllers/{id}/cohorts/{cohortId}': ['delete', 'get', 'put'],
    '/suspensions': ['get'], '/suspensions/{id}/report': ['get'], '/suspensions/{id}/lift': ['post'],
  };
  for (const [path, methods] of Object.entries(contract)) t.deepEqual(Object.keys(doc.paths[path] ?? {}).sort(), methods, path);
  for (const [path, method] of [['/approvals/{id}/limits', 'put'], ['/controllers/{id}/cohorts/{cohortId}', 'delete'], ['/suspensions/{id}/lift', 'post']] as const) {
    t.like(doc.paths[path]?.[method]?.parameters.find((p) => p.name === 'If-Match'), { in: 'header', required: true }, `${method} ${path}`);
  }
  t.deepEqual(doc.paths['/controllers/{id}/cohorts/{cohortId}']?.get?.parameters.filter((p) => p.in === 'path').map((p) => p.name), ['id', 'cohortId']);
  t.falsy(doc.paths['/controllers'], 'a gateway without the registry database serves, and documents, only the exposure routes');
});

test.serial('a cohort may be larger than other admin bodies; deleting one needs If-Match', async (t) => {
  const op = await clientCredentialsToken(gw, cli);
  const some = citizens(500, 300);
  const members = Array.from({ length: 5000 }, (_, i) => some[i % some.length] as string);
  t.true(JSON.stringify(members).length > 64 * 1024, 'more than the 64 kB of the other admin routes');
  const created = await admin(op, 'POST', '/controllers/region-a/cohorts', { id: 'large', name: 'Stor kohort', members });
  t.like(created, { status: 201, etag: '"1"' });
  t.is((created.body.members as string[]).length, 500, 'one pseudonym per citizen');
  t.like(await admin(op, 'DELETE', '/controllers/region-a/cohorts/large'), { status: 428, body: { type: 'urn:gateway:problem:precondition_required' } });
  t.like(await admin(op, 'DELETE', '/controllers/region-a/cohorts/large', undefined, { 'if-match': '"2"' }), { status: 412, body: { type: 'urn:gateway:problem:version_conflict' } });
  t.is((await admin(op, 'DELETE', '/controllers/region-a/cohorts/large', undefined, { 'if-match': '"1"' })).status, 204);
  t.like(await admin(op, 'GET', '/controllers/region-a/cohorts/large'), { status: 404, body: { type: 'urn:gateway:problem:not_found' } });
});

// A controller's jump policy through the admin API: read by any role, set only by that controller's
// administrator, validated (configured upstreams, a known level), versioned with If-Match once it
// exists, audited with before and after, and in the snapshot the jump decision reads.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { LOA } from '../../src/idp/claims.ts';
import { startTestGateway, makeTestClient } from '../helpers/gateway.ts';
import { STAFF, callApi, refused, staffToken } from '../helpers/adminApi.ts';

const { OLOF, SARA, TOMAS, LARS } = STAFF;
let gw: Gateway;

test.before(async () => {
  const admin = await makeTestClient('gateway-admin', 'https://console.example.test/cb', { scope: 'openid' });
  gw = await startTestGateway({ clients: [admin.config] });
});
test.after.always(async () => {
  await gw?.close();
});

const path = '/admin/api/v1/controllers/sandvik-kommun/jump-policy';

test.serial('the seeded jump policy is readable; only its controller\'s administrator changes it, with If-Match, audited', async (t) => {
  const [olof, sara, tomas, lars] = await Promise.all([OLOF, SARA, TOMAS, LARS].map((h) => staffToken(gw, h)));
  const seeded = await callApi(gw, lars, 'GET', path);
  t.is(seeded.status, 200);
  t.deepEqual(seeded.body.acceptedUpstreams, ['bankid', 'freja', 'portal-saml']);
  t.is(seeded.body.minimumAcr, LOA.loa3);
  const etag = seeded.headers.get('etag');
  t.truthy(etag);

  const body = { acceptedUpstreams: ['bankid'], minimumAcr: LOA.loa3 };
  t.deepEqual(refused(await callApi(gw, olof, 'PUT', path, { body, ifMatch: etag! })), [403, 'forbidden_role']);
  t.deepEqual(refused(await callApi(gw, sara, 'PUT', path, { body, ifMatch: etag! })), [403, 'outside_controller']);
  t.deepEqual(refused(await callApi(gw, tomas, 'PUT', path, { body })), [428, 'precondition_required']);
  t.deepEqual(refused(await callApi(gw, tomas, 'PUT', path, { body, ifMatch: '"99"' })), [412, 'version_conflict']);
  t.deepEqual(refused(await callApi(gw, tomas, 'PUT', path, { body: { ...body, acceptedUpstreams: ['nosuch'] }, ifMatch: etag! })), [422, 'unknown_authn_method']);
  t.deepEqual(refused(await callApi(gw, tomas, 'PUT', path, { body: { ...body, minimumAcr: 'loa9' }, ifMatch: etag! })), [422, 'unknown_acr']);
  t.is((await callApi(gw, tomas, 'PUT', path, { body: { ...body, extra: 1 }, ifMatch: etag! })).status, 400);

  const set = await callApi(gw, tomas, 'PUT', path, { body, ifMatch: etag! });
  t.is(set.status, 200, JSON.stringify(set.body));
  t.deepEqual(set.body.acceptedUpstreams, ['bankid']);
  t.is(set.body.version, seeded.body.version + 1);

  const audit = await callApi(gw, tomas, 'GET', '/admin/api/v1/audit?objectType=jump_policy&objectId=sandvik-kommun');
  t.is(audit.status, 200);
  const entry = audit.body.items[0];
  t.is(entry.action, 'jump_policy.set');
  t.is(entry.actor, TOMAS);
  t.is(entry.role, 'controller_admin');
  t.deepEqual(entry.before.acceptedUpstreams, ['bankid', 'freja', 'portal-saml']);
  t.deepEqual(entry.after.acceptedUpstreams, ['bankid']);

  const snapshot = await gw.registry!.snapshot();
  t.deepEqual(snapshot.jumpPolicies?.find((p) => p.controllerId === 'sandvik-kommun')?.acceptedUpstreams, ['bankid']);
});

test.serial('a controller without a jump policy answers 404; an unknown controller 404', async (t) => {
  const olof = await staffToken(gw, OLOF);
  t.deepEqual(refused(await callApi(gw, olof, 'GET', '/admin/api/v1/controllers/vardbolaget/jump-policy')), [404, 'not_found']);
  t.deepEqual(refused(await callApi(gw, olof, 'GET', '/admin/api/v1/controllers/no-such/jump-policy')), [404, 'not_found']);
});

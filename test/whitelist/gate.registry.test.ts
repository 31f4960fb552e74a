// Issue 3's token-gate "Done when" on the real system of record: two gateway instances share one
// PostgreSQL registry and one Redis; products, certifications and approvals are made through the admin
// API with the callers' real roles. A product is refused until a controller approves it; its token
// lists exactly the approvals; a revocation through instance A removes the controller from
// introspection at instance B within a second; moving the clock past a certification's expiry does the
// same for the automatic approval resting on it.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { postgresForTests, type PostgresServer } from '../helpers/postgres.ts';
import { STAFF, callApi, clientCredentials, staffToken, type Caller } from '../helpers/adminApi.ts';

const DAY = 86_400_000;
let pg: PostgresServer;
let redis: { url: string; stop(): Promise<void> };
let a: Gateway;
let b: Gateway;
const clock = new ManualClock(Date.now());
let cli: TestClient;
let admin: TestClient;
let app: TestClient;

test.before(async () => {
  [pg, redis] = await Promise.all([postgresForTests(), redisForTests()]);
  cli = await makeTestClient('gateway-cli', 'https://cli.example.test/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  admin = await makeTestClient('gateway-admin', 'https://console.example.test/cb', { scope: 'openid' });
  app = await makeTestClient(`gated-app-${randomUUID().slice(0, 6)}`, 'https://app.example.test/cb', { grant_types: ['client_credentials'] });
  const overrides = { store: { redisUrl: redis.url, keyPrefix: `reg${randomUUID()}:` }, registry: { databaseUrl: pg.url } };
  // Both instances share the registry, the store and the clock, as two pods behind one load balancer.
  a = await startTestGateway({ clock, clients: [cli.config, admin.config], overrides });
  b = await startTestGateway({ clock, clients: [cli.config, admin.config], overrides });
});

test.after.always(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
  await pg?.stop();
});

async function appToken(gw: Gateway) {
  const config = await oidc.discovery(new URL(gw.url), app.config.client_id, {},
    oidc.PrivateKeyJwt({ key: app.privateKey, kid: app.kid }), { execute: [oidc.allowInsecureRequests] });
  const tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP: oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256')) });
  return { tokens, config };
}

async function refusedToken(gw: Gateway): Promise<string> {
  try {
    await appToken(gw);
    return 'granted';
  } catch (err) {
    return (err as { error?: string }).error ?? (err as Error).message;
  }
}

async function ok(gw: Gateway, caller: Caller, method: string, path: string, body?: unknown, ifMatch?: string) {
  const reply = await callApi(gw, caller, method, `/admin/api/v1${path}`, { ...(body ? { body } : {}), ...(ifMatch ? { ifMatch } : {}) });
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

test.serial('refused while unknown, registered, certified under an unaccepted framework and unapproved; then exactly its approvals; revocation and expiry reach the other instance', async (t) => {
  const operator = await clientCredentials(a, cli);
  const sara = await staffToken(a, STAFF.SARA);
  const tomas = await staffToken(a, STAFF.TOMAS);
  const jwk = (app.config.jwks as { keys: Array<Record<string, unknown>> }).keys[0]!;

  t.is(await refusedToken(a), 'invalid_client', 'unknown');

  await ok(a, operator, 'POST', '/products', {
    id: 'gated-app', name: 'Gated app', supplierOrgNumber: '5560001234', supplierName: 'Testbolaget AB', purpose: 'self-care',
    contact: { name: 'Support', email: 'support@testbolaget.example.se' },
    client: { clientId: app.config.client_id, redirectUris: ['https://app.example.test/cb'], jwks: { keys: [jwk] }, grantTypes: ['client_credentials'] },
    authnMethods: ['bankid'],
    requestedAccess: [{ dataset: 'bookings', actions: ['read', 'write'] }, { dataset: 'home-care-decisions', actions: ['read'] }],
  });
  t.is(await refusedToken(a), 'invalid_client', 'registered, uncertified, unapproved');
  t.like(await a.gate!.check(app.config.client_id), { ok: false, reason: 'product_not_active' });

  await ok(a, operator, 'POST', '/products/gated-app/status', { status: 'active' }, '"1"');
  t.like(await a.gate!.check(app.config.client_id), { ok: false, reason: 'no_approval' });

  // A certification under N!P, a framework no controller's policy accepts.
  await ok(a, operator, 'POST', '/roles', { subject: { kind: 'staff', hsaId: 'SE5560000002-NP01' }, role: 'certifier', scope: 'np' });
  const npCertifier = await staffToken(a, 'SE5560000002-NP01');
  await ok(a, npCertifier, 'POST', '/certifications', {
    productId: 'gated-app', frameworkId: 'np', purpose: 'self-care', certifiedBy: 'N!P (sandlåda)',
    issuedAt: new Date(clock.now() - DAY).toISOString(), expiresAt: new Date(clock.now() + 365 * DAY).toISOString(), evidenceRef: 'NP-1',
  });
  t.is(await refusedToken(b), 'invalid_client', 'certified under a framework nobody accepts (seen at the other instance too)');
  t.like(await b.gate!.check(app.config.client_id), { ok: false, reason: 'framework_not_accepted' });

  // Region Sandbox approves on its own review; Sandvik kommun for home-care decisions.
  const regionApproval = await ok(a, sara, 'POST', '/approvals', {
    controllerId: 'region-sandbox', productId: 'gated-app', purpose: 'self-care', basis: 'own_review', access: [{ dataset: 'bookings', actions: ['read'] }],
  });
  await ok(a, tomas, 'POST', '/approvals', {
    controllerId: 'sandvik-kommun', productId: 'gated-app', purpose: 'self-care', basis: 'own_review', access: [{ dataset: 'home-care-decisions', actions: ['read'] }],
  });
  const { tokens, config } = await appToken(b);
  t.deepEqual(tokens.authorization_details, [
    { type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['region-sandbox'] },
    { type: 'dataset_access', dataset: 'home-care-decisions', actions: ['read'], controllers: ['sandvik-kommun'] },
  ], 'exactly the approved controllers, data sets and actions');

  const details = async () => (await oidc.tokenIntrospection(config, tokens.access_token)).authorization_details as Array<Record<string, unknown>> | undefined;

  // Sara revokes through instance A; the token was issued by B and is introspected at B.
  const revokedAt = Date.now();
  await ok(a, sara, 'POST', `/approvals/${regionApproval.id}/revoke`, {}, `"${regionApproval.version}"`);
  let seen = await details();
  while (JSON.stringify(seen).includes('region-sandbox') && Date.now() - revokedAt < 1000) {
    await new Promise((r) => setTimeout(r, 20));
    seen = await details();
  }
  const tookMs = Date.now() - revokedAt;
  t.log(`region-sandbox left the token's details at the other instance ${tookMs} ms after the revocation was acknowledged`);
  t.deepEqual(seen, [{ type: 'dataset_access', dataset: 'home-care-decisions', actions: ['read'], controllers: ['sandvik-kommun'] }]);
  t.true(tookMs < 1000);

  // Nordic MedTest certifies it with a short validity: Region Sandbox's policy approves it again, automatically, with write access.
  const maria = await staffToken(a, STAFF.MARIA);
  await ok(a, maria, 'POST', '/certifications', {
    productId: 'gated-app', frameworkId: 'nordic-medtest', purpose: 'self-care', certifiedBy: 'Nordic MedTest (sandlåda)',
    issuedAt: new Date(clock.now() - DAY).toISOString(), expiresAt: new Date(clock.now() + 2 * DAY).toISOString(), evidenceRef: 'NMT-7',
  });
  t.deepEqual(await details(), [
    { type: 'dataset_access', dataset: 'bookings', actions: ['read', 'write'], controllers: ['region-sandbox'] },
    { type: 'dataset_access', dataset: 'home-care-decisions', actions: ['read'], controllers: ['sandvik-kommun'] },
  ], 'Region Sandbox is back, through its policy');

  // Past the certification's expiry, the automatic approval falls away (at instance B, with no change announced).
  clock.advance(3 * DAY);
  t.deepEqual(await details(), [{ type: 'dataset_access', dataset: 'home-care-decisions', actions: ['read'], controllers: ['sandvik-kommun'] }]);
});

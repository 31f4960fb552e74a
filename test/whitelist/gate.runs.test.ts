// What the token gate costs a request: it reads the registry and runs its checks exactly once per token
// request (client credentials, and the authorization code after a citizen's sign-in), once per
// introspection and once per decision at the PDP, however many of oidc-provider's hooks ask for the
// client and its live authorization_details. Counted on the gateway's own ProductGate, against real
// requests from openid-client.
import test from 'ava';
import * as oidc from 'openid-client';
import type { Gateway } from '../../src/gateway.ts';
import type { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import type { ProductGate } from '../../src/whitelist/productGate.ts';
import { approval, controller, snapshot } from './snapshotFixture.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import type { TestClient } from '../helpers/gateway.ts';
import {
  TestRegistry, clientFor, decide, memoryDb, productFor, rpFor, startPdpGateway, REDIRECT,
} from '../scopes/pdpFixture.ts';

const ANNA = '198003121236';
let redis: { url: string; stop(): Promise<void> };
let db: PgliteDb;
let gw: Gateway;
let gate: ProductGate;
const clients: Record<string, TestClient> = {};
const registry = new TestRegistry(snapshot());

// The counter is the gateway's: requests of one test must not overlap another's.
test.before(async () => {
  redis = await redisForTests();
  db = await memoryDb();
  clients.service = await clientFor('runs-service', ['client_credentials']);
  clients.app = await clientFor('runs-app', ['authorization_code']);
  registry.current = snapshot({
    controllers: [controller('region-a', ['bookings'], { name: 'Region A' })],
    products: [productFor(clients.service, 'p-service'), productFor(clients.app, 'p-app')],
    approvals: [
      approval('a-service', 'region-a', 'p-service', { access: [{ dataset: 'bookings', actions: ['read'] }] }),
      approval('a-app', 'region-a', 'p-app', { access: [{ dataset: 'bookings', actions: ['read'] }] }),
    ],
  });
  gw = await startPdpGateway(registry, db, redis.url);
  if (!gw.gate) throw new Error('the test gateway has no product gate');
  gate = gw.gate;
});

test.after.always(async () => {
  await gw?.close();
  await db?.close();
  await redis?.stop();
});

/** How many gate runs `work` caused. */
async function runsOf<T>(work: () => Promise<T>): Promise<{ runs: number; value: T }> {
  const before = gate.runs;
  const value = await work();
  return { runs: gate.runs - before, value };
}

test.serial('a client-credentials token request runs the gate once, an introspection of its token once', async (t) => {
  const config = await rpFor(gw, clients.service!);
  const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  const token = await runsOf(() => oidc.clientCredentialsGrant(config, {}, { DPoP: dpop }));
  t.is(token.runs, 1);
  t.deepEqual(token.value.authorization_details, [{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['region-a'] }],
    'the one run still yields the live details');

  const narrowed = await runsOf(() => oidc.clientCredentialsGrant(config, {
    authorization_details: JSON.stringify([{ type: 'dataset_access', dataset: 'bookings', controllers: ['region-a'] }]),
  }, { DPoP: dpop }));
  t.is(narrowed.runs, 1, 'with authorization_details (the RAR hooks ask too)');

  const introspected = await runsOf(() => oidc.tokenIntrospection(config, token.value.access_token));
  t.is(introspected.runs, 1);
  t.true(introspected.value.active);
  t.deepEqual(introspected.value.authorization_details, token.value.authorization_details);
});

test.serial('an authorization-code token request runs the gate once, and so does the PDP decision on its token', async (t) => {
  const rp = await discoverRp(gw, clients.app!);
  const auth = await pushAuthorization(rp);
  const callback = await browserThroughBankId(gw, auth.url, ANNA, REDIRECT);
  const token = await runsOf(() => oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop }));
  t.is(token.runs, 1);
  t.deepEqual(token.value.authorization_details, [{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['region-a'] }]);

  const holder = { token: token.value.access_token, keys: rp.dpopKeys };
  const permit = await runsOf(() => decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'read' }));
  t.is(permit.value.body.decision, 'permit', JSON.stringify(permit.value.body));
  t.is(permit.runs, 1, 'verifying the token does not run the gate; product_active runs it once');
  const denied = await runsOf(() => decide(gw, holder, { controller: 'region-a', dataset: 'bookings', citizen: ANNA, action: 'write' }));
  t.like(denied.value.body, { decision: 'deny', reasons: ['action_not_covered'] });
  t.is(denied.runs, 1);
});

test.serial('a consent page runs the gate once: the client lookup and the data lines share the run', async (t) => {
  const rp = await discoverRp(gw, clients.app!);
  const auth = await pushAuthorization(rp);
  const ua = new UserAgent(gw.url);
  let consent: { runs: number; status: number; page: string } | undefined;
  // The interaction stays at consent until the citizen answers: the page drawn again is one render on its own.
  await browserThroughBankId(gw, auth.url, ANNA, REDIRECT, ua, async (_page, url) => {
    const render = await runsOf(() => ua.request(url));
    consent = { runs: render.runs, status: render.value.status, page: render.value.text };
  });
  if (!consent) throw new Error('the sign-in showed no consent page');
  t.is(consent.status, 200);
  t.regex(consent.page, /bokningar<\/strong>, ansvarig: Region A/, 'the data lines come from the same run');
  t.is(consent.runs, 1);
});

test.serial('a refused product costs one run per request too, and stays refused (fail closed)', async (t) => {
  const config = await rpFor(gw, clients.service!);
  const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  const token = await oidc.clientCredentialsGrant(config, {}, { DPoP: dpop });
  const saved = registry.current;
  registry.current = { ...structuredClone(saved), approvals: saved.approvals.filter((a) => a.productId !== 'p-service') };
  gw.registry!.invalidate();
  try {
    const refused = await runsOf(() => oidc.clientCredentialsGrant(config, {}, { DPoP: dpop }).then(() => 'granted', (err: { error?: string }) => err.error));
    t.is(refused.value, 'invalid_client');
    t.is(refused.runs, 1);
  } finally {
    registry.current = saved;
    gw.registry!.invalidate();
  }
  t.true((await oidc.tokenIntrospection(config, token.access_token)).active, 'approved again: its token is active');
});

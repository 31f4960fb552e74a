// The token gate inside the OpenID Provider (flow 2): a product gets tokens only while the registry
// says so, every token carries the live approvals as authorization_details, and a change on one
// instance reaches introspection on another within a second. The registry content here is the
// test's own snapshot (RegistrySource); the PostgreSQL-backed store runs the same gate in
// test/whitelist/registry*.test.ts.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/clock.ts';
import type { RegistrySnapshot } from '../../src/whitelist/model.ts';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from '../helpers/signIn.ts';
import { redisForTests } from '../helpers/redisServer.ts';
import { approval, certification, controller, DAY, iso, policy, product, snapshot } from './snapshotFixture.ts';

const REDIRECT = 'https://gated.example.test/cb';
/** A certification valid around the real time (the gateways below run on real or near-real clocks). */
const validNow = (id: string, productId: string, frameworkId: string) =>
  certification(id, productId, frameworkId, { issuedAt: iso(Date.now() - DAY), expiresAt: iso(Date.now() + 30 * DAY) });

/** A registry whose content the test changes, as the admin API would, one revision at a time. */
class TestRegistry {
  current: RegistrySnapshot;
  constructor(s: RegistrySnapshot) {
    this.current = s;
  }
  async snapshot(): Promise<RegistrySnapshot> {
    return structuredClone(this.current);
  }
  change(fn: (s: RegistrySnapshot) => void): void {
    fn(this.current);
    this.current.revision += 1;
  }
}

function productFor(client: TestClient, id: string) {
  return product(id, {
    client: {
      clientId: client.config.client_id,
      redirectUris: client.config.redirect_uris,
      postLogoutRedirectUris: [],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: client.config.jwks as { keys: Array<Record<string, unknown>> },
      grantTypes: ['authorization_code', 'client_credentials'],
      scope: 'openid profile https://id.oidc.se/scope/naturalPersonNumber',
    },
    authnMethods: ['bankid'],
  });
}

async function rpFor(gw: Gateway, client: TestClient) {
  return oidc.discovery(new URL(gw.url), client.config.client_id, {},
    oidc.PrivateKeyJwt({ key: client.privateKey, kid: client.kid }), { execute: [oidc.allowInsecureRequests] });
}

async function clientCredentials(gw: Gateway, client: TestClient, params: Record<string, string> = {}) {
  const config = await rpFor(gw, client);
  const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
  return oidc.clientCredentialsGrant(config, params, { DPoP: dpop });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'granted';
  } catch (err) {
    return (err as { error?: string }).error ?? (err as Error).message;
  }
}

test('a product is refused while unknown, unapproved or only certified under an unaccepted framework, and gets exactly its approvals once approved', async (t) => {
  const client = await makeTestClient(`gated-${randomUUID().slice(0, 8)}`, REDIRECT, { grant_types: ['client_credentials'] });
  const registry = new TestRegistry(snapshot({ products: [] }));
  const gw = await startTestGateway({ registry });
  try {
    t.is(await refusal(clientCredentials(gw, client)), 'invalid_client', 'unknown');

    registry.change((s) => s.products.push(productFor(client, 'p1')));
    registry.current.products[0]!.status = 'registered';
    await gw.registry!.announce(registry.current.revision);
    t.is(await refusal(clientCredentials(gw, client)), 'invalid_client', 'registered, not certified, not approved');
    t.like(await gw.gate!.check(client.config.client_id), { ok: false, reason: 'product_not_active' });

    registry.change((s) => {
      s.products[0]!.status = 'active';
      s.certifications.push(validNow('c1', 'p1', 'np'));
    });
    await gw.registry!.announce(registry.current.revision);
    t.is(await refusal(clientCredentials(gw, client)), 'invalid_client', 'certified under a framework nobody accepts');
    t.like(await gw.gate!.check(client.config.client_id), { ok: false, reason: 'framework_not_accepted' });

    registry.change((s) => { s.certifications = []; });
    await gw.registry!.announce(registry.current.revision);
    t.like(await gw.gate!.check(client.config.client_id), { ok: false, reason: 'no_approval' });
    t.is(await refusal(clientCredentials(gw, client)), 'invalid_client', 'approved by nobody');

    registry.change((s) => s.approvals.push(approval('a1', 'region-a', 'p1', { access: [{ dataset: 'bookings', actions: ['read', 'write'] }] })));
    await gw.registry!.announce(registry.current.revision);
    const tokens = await clientCredentials(gw, client);
    t.deepEqual(tokens.authorization_details, [{ type: 'dataset_access', dataset: 'bookings', actions: ['read', 'write'], controllers: ['region-a'] }]);
    const introspected = await oidc.tokenIntrospection(await rpFor(gw, client), tokens.access_token);
    t.true(introspected.active);
    t.deepEqual(introspected.authorization_details, tokens.authorization_details);
  } finally {
    await gw.close();
  }
});

test('a client may narrow its authorization_details but never widen them', async (t) => {
  const client = await makeTestClient(`narrow-${randomUUID().slice(0, 8)}`, REDIRECT, { grant_types: ['client_credentials'] });
  const registry = new TestRegistry(snapshot({
    products: [productFor(client, 'p1')],
    approvals: [
      approval('a1', 'region-a', 'p1', { access: [{ dataset: 'bookings', actions: ['read', 'write'] }, { dataset: 'vaccinations', actions: ['read'] }] }),
      approval('a2', 'kommun-b', 'p1', { access: [{ dataset: 'bookings', actions: ['read'] }] }),
    ],
  }));
  const gw = await startTestGateway({ registry });
  try {
    const narrowed = await clientCredentials(gw, client, { authorization_details: JSON.stringify([{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['kommun-b'] }]) });
    t.deepEqual(narrowed.authorization_details, [{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['kommun-b'] }]);
    const introspected = await oidc.tokenIntrospection(await rpFor(gw, client), narrowed.access_token);
    t.deepEqual(introspected.authorization_details, narrowed.authorization_details, 'introspection keeps the narrowing');
    for (const wider of [
      { type: 'dataset_access', dataset: 'vaccinations', actions: ['write'] },
      { type: 'dataset_access', dataset: 'bookings', actions: ['write'], controllers: ['kommun-b'] },
      { type: 'dataset_access', dataset: 'lab-results' },
      { type: 'dataset_access', dataset: 'bookings', patient: '198003121236' },
      { type: 'something_else' },
    ]) {
      t.is(await refusal(clientCredentials(gw, client, { authorization_details: JSON.stringify([wider]) })), 'invalid_authorization_details', JSON.stringify(wider));
    }
  } finally {
    await gw.close();
  }
});

test('a citizen sign-in yields an access token carrying the live approvals; narrowing at PAR holds through the code', async (t) => {
  const client = await makeTestClient(`signin-${randomUUID().slice(0, 8)}`, REDIRECT);
  const registry = new TestRegistry(snapshot({
    products: [productFor(client, 'p1')],
    approvals: [approval('a1', 'region-a', 'p1', { access: [{ dataset: 'bookings', actions: ['read', 'write'] }] })],
    certifications: [validNow('c1', 'p1', 'nordic-medtest')],
    policies: [policy('kommun-b', [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }] }])],
  }));
  const gw = await startTestGateway({ registry });
  try {
    const rp = await discoverRp(gw, client);
    const auth = await pushAuthorization(rp);
    let consent = '';
    const callback = await browserThroughBankId(gw, auth.url, '198003121236', REDIRECT, undefined, (page) => { consent = page; });
    // The citizen is told, before approving, which data at which controllers the app will reach.
    t.regex(consent, /läsa bokningar<\/strong>, ansvarig: kommun-b/);
    t.regex(consent, /läsa och ändra bokningar<\/strong>, ansvarig: region-a/);
    const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
    t.deepEqual(tokens.authorization_details, [
      { type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['kommun-b'] },
      { type: 'dataset_access', dataset: 'bookings', actions: ['read', 'write'], controllers: ['region-a'] },
    ]);

    const narrowedAuth = await pushAuthorization(rp, { authorization_details: JSON.stringify([{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['region-a'] }]) });
    let narrowedConsent = '';
    const narrowedCallback = await browserThroughBankId(gw, narrowedAuth.url, '198003121236', REDIRECT, undefined, (page) => { narrowedConsent = page; });
    t.regex(narrowedConsent, /läsa bokningar<\/strong>, ansvarig: region-a/);
    t.notRegex(narrowedConsent, /kommun-b/, 'the consent names only what the narrowed request reaches');
    const narrowed = await oidc.authorizationCodeGrant(rp.config, narrowedCallback, { pkceCodeVerifier: narrowedAuth.verifier, expectedState: narrowedAuth.state }, undefined, { DPoP: rp.dpop });
    t.deepEqual(narrowed.authorization_details, [{ type: 'dataset_access', dataset: 'bookings', actions: ['read'], controllers: ['region-a'] }]);

    const wider = pushAuthorization(rp, { authorization_details: JSON.stringify([{ type: 'dataset_access', dataset: 'vaccinations' }]) });
    t.is(await refusal(wider), 'invalid_authorization_details', 'widening is refused at PAR');
  } finally {
    await gw.close();
  }
});

test('revoking on one instance drops the controller at introspection on another within a second; an expired certification does the same', async (t) => {
  const redis = await redisForTests();
  const client = await makeTestClient(`multi-${randomUUID().slice(0, 8)}`, REDIRECT, { grant_types: ['client_credentials'] });
  const now = Date.now();
  const registry = new TestRegistry(snapshot({
    controllers: [controller('region-a', ['bookings']), controller('kommun-b', ['bookings']), controller('region-c', ['bookings'])],
    products: [productFor(client, 'p1')],
    approvals: [approval('a1', 'region-a', 'p1'), approval('a2', 'kommun-b', 'p1')],
    certifications: [certification('c1', 'p1', 'nordic-medtest', { issuedAt: iso(now - DAY), expiresAt: iso(now + DAY) })],
    policies: [policy('region-c', [{ frameworkId: 'nordic-medtest', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }] }])],
  }));
  const store = { redisUrl: redis.url, keyPrefix: `gate${randomUUID()}:` };
  const clock = new ManualClock(now);
  const a = await startTestGateway({ registry, clock, overrides: { store } });
  const b = await startTestGateway({ registry, clock, overrides: { store } });
  try {
    const tokens = await clientCredentials(b, client);
    const rpB = await rpFor(b, client);
    const controllersAtB = async () => ((await oidc.tokenIntrospection(rpB, tokens.access_token)).authorization_details as Array<{ controllers: string[] }> | undefined)?.flatMap((d) => d.controllers);
    t.deepEqual(await controllersAtB(), ['kommun-b', 'region-a', 'region-c']);

    // Revoke at A: A's registry write is followed by A's announcement; B hears it over Redis.
    registry.change((s) => { s.approvals.find((x) => x.id === 'a1')!.status = 'revoked'; });
    const revokedAt = Date.now();
    await a.registry!.announce(registry.current.revision);
    let seen: string[] | undefined;
    while (Date.now() - revokedAt < 1000) {
      seen = await controllersAtB();
      if (!seen?.includes('region-a')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const tookMs = Date.now() - revokedAt;
    t.log(`region-a dropped out at instance B after ${tookMs} ms`);
    t.deepEqual(seen, ['kommun-b', 'region-c']);
    t.true(tookMs < 1000);

    // Past the certification's expiry, the automatic approval from region-c's policy stops counting.
    clock.advance(2 * DAY);
    t.deepEqual(await controllersAtB(), ['kommun-b']);

    // The last approval revoked: the product is no longer a client, and its tokens are inactive.
    registry.change((s) => { s.approvals.find((x) => x.id === 'a2')!.status = 'revoked'; });
    await a.registry!.announce(registry.current.revision);
    await new Promise((r) => setTimeout(r, 200));
    t.false((await oidc.tokenIntrospection(await rpFor(a, client), tokens.access_token).catch(() => ({ active: false }))).active,
      'a product the gate refuses has no active tokens');
    t.is(await refusal(clientCredentials(a, client)), 'invalid_client');
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});

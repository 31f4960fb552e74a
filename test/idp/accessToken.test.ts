// Resource-side token checks (src/idp/accessToken.ts): a DPoP-bound token from the real token
// endpoint passes only with a fresh proof, for this method, URL and token, signed by its key, once.
import test from 'ava';
import * as oidc from 'openid-client';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import type { Gateway } from '../../src/gateway.ts';
import { verifyAccessToken, AccessTokenError, type ResourceRequest } from '../../src/idp/accessToken.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';

let gw: Gateway;
let client: TestClient;
let rpConfig: oidc.Configuration;

test.before(async () => {
  client = await makeTestClient('rs-check-rp', 'https://rs.example.test/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  gw = await startTestGateway({ clients: [client.config] });
  rpConfig = await oidc.discovery(new URL(gw.url), client.config.client_id, {},
    oidc.PrivateKeyJwt({ key: client.privateKey, kid: client.kid }), { execute: [oidc.allowInsecureRequests] });
});

test.after.always(async () => {
  await gw?.close();
});

async function issue(): Promise<{ token: string; keys: CryptoKeyPair }> {
  const keys = await oidc.randomDPoPKeyPair('ES256');
  const tokens = await oidc.clientCredentialsGrant(rpConfig, {}, { DPoP: oidc.getDPoPHandle(rpConfig, keys) });
  return { token: tokens.access_token, keys };
}

async function proof(keys: CryptoKeyPair, claims: Record<string, unknown>, token: string): Promise<string> {
  const jwk = await exportJWK(keys.publicKey);
  return new SignJWT({
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(token).digest('base64url'),
    ...claims,
  }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(keys.privateKey);
}

const URL_ = 'http://rs.example.test/data/bookings';
const deps = () => ({ store: gw.store, clock: { now: () => Date.now() } });

async function reason(t: import('ava').ExecutionContext, request: ResourceRequest): Promise<string> {
  const err = await t.throwsAsync(verifyAccessToken(gw.provider, request, deps()), { instanceOf: AccessTokenError });
  return err!.reason;
}

test('a DPoP-bound token with a fresh proof for this request is accepted, once per proof', async (t) => {
  const { token, keys } = await issue();
  const dpop = await proof(keys, { htm: 'GET', htu: `${URL_}?patient=x` }, token);
  const request = { method: 'GET', url: URL_, authorization: `DPoP ${token}`, dpop };
  const verified = await verifyAccessToken(gw.provider, request, deps());
  t.is(verified.clientId, 'rs-check-rp');
  t.is(verified.kind, 'ClientCredentials');
  t.truthy(verified.jkt);
  t.is(await reason(t, request), 'dpop_replayed');
});

test('every broken link is refused with its own reason', async (t) => {
  const { token, keys } = await issue();
  const other = await generateKeyPair('ES256', { extractable: true });
  const ok = (claims: Record<string, unknown> = {}) => proof(keys, { htm: 'GET', htu: URL_, ...claims }, token);
  t.is(await reason(t, { method: 'GET', url: URL_ }), 'token_missing');
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: 'DPoP not a token!' }), 'token_malformed');
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: `DPoP ${'x'.repeat(43)}`, dpop: await ok() }), 'token_inactive');
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: `DPoP ${token}` }), 'dpop_missing');
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: `Bearer ${token}`, dpop: await ok() }), 'dpop_missing', 'a DPoP-bound token never works as a bearer token');
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: `DPoP ${token}`, dpop: 'a.b.c' }), 'dpop_invalid');
  t.is(await reason(t, { method: 'POST', url: URL_, authorization: `DPoP ${token}`, dpop: await ok() }), 'dpop_mismatch', 'another method');
  t.is(await reason(t, { method: 'GET', url: 'http://rs.example.test/data/labs', authorization: `DPoP ${token}`, dpop: await ok() }), 'dpop_mismatch', 'another URL');
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: `DPoP ${token}`, dpop: await ok({ ath: 'x' }) }), 'dpop_mismatch', 'another token');
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: `DPoP ${token}`, dpop: await ok({ iat: Math.floor(Date.now() / 1000) - 600 }) }), 'dpop_stale');
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: `DPoP ${token}`, dpop: await proof(other, { htm: 'GET', htu: URL_ }, token) }), 'dpop_key_mismatch', 'the proof of another key');
});

test('a revoked token is inactive at once', async (t) => {
  const { token, keys } = await issue();
  await oidc.tokenRevocation(rpConfig, token);
  const dpop = await proof(keys, { htm: 'GET', htu: URL_ }, token);
  t.is(await reason(t, { method: 'GET', url: URL_, authorization: `DPoP ${token}`, dpop }), 'token_inactive');
});

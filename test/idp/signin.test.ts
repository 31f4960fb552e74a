// Flow 1 (docs/architecture.md): openid-client, as an independent relying party, signs a citizen in with
// BankID (simulator) over PAR + PKCE S256 + private_key_jwt + DPoP, and every shortcut is refused.
import test from 'ava';
import * as oidc from 'openid-client';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, decodeJwt } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId, type Rp } from '../helpers/signIn.ts';
import { UserAgent } from '../helpers/userAgent.ts';
import { SE, LOA } from '../../src/idp/claims.ts';

const ANNA = '198003121236';
const REDIRECT = 'https://app.example.test/callback';

let gw: Gateway;
let client: TestClient;
let otherProduct: TestClient;
let noPnrClient: TestClient;

test.before(async () => {
  client = await makeTestClient('test-rp', REDIRECT, { product_id: 'product-a' });
  otherProduct = await makeTestClient('test-rp-b', 'https://b.example.test/cb', { product_id: 'product-b' });
  noPnrClient = await makeTestClient('test-rp-nopnr', 'https://c.example.test/cb', { scope: 'openid profile' });
  gw = await startTestGateway({ clients: [client.config, otherProduct.config, noPnrClient.config] });
});

test.after.always(async () => {
  await gw?.close();
});

async function signIn(rp: Rp, personalNumber = ANNA, params: Record<string, string> = {}) {
  const auth = await pushAuthorization(rp, params);
  const callback = await browserThroughBankId(gw, auth.url, personalNumber, rp.client.config.redirect_uris[0]!);
  return { auth, callback };
}

/** A DPoP proof made by hand, so a test can replay it or sign it with the wrong key. */
async function dpopProof(keys: CryptoKeyPair, htm: string, htu: string, accessToken?: string, jti = randomUUID()) {
  const jwk = await exportJWK(keys.publicKey);
  return new SignJWT({
    htm,
    htu,
    jti,
    iat: Math.floor(Date.now() / 1000),
    ...(accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {}),
  }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(keys.privateKey);
}

test('sign-in with BankID over PAR + PKCE + private_key_jwt + DPoP yields the Swedish profile claims', async (t) => {
  const rp = await discoverRp(gw, client);
  const { auth, callback } = await signIn(rp);
  t.is(callback.searchParams.get('iss'), gw.url, 'iss in the authorization response (RFC 9207)');
  t.is(callback.searchParams.get('state'), auth.state);

  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  t.is(tokens.token_type.toLowerCase(), 'dpop', 'access token is DPoP-bound');
  const claims = tokens.claims()!;
  t.is(claims[SE.personalIdentityNumber], ANNA);
  t.is(claims.given_name, 'Anna');
  t.is(claims.family_name, 'Andersson');
  t.is(claims.name, 'Anna Andersson');
  t.is(claims.acr, LOA.loa3);
  t.is(claims[SE.authnProvider], 'https://www.bankid.com');
  t.true(typeof claims.auth_time === 'number' && Math.abs(claims.auth_time - Date.now() / 1000) < 120);
  t.not(claims.sub, ANNA, 'sub is not the personnummer');

  const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { alg: string; kid?: string };
  t.is(header.alg, 'ES256');
  t.truthy(header.kid, 'ID token names its signing key');

  const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub, { DPoP: rp.dpop });
  t.is(userinfo[SE.personalIdentityNumber], ANNA);
  t.is(userinfo.family_name, 'Andersson');

  // Introspection by the client that holds the token: active and bound to the DPoP key.
  const introspection = await oidc.tokenIntrospection(rp.config, tokens.access_token);
  t.true(introspection.active);
  const jkt = await calculateJwkThumbprint(await exportJWK(rp.dpopKeys.publicKey));
  t.is((introspection.cnf as { jkt?: string } | undefined)?.jkt, jkt);

  // Revocation makes the token useless at once.
  await oidc.tokenRevocation(rp.config, tokens.access_token);
  await t.throwsAsync(oidc.fetchUserInfo(rp.config, tokens.access_token, claims.sub, { DPoP: rp.dpop }));
});

test('sub is pairwise per product: the same citizen has different subs in two products, the same sub twice in one', async (t) => {
  const rpA = await discoverRp(gw, client);
  const rpB = await discoverRp(gw, otherProduct);
  const subOf = async (rp: Rp) => {
    const { auth, callback } = await signIn(rp);
    const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
    return tokens.claims()!.sub;
  };
  const a1 = await subOf(rpA);
  const a2 = await subOf(rpA);
  const b = await subOf(rpB);
  t.is(a1, a2);
  t.not(a1, b);
});

test('the personnummer goes only to clients allowed the naturalPersonNumber scope', async (t) => {
  const rp = await discoverRp(gw, noPnrClient);
  // Asking for the scope anyway: refused at PAR, or granted without it.
  let refused = false;
  try {
    await pushAuthorization(rp);
  } catch (err) {
    refused = true;
    t.regex(String((err as { error?: string }).error ?? err), /invalid_scope|invalid_request/);
  }
  if (!refused) t.fail('a scope outside the client registration was accepted');
  const { auth, callback } = await signIn(rp, ANNA, { scope: 'openid profile' });
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  t.is(tokens.claims()![SE.personalIdentityNumber], undefined);
  t.is(tokens.claims()!.family_name, 'Andersson');
});

test('a coordination number is released as such, never as a personnummer', async (t) => {
  const rp = await discoverRp(gw, client);
  const { auth, callback } = await signIn(rp, '198509629013');
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  t.is(tokens.claims()![SE.coordinationNumber], '198509629013');
  t.is(tokens.claims()![SE.personalIdentityNumber], undefined);
});

test('an authorization request without PAR is refused', async (t) => {
  const ua = new UserAgent(gw.url);
  const url = new URL('/auth', gw.url);
  url.search = new URLSearchParams({
    client_id: client.config.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'abc',
  }).toString();
  const res = await ua.request(url.href);
  // Either an error page, or an error sent back to the client; never a login page or a code.
  if (res.location) {
    const back = new URL(res.location);
    t.is(back.searchParams.get('error'), 'invalid_request');
    t.regex(back.searchParams.get('error_description') ?? '', /pushed/i);
    t.is(back.searchParams.get('code'), null);
  } else {
    t.is(res.status, 400);
    t.regex(res.text, /invalid_request/);
  }
});

test('plain PKCE is refused at PAR, and so is a missing code_challenge', async (t) => {
  const rp = await discoverRp(gw, client);
  const err = await t.throwsAsync(pushAuthorization(rp, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }));
  t.regex(String((err as { error?: string }).error), /invalid_request/);
  const params = new URLSearchParams({ response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, state: 's' });
  const err2 = await t.throwsAsync(oidc.buildAuthorizationUrlWithPAR(rp.config, params, { DPoP: rp.dpop }));
  t.regex(String((err2 as { error?: string }).error), /invalid_request/);
});

test('a redirect URI that is not registered exactly is refused', async (t) => {
  const rp = await discoverRp(gw, client);
  for (const redirect_uri of [`${REDIRECT}/extra`, 'https://app.example.test/callback?x=1', 'https://evil.example.test/callback', 'https://APP.example.test/callback']) {
    const err = await t.throwsAsync(pushAuthorization(rp, { redirect_uri }), undefined, redirect_uri);
    t.regex(String((err as { error?: string }).error), /invalid_redirect_uri|invalid_request/, redirect_uri);
  }
});

test('a replayed authorization code is refused, and the tokens it gave are revoked', async (t) => {
  const rp = await discoverRp(gw, client);
  const { auth, callback } = await signIn(rp);
  const first = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  const err = await t.throwsAsync(oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop }));
  t.is((err as { error?: string }).error, 'invalid_grant');
  const introspection = await oidc.tokenIntrospection(rp.config, first.access_token);
  t.false(introspection.active, 'code replay revokes the grant (RFC 6749 §4.1.2)');
});

test('a wrong PKCE verifier is refused', async (t) => {
  const rp = await discoverRp(gw, client);
  const { auth, callback } = await signIn(rp);
  const err = await t.throwsAsync(oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: auth.state }, undefined, { DPoP: rp.dpop }));
  t.is((err as { error?: string }).error, 'invalid_grant');
});

test('a replayed DPoP proof is refused, and a token is useless without its DPoP key', async (t) => {
  const rp = await discoverRp(gw, client);
  const { auth, callback } = await signIn(rp);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  const me = `${gw.url}/me`;
  const call = (headers: Record<string, string>) => fetch(me, { headers });

  const proof = await dpopProof(rp.dpopKeys, 'GET', me, tokens.access_token);
  const ok = await call({ authorization: `DPoP ${tokens.access_token}`, dpop: proof });
  t.is(ok.status, 200, 'a fresh proof works');
  const replay = await call({ authorization: `DPoP ${tokens.access_token}`, dpop: proof });
  t.is(replay.status, 401, 'the same proof again is a replay');
  t.regex(replay.headers.get('www-authenticate') ?? '', /invalid_dpop_proof|invalid_token/);

  const thief = await generateKeyPair('ES256');
  const stolen = await call({ authorization: `DPoP ${tokens.access_token}`, dpop: await dpopProof(thief, 'GET', me, tokens.access_token) });
  t.is(stolen.status, 401, 'a proof from another key');
  const bearer = await call({ authorization: `Bearer ${tokens.access_token}` });
  t.is(bearer.status, 401, 'the token as a bearer token');
  const noProof = await call({ authorization: `DPoP ${tokens.access_token}` });
  t.true([400, 401].includes(noProof.status), `no proof at all: ${noProof.status}`);
  const wrongUri = await call({ authorization: `DPoP ${tokens.access_token}`, dpop: await dpopProof(rp.dpopKeys, 'GET', `${gw.url}/other`, tokens.access_token) });
  t.is(wrongUri.status, 401, 'a proof for another URI');
});

test('the token endpoint refuses a code exchange without DPoP, since the client must bind its tokens', async (t) => {
  const rp = await discoverRp(gw, client);
  const { auth, callback } = await signIn(rp);
  const err = await t.throwsAsync(oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }));
  t.regex(String((err as { error?: string }).error), /invalid_request|invalid_grant|invalid_dpop_proof/);
});

test('a client assertion signed with another key is refused (private_key_jwt)', async (t) => {
  const { privateKey } = await generateKeyPair('ES256');
  const impostor = await oidc.discovery(new URL(gw.url), client.config.client_id, { id_token_signed_response_alg: 'ES256' },
    oidc.PrivateKeyJwt({ key: privateKey, kid: client.kid }), { execute: [oidc.allowInsecureRequests] });
  const rp: Rp = { ...(await discoverRp(gw, client)), config: impostor };
  const err = await t.throwsAsync(pushAuthorization(rp));
  t.is((err as { error?: string }).error, 'invalid_client');
});

test('the citizen cancelling at the login page sends access_denied back to the client', async (t) => {
  const rp = await discoverRp(gw, client);
  const auth = await pushAuthorization(rp);
  const ua = new UserAgent(gw.url);
  const login = await ua.follow(auth.url.href);
  const uid = login.url.split('/').pop()!;
  const res = await ua.follow(`/interaction/${uid}/abort`, { form: {} }, (u) => u.startsWith(REDIRECT));
  const back = new URL(res.location!);
  t.is(back.searchParams.get('error'), 'access_denied');
  t.is(back.searchParams.get('code'), null);
});

test('discovery advertises the FAPI 2.0 shape and nothing weaker', async (t) => {
  const meta = await (await fetch(`${gw.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
  t.deepEqual(meta.response_types_supported, ['code']);
  t.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  t.true(meta.require_pushed_authorization_requests as boolean);
  t.deepEqual(meta.token_endpoint_auth_methods_supported, ['private_key_jwt']);
  t.deepEqual(meta.subject_types_supported, ['pairwise']);
  t.true(meta.authorization_response_iss_parameter_supported as boolean);
  t.false((meta.token_endpoint_auth_signing_alg_values_supported as string[]).some((a) => /^(RS|HS)/.test(a)));
  t.truthy(meta.dpop_signing_alg_values_supported);
  for (const key of ['introspection_endpoint', 'revocation_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'pushed_authorization_request_endpoint', 'jwks_uri']) {
    t.truthy(meta[key], key);
  }
  t.true((meta.acr_values_supported as string[]).includes(LOA.loa3));
  const jwks = await (await fetch(meta.jwks_uri as string)).json() as { keys: Array<Record<string, unknown>> };
  t.true(jwks.keys.length >= 2, 'several keys allow rotation');
  for (const key of jwks.keys) {
    t.truthy(key.kid);
    t.is(key.d, undefined, 'no private parts in the public JWKS');
  }
});

test('an ID token is not accepted as an access token, nor an unknown token', async (t) => {
  const rp = await discoverRp(gw, client);
  const { auth, callback } = await signIn(rp);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  t.truthy(decodeJwt(tokens.id_token!).sub);
  const me = `${gw.url}/me`;
  for (const token of [tokens.id_token!, 'not-a-token', 'x'.repeat(5000)]) {
    const res = await fetch(me, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(rp.dpopKeys, 'GET', me, token) } });
    t.is(res.status, 401);
  }
});

test('another product cannot introspect or revoke a token it does not hold', async (t) => {
  const rp = await discoverRp(gw, client);
  const { auth, callback } = await signIn(rp);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
  const other = await discoverRp(gw, otherProduct);
  const seen = await oidc.tokenIntrospection(other.config, tokens.access_token);
  t.false(seen.active, 'introspection by another client reveals nothing');
  await oidc.tokenRevocation(other.config, tokens.access_token).catch(() => undefined);
  t.true((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active, 'revocation by another client had no effect');
});

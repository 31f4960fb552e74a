// Signing keys in an HSM (issue 14 item 5), on a fresh SoftHSM2 token: the gateway signs ID tokens,
// logout tokens, decision assertions and audit checkpoints in the token through PKCS#11, every one
// verifies against what the gateway publishes, and the token refuses to let the private key out.
import test from 'ava';
import * as oidc from 'openid-client';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId } from '../helpers/signIn.ts';
import { freshToken, softHsmMissing, type TestToken } from '../helpers/softhsm.ts';
import { runKeysCli } from '../../src/idp/keys/cli.ts';
import { loadConfig } from '../../src/config.ts';
import { Pkcs11Token } from '../../src/idp/keys/pkcs11.ts';
import { parseRing } from '../../src/idp/keys/keyRing.ts';
import { ringLabel, Pkcs11KeySet } from '../../src/idp/keys/hsmKeySet.ts';
import { DecisionSigner, DECISION_ASSERTION_TYPE } from '../../src/scopes/decisionAssertion.ts';
import { verifyCheckpoint } from '../../src/audit/checkpoint.ts';
import { ConfigError } from '../../src/config.ts';
import { systemClock } from '../../src/clock.ts';
import type { Permit } from '../../src/scopes/pdp.ts';

const missing = softHsmMissing();
const REDIRECT = 'https://app.example.test/callback';
const ANNA = '198003121236';

let token: TestToken;
let gw: Gateway;
let client: TestClient;

async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeysCli([...args, '--json'], { out: (t) => out.push(t), err: (t) => err.push(t), env: token.env, cwd: process.cwd() });
  return { code, out, err };
}

if (missing) {
  test(`HSM signing tests skipped: ${missing}`, (t) => t.pass());
} else {
  test.before(async () => {
    token = freshToken();
    client = await makeTestClient('hsm-rp', REDIRECT, { product_id: 'product-hsm', backchannel_logout_uri: 'https://app.example.test/logout' });
  });
  test.after.always(async () => gw?.close());

  test.serial('a gateway with keys.signer=pkcs11 and no key ring in the token refuses to start, naming the command that makes one', async (t) => {
    const err = await t.throwsAsync(startTestGateway({ clients: [client.config], overrides: { keys: { signer: 'pkcs11', pkcs11: token.pkcs11 } } }));
    t.true(err instanceof ConfigError);
    t.regex(err?.message ?? '', /keys init/);
  });

  test.serial('a wrong PIN is refused at start, and the PIN appears in no message', async (t) => {
    await cli('init');
    const err = await t.throwsAsync(startTestGateway({ clients: [client.config], overrides: { keys: { signer: 'pkcs11', pkcs11: { ...token.pkcs11, pin: '999999' } } } }));
    t.regex(err?.message ?? '', /login to the token failed/);
    t.false((err?.message ?? '').includes('999999'));
    const wrongToken = await t.throwsAsync(startTestGateway({ clients: [client.config], overrides: { keys: { signer: 'pkcs11', pkcs11: { ...token.pkcs11, tokenLabel: 'no-such-token' } } } }));
    t.regex(wrongToken?.message ?? '', /no token labelled "no-such-token"/);
    const missingModule = await t.throwsAsync(startTestGateway({ clients: [client.config], overrides: { keys: { signer: 'pkcs11', pkcs11: { ...token.pkcs11, module: '/nonexistent/libpkcs11.so' } } } }));
    t.regex(missingModule?.message ?? '', /cannot load \/nonexistent\/libpkcs11\.so/);
  });

  test.serial('the keys CLI refuses bad input with the usage exit code', async (t) => {
    t.is((await cli('rotate', '--publish-seconds', 'soon')).code, 2);
    t.is((await cli('explode')).code, 2);
    t.is((await cli()).code, 2);
    t.is((await cli('status', 'extra')).code, 2);
    t.is((await cli('activate')).code, 6, 'nothing published to activate');
  });

  test.serial('keys init makes one active ES256 key and the audit key in the token; a second init is refused', async (t) => {
    const status0 = JSON.parse((await cli('status')).out[0] ?? '[]') as Array<{ kid: string; stage: string }>;
    const made = { kid: status0[0]?.kid ?? '', stage: status0[0]?.stage };
    t.is(made.stage, 'active');
    const again = await cli('init');
    t.is(again.code, 6, 'conflict: the ring exists');
    const status = await cli('status');
    t.deepEqual((JSON.parse(status.out[0] ?? '[]') as Array<{ kid: string; stage: string }>).map((k) => [k.kid, k.stage]), [[made.kid, 'active']]);
  });

  test.serial('the private keys are sensitive and not extractable: the token never hands out their value', (t) => {
    const config = loadConfig({ env: token.env });
    const hsm = Pkcs11Token.acquire(config.keys.pkcs11);
    try {
      const ring = parseRing(hsm.readData(ringLabel(config.keys.pkcs11.keyLabel))?.toString('utf8') ?? '');
      const oidcKey = hsm.keyPair(Buffer.from(ring.keys[0]?.id ?? '', 'hex'));
      const auditKey = hsm.keyPairByLabel(config.keys.pkcs11.auditKeyLabel);
      for (const [name, pair] of [['OIDC', oidcKey], ['audit', auditKey]] as const) {
        if (!pair) return t.fail(`no ${name} key pair in the token`);
        t.deepEqual(hsm.protection(pair.privateKey), { sensitive: true, extractable: false, neverExtractable: true }, `${name} key`);
        t.is(hsm.tryReadPrivateValue(pair.privateKey), undefined, `${name} key: CKA_VALUE is refused`);
      }
    } finally {
      hsm.release();
    }
  });

  test.serial('an ID token signed in the HSM verifies against /jwks, which publishes public keys only', async (t) => {
    gw = await startTestGateway({ clients: [client.config], overrides: { keys: { signer: 'pkcs11', pkcs11: token.pkcs11 } } });
    const ring = JSON.parse((await cli('status')).out[0] ?? '[]') as Array<{ kid: string }>;
    const kid = ring[0]?.kid;

    const jwks = await (await fetch(`${gw.url}/jwks`)).json() as { keys: JWK[] };
    t.deepEqual(jwks.keys.map((k) => k.kid), [kid]);
    t.true(jwks.keys.every((k) => !('d' in k) && k.alg === 'ES256' && k.use === 'sig'), 'public ES256 keys only');

    const rp = await discoverRp(gw, client);
    const auth = await pushAuthorization(rp);
    const callback = await browserThroughBankId(gw, auth.url, ANNA, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
    const idToken = tokens.id_token ?? '';
    t.like(decodeProtectedHeader(idToken), { alg: 'ES256', kid });
    const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${gw.url}/jwks`)), { issuer: gw.url, audience: client.config.client_id });
    t.truthy(payload.sub);

    // A signature that is not the key's fails: the verification above is not vacuous.
    const [h, p, s] = idToken.split('.');
    const flipped = `${h}.${p}.${(s ?? '').startsWith('A') ? `B${(s ?? '').slice(1)}` : `A${(s ?? '').slice(1)}`}`;
    await t.throwsAsync(jwtVerify(flipped, createLocalJWKSet(jwks)));
  });

  test.serial('logout tokens, decision assertions and audit checkpoints are signed in the HSM too, each verifiable from what is published', async (t) => {
    const jwks = createLocalJWKSet(await (await fetch(`${gw.url}/jwks`)).json() as { keys: JWK[] });
    const logout = await gw.backchannel.logoutToken({ clientId: client.config.client_id, uri: 'https://app.example.test/logout', sub: 'pairwise-sub', sid: 'sid-1' });
    const verified = await jwtVerify(logout, jwks, { typ: 'logout+jwt', issuer: gw.url, audience: client.config.client_id });
    t.is(verified.payload.sid, 'sid-1');

    // The PDP's signer over the gateway's key set (what scopes/module.ts builds).
    t.true(gw.signingKeys instanceof Pkcs11KeySet);
    const signer = new DecisionSigner({ jwks: gw.signingKeys, issuer: gw.url, lifetimeSeconds: 5, clock: systemClock });
    const permit = { id: 'decision-1', obligations: { controller: 'region-x', dataset: 'bookings', action: 'read', citizenPseudonym: 'ps-1', product: 'product-hsm', clientId: 'hsm-rp' } } as unknown as Permit;
    const assertion = signer.sign(permit, { method: 'GET', path: '/bookings', query: '', audience: 'https://api.example.test' });
    const claims = await jwtVerify(assertion, jwks, { typ: DECISION_ASSERTION_TYPE, issuer: gw.url, audience: 'https://api.example.test' });
    t.is(claims.payload.jti, 'decision-1');

    await gw.audit.checkpointer.checkpoint();
    const auditKeys = await (await fetch(`${gw.url}/audit/jwks`)).json() as { keys: JWK[] };
    t.true(auditKeys.keys.length === 1 && auditKeys.keys.every((k) => !('d' in k)));
    const listed = await (await fetch(`${gw.url}/audit/checkpoints`)).json() as { checkpoints: Array<{ signed: unknown; jws?: unknown }> };
    t.true(listed.checkpoints.length >= 1, 'the registry chain was checkpointed');
    for (const item of listed.checkpoints) {
      const verdict = await verifyCheckpoint(item.signed ?? item.jws, auditKeys.keys);
      t.true(verdict.ok, JSON.stringify(verdict));
    }
    const oidcKids = (await (await fetch(`${gw.url}/jwks`)).json() as { keys: JWK[] }).keys.map((k) => k.kid);
    t.false(auditKeys.keys.some((k) => oidcKids.includes(k.kid)), 'the audit key is a key of its own');
  });
}

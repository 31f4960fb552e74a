// Key rotation without downtime (issue 14 item 5): requests run without pause while `keys rotate`
// (a separate process, as an operator runs it) makes a new key in the HSM. The new kid is in /jwks
// before anything is signed with it; tokens switch to it at its activation; the old kid stays until
// its retirement, then `keys prune` destroys it. No request fails at any point.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as oidc from 'openid-client';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { discoverRp, pushAuthorization, browserThroughBankId, type Rp } from '../helpers/signIn.ts';
import { freshToken, softHsmMissing, type TestToken } from '../helpers/softhsm.ts';
import { runKeysCli } from '../../src/idp/keys/cli.ts';
import { DecisionSigner, DECISION_ASSERTION_TYPE } from '../../src/scopes/decisionAssertion.ts';
import { systemClock } from '../../src/clock.ts';
import type { Permit } from '../../src/scopes/pdp.ts';

const run = promisify(execFile);
const missing = softHsmMissing();
const REDIRECT = 'https://app.example.test/callback';
const ANNA = '198003121236';
const PUBLISH_SECONDS = 3;
const RETAIN_SECONDS = 15;
/** Bounds the whole run: the loops stop by themselves. */
const DEADLINE_MS = 150_000;

let token: TestToken;
let gw: Gateway;
let client: TestClient;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The keys CLI as an operator runs it: its own process, reaching the token with the gateway's settings. */
async function keysCommand(...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['scripts/gateway-cli.ts', 'keys', ...args, '--json'], { env: token.env, cwd: process.cwd() });
  return JSON.parse(stdout);
}

async function publishedKids(): Promise<{ kids: string[]; keys: { keys: JWK[] } }> {
  const res = await fetch(`${gw.url}/jwks`);
  if (res.status !== 200) throw new Error(`/jwks answered ${res.status}`);
  const keys = await res.json() as { keys: JWK[] };
  return { kids: keys.keys.map((k) => k.kid ?? ''), keys };
}

if (missing) {
  test(`HSM rotation test skipped: ${missing}`, (t) => t.pass());
} else {
  test.before(async () => {
    token = freshToken('rotation-test', 0.5);
    const code = await runKeysCli(['init'], { out: () => undefined, err: (t) => console.error(t), env: token.env, cwd: process.cwd() });
    if (code !== 0) throw new Error(`keys init: exit ${code}`);
    client = await makeTestClient('rotation-rp', REDIRECT, { product_id: 'product-rotation' });
    gw = await startTestGateway({ clients: [client.config], overrides: { keys: { signer: 'pkcs11', pkcs11: token.pkcs11 } } });
  });
  test.after.always(async () => gw?.close());

  test.serial('rotating under continuous load: the new kid is published before it signs, no request fails, old tokens verify until retirement', async (t) => {
    const started = Date.now();
    const failures: string[] = [];
    /** When each kid was first seen in /jwks, and first seen on a token the gateway signed. */
    const firstPublished = new Map<string, number>();
    const firstSigned = new Map<string, number>();
    const idTokens: Array<{ kid: string; token: string }> = [];
    let stop = false;
    const note = (map: Map<string, number>, kid: string) => { if (!map.has(kid)) map.set(kid, Date.now()); };

    const rp: Rp = await discoverRp(gw, client);
    const signIns = (async () => {
      while (!stop && Date.now() - started < DEADLINE_MS) {
        try {
          const auth = await pushAuthorization(rp);
          const callback = await browserThroughBankId(gw, auth.url, ANNA, REDIRECT);
          const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state }, undefined, { DPoP: rp.dpop });
          const idToken = tokens.id_token ?? '';
          const kid = String(decodeProtectedHeader(idToken).kid);
          note(firstSigned, kid);
          // Verified as a relying party does, against the /jwks of the moment.
          await jwtVerify(idToken, createLocalJWKSet((await publishedKids()).keys), { issuer: gw.url, audience: client.config.client_id });
          idTokens.push({ kid, token: idToken });
        } catch (err) {
          failures.push(`sign-in: ${(err as Error).message}`);
        }
      }
    })();
    const signer = new DecisionSigner({ jwks: gw.signingKeys, issuer: gw.url, lifetimeSeconds: 5, clock: systemClock });
    const permit = { id: 'd', obligations: { controller: 'c', dataset: 'bookings', action: 'read', citizenPseudonym: 'p', product: 'product-rotation', clientId: 'rotation-rp' } } as unknown as Permit;
    let light = 0;
    const lightRequests = (async () => {
      while (!stop && Date.now() - started < DEADLINE_MS) {
        try {
          const { kids, keys } = await publishedKids();
          for (const kid of kids) note(firstPublished, kid);
          const jwks = createLocalJWKSet(keys);
          const logout = await gw.backchannel.logoutToken({ clientId: client.config.client_id, uri: 'https://app.example.test/logout', sub: 's', sid: 'x' });
          note(firstSigned, String(decodeProtectedHeader(logout).kid));
          await jwtVerify(logout, jwks, { typ: 'logout+jwt', issuer: gw.url });
          const assertion = signer.sign(permit, { method: 'GET', path: '/b', query: '', audience: 'https://api.example.test' });
          note(firstSigned, String(decodeProtectedHeader(assertion).kid));
          await jwtVerify(assertion, jwks, { typ: DECISION_ASSERTION_TYPE, issuer: gw.url, audience: 'https://api.example.test' });
          const discovery = await fetch(`${gw.url}/.well-known/openid-configuration`);
          if (discovery.status !== 200) throw new Error(`discovery answered ${discovery.status}`);
          await discovery.arrayBuffer();
          light += 1;
        } catch (err) {
          failures.push(`request: ${(err as Error).message}`);
        }
        await sleep(20);
      }
    })();

    try {
      while (idTokens.length < 2 && Date.now() - started < DEADLINE_MS) await sleep(100);
      const oldKid = idTokens[0]?.kid ?? '';
      const rotated = await keysCommand('rotate', '--publish-seconds', String(PUBLISH_SECONDS), '--retain-seconds', String(RETAIN_SECONDS)) as { kid: string; activateAt: string };
      const newKid = rotated.kid;
      t.not(newKid, oldKid);
      // Until tokens carry the new kid, both loops keep going: it must be signed with, by every signer.
      while (!(idTokens.filter((x) => x.kid === newKid).length >= 2) && Date.now() - started < DEADLINE_MS) await sleep(100);
      stop = true;
      await Promise.all([signIns, lightRequests]);

      t.deepEqual(failures, [], 'no request failed while the key changed');
      t.true(light > 10, `light requests ran throughout (${light})`);
      t.log(`during the rotation: ${idTokens.length} sign-ins (${idTokens.filter((x) => x.kid === oldKid).length} old kid, ${idTokens.filter((x) => x.kid === newKid).length} new), ${light} rounds of /jwks + logout token + decision assertion + discovery, ${failures.length} failures`);
      t.true(idTokens.some((x) => x.kid === oldKid) && idTokens.some((x) => x.kid === newKid), 'ID tokens before and after the switch');
      const published = firstPublished.get(newKid);
      const signed = firstSigned.get(newKid);
      t.truthy(published && signed);
      t.true((published ?? Infinity) < (signed ?? 0), 'the new kid was in /jwks before anything was signed with it');
      t.true((signed ?? 0) >= Date.parse(rotated.activateAt) - 1000, 'nothing signed with the new key before its activation');

      // The old key: still published for the tokens it signed, then retired.
      const old = idTokens.find((x) => x.kid === oldKid)?.token ?? '';
      const during = await publishedKids();
      t.true(during.kids.includes(oldKid) && during.kids.includes(newKid), 'both kids published while the old one retires');
      await t.notThrowsAsync(jwtVerify(old, createLocalJWKSet(during.keys), { issuer: gw.url, audience: client.config.client_id }));
      // oidc-provider itself still recognises what the old key signed (its verification slots): logout with it as the hint.
      t.is((await fetch(`${gw.url}/session/end?id_token_hint=${old}`)).status, 200, 'an id_token_hint of the retiring key is accepted');
      const forged = `${old.split('.').slice(0, 2).join('.')}.${idTokens.find((x) => x.kid === newKid)?.token.split('.')[2] ?? ''}`;
      t.is((await fetch(`${gw.url}/session/end?id_token_hint=${forged}`)).status, 400, 'a hint whose signature is not its key\'s is refused');
      const status = await keysCommand('status') as Array<{ kid: string; stage: string; retires?: string }>;
      t.deepEqual(status.map((k) => [k.kid, k.stage]), [[oldKid, 'retiring'], [newKid, 'active']]);
      if (Date.now() < Date.parse(status[0]?.retires ?? '') - 2000) t.deepEqual(await keysCommand('prune'), { destroyed: [] }, 'a retiring key is not destroyed');

      const retires = Date.parse(status[0]?.retires ?? '');
      while (Date.now() < retires + 1500) await sleep(200);
      const after = await publishedKids();
      t.deepEqual(after.kids, [newKid], 'the retired kid is no longer published');
      await t.throwsAsync(jwtVerify(old, createLocalJWKSet(after.keys)), undefined, 'a token of the retired key no longer verifies');
      t.deepEqual(await keysCommand('prune'), { destroyed: [oldKid] });
      t.deepEqual((await keysCommand('status') as Array<{ kid: string; stage: string }>).map((k) => [k.kid, k.stage]), [[newKid, 'active']]);
    } finally {
      stop = true;
      await Promise.all([signIns, lightRequests]);
    }
  });

  test.serial('a second rotation while a key is only published is refused; keys activate lets the published key sign at once, and the gateway follows', async (t) => {
    const first = await keysCommand('rotate', '--publish-seconds', '600') as { kid: string };
    t.truthy(first.kid);
    const second = await run(process.execPath, ['scripts/gateway-cli.ts', 'keys', 'rotate'], { env: token.env, cwd: process.cwd() }).then(() => 0, (err: { code?: number; stderr?: string }) => { t.regex(err.stderr ?? '', /still only published/); return err.code; });
    t.is(second, 6);
    // Two refreshes (2 × 0.5 s) after publication every instance knows the key (keyRing.test.ts: earlier is refused).
    await sleep(1200);
    const activated = await keysCommand('activate') as { kid: string };
    t.is(activated.kid, first.kid);
    const deadline = Date.now() + 10_000;
    let kid = '';
    while (kid !== first.kid && Date.now() < deadline) {
      kid = String(decodeProtectedHeader(await gw.backchannel.logoutToken({ clientId: 'x', uri: 'https://x.example.test', sub: 's' })).kid);
      if (kid !== first.kid) await sleep(100);
    }
    t.is(kid, first.kid, 'the gateway signs with the activated key after its next refresh');
  });
}

// oidc-provider's external signing keys over a changing key set (src/idp/keys/providerKeys.ts), on
// their own: slot 0 is always the active key, the others the rest of what is published; a slot signs
// with the key the JWS header names, never with another one.
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import { providerSigningKeys, VERIFY_SLOTS } from '../../src/idp/keys/providerKeys.ts';
import { InProcessSigner, type Signer, type SigningKeySet } from '../../src/idp/keys/signer.ts';

const signer = (kid: string) => new InProcessSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, kid, 'ES256');

/** A key set whose active key and published keys the test changes, as a rotation would. */
class MovingSet implements SigningKeySet {
  current: Signer;
  published: Signer[];
  constructor(current: Signer, published: Signer[]) { this.current = current; this.published = published; }
  active() { return this.current; }
  byKid(kid: string) { return this.published.find((s) => s.kid === kid); }
  publicJwks() { return { keys: this.published.map((s) => s.publicJwk) }; }
  async close() {}
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

test('slot 0 follows the active key; the other slots the other published keys; the rest stand for none', async (t) => {
  const a = signer('kid-a');
  const b = signer('kid-b');
  const set = new MovingSet(a, [a]);
  const slots = providerSigningKeys(set);
  t.is(slots.length, 1 + VERIFY_SLOTS);
  t.deepEqual(slots.map((s) => s.kid), ['kid-a', 'unused-slot-1', 'unused-slot-2', 'unused-slot-3']);
  set.published = [a, b];
  t.deepEqual(slots.map((s) => s.kid), ['kid-a', 'kid-b', 'unused-slot-2', 'unused-slot-3'], 'published, not yet active');
  set.current = b;
  t.deepEqual(slots.map((s) => s.kid), ['kid-b', 'kid-a', 'unused-slot-2', 'unused-slot-3'], 'switched: the old key verifies from slot 1');
  t.is(slots[0]?.x, b.publicJwk.x);
  t.is(slots[1]?.x, a.publicJwk.x);
  t.deepEqual((await slots[1]?.keyObject())?.export({ format: 'jwk' }), { kty: 'EC', crv: 'P-256', x: a.publicJwk.x, y: a.publicJwk.y });
});

test('a slot signs with the key named in the header, even after a switch; an unknown or missing kid is refused', async (t) => {
  const a = signer('kid-a');
  const b = signer('kid-b');
  const set = new MovingSet(a, [a, b]);
  const [slot0] = providerSigningKeys(set);
  if (!slot0) return t.fail();
  // oidc-provider read kid-a from slot 0, then the key set switched before it asked for the signature.
  const input = `${b64({ alg: 'ES256', kid: 'kid-a' })}.${b64({ sub: 'x' })}`;
  set.current = b;
  const signature = Buffer.from(await slot0.sign(Buffer.from(input))).toString('base64url');
  const jwks = createLocalJWKSet({ keys: [a.publicJwk, b.publicJwk] as JWK[] });
  const { protectedHeader } = await compactVerify(`${input}.${signature}`, jwks);
  t.is(protectedHeader.kid, 'kid-a', 'signed by the key it names, so it verifies');
  t.throws(() => slot0.sign(Buffer.from(`${b64({ alg: 'ES256', kid: 'kid-z' })}.${b64({})}`)), { message: /names no key/ });
  t.throws(() => slot0.sign(Buffer.from(`${b64({ alg: 'ES256' })}.${b64({})}`)), { message: /names no key/ });
  t.throws(() => slot0.sign(Buffer.from('not-base64-json.x')), { message: /names no key/ });
});

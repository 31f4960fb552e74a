// oidc-provider signing in the HSM. oidc-provider 9 has an experimental hook for exactly this —
// `features.externalSigningSupport` with `ExternalSigningKey` instances in `jwks.keys` — which keeps
// oidc-provider unpatched: it builds the JWS header and payload and asks the key to sign the input.
// What it does not have is a key set that changes while it runs: it reads `jwks` once, at
// construction. So the provider gets a fixed number of *slots*, each an ExternalSigningKey whose kid
// and public key follow the gateway's key set (signer.ts) as it changes:
//   - slot 0 is always the active key: oidc-provider signs with the first matching key of its
//     keystore, and every slot matches ES256 alike (its sort is stable), so it signs with slot 0;
//   - the other slots are the published and retiring keys, so oidc-provider still verifies what it
//     signed itself (an `id_token_hint` at logout) with the key that signed it, after a rotation;
//   - `sign` reads the kid from the header it is given and signs with that very key, so a rotation
//     between oidc-provider choosing the kid and asking for the signature cannot mix the two.
// /jwks is served by the gateway from the key set (oidc-provider's own list is the snapshot taken at
// construction): idp/module.ts mounts it.
import { createPublicKey, type KeyObject, type JsonWebKey as NodeJwk } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';
import type { Signer, SigningKeySet } from './signer.ts';

/** Slots beyond the active one: a published and a retiring key, and one spare for an overlap. */
export const VERIFY_SLOTS = 3;

class KeySetSlot extends ExternalSigningKey {
  readonly #set: SigningKeySet;
  readonly #index: number;

  constructor(set: SigningKeySet, index: number) {
    super();
    this.#set = set;
    this.#index = index;
  }

  /** The key this slot stands for now: slot 0 the active one, slot i the i-th other published key. */
  #current(): Signer | undefined {
    const active = this.#set.active();
    if (this.#index === 0) return active;
    const others = this.#set.publicJwks().keys.filter((k) => k.kid !== active.kid);
    const kid = others[this.#index - 1]?.kid;
    return kid ? this.#set.byKid(kid) : undefined;
  }

  // A slot that stands for no key has a kid no token carries, so it never verifies one.
  override get kid(): string { return this.#current()?.kid ?? `unused-slot-${this.#index}`; }
  override set kid(_value: string | undefined) { /* the key set names the kid */ }
  override get alg(): string { return 'ES256'; }
  override set alg(_value: string | undefined) { /* ES256 only */ }
  override get kty(): string { return 'EC'; }
  override get crv(): string { return 'P-256'; }
  override get x(): string | undefined { return (this.#current() ?? this.#set.active()).publicJwk.x; }
  override get y(): string | undefined { return (this.#current() ?? this.#set.active()).publicJwk.y; }

  override keyObject(): KeyObject {
    return createPublicKey({ key: (this.#current() ?? this.#set.active()).publicJwk as NodeJwk, format: 'jwk' });
  }

  override sign(data: Uint8Array): Uint8Array {
    const headerPart = Buffer.from(data).toString('latin1').split('.', 1)[0] ?? '';
    let kid: unknown;
    try {
      kid = (JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { kid?: unknown }).kid;
    } catch {
      kid = undefined;
    }
    const signer = typeof kid === 'string' ? this.#set.byKid(kid) : undefined;
    if (!signer) throw new Error('signing key: the JWS names no key of the key set');
    return signer.sign(data);
  }
}

/** The `jwks.keys` for oidc-provider: slots following `set` (enable features.externalSigningSupport). */
export function providerSigningKeys(set: SigningKeySet): ExternalSigningKey[] {
  return Array.from({ length: 1 + VERIFY_SLOTS }, (_, i) => new KeySetSlot(set, i));
}

// One way for the gateway to sign: a `Signer` holds one key (its kid, algorithm and public JWK) and
// signs a JWS signing input; a `SigningKeySet` says which signer is active now and which keys are
// published (/jwks). ID tokens (through oidc-provider's external signing keys, providerKeys.ts),
// logout tokens, containment events, decision assertions and audit checkpoints all sign through it.
//
// Two implementations: in process (node:crypto on the private JWK of a file — the sandbox default,
// and production without an HSM) and PKCS#11 (pkcs11.ts: the private key never leaves the HSM).
//
// `sign` is synchronous on purpose: decision assertions are signed on the PDP's hot path, where a
// promise per decision is measurable, and a PKCS#11 C_Sign on one session must not interleave with
// another operation on that session anyway (one C_SignInit + C_Sign in one turn of the event loop).
import { createHash, createPublicKey, sign as nodeSign, constants, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

export type SignerAlg = 'ES256' | 'ES384' | 'PS256' | 'EdDSA';

export interface Signer {
  readonly kid: string;
  readonly alg: SignerAlg;
  /** The public half, with kid, alg and use: what /jwks publishes for this key. */
  readonly publicJwk: JWK;
  /** The JWS signature of `data` (the signing input `header.payload`), in JWS form (ES*: raw r||s). */
  sign(data: Uint8Array): Uint8Array;
}

export interface SigningKeySet {
  /** The key that signs now. */
  active(): Signer;
  /** A key of the set by kid, while it is published (pending, active or kept for verification). */
  byKid(kid: string): Signer | undefined;
  /** Every key a verifier must know now: pending (published before it signs), active, retiring. */
  publicJwks(): { keys: JWK[] };
  close(): Promise<void>;
}

const b64url = (value: string | Uint8Array) => (typeof value === 'string' ? Buffer.from(value) : asBuffer(value)).toString('base64url');

/** A view of the bytes as a Buffer, without copying (a signature is usually a Buffer already). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A compact JWS: the header gets the signer's alg and kid (after `fields`, so they cannot be overridden). */
export function signCompact(signer: Signer, payload: object, fields: Record<string, unknown> = {}): string {
  const input = `${b64url(JSON.stringify({ ...fields, alg: signer.alg, kid: signer.kid }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(signer.sign(Buffer.from(input)))}`;
}

/** The digest an ES* signature is over (a PKCS#11 CKM_ECDSA signs a digest, not the message). */
export function digestFor(alg: SignerAlg, data: Uint8Array): Buffer {
  return createHash(alg === 'ES384' ? 'sha384' : 'sha256').update(data).digest();
}

/** A signer on a private key in this process (node:crypto on a KeyObject made once). */
export class InProcessSigner implements Signer {
  readonly kid: string;
  readonly alg: SignerAlg;
  readonly publicJwk: JWK;
  readonly #key: KeyObject;

  constructor(key: KeyObject, kid: string, alg: SignerAlg) {
    this.#key = key;
    this.kid = kid;
    this.alg = alg;
    this.publicJwk = { ...(createPublicKey(key).export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  }

  sign(data: Uint8Array): Uint8Array {
    switch (this.alg) {
      case 'ES256': return nodeSign('sha256', data, { key: this.#key, dsaEncoding: 'ieee-p1363' });
      case 'ES384': return nodeSign('sha384', data, { key: this.#key, dsaEncoding: 'ieee-p1363' });
      case 'PS256': return nodeSign('sha256', data, { key: this.#key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      case 'EdDSA': return nodeSign(null, data, this.#key);
    }
  }
}

/**
 * The key set of a private JWKS file: fixed for the life of the process (rotation is a new file and a
 * restart). The active key is the gateway's preferred one (src/idp/keys.ts: the first ES256 key);
 * every key is published.
 */
export class StaticKeySet implements SigningKeySet {
  readonly #active: Signer;
  readonly #all: Signer[];

  constructor(active: Signer, all: Signer[]) {
    this.#active = active;
    this.#all = all.includes(active) ? all : [active, ...all];
  }

  active(): Signer { return this.#active; }
  byKid(kid: string): Signer | undefined { return this.#all.find((s) => s.kid === kid); }
  publicJwks(): { keys: JWK[] } { return { keys: this.#all.map((s) => s.publicJwk) }; }
  async close(): Promise<void> {}
}

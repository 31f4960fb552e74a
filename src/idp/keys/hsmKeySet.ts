// The signing keys in an HSM: signers whose private keys stay in the token (pkcs11.ts), and the key
// ring (keyRing.ts) read from the token at start and every `refreshSeconds`, so each instance learns a
// rotation made by the `keys` CLI on any machine without a restart.
import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import type { Pkcs11Config } from '../../config.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import { Pkcs11Token } from './pkcs11.ts';
import { activeEntry, parseRing, publishedEntries, type RingRecord } from './keyRing.ts';
import { digestFor, type Signer, type SigningKeySet } from './signer.ts';

/** The label of the key ring's record in the token. */
export const ringLabel = (keyLabel: string) => `${keyLabel}.ring`;

/** RFC 7638 thumbprint of an EC public JWK: the kid of every HSM key (computable by anyone from /jwks). */
export function ecThumbprint(jwk: JWK): string {
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
}

/** ES256 in the HSM: the digest is made here, the signature in the token (CKM_ECDSA gives r||s). */
export class Pkcs11Signer implements Signer {
  readonly alg = 'ES256' as const;
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly #token: Pkcs11Token;
  readonly #privateKey: Buffer;

  constructor(token: Pkcs11Token, privateKey: Buffer, publicJwk: JWK, kid: string) {
    this.#token = token;
    this.#privateKey = privateKey;
    this.kid = kid;
    this.publicJwk = { ...publicJwk, kid, alg: 'ES256', use: 'sig' };
  }

  sign(data: Uint8Array): Uint8Array {
    return this.#token.signDigest(this.#privateKey, digestFor('ES256', data));
  }
}

export class Pkcs11KeySet implements SigningKeySet {
  readonly #token: Pkcs11Token;
  readonly #o: Pkcs11Config;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #signers = new Map<string, Pkcs11Signer>();
  readonly #timer: NodeJS.Timeout;
  #ring: RingRecord = { version: 1, keys: [] };
  #text = '';
  /** The active signer until the ring's next planned change (activation or retirement): active() is on the PDP's hot path. */
  #activeCache: { signer: Signer; until: number } | undefined;

  constructor(o: Pkcs11Config, clock: Clock, logger?: Logger) {
    this.#o = o;
    this.#clock = clock;
    this.#logger = logger;
    this.#token = Pkcs11Token.acquire(o);
    try {
      this.refresh();
      if (!activeEntry(this.#ring, clock.now())) throw new Error(`keys.pkcs11: the key ring "${ringLabel(o.keyLabel)}" has no active key; run \`npm run gateway -- keys init\``);
    } catch (err) {
      this.#token.release();
      throw err;
    }
    this.#timer = setInterval(() => {
      try {
        this.refresh();
      } catch (err) {
        // The last ring read stays in force: a token that answers again is read at the next turn.
        this.#logger?.warn({ err: (err as Error).message }, 'key ring not refreshed');
      }
    }, o.refreshSeconds * 1000);
    this.#timer.unref();
  }

  /** Reads the ring from the token; loads the signers of keys it has not seen. Throws if unreadable. */
  refresh(): void {
    const value = this.#token.readData(ringLabel(this.#o.keyLabel));
    if (!value) throw new Error(`keys.pkcs11: no key ring "${ringLabel(this.#o.keyLabel)}" in the token; run \`npm run gateway -- keys init\``);
    const text = value.toString('utf8');
    if (text === this.#text) return;
    const ring = parseRing(text);
    for (const k of ring.keys) {
      if (this.#signers.has(k.kid)) continue;
      const pair = this.#token.keyPair(Buffer.from(k.id, 'hex'));
      if (!pair) {
        this.#logger?.error({ kid: k.kid }, 'key ring names a key the token does not hold');
        continue;
      }
      const jwk = this.#token.publicJwk(pair.publicKey);
      if (ecThumbprint(jwk) !== k.kid) {
        this.#logger?.error({ kid: k.kid }, 'key ring kid does not match the key in the token');
        continue;
      }
      this.#signers.set(k.kid, new Pkcs11Signer(this.#token, pair.privateKey, jwk, k.kid));
    }
    for (const kid of [...this.#signers.keys()]) if (!ring.keys.some((k) => k.kid === kid)) this.#signers.delete(kid);
    const before = activeEntry(this.#ring, this.#clock.now())?.kid;
    this.#ring = ring;
    this.#text = text;
    this.#activeCache = undefined;
    this.#logger?.info({ keys: publishedEntries(ring, this.#clock.now()).map((k) => k.kid), active: activeEntry(ring, this.#clock.now())?.kid, was: before }, 'key ring read');
  }

  active(): Signer {
    const now = this.#clock.now();
    const cached = this.#activeCache;
    if (cached && now < cached.until) return cached.signer;
    const entry = activeEntry(this.#ring, now);
    const signer = entry && this.#signers.get(entry.kid);
    if (!signer) throw new Error('keys.pkcs11: no active signing key in the key ring');
    const changes = this.#ring.keys.flatMap((k) => [Date.parse(k.activateAt), k.retireAt ? Date.parse(k.retireAt) : Infinity]).filter((t) => t > now);
    this.#activeCache = { signer, until: Math.min(Infinity, ...changes) };
    return signer;
  }

  byKid(kid: string): Signer | undefined {
    return publishedEntries(this.#ring, this.#clock.now()).some((k) => k.kid === kid) ? this.#signers.get(kid) : undefined;
  }

  publicJwks(): { keys: JWK[] } {
    const keys: JWK[] = [];
    for (const k of publishedEntries(this.#ring, this.#clock.now())) {
      const signer = this.#signers.get(k.kid);
      if (signer) keys.push(signer.publicJwk);
    }
    return { keys };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#token.release();
  }
}

/** The audit key in the token (a key pair of its own, by label); its kid is `audit-<thumbprint>`. */
export function pkcs11AuditSigner(o: Pkcs11Config): { signer: Signer; release: () => void } {
  const token = Pkcs11Token.acquire(o);
  const pair = token.keyPairByLabel(o.auditKeyLabel);
  if (!pair) {
    token.release();
    throw new Error(`audit: no key pair labelled "${o.auditKeyLabel}" in the token; run \`npm run gateway -- keys init\``);
  }
  const jwk = token.publicJwk(pair.publicKey);
  return { signer: new Pkcs11Signer(token, pair.privateKey, jwk, `audit-${ecThumbprint(jwk)}`), release: () => token.release() };
}

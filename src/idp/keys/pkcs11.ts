// The HSM through PKCS#11 (pkcs11js, a Node-API binding): one logged-in read/write session per
// process, on the token chosen by label or slot. What this module asks of the token:
//   - EC P-256 key pairs made inside it (C_GenerateKeyPair), the private half CKA_SENSITIVE and not
//     CKA_EXTRACTABLE, so the private key never leaves it — not into this process either;
//   - ECDSA over a SHA-256 digest made here (CKM_ECDSA: the plain mechanism every HSM has), whose
//     output r||s is already the JWS form of an ES256 signature;
//   - the public point (CKA_EC_POINT), from which the JWK in /jwks is built;
//   - one data object (CKO_DATA) holding the key ring's record (keyRing.ts), so every instance that
//     can reach the token reads the same ring and nothing else needs to be shared.
// Every call is synchronous: a C_SignInit + C_Sign pair runs in one turn of the event loop and so
// never interleaves with another operation on the session (PKCS#11 allows one at a time).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import type * as Pkcs11Types from 'pkcs11js';
import type { Pkcs11Config } from '../../config.ts';

type Binding = typeof Pkcs11Types;
type Handle = Buffer;

let binding: Binding | undefined;
/** Loaded on first use: the in-process signer (the sandbox) never needs the native addon. */
function pkcs11js(): Binding {
  if (binding) return binding;
  try {
    binding = createRequire(import.meta.url)('pkcs11js') as Binding;
  } catch (err) {
    throw new Error(`keys.signer=pkcs11: the PKCS#11 binding (pkcs11js) cannot be loaded (${(err as Error).message.split('\n')[0]}); run scripts/ensure-node-modules.sh, which builds it`);
  }
  return binding;
}

/** DER of the OID of P-256 (prime256v1), the CKA_EC_PARAMS of every key made here. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

/** The PIN from the file (first line) or the config/environment; never logged. */
export function pinOf(o: Pkcs11Config): string {
  if (o.pinFile) {
    let text: string;
    try {
      text = readFileSync(o.pinFile, 'utf8');
    } catch (err) {
      throw new Error(`keys.pkcs11.pinFile: cannot read ${o.pinFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const pin = text.split(/\r?\n/)[0] ?? '';
    if (!pin) throw new Error(`keys.pkcs11.pinFile: ${o.pinFile} is empty`);
    return pin;
  }
  if (o.pin) return o.pin;
  throw new Error('keys.pkcs11: no PIN (set keys.pkcs11.pinFile or GATEWAY_PKCS11_PIN)');
}

/** The uncompressed point 04||X||Y of a CKA_EC_POINT (a DER OCTET STRING around it, or bare). */
function ecPoint(value: Buffer): Buffer {
  if (value.length === 67 && value[0] === 0x04 && value[1] === 0x41) return value.subarray(2);
  if (value.length === 65 && value[0] === 0x04) return value;
  throw new Error('PKCS#11: the public key is not an uncompressed P-256 point');
}

export interface KeyPairHandles {
  privateKey: Handle;
  publicKey: Handle;
}

/** Open tokens of this process, by module and token: a module is initialised once per process. */
const opened = new Map<string, { token: Pkcs11Token; users: number }>();
const tokenKey = (o: Pkcs11Config) => JSON.stringify([o.module, o.tokenLabel ?? null, o.slot ?? null]);

export class Pkcs11Token {
  readonly #p: Pkcs11Types.PKCS11;
  readonly #session: Handle;
  #closed = false;

  private constructor(p: Pkcs11Types.PKCS11, session: Handle) {
    this.#p = p;
    this.#session = session;
  }

  /**
   * The process's session on the token, opened on first use; every user calls `release` when done
   * (the last one logs out and finalises the module).
   */
  static acquire(o: Pkcs11Config): Pkcs11Token {
    const key = tokenKey(o);
    const entry = opened.get(key);
    if (entry) {
      entry.users += 1;
      return entry.token;
    }
    const token = Pkcs11Token.#open(o);
    opened.set(key, { token, users: 1 });
    token.#key = key;
    return token;
  }

  #key = '';

  release(): void {
    const entry = opened.get(this.#key);
    if (entry && entry.token === this) {
      entry.users -= 1;
      if (entry.users > 0) return;
      opened.delete(this.#key);
    }
    this.#close();
  }

  /** Loads the module, finds the token, opens a read/write session and logs in as the user. */
  static #open(o: Pkcs11Config): Pkcs11Token {
    const b = pkcs11js();
    const p = new b.PKCS11();
    try {
      p.load(o.module);
    } catch (err) {
      throw new Error(`keys.pkcs11.module: cannot load ${o.module} (${(err as Error).message})`);
    }
    p.C_Initialize();
    try {
      const slots = p.C_GetSlotList(true);
      const slot = o.tokenLabel !== undefined
        ? slots.find((s) => p.C_GetTokenInfo(s).label.trim() === o.tokenLabel)
        : o.slot !== undefined ? slots.find((s) => s.readUIntLE(0, s.length) === o.slot) : slots[0];
      if (!slot) throw new Error(`keys.pkcs11: no token ${o.tokenLabel !== undefined ? `labelled "${o.tokenLabel}"` : o.slot !== undefined ? `in slot ${o.slot}` : 'present'}`);
      const session = p.C_OpenSession(slot, b.CKF_SERIAL_SESSION | b.CKF_RW_SESSION);
      try {
        p.C_Login(session, b.CKU_USER, pinOf(o));
      } catch (err) {
        // Another session of this process may have logged the application in already.
        if (!/CKR_USER_ALREADY_LOGGED_IN/.test((err as Error).message)) {
          p.C_CloseSession(session);
          throw new Error(`keys.pkcs11: login to the token failed (${(err as Error).message.split(':')[0]})`);
        }
      }
      return new Pkcs11Token(p, session);
    } catch (err) {
      p.C_Finalize();
      throw err;
    }
  }

  #find(template: Pkcs11Types.Template, max = 16): Handle[] {
    this.#p.C_FindObjectsInit(this.#session, template);
    try {
      return this.#p.C_FindObjects(this.#session, max);
    } finally {
      this.#p.C_FindObjectsFinal(this.#session);
    }
  }

  /** The key pair with CKA_ID `id`, if the token has both halves. */
  keyPair(id: Buffer): KeyPairHandles | undefined {
    const b = pkcs11js();
    const [privateKey] = this.#find([{ type: b.CKA_CLASS, value: b.CKO_PRIVATE_KEY }, { type: b.CKA_ID, value: id }], 1);
    const [publicKey] = this.#find([{ type: b.CKA_CLASS, value: b.CKO_PUBLIC_KEY }, { type: b.CKA_ID, value: id }], 1);
    return privateKey && publicKey ? { privateKey, publicKey } : undefined;
  }

  /** Makes a P-256 key pair inside the token: signing only, the private half sensitive and never extractable. */
  generateEcKeyPair(label: string, id: Buffer): KeyPairHandles {
    const b = pkcs11js();
    const common = [
      { type: b.CKA_TOKEN, value: true },
      { type: b.CKA_LABEL, value: label },
      { type: b.CKA_ID, value: id },
    ];
    const keys = this.#p.C_GenerateKeyPair(this.#session, { mechanism: b.CKM_EC_KEY_PAIR_GEN },
      [...common, { type: b.CKA_EC_PARAMS, value: P256_PARAMS }, { type: b.CKA_VERIFY, value: true }, { type: b.CKA_PRIVATE, value: false }],
      [...common, { type: b.CKA_PRIVATE, value: true }, { type: b.CKA_SIGN, value: true }, { type: b.CKA_SENSITIVE, value: true },
        { type: b.CKA_EXTRACTABLE, value: false }, { type: b.CKA_DECRYPT, value: false }, { type: b.CKA_DERIVE, value: false }]);
    return { privateKey: keys.privateKey, publicKey: keys.publicKey };
  }

  /** The public JWK (kty, crv, x, y) of a public key object. */
  publicJwk(publicKey: Handle): JWK {
    const b = pkcs11js();
    const [attr] = this.#p.C_GetAttributeValue(this.#session, publicKey, [{ type: b.CKA_EC_POINT }]);
    const point = ecPoint(attr?.value as Buffer);
    return { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') };
  }

  /** What the token says of a private key's protection (the tests assert it). */
  protection(privateKey: Handle): { sensitive: boolean; extractable: boolean; neverExtractable: boolean } {
    const b = pkcs11js();
    const attrs = this.#p.C_GetAttributeValue(this.#session, privateKey, [
      { type: b.CKA_SENSITIVE }, { type: b.CKA_EXTRACTABLE }, { type: b.CKA_NEVER_EXTRACTABLE },
    ]);
    const flag = (i: number) => Boolean((attrs[i]?.value as Buffer | undefined)?.[0]);
    return { sensitive: flag(0), extractable: flag(1), neverExtractable: flag(2) };
  }

  /** The private value, if the token would give it (it must refuse: the tests call this to see it does). */
  tryReadPrivateValue(privateKey: Handle): Buffer | undefined {
    const b = pkcs11js();
    try {
      const [attr] = this.#p.C_GetAttributeValue(this.#session, privateKey, [{ type: b.CKA_VALUE }]);
      return attr?.value as Buffer | undefined;
    } catch {
      return undefined;
    }
  }

  /** ECDSA (CKM_ECDSA) over a digest: the raw r||s, 64 bytes for P-256. */
  signDigest(privateKey: Handle, digest: Buffer): Buffer {
    const b = pkcs11js();
    if (this.#closed) throw new Error('PKCS#11: the session is closed');
    this.#p.C_SignInit(this.#session, { mechanism: b.CKM_ECDSA }, privateKey);
    return Buffer.from(this.#p.C_Sign(this.#session, digest, Buffer.alloc(132)));
  }

  /** The value of the data object labelled `label`, if there is one. */
  readData(label: string): Buffer | undefined {
    const b = pkcs11js();
    const [object] = this.#find([{ type: b.CKA_CLASS, value: b.CKO_DATA }, { type: b.CKA_LABEL, value: label }], 1);
    if (!object) return undefined;
    const [attr] = this.#p.C_GetAttributeValue(this.#session, object, [{ type: b.CKA_VALUE }]);
    return attr?.value as Buffer | undefined;
  }

  /** Replaces the data object labelled `label` (a private token object: only a logged-in user reads it). */
  writeData(label: string, value: Buffer): void {
    const b = pkcs11js();
    const existing = this.#find([{ type: b.CKA_CLASS, value: b.CKO_DATA }, { type: b.CKA_LABEL, value: label }]);
    this.#p.C_CreateObject(this.#session, [
      { type: b.CKA_CLASS, value: b.CKO_DATA },
      { type: b.CKA_TOKEN, value: true },
      { type: b.CKA_PRIVATE, value: true },
      { type: b.CKA_LABEL, value: label },
      { type: b.CKA_APPLICATION, value: 'vardgateway' },
      { type: b.CKA_VALUE, value },
    ]);
    // The new record exists before the old one goes: a reader finds one or the other, never none.
    for (const object of existing) this.#p.C_DestroyObject(this.#session, object);
  }

  /** Destroys both halves of the key pair with CKA_ID `id`. */
  destroyKeyPair(id: Buffer): void {
    const b = pkcs11js();
    for (const cls of [b.CKO_PRIVATE_KEY, b.CKO_PUBLIC_KEY]) {
      for (const object of this.#find([{ type: b.CKA_CLASS, value: cls }, { type: b.CKA_ID, value: id }])) this.#p.C_DestroyObject(this.#session, object);
    }
  }

  /** The key pair labelled `label` (a key of its own, such as the audit key), if the token has both halves. */
  keyPairByLabel(label: string): KeyPairHandles | undefined {
    const b = pkcs11js();
    const [privateKey] = this.#find([{ type: b.CKA_CLASS, value: b.CKO_PRIVATE_KEY }, { type: b.CKA_LABEL, value: label }], 1);
    const [publicKey] = this.#find([{ type: b.CKA_CLASS, value: b.CKO_PUBLIC_KEY }, { type: b.CKA_LABEL, value: label }], 1);
    return privateKey && publicKey ? { privateKey, publicKey } : undefined;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try { this.#p.C_Logout(this.#session); } catch { /* the session may be logged out already */ }
    try { this.#p.C_CloseSession(this.#session); } catch { /* closing anyway */ }
    this.#p.C_Finalize();
  }
}

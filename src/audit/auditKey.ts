// The audit key: the one key that signs audit checkpoints, kept apart from the OIDC signing keys so
// that whoever may rotate or read the token keys cannot also vouch for a rewritten audit history.
// Production reads it from a managed file (a private JWK, a JWKS whose first key signs and whose other
// keys only verify — rotation — or a PKCS#8 PEM); the sandbox generates one into its key folder and
// marks it, so production can recognise and refuse it.
import { createPrivateKey, createPublicKey, type JsonWebKey as NodeJsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { sandboxFile } from '../idp/keys.ts';
import type { Signer } from '../idp/keys/signer.ts';
import { pkcs11AuditSigner } from '../idp/keys/hsmKeySet.ts';
import type { Pkcs11Config } from '../config.ts';

const SANDBOX_MARK = 'sandbox';
/** The sandbox's generated audit key, under <sandboxDir>/keys. */
export const SANDBOX_AUDIT_KEY = 'audit-key.json';

const ALGS = ['ES256', 'ES384', 'PS256', 'EdDSA'] as const;
export type AuditAlg = typeof ALGS[number];

/** A key in this process (from the key file), or a signer whose key is elsewhere (an HSM). */
export type AuditSigner = { kid: string; alg: AuditAlg; key: CryptoKey | KeyObject } | Signer;

export interface AuditKeys {
  /** What signs new checkpoints (the first private key of the file, or the HSM's audit key). */
  signer: AuditSigner;
  /** Every key a checkpoint may verify with, public parts only: what /audit/jwks publishes. */
  publicJwks: { keys: JWK[] };
  generated: boolean;
  /** Lets go of the HSM session, when the key is there. */
  release?: () => void;
}

/** The audit key in the HSM (keys.pkcs11.auditKeyLabel): checkpoints are signed there. */
export function hsmAuditKeys(o: Pkcs11Config): AuditKeys {
  const { signer, release } = pkcs11AuditSigner(o);
  return { signer, publicJwks: { keys: [signer.publicJwk] }, generated: false, release };
}

/** The algorithm a key can only mean: stated on the JWK, or the one this gateway uses for its type. */
function algFor(jwk: JWK): AuditAlg {
  const stated = ALGS.find((a) => a === jwk.alg);
  if (stated) return stated;
  if (jwk.alg) throw new Error(`audit key ${jwk.kid ?? ''}: algorithm ${jwk.alg} is not one of ES256, ES384, PS256, EdDSA`);
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'RSA') return 'PS256';
  throw new Error(`audit key: key type ${jwk.kty ?? '?'} ${jwk.crv ?? ''} is not supported (use P-256, P-384, Ed25519 or RSA)`);
}

/** The public members of a JWK, with kid (its thumbprint unless stated), alg and use. */
export async function publicJwkOf(jwk: JWK): Promise<JWK> {
  const pub = createPublicKey({ key: jwk as NodeJsonWebKey, format: 'jwk' }).export({ format: 'jwk' }) as JWK;
  const alg = algFor(jwk);
  return { ...pub, kid: jwk.kid ?? await calculateJwkThumbprint(pub), alg, use: 'sig' };
}

/** A key file's keys as JWKs: a JWK, a JWKS, or a PKCS#8 / SPKI PEM. */
function keysInFile(file: string): { keys: JWK[]; generated: boolean } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`audit.keyFile: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text.trimStart().startsWith('-----BEGIN')) {
    const isPrivate = /-----BEGIN (EC |RSA )?PRIVATE KEY-----/.test(text);
    const key = isPrivate ? createPrivateKey(text) : createPublicKey(text);
    return { keys: [key.export({ format: 'jwk' }) as JWK], generated: false };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`audit.keyFile: ${file} is neither a PEM key nor JSON (a JWK or a JWKS)`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`audit.keyFile: ${file} holds no key`);
  const record = parsed as { keys?: unknown; kty?: unknown; generatedBy?: unknown };
  const keys = Array.isArray(record.keys) ? record.keys as JWK[] : typeof record.kty === 'string' ? [parsed as JWK] : [];
  if (!keys.length) throw new Error(`audit.keyFile: ${file} holds no key (a JWK, a JWKS with "keys", or a PEM)`);
  return { keys, generated: record.generatedBy === SANDBOX_MARK };
}

async function generateAuditKey(): Promise<JWK & { generatedBy: string }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = `audit-${await calculateJwkThumbprint(jwk)}`;
  jwk.alg = 'ES256';
  jwk.use = 'sig';
  return { ...jwk, generatedBy: SANDBOX_MARK };
}

/**
 * The signing audit key: `keyFile`, or (sandbox only) the generated one under <sandboxDir>/keys.
 * The first key holding a private part signs; every key verifies.
 */
export async function loadAuditKeys(opts: { keyFile?: string | undefined; sandboxDir: string; mayGenerate: boolean }): Promise<AuditKeys> {
  let file = opts.keyFile;
  if (!file) {
    if (!opts.mayGenerate) throw new Error('audit.keyFile: no audit key configured; production signs audit checkpoints with a dedicated key from a file (a private JWK, JWKS or PEM)');
    file = await sandboxFile(opts.sandboxDir, SANDBOX_AUDIT_KEY, generateAuditKey);
  }
  const { keys, generated } = keysInFile(file);
  const signing = keys.find((k) => typeof k.d === 'string');
  if (!signing) throw new Error(`audit.keyFile: ${file} holds no private key to sign checkpoints with`);
  const publicKeys = await Promise.all(keys.map(publicJwkOf));
  const signerPublic = publicKeys[keys.indexOf(signing)];
  if (!signerPublic?.kid) throw new Error('audit.keyFile: the signing key has no kid');
  const alg = algFor(signing);
  const key = await importJWK({ ...signing, alg }, alg);
  if (key instanceof Uint8Array) throw new Error('audit.keyFile: a symmetric key cannot sign checkpoints');
  return { signer: { kid: signerPublic.kid, alg, key }, publicJwks: { keys: publicKeys }, generated };
}

/**
 * The keys a verifier trusts, public parts only: a JWKS file a controller kept (`jwksFile`), else the
 * configured audit key file, else the sandbox's generated one if it exists. Never generates one, and
 * never reads a key from the database it is about to check.
 */
export async function loadVerificationKeys(opts: { jwksFile?: string | undefined; keyFile?: string | undefined; sandboxDir: string }): Promise<{ keys: JWK[]; source: string } | undefined> {
  const sandbox = join(opts.sandboxDir, 'keys', SANDBOX_AUDIT_KEY);
  const file = opts.jwksFile ?? opts.keyFile ?? (existsSync(sandbox) ? sandbox : undefined);
  if (!file) return undefined;
  const { keys } = keysInFile(file);
  return { keys: await Promise.all(keys.map(publicJwkOf)), source: file };
}

/** Whether the audit key is one of the OIDC signing keys (it must not be: the key is dedicated). */
export async function sharesKeyWith(audit: AuditKeys, signing: { keys: JWK[] }): Promise<boolean> {
  const ours = new Set(await Promise.all(audit.publicJwks.keys.map((k) => calculateJwkThumbprint(k))));
  for (const k of signing.keys) {
    const pub = await publicJwkOf(k).catch(() => undefined);
    if (pub && ours.has(await calculateJwkThumbprint(pub))) return true;
  }
  return false;
}

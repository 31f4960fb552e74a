// Signing keys and secrets. Production reads them from managed files; the sandbox generates them on
// first start into its git-ignored folder and marks them, so production can recognise and refuse them.
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, linkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, calculateJwkThumbprint, type JWK } from 'jose';
import { z } from 'zod';
import type { ExternalSigningKey } from 'oidc-provider';
import { InProcessSigner, StaticKeySet, type Signer, type SigningKeySet } from './keys/signer.ts';

const SANDBOX_MARK = 'sandbox';

export interface SigningKeys {
  /** The private JWKS of `keys.jwksFile` (in-process signing); empty when the keys are in an HSM. */
  jwks: { keys: JWK[] };
  generated: boolean;
  /** What the gateway's own tokens are signed with, and what /jwks publishes (src/idp/keys/signer.ts). */
  signers: SigningKeySet;
  /** HSM keys: oidc-provider's `jwks.keys` as external signing keys (src/idp/keys/providerKeys.ts). */
  provider?: ExternalSigningKey[];
}

export interface Secrets {
  /** Keys for oidc-provider's signed cookies, newest first (rotation). */
  cookieKeys: string[];
  /** Keyed input for pairwise `sub`: without it, two products could not be told apart, nor correlate. */
  pairwiseSalt: string;
  /** Key for the pseudonymous account id derived from a personnummer. */
  accountKey: string;
  generated: boolean;
}

const privateJwk = z.object({
  kty: z.enum(['EC', 'RSA', 'OKP']),
  kid: z.string().min(1),
  d: z.string().min(1),
  alg: z.enum(['ES256', 'PS256', 'EdDSA']).optional(),
}).passthrough();
const jwksFileSchema = z.object({ keys: z.array(privateJwk).min(1), generatedBy: z.string().optional() });

const secretsSchema = z.object({
  cookieKeys: z.array(z.string().min(32, 'cookie keys need at least 32 characters')).min(1),
  pairwiseSalt: z.string().min(32),
  accountKey: z.string().min(32),
  generatedBy: z.string().optional(),
});

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${what}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * The path of a sandbox-generated file under <sandboxDir>/keys, made on first use. Written to a temp
 * file and linked into place, so two processes starting at once end with one complete file: the
 * first link wins, the loser's content is discarded.
 */
export async function sandboxFile(sandboxDir: string, name: string, make: () => Promise<unknown> | unknown): Promise<string> {
  const dir = join(sandboxDir, 'keys');
  const file = join(dir, name);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(await make(), null, 2), { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return file;
}

async function generateSigningJwks(): Promise<{ keys: JWK[] }> {
  const keys: JWK[] = [];
  // ES256 first: oidc-provider signs with the first key of the algorithm a client asks for.
  for (const alg of ['ES256', 'PS256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'PS256' ? { modulusLength: 2048 } : {}) });
    const jwk = await exportJWK(privateKey);
    jwk.alg = alg;
    jwk.use = 'sig';
    jwk.kid = await calculateJwkThumbprint(jwk);
    keys.push(jwk);
  }
  return { keys };
}

export async function loadSigningKeys(opts: { jwksFile?: string | undefined; sandboxDir: string; mayGenerate: boolean }): Promise<SigningKeys> {
  let file = opts.jwksFile;
  if (!file) {
    if (!opts.mayGenerate) throw new Error('keys.jwksFile: no signing keys configured; set GATEWAY_JWKS_FILE to a private JWKS');
    file = await sandboxFile(opts.sandboxDir, 'jwks.json', async () => ({ ...(await generateSigningJwks()), generatedBy: SANDBOX_MARK }));
  }
  const parsed = jwksFileSchema.safeParse(readJson(file, 'keys.jwksFile'));
  if (!parsed.success) {
    throw new Error(`keys.jwksFile: ${file} is not a private JWKS with kid on every key (${parsed.error.issues[0]?.message ?? ''})`);
  }
  const jwks = { keys: parsed.data.keys as JWK[] };
  return { jwks, generated: parsed.data.generatedBy === SANDBOX_MARK, signers: signingKeySetOf(jwks) };
}

export async function loadSecrets(opts: { secretsFile?: string | undefined; sandboxDir: string; mayGenerate: boolean }): Promise<Secrets> {
  let file = opts.secretsFile;
  if (!file) {
    if (!opts.mayGenerate) throw new Error('keys.secretsFile: no secrets configured; set GATEWAY_SECRETS_FILE');
    const secret = () => randomBytes(32).toString('base64url');
    file = await sandboxFile(opts.sandboxDir, 'secrets.json', () => ({
      cookieKeys: [secret()], pairwiseSalt: secret(), accountKey: secret(), generatedBy: SANDBOX_MARK,
    }));
  }
  const parsed = secretsSchema.safeParse(readJson(file, 'keys.secretsFile'));
  if (!parsed.success) throw new Error(`keys.secretsFile: ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const { generatedBy, ...rest } = parsed.data;
  return { ...rest, generated: generatedBy === SANDBOX_MARK };
}

export type SigningAlg = 'ES256' | 'PS256' | 'EdDSA';

function algOf(jwk: JWK): SigningAlg | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (!jwk.alg || jwk.alg === 'ES256')) return 'ES256';
  if (jwk.kty === 'RSA' && (!jwk.alg || jwk.alg === 'PS256')) return 'PS256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && (!jwk.alg || jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519')) return 'EdDSA';
  return undefined;
}

/**
 * The key the gateway signs its own tokens with (decision assertions, containment webhooks, logout
 * tokens): the first ES256 private key of its JWKS — the one oidc-provider prefers too — else its first
 * usable one. One choice, so every receiver finds the same kid in /jwks.
 */
export function preferredSigningKey(jwks: { keys: JWK[] }): { jwk: JWK; alg: SigningAlg } {
  const usable = jwks.keys.filter((k) => k.d && (!k.use || k.use === 'sig')).flatMap((jwk) => {
    const alg = algOf(jwk);
    return alg ? [{ jwk, alg }] : [];
  });
  const chosen = usable.find((k) => k.alg === 'ES256') ?? usable[0];
  if (!chosen) throw new Error('keys.jwksFile: no ES256, PS256 or EdDSA private signing key');
  return chosen;
}

/**
 * The in-process key set of a private JWKS: the preferred key signs, every usable key is published.
 * Fixed for the life of the process (rotating a file's keys is a new file and a restart).
 */
export function signingKeySetOf(jwks: { keys: JWK[] }): SigningKeySet {
  const preferred = preferredSigningKey(jwks);
  let active: Signer | undefined;
  const all: Signer[] = [];
  for (const jwk of jwks.keys) {
    const alg = jwk.d && (!jwk.use || jwk.use === 'sig') ? algOf(jwk) : undefined;
    // A key without a kid could not be picked from /jwks by a verifier: it signs nothing.
    if (!alg || !jwk.kid) continue;
    const key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    const signer = new InProcessSigner(key, jwk.kid, alg);
    if (jwk === preferred.jwk) active = signer;
    all.push(signer);
  }
  if (!active) throw new Error('keys.jwksFile: no ES256, PS256 or EdDSA private signing key with a kid');
  return new StaticKeySet(active, all);
}

/** A key set, or a private JWKS made into one (the tests and the sandbox pass JWKS). */
export function asKeySet(keys: { keys: JWK[] } | SigningKeySet): SigningKeySet {
  return 'active' in keys && typeof keys.active === 'function' ? keys : signingKeySetOf(keys as { keys: JWK[] });
}

// The gateway's own clients of itself (the sandbox demo RP, the admin console, the CLI): each is an
// ordinary confidential client that talks FAPI 2.0 to the issuer with openid-client, using
// private_key_jwt with a key from a file and DPoP-bound tokens. What they share lives here: where the
// client key comes from, discovery of the issuer, and DPoP handles built from stored key pairs.
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type JWK } from 'jose';
import { sandboxFile } from './keys.ts';
import type { Clock } from '../clock.ts';

const SANDBOX_MARK = 'sandbox';

/** A client's ES256 key for private_key_jwt: the private half signs, the public half is registered. */
export interface ClientKey {
  privateJwk: JWK;
  publicJwk: JWK;
  /** True when the sandbox generated it; production refuses such keys. */
  generated: boolean;
}

/** A key pair as JWKs, for DPoP keys that must survive between requests (kept in the HotStore). */
export interface StoredKeyPair {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function newKeyPair(): Promise<StoredKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
}

async function generateClientKey(): Promise<Record<string, unknown>> {
  const pair = await newKeyPair();
  const kid = await calculateJwkThumbprint(pair.publicJwk);
  return {
    privateJwk: { ...pair.privateJwk, kid, alg: 'ES256' },
    publicJwk: { ...pair.publicJwk, kid, alg: 'ES256', use: 'sig' },
    generatedBy: SANDBOX_MARK,
  };
}

/**
 * Reads a client key file: either `{ privateJwk, publicJwk }` (as the sandbox writes it) or a bare
 * private EC JWK (as an operator would provision it). The public half is derived, never trusted apart.
 */
export function readClientKey(file: string, field: string): ClientKey {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${field}: cannot read a JSON key from ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const privateJwk = (parsed.privateJwk ?? parsed) as JWK;
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || typeof privateJwk.d !== 'string' || typeof privateJwk.kid !== 'string') {
    throw new Error(`${field}: ${file} must hold a private P-256 JWK with a kid (ES256)`);
  }
  const { d: _d, ...publicPart } = privateJwk;
  return {
    privateJwk: { ...privateJwk, alg: 'ES256' },
    publicJwk: { kty: publicPart.kty, crv: publicPart.crv, x: publicPart.x, y: publicPart.y, kid: publicPart.kid, alg: 'ES256', use: 'sig' },
    generated: parsed.generatedBy === SANDBOX_MARK,
  };
}

/** The key of one of the gateway's own clients, generated on first start into the sandbox folder. */
export async function sandboxClientKey(sandboxDir: string, name: string): Promise<ClientKey> {
  const file = await sandboxFile(sandboxDir, name, generateClientKey);
  return readClientKey(file, name);
}

/**
 * Discovery of the issuer for one of its own clients, on first use: the gateway must be listening
 * before it can discover itself. A failed discovery is retried on the next call. With a clock, the
 * client's notion of now (DPoP proof iat, ID token checks) follows it, so the gateway and its own
 * clients agree on the time when tests move it; with the system clock nothing changes.
 */
export function issuerDiscovery(issuer: string, clientId: string, key: ClientKey, metadata: Partial<oidc.ClientMetadata> = {}, clock?: Clock): () => Promise<oidc.Configuration> {
  let configuration: Promise<oidc.Configuration> | undefined;
  let skewed: { skew: number; config: oidc.Configuration } | undefined;
  const insecure = issuer.startsWith('http://');
  const clientAuth = async () => oidc.PrivateKeyJwt({ key: await importJWK(key.privateJwk, 'ES256') as CryptoKey, kid: key.privateJwk.kid as string });
  return async () => {
    configuration ??= (async () => oidc.discovery(new URL(issuer), clientId, metadata, await clientAuth(),
      insecure ? { execute: [oidc.allowInsecureRequests] } : undefined))().catch((err: unknown) => {
      configuration = undefined;
      throw err;
    });
    const base = await configuration;
    const skew = clock ? Math.round((clock.now() - Date.now()) / 1000) : 0;
    if (skew === 0) return base;
    if (skewed?.skew !== skew) {
      const config = new oidc.Configuration(base.serverMetadata(), clientId, { ...metadata, [oidc.clockSkew]: skew }, await clientAuth());
      if (insecure) oidc.allowInsecureRequests(config);
      skewed = { skew, config };
    }
    return skewed.config;
  };
}

/** A DPoP handle for a key pair kept between requests. */
export async function dpopHandleFor(config: oidc.Configuration, keys: StoredKeyPair): Promise<oidc.DPoPHandle> {
  return oidc.getDPoPHandle(config, {
    privateKey: await importJWK(keys.privateJwk, 'ES256') as CryptoKey,
    publicKey: await importJWK(keys.publicJwk, 'ES256') as CryptoKey,
  });
}

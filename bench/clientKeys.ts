// The load generator's client: its private_key_jwt key (servers read the public half from
// BENCH_CLIENT_JWK) and the DPoP key its tokens are bound to. Made once per run, shared by every scenario.
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

export const { privateKey: clientKey, publicKey: clientPub } = await generateKeyPair('ES256', { extractable: true });
export const clientJwk = { ...(await exportJWK(clientPub)), alg: 'ES256', use: 'sig' } as Record<string, unknown>;
clientJwk.kid = await calculateJwkThumbprint(clientJwk);
export const dpopKeys = await generateKeyPair('ES256', { extractable: true });
export const dpopJwk = await exportJWK(dpopKeys.publicKey);

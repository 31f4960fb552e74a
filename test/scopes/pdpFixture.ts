// A gateway with a decision point for the PDP tests: the test's own registry content (as
// test/whitelist/gate.oidc.test.ts does), a real Redis, an in-memory PGlite with every migration (the
// shared PostgreSQL of several instances), products as clients with their own keys, and helpers that
// make DPoP proofs for exactly the request being sent.
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK } from 'jose';
import * as oidc from 'openid-client';
import type { Gateway } from '../../src/gateway.ts';
import type { RegistrySnapshot } from '../../src/whitelist/model.ts';
import { PgliteDb } from '../../src/whitelist/db/pglite.ts';
import { migrate } from '../../src/whitelist/db/migrate.ts';
import { luhnCheckDigit } from '../../src/personnummer.ts';
import { makeTestClient, startTestGateway, type TestClient, type TestGatewayOptions } from '../helpers/gateway.ts';
import { product } from '../whitelist/snapshotFixture.ts';

export const REDIRECT = 'https://pdp-app.example.test/cb';

/** A registry whose content the test changes, as the admin API would. */
export class TestRegistry {
  current: RegistrySnapshot;
  constructor(s: RegistrySnapshot) {
    this.current = s;
  }
  async snapshot(): Promise<RegistrySnapshot> {
    return structuredClone(this.current);
  }
}

export async function memoryDb(): Promise<PgliteDb> {
  const db = await PgliteDb.open();
  await migrate(db);
  return db;
}

export async function clientFor(name: string, grantTypes: Array<'authorization_code' | 'client_credentials'>): Promise<TestClient> {
  return makeTestClient(`${name}-${randomUUID().slice(0, 8)}`, REDIRECT, { grant_types: grantTypes });
}

export function productFor(client: TestClient, id: string, extra: Parameters<typeof product>[1] = {}) {
  return product(id, {
    client: {
      clientId: client.config.client_id,
      redirectUris: client.config.redirect_uris,
      postLogoutRedirectUris: [],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: client.config.jwks as { keys: Array<Record<string, unknown>> },
      grantTypes: client.config.grant_types as Array<'authorization_code' | 'client_credentials'>,
      scope: 'openid profile https://id.oidc.se/scope/naturalPersonNumber',
    },
    authnMethods: ['bankid'],
    requestedAccess: [
      { dataset: 'bookings', actions: ['read', 'write'] },
      { dataset: 'vaccinations', actions: ['read'] },
      { dataset: 'lab-results', actions: ['read'] },
      { dataset: 'home-care-decisions', actions: ['read'] },
    ],
    ...extra,
  });
}

export async function rpFor(gw: Gateway, client: TestClient): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(gw.url), client.config.client_id, {},
    oidc.PrivateKeyJwt({ key: client.privateKey, kid: client.kid }), { execute: [oidc.allowInsecureRequests] });
}

export interface Holder {
  token: string;
  keys: CryptoKeyPair;
}

export async function clientCredentialsToken(gw: Gateway, client: TestClient): Promise<Holder> {
  const config = await rpFor(gw, client);
  const keys = await oidc.randomDPoPKeyPair('ES256');
  const tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP: oidc.getDPoPHandle(config, keys) });
  return { token: tokens.access_token, keys };
}

/** A DPoP proof for one request (RFC 9449): method, URL without query, the token's hash. */
export async function proof(keys: CryptoKeyPair, method: string, url: string, token: string, nowMs = Date.now()): Promise<string> {
  const u = new URL(url);
  return new SignJWT({
    jti: randomUUID(),
    iat: Math.floor(nowMs / 1000),
    htm: method,
    htu: `${u.origin}${u.pathname}`,
    ath: createHash('sha256').update(token).digest('base64url'),
  }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) }).sign(keys.privateKey);
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try { body = text ? JSON.parse(text) as Record<string, unknown> : {}; } catch { body = { text }; }
  return { status: res.status, body, headers: res.headers };
}

/** POST /pdp/v1/decide with the holder's token and a fresh proof (signer null: no proof). */
export async function decide(gw: Gateway, holder: Holder | undefined, target: Record<string, unknown>, signer: CryptoKeyPair | null | undefined = holder?.keys): Promise<Answer> {
  const url = `${gw.url}/pdp/v1/decide`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (holder) {
    headers.authorization = `DPoP ${holder.token}`;
    if (signer) headers.dpop = await proof(signer, 'POST', url, holder.token);
  }
  return answer(await fetch(url, { method: 'POST', headers, body: JSON.stringify({ target }) }));
}

/** GET through the built-in PEP; signer null sends no proof at all. */
export async function viaPep(gw: Gateway, holder: Holder, path: string, signer: CryptoKeyPair | null = holder.keys): Promise<Answer> {
  const url = `${gw.url}/pep${path}`;
  const headers: Record<string, string> = { authorization: `DPoP ${holder.token}` };
  if (signer) headers.dpop = await proof(signer, 'GET', url, holder.token);
  return answer(await fetch(url, { headers }));
}

/** n valid personnummer (born 1990-01-01..), distinct. */
export function citizens(n: number, start = 100): string[] {
  return Array.from({ length: n }, (_, i) => {
    const nine = `900101${String(start + i).padStart(3, '0')}`;
    return `19${nine}${luhnCheckDigit(nine)}`;
  });
}

export async function startPdpGateway(registry: TestRegistry, db: PgliteDb, redisUrl: string, options: TestGatewayOptions = {}): Promise<Gateway> {
  const { overrides, ...rest } = options;
  return startTestGateway({
    registry,
    db,
    ...rest,
    overrides: { store: { redisUrl, keyPrefix: `pdp${randomUUID().slice(0, 8)}:` }, ...overrides },
  });
}

// Calling the admin API as its real callers do: the CLI's client_credentials token from the token
// endpoint, and staff tokens of the console's client (minted with the provider's own AccessToken model:
// the staff sign-in itself is the console's and the e-ID tests' business). All DPoP-bound.
import * as oidc from 'openid-client';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import type { Gateway } from '../../src/gateway.ts';
import { AccountStore } from '../../src/idp/accounts.ts';
import type { TestClient } from './gateway.ts';

export const STAFF = {
  OLOF: 'SE5565594230-OP01', // operator
  SARA: 'SE2321000016-A1B2', // controller_admin of region-sandbox
  TOMAS: 'SE2120001234-T001', // controller_admin of sandvik-kommun
  MARIA: 'SE5560000001-CB01', // certifier of nordic-medtest
  LARS: 'SE5591234567-LV01', // supplier 5591234567
} as const;

export interface Caller {
  token: string;
  keys: CryptoKeyPair;
}

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

export async function clientCredentials(gw: Gateway, client: TestClient): Promise<Caller> {
  const config = await oidc.discovery(new URL(gw.url), client.config.client_id, {},
    oidc.PrivateKeyJwt({ key: client.privateKey, kid: client.kid }), { execute: [oidc.allowInsecureRequests] });
  const keys = await oidc.randomDPoPKeyPair('ES256');
  const tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP: oidc.getDPoPHandle(config, keys) });
  return { token: tokens.access_token, keys };
}

/** A console token for a signed-in account, bound to a fresh DPoP key. */
export async function consoleToken(gw: Gateway, accountId: string): Promise<Caller> {
  const keys = await generateKeyPair('ES256', { extractable: true });
  const jkt = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
  const client = await gw.provider.Client.find('gateway-admin');
  const token = new gw.provider.AccessToken({ client: client!, accountId, scope: 'openid', gty: 'authorization_code' } as never);
  (token as unknown as { setThumbprint(p: string, v: string): void }).setThumbprint('jkt', jkt);
  return { token: await token.save(), keys };
}

/** A console token for a member of staff, signed in with that HSA-id. */
export async function staffToken(gw: Gateway, hsaId: string): Promise<Caller> {
  const accounts = new AccountStore(gw.store, 'test-account-key', 3600);
  return consoleToken(gw, await accounts.remember({ kind: 'staff', hsaId, givenName: 'Test', surname: 'Person' }));
}

export async function callApi(gw: Gateway, caller: Caller | undefined, method: string, path: string, options: { body?: unknown; raw?: string; type?: string; ifMatch?: string } = {}): Promise<Reply> {
  const url = `${gw.url}${path}`;
  const headers: Record<string, string> = {};
  if (caller) {
    const jwk = await exportJWK(caller.keys.publicKey);
    headers.authorization = `DPoP ${caller.token}`;
    headers.dpop = await new SignJWT({ htm: method, htu: url.split('?')[0], jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(caller.token).digest('base64url') })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(caller.keys.privateKey);
  }
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.type ?? 'application/json';
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** The status and problem code of a refusal. */
export const refused = (r: Reply): [number, string] => [r.status, String(r.body?.type ?? '').replace('urn:gateway:problem:', '')];

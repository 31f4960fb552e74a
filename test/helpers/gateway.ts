// Starts a real gateway on a free port for a test file: sandbox mode, its own sandbox folder (keys,
// certificates), the BankID simulator in-process, and any relying parties the test registers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import { loadConfig, type ClientConfig } from '../../src/config.ts';
import { startGateway, type Gateway, type StartOptions } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';

export interface TestClient {
  config: ClientConfig;
  privateKey: CryptoKey;
  kid: string;
}

/** A relying party with an ES256 key pair for private_key_jwt. */
export async function makeTestClient(id: string, redirectUri: string, extra: Partial<ClientConfig> = {}): Promise<TestClient> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    privateKey,
    kid,
    config: {
      client_id: id,
      client_name: `Test app ${id}`,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] },
      scope: 'openid profile https://id.oidc.se/scope/naturalPersonNumber',
      grant_types: ['authorization_code'],
      authn_methods: ['bankid', 'freja', 'portal-saml'],
      ...extra,
    },
  };
}

export interface TestGatewayOptions extends StartOptions {
  overrides?: Record<string, unknown>;
}

const sandboxDir = mkdtempSync(join(tmpdir(), 'gateway-test-'));
process.once('exit', () => rmSync(sandboxDir, { recursive: true, force: true }));

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<Gateway> {
  const { overrides, ...start } = options;
  const config = loadConfig({
    env: {},
    overrides: {
      sandboxDir,
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      bankid: { collectIntervalMs: 100, timeoutMs: 3000 },
      freja: { pollIntervalMs: 100, timeoutMs: 3000 },
      // Tests that sign the same persona in to the same client expect a consent page each time;
      // those about remembered consent turn it on (overrides replace the whole section).
      sessions: { rememberConsent: false },
      // Each test gateway gets a registry of its own in memory (the sandbox folder is shared per file).
      registry: { pglite: 'memory' },
      ...overrides,
    },
  });
  return startGateway(config, {
    issuerFromListen: true,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...start,
  });
}

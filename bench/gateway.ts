// The gateway as the benchmark runs it: sandbox mode with the bench client registered, the in-memory
// store (or Redis with BENCH_REDIS_URL), logs off. Started as a child process by run.ts.
// With BENCH_GATED=1 the bench client is not a configured client but a product of the (PGlite)
// registry, approved by one controller: every client lookup then runs the token gate, and every token
// response carries the live authorization_details.
// With BENCH_JUMP=1 (gated too) a second product, bench-target, takes jumps (a jump entry, jump URIs,
// its controller's jump policy): the `jump` scenario signs in at bench-client and jumps to it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/log.ts';
import { SYSTEM } from '../src/whitelist/service.ts';
import { profileUntilStopped } from './profiler.ts';

const clientJwk = JSON.parse(process.env.BENCH_CLIENT_JWK!) as Record<string, unknown>;
const config = loadConfig({
  env: {},
  overrides: {
    // bench/workers.ts: its workers share one port and one sandbox folder.
    sandboxDir: process.env.BENCH_SANDBOX_DIR ?? process.env.BENCH_MEMORY_SANDBOX_DIR ?? mkdtempSync(join(tmpdir(), 'bench-gw-')),
    http: { host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) },
    log: { level: 'silent' },
    // The simulator completes at once; collect as often as the schema allows so sign-in latency is
    // the gateway's, not BankID's pacing.
    bankid: { collectIntervalMs: 100 },
    sandbox: { demoRp: false, demoApps: false },
    // Workers sharing the sandbox folder would share its PGlite registry, which one process owns.
    ...(process.env.BENCH_SANDBOX_DIR ? { registry: { pglite: 'memory' } } : {}),
    ...(process.env.BENCH_REDIS_URL ? { store: { redisUrl: process.env.BENCH_REDIS_URL, keyPrefix: `bench${process.env.BENCH_PORT ?? process.pid}:` } } : {}),
  },
});
const jumps = process.env.BENCH_JUMP === '1';
const gated = process.env.BENCH_GATED === '1' || jumps;
const gateway = await startGateway(config, {
  issuerFromListen: true,
  logger: createLogger({ level: 'silent' }),
  clients: gated ? [] : [{
    client_id: 'bench-client',
    client_name: 'Bench',
    redirect_uris: ['https://bench.example.test/cb'],
    post_logout_redirect_uris: [],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [clientJwk] },
    scope: 'openid profile',
    grant_types: ['authorization_code', 'client_credentials'],
    authn_methods: ['bankid'],
  }],
});
if (gated) {
  const { service } = gateway.registryDb!;
  const product = await service.createProduct(SYSTEM, {
    id: 'bench-product',
    name: 'Bench',
    supplierOrgNumber: '5560009999',
    supplierName: 'Bench AB',
    purpose: 'self-care',
    contact: { name: 'Bench', email: 'bench@example.se' },
    client: {
      clientId: 'bench-client',
      redirectUris: ['https://bench.example.test/cb'],
      postLogoutRedirectUris: [],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [clientJwk] },
      grantTypes: ['authorization_code', 'client_credentials'],
      scope: 'openid profile',
    },
    authnMethods: ['bankid'],
    requestedAccess: [{ dataset: 'bookings', actions: ['read'] }],
  });
  await service.setProductStatus(SYSTEM, product.id, product.version, 'active');
  await service.grantApproval(SYSTEM, { controllerId: 'region-sandbox', productId: product.id, purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'own_review' });
}
if (jumps) {
  const { service } = gateway.registryDb!;
  const target = await service.createProduct(SYSTEM, {
    id: 'bench-target',
    name: 'Bench target',
    supplierOrgNumber: '5560009999',
    supplierName: 'Bench AB',
    purpose: 'self-care',
    contact: { name: 'Bench', email: 'bench@example.se' },
    client: {
      clientId: 'bench-target',
      redirectUris: ['https://bench-target.example.test/cb'],
      postLogoutRedirectUris: [],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [clientJwk] },
      grantTypes: ['authorization_code'],
      scope: 'openid profile',
      initiateLoginUri: 'https://bench-target.example.test/jump',
      jumpUris: ['https://bench-target.example.test/*'],
    },
    authnMethods: ['bankid'],
    requestedAccess: [{ dataset: 'bookings', actions: ['read'] }],
  });
  await service.setProductStatus(SYSTEM, target.id, target.version, 'active');
  await service.grantApproval(SYSTEM, { controllerId: 'region-sandbox', productId: target.id, purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read'] }], basis: 'own_review' });
  await service.putJumpPolicy(SYSTEM, 'region-sandbox', undefined, { acceptedUpstreams: ['bankid'], minimumAcr: 'http://id.elegnamnden.se/loa/1.0/loa3' });
}
await profileUntilStopped();
process.stdout.write(`READY ${gateway.url}\n`);

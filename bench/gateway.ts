// The gateway as the benchmark runs it: sandbox mode with the bench client registered, the in-memory
// store (or Redis with BENCH_REDIS_URL), logs off. Started as a child process by run.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/log.ts';

const clientJwk = JSON.parse(process.env.BENCH_CLIENT_JWK!) as Record<string, unknown>;
const config = loadConfig({
  env: {},
  overrides: {
    sandboxDir: mkdtempSync(join(tmpdir(), 'bench-gw-')),
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
    // The simulator completes at once; collect as often as the schema allows so sign-in latency is
    // the gateway's, not BankID's pacing.
    bankid: { collectIntervalMs: 100 },
    sandbox: { demoRp: false },
    ...(process.env.BENCH_REDIS_URL ? { store: { redisUrl: process.env.BENCH_REDIS_URL, keyPrefix: `bench${process.pid}:` } } : {}),
  },
});
const gateway = await startGateway(config, {
  issuerFromListen: true,
  logger: createLogger({ level: 'silent' }),
  clients: [{
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
process.stdout.write(`READY ${gateway.url}\n`);

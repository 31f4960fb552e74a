// A production-mode gateway for the memory scenario (bench/memory.ts): mode production with Redis
// (BENCH_REDIS_URL) and PostgreSQL (BENCH_DATABASE_URL), signing keys, secrets and the audit key from
// files written for the run, no simulators, behind a "TLS proxy" (trustProxy: the bench sends
// X-Forwarded-Proto: https and the issuer's Host). The bench client is a configured client with
// client_credentials. Started as a child process; prints READY <issuer> <port>.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import { loadConfig } from '../src/config.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/log.ts';

const clientJwk = JSON.parse(process.env.BENCH_CLIENT_JWK ?? '{}') as Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), 'bench-prod-'));
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = await exportJWK(privateKey);
writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' }] }));
const audit = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
writeFileSync(join(dir, 'audit-key.json'), JSON.stringify({ ...audit, kid: await calculateJwkThumbprint(audit), alg: 'ES256' }));
const secret = () => randomBytes(32).toString('base64url');
writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ cookieKeys: [secret()], pairwiseSalt: secret(), accountKey: secret() }));

const issuer = process.env.BENCH_ISSUER ?? 'https://gateway.bench.test';
const config = loadConfig({
  env: {},
  overrides: {
    mode: 'production',
    issuer,
    sandboxDir: join(dir, 'sandbox'),
    http: { host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0), trustProxy: true },
    keys: { jwksFile: join(dir, 'jwks.json'), secretsFile: join(dir, 'secrets.json') },
    store: { redisUrl: process.env.BENCH_REDIS_URL, keyPrefix: `benchprod${process.pid}:` },
    registry: { databaseUrl: process.env.BENCH_DATABASE_URL },
    bankid: { enabled: false },
    freja: { enabled: false },
    saml: { enabled: false },
    sithsCard: { enabled: false },
    sandbox: { demoRp: false },
    audit: { keyFile: join(dir, 'audit-key.json'), checkpoints: { file: join(dir, 'checkpoints.jsonl') } },
    log: { level: 'silent' },
  },
});
const gateway = await startGateway(config, {
  logger: createLogger({ level: 'silent' }),
  clients: [{
    client_id: 'bench-client',
    client_name: 'Bench',
    redirect_uris: ['https://bench.example.test/cb'],
    post_logout_redirect_uris: [],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [clientJwk] },
    scope: 'openid',
    grant_types: ['client_credentials'],
    authn_methods: ['bankid'],
  }],
});
const address = gateway.server.address();
process.stdout.write(`READY ${issuer} ${typeof address === 'object' && address ? address.port : 0}\n`);

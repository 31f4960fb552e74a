// Issue 3, item 8: the registry survives the gateway and Redis being killed mid-stream. A gateway
// process (node src/main.ts) on a real PostgreSQL and a real redis-server takes a stream of approvals
// and revocations; both are SIGKILLed while requests are in flight; Redis comes back empty. Every
// change the API acknowledged is there, no acknowledged revocation has come back to life, and the
// audit chain verifies.
import test from 'ava';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash, randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { SignJWT, exportJWK } from 'jose';
import { makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { freePort } from '../helpers/net.ts';
import { postgresForTests, type PostgresServer } from '../helpers/postgres.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';

const run = promisify(execFile);

let pg: PostgresServer;
let redis: RedisServer;
let cli: TestClient;
let gateway: ChildProcess | undefined;
let url: string;
let env: NodeJS.ProcessEnv;
const sandboxDir = mkdtempSync(join(tmpdir(), 'gateway-durability-'));

test.before(async () => {
  pg = await postgresForTests();
  redis = await startRedisServer();
  cli = await makeTestClient('gateway-cli', 'https://cli.example.test/cb', { grant_types: ['client_credentials'], scope: 'openid' });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    DATABASE_URL: pg.url,
    REDIS_URL: redis.url,
    HOST: '127.0.0.1',
    PORT: String(port),
    ISSUER: url,
    LOG_LEVEL: 'silent',
    GATEWAY__sandboxDir: sandboxDir,
    GATEWAY__clients: JSON.stringify([cli.config]),
  };
});

test.after.always(async () => {
  gateway?.kill('SIGKILL');
  await redis?.stop();
  await pg?.stop();
  rmSync(sandboxDir, { recursive: true, force: true });
});

async function startGatewayProcess(): Promise<void> {
  gateway = spawn(process.execPath, ['src/main.ts'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  gateway.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  for (let i = 0; i < 300; i += 1) {
    if (gateway.exitCode !== null) throw new Error(`gateway exited: ${stderr}`);
    try {
      // The port is bound before the app is attached: an early request may never be answered.
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('gateway did not start');
}

interface Caller { token: string; keys: CryptoKeyPair }

async function cliToken(): Promise<Caller> {
  const config = await oidc.discovery(new URL(url), 'gateway-cli', {}, oidc.PrivateKeyJwt({ key: cli.privateKey, kid: cli.kid }), { execute: [oidc.allowInsecureRequests] });
  const keys = await oidc.randomDPoPKeyPair('ES256');
  const tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP: oidc.getDPoPHandle(config, keys) });
  return { token: tokens.access_token, keys };
}

async function call(caller: Caller, method: string, path: string, body?: unknown, ifMatch?: string): Promise<{ status: number; body: any }> {
  const target = `${url}/admin/api/v1${path}`;
  const jwk = await exportJWK(caller.keys.publicKey);
  const dpop = await new SignJWT({ htm: method, htu: target.split('?')[0], jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(caller.token).digest('base64url') })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(caller.keys.privateKey);
  const res = await fetch(target, {
    method,
    headers: { authorization: `DPoP ${caller.token}`, dpop, ...(body ? { 'content-type': 'application/json' } : {}), ...(ifMatch ? { 'if-match': ifMatch } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const PRODUCTS: Array<{ id: string; purpose: string; access: Array<{ dataset: string; actions: string[] }> }> = [
  { id: 'demo-rp', purpose: 'self-care', access: [{ dataset: 'lab-results', actions: ['read'] }] },
  { id: 'min-vardplan', purpose: 'self-care', access: [{ dataset: 'care-plans', actions: ['read'] }] },
  { id: 'bokningsappen', purpose: 'self-care', access: [{ dataset: 'bookings', actions: ['read', 'write'] }] },
  { id: 'stegraknaren', purpose: 'self-monitoring', access: [{ dataset: 'patient-measurements', actions: ['read'] }] },
];

test('SIGKILL of the gateway and Redis mid-stream loses no acknowledged change and revives no revocation', async (t) => {
  t.timeout(150_000);
  await startGatewayProcess();
  let caller = await cliToken();
  // The CLI's client also administers Region Sandbox for this test (operators cannot approve).
  const role = await call(caller, 'POST', '/roles', { subject: { kind: 'client', clientId: 'gateway-cli' }, role: 'controller_admin', scope: 'region-sandbox' });
  t.is(role.status, 201);

  /** What the API acknowledged: approval id -> its last acknowledged state. */
  const acked = new Map<string, { status: 'active' | 'revoked'; version: number }>();
  /** Approvals with a revocation sent but never answered: either outcome is allowed for them. */
  const uncertain = new Set<string>();
  let stop = false;
  let acknowledged = 0;
  const worker = async (product: (typeof PRODUCTS)[number]) => {
    let current: { id: string; version: number } | undefined;
    while (!stop) {
      try {
        if (!current) {
          const r = await call(caller, 'POST', '/approvals', { controllerId: 'region-sandbox', productId: product.id, purpose: product.purpose, access: product.access, basis: 'own_review' });
          if (r.status !== 201) throw new Error(`grant answered ${r.status} ${JSON.stringify(r.body)}`);
          current = { id: r.body.id, version: r.body.version };
          acked.set(current.id, { status: 'active', version: current.version });
        } else {
          uncertain.add(current.id);
          const r = await call(caller, 'POST', `/approvals/${current.id}/revoke`, undefined, `"${current.version}"`);
          if (r.status !== 200) throw new Error(`revoke answered ${r.status} ${JSON.stringify(r.body)}`);
          uncertain.delete(current.id);
          acked.set(current.id, { status: 'revoked', version: r.body.version });
          current = undefined;
        }
        acknowledged += 1;
      } catch (err) {
        if (stop || (err as Error).message.includes('fetch failed')) return; // killed under us: unacknowledged
        throw err;
      }
    }
  };
  let failure: unknown;
  const workers = PRODUCTS.map((p) => worker(p).catch((err: unknown) => { failure = err; }));
  const deadline = Date.now() + 30_000;
  while (acknowledged < 40 && !failure && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (failure) throw failure;
  // Kill both while requests are in flight.
  gateway!.kill('SIGKILL');
  redis.kill('SIGKILL');
  stop = true;
  await Promise.all(workers);
  t.true(acked.size >= 10, `acknowledged ${acknowledged} changes on ${acked.size} approvals`);

  await redis.restart(); // empty: no persistence, as a lost Redis would be
  await new Promise<void>((resolve) => (gateway!.exitCode !== null || gateway!.signalCode !== null ? resolve() : gateway!.once('exit', () => resolve())));
  await startGatewayProcess();
  caller = await cliToken(); // tokens lived in the old Redis

  const rows = new Map<string, { status: string; version: number }>(
    (await call(caller, 'GET', '/approvals?controllerId=region-sandbox')).body.items.map((a: { id: string; status: string; version: number }) => [a.id, a]));
  for (const [id, expected] of acked) {
    const row = rows.get(id);
    t.truthy(row, `acknowledged approval ${id} is there`);
    if (!row) continue;
    if (expected.status === 'revoked') t.is(row.status, 'revoked', `acknowledged revocation of ${id} holds`);
    else if (!uncertain.has(id)) t.deepEqual([row.status, row.version], ['active', expected.version], `acknowledged grant ${id} is active`);
  }
  // At most one active approval per product, and no revoked one counts for the gate.
  for (const product of PRODUCTS) {
    const access = await call(caller, 'GET', `/products/${product.id}/access`);
    const ownReview = access.body.approvals.filter((a: { controllerId: string; basis: string }) => a.controllerId === 'region-sandbox' && a.basis === 'own_review');
    for (const a of ownReview) t.not(acked.get(a.approvalId)?.status, 'revoked', `revoked approval ${a.approvalId} is not live`);
  }
  const { stdout } = await run(process.execPath, ['src/whitelist/auditVerify.ts'], { env: { ...process.env, DATABASE_URL: pg.url } });
  t.regex(stdout, /audit chain intact/);
  t.log(`${acknowledged} acknowledged changes on ${acked.size} approvals, ${uncertain.size} in flight at the kill; ${stdout.trim()}`);
});

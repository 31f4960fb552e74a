// GATEWAY_WORKERS (issue 14, item 3) on a real production-mode gateway (`node src/main.ts`, its own
// PostgreSQL and Redis): two workers answer behind one port; one that dies is replaced; SIGTERM drains —
// /readyz turns 503 first, then new connections are refused while a request already in flight is
// finished and answered, and the process exits 0. The sandbox's embedded state refuses two workers.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import { freePort } from '../helpers/net.ts';
import { postgresForTests, type PostgresServer } from '../helpers/postgres.ts';
import { startRedisServer, type RedisServer } from '../helpers/redisServer.ts';

let pg: PostgresServer;
let redis: RedisServer;
let dir: string;
let port: number;
let primary: ChildProcess | undefined;
const logs: Array<Record<string, unknown>> = [];

async function writeProductionConfig(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  const secret = () => randomBytes(32).toString('base64url');
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }));
  // Production signs audit checkpoints with a key of their own, never an OIDC key.
  const audit = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
  writeFileSync(join(dir, 'audit-key.json'), JSON.stringify({ ...audit, kid: await calculateJwkThumbprint(audit), alg: 'ES256' }));
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ cookieKeys: [secret()], pairwiseSalt: secret(), accountKey: secret() }));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify({
    mode: 'production',
    issuer: 'https://gateway.example.test',
    http: { host: '127.0.0.1', port, drainDelayMs: 1500, drainTimeoutMs: 20_000 },
    keys: { jwksFile: join(dir, 'jwks.json'), secretsFile: join(dir, 'secrets.json') },
    store: { redisUrl: redis.url, keyPrefix: 'workers:' },
    registry: { databaseUrl: pg.url },
    bankid: { enabled: false },
    freja: { enabled: false },
    saml: { enabled: false },
    sithsCard: { enabled: false },
    sandbox: { demoRp: false },
    audit: { keyFile: join(dir, 'audit-key.json'), checkpoints: { file: join(dir, 'checkpoints.jsonl') } },
    log: { level: 'info' },
  }));
  return file;
}

/** Only what the gateway needs: a stray REDIS_URL or DATABASE_URL in the test's environment would override the file. */
function gatewayEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

function startMain(env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, ['src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try { logs.push(JSON.parse(line) as Record<string, unknown>); } catch { /* not a log line */ }
    }
  });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  if (process.env.WORKERS_DEBUG) { child.stdout?.pipe(process.stderr); child.stderr?.pipe(process.stderr); }
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, stderr: () => err };
}

/** One request on a connection of its own (no keep-alive), so each may go to another worker. */
function fresh(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as Record<string, unknown> }));
    }).on('error', reject);
    // A connection handed to a worker as it died: given up on, not waited for.
    req.setTimeout(5000, () => req.destroy(new Error('no answer')));
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Which workers answer /healthz, asked until `want` holds or the time is up (a worker starts in seconds). */
async function workersSeen(want: (ids: Set<number>) => boolean, withinMs = 120_000): Promise<Set<number>> {
  const ids = new Set<number>();
  const end = Date.now() + withinMs;
  while (Date.now() < end && !want(ids)) {
    const res = await fresh('/healthz').catch(() => undefined);
    if (res?.status === 200 && typeof res.body.worker === 'number') ids.add(res.body.worker);
    await pause(50);
  }
  return ids;
}

test.before(async () => {
  [pg, redis] = await Promise.all([postgresForTests(), startRedisServer()]);
  dir = mkdtempSync(join(tmpdir(), 'gateway-workers-'));
  port = await freePort();
});

test.after.always(async () => {
  primary?.kill('SIGKILL');
  await redis?.stop();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial('the sandbox refuses two workers: its in-memory store and PGlite are not shared', async (t) => {
  const { child, stderr } = startMain(gatewayEnv({ GATEWAY_WORKERS: '2', GATEWAY__sandboxDir: join(dir, 'sandbox') }));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.is(code, 2);
  t.regex(stderr(), /http\.workers: 2 workers need Redis/);
  t.regex(stderr(), /http\.workers: 2 workers need PostgreSQL/);
});

test.serial('two workers behind one port; a worker that dies is restarted', async (t) => {
  t.timeout(180_000, 'two production workers start (migrations, keys, modules) twice');
  const config = await writeProductionConfig();
  primary = startMain(gatewayEnv({ GATEWAY_CONFIG: config, GATEWAY_WORKERS: '2', NODE_ENV: 'production' })).child;
  // Two distinct workers answer. Which ids they have is the primary's business: on a loaded machine a
  // worker whose start-up hit an outage exits and is replaced, and its successor has the next id.
  const both = await workersSeen((ids) => ids.size >= 2);
  t.log(`workers seen: ${[...both].join(', ')}`);
  t.is(both.size, 2, 'both workers answer on the one port');
  t.is((await fresh('/readyz')).status, 200);

  const started = logs.filter((l) => l.msg === 'worker started');
  const chosen = Math.min(...both);
  const victim = started.find((l) => l.worker === chosen)?.pid as number;
  t.true(typeof victim === 'number', 'the primary logs each worker with its pid');
  const highest = Math.max(...started.map((l) => Number(l.worker)));
  process.kill(victim, 'SIGKILL');
  const after = await workersSeen((ids) => [...ids].some((id) => id > highest));
  t.log(`workers seen after the kill: ${[...after].join(', ')}`);
  t.true([...after].some((id) => id > highest), 'a new worker took the dead one\'s place');
  const died = logs.find((l) => l.msg === 'worker died; restarting' && l.worker === chosen);
  t.like(died, { worker: chosen, signal: 'SIGKILL' });
  t.true(typeof died?.restartInMs === 'number' && died.restartInMs > 0, 'restarted after a back-off');
});

test.serial('SIGTERM drains: readiness 503 first, then new connections refused, the request in flight answered, exit 0', async (t) => {
  if (!primary) return t.fail('no gateway from the previous test');
  const running = primary;
  // A token request whose body is still arriving: in flight from the gateway's point of view.
  const body = 'grant_type=client_credentials&client_id=nobody-at-all&scope=openid';
  const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/token', agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 20));
    (globalThis as { finishBody?: () => void }).finishBody = () => req.end(body.slice(20));
  });
  await pause(300);
  const exited = new Promise<number | null>((resolve) => running.once('exit', resolve));
  running.kill('SIGTERM');

  let ready = 200;
  for (let i = 0; i < 100 && ready !== 503; i += 1) {
    const res = await fresh('/readyz').catch(() => undefined);
    if (res) ready = res.status;
    if (res?.status === 503) t.deepEqual(res.body.failing, ['draining']);
    else await pause(20);
  }
  t.is(ready, 503, '/readyz says 503 while the listener still accepts');

  let refused = false;
  for (let i = 0; i < 300 && !refused; i += 1) {
    refused = await fresh('/healthz').then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    if (!refused) await pause(50);
  }
  t.true(refused, 'new connections are refused once the workers closed their listeners');

  (globalThis as { finishBody?: () => void }).finishBody?.();
  const answer = await inFlight;
  t.is(answer.status, 401, answer.text);
  t.regex(answer.text, /invalid_client/, 'the request in flight got its whole answer');
  t.is(await exited, 0);
  t.true(logs.some((l) => l.msg === 'every worker drained; exiting'));
  primary = undefined;
});

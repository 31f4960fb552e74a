// `npm run bench`: every figure beside a baseline measured in the same run, as a ratio. The machines
// are shared and noisy, so targets and baselines alternate in rounds and the median round counts.
//
//   token:   client_credentials with private_key_jwt and DPoP at the token endpoint
//   sign-in: PAR -> authorize -> login (gateway: BankID simulator; bare: finishes at once) -> consent
//            -> code -> token with DPoP
//   jump:    POST /sso/jump (the ticket) -> the target's PAR with jump_ticket -> authorize -> the
//            interaction accepts the ticket (no page) -> code -> token; beside a plain BankID sign-in
//            on the same gateway (the baseline of that scenario), in the same rounds
// Baseline: bare oidc-provider (bench/bare.ts), same library, client authentication and DPoP, its
// default in-memory store, none of the gateway's logic.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { UserAgent } from '../test/helpers/userAgent.ts';
import { browserThroughBankId } from '../test/helpers/signIn.ts';
import { startRedisServer } from '../test/helpers/redisServer.ts';
import { postgresForTests } from '../test/helpers/postgres.ts';
import type { Gateway } from '../src/gateway.ts';
import { memoryScenario } from './memory.ts';
import { clientJwk, clientKey, dpopJwk, dpopKeys } from './clientKeys.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const ROUNDS = Number(args.get('rounds') ?? 3);
const TOKEN_REQUESTS = Number(args.get('token-requests') ?? 1500);
const TOKEN_CONCURRENCY = Number(args.get('token-concurrency') ?? 16);
const SIGNIN_COUNT = Number(args.get('signins') ?? 60);
// Sign-ins at a concurrency where the gateway, not the pacing, is the limit (issue 14, item 7): each
// sign-in waits on its own round trips, so a few lanes leave the server idle between them.
const SIGNIN_CONCURRENCY = Number(args.get('signin-concurrency') ?? 16);
// The page's BankID status poll while an order is pending; the gateway collects at most every
// bankid.collectIntervalMs (bench/gateway.ts sets the schema's minimum, 100 ms).
const SIGNIN_POLL_MS = Number(args.get('signin-poll-ms') ?? 100);
const MIN_TOKEN_RATIO = Number(args.get('min-token-ratio') ?? 0.8);
const PDP_REQUESTS = Number(args.get('pdp-requests') ?? 2000);
const PDP_CONCURRENCY = Number(args.get('pdp-concurrency') ?? 16);
// A Redis row too: the given server, or one of our own when redis-server is installed.
const ownRedis = args.get('redis') ?? process.env.BENCH_REDIS_URL ? undefined : await startRedisServer().catch(() => undefined);
const REDIS_URL = args.get('redis') ?? process.env.BENCH_REDIS_URL ?? ownRedis?.url;
// The PDP's decision audit goes to PostgreSQL: the given server, or a throwaway cluster when PostgreSQL
// is installed (PGlite in the gateway's own process otherwise, which then shares its CPU).
const ownPostgres = args.get('database') ?? process.env.BENCH_DATABASE_URL ? undefined : await postgresForTests().catch(() => undefined);
const DATABASE_URL = args.get('database') ?? process.env.BENCH_DATABASE_URL ?? await ownPostgres?.createDatabase();

// Pinned mode (the documented one; --pin=0 turns it off): the load generator, this process, runs on
// core 0 and every server (with the Redis and PostgreSQL this run started) on the other cores, so the
// generator's own CPU (it parses every answer) is not taken from the server it measures. Needs
// taskset (util-linux) and at least two cores; without them the run is unpinned and says so.
const CORES = availableParallelism();
const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
const PIN = (args.get('pin') ?? '1') !== '0' && CORES >= 2 && hasTaskset;
const SERVER_CORES = `1-${CORES - 1}`;
/** Moves a process with all its threads (and so whatever it forks later) to the given cores. */
const pinTo = (pid: number | string, cores: string) => spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
/** This process's descendants (Redis, PostgreSQL's postmaster and its backends), from /proc. */
function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { /* gone */ }
  return kids.flatMap((k) => [k, ...descendants(k)]);
}
if (PIN) {
  // The stores this run started serve the server, so they go with it; then the generator to core 0.
  for (const pid of descendants(process.pid)) pinTo(pid, SERVER_CORES);
  pinTo(process.pid, '0');
}
// --cpu-prof=<dir>: every server writes a V8 CPU profile there, from ready until it stops (bench/profiler.ts;
// read it with bench/profile.ts).
const CPU_PROF = args.get('cpu-prof');
if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true });
let profiled = 0;

interface Server {
  name: string;
  url: string;
  child: ChildProcess;
}


async function startServer(name: string, script: string, env: Record<string, string> = {}): Promise<Server> {
  const nodeArgs = [script];
  const profile = CPU_PROF ? { BENCH_CPU_PROF: join(CPU_PROF, `${String((profiled += 1)).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`) } : {};
  // taskset execs the server in place, so the child's pid is the server's (peak RSS reads /proc/<pid>).
  const [command, argv] = PIN ? ['taskset', ['-c', SERVER_CORES, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(command, argv, {
    env: { ...process.env, BENCH_CLIENT_JWK: JSON.stringify(clientJwk), ...profile, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { name, url, child };
}

/** Peak resident set size of a server process, from the kernel's own high-water mark; with workers (bench/workers.ts), theirs added. */
function peakRssMiB(child: ChildProcess): number {
  const hwm = (pid: number | string) => {
    try {
      return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  let children: string[] = [];
  try {
    children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch { /* no children listing: the process alone */ }
  const workers = children.length > 0 && /bench\/workers\.ts/.test(child.spawnargs.join(' ')) ? children : [];
  return (hwm(child.pid ?? 0) + workers.reduce((kb, pid) => kb + hwm(pid), 0)) / 1024;
}

async function stop(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  await new Promise((r) => (server.child.exitCode !== null ? r(null) : server.child.once('exit', r)));
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  /** CPU time the server process (all its threads; with workers, theirs too) spent per request, µs. */
  cpuUs?: number;
}

/**
 * CPU time of a server so far, ns, from the kernel's per-thread accounting (/proc/<pid>/task/<tid>/schedstat):
 * unlike req/s it hardly moves with what else the machine runs, so it shows what a change costs even on a
 * loaded machine. With workers (bench/workers.ts) the workers' threads count too.
 */
function cpuNs(child: ChildProcess): number {
  const pids = [String(child.pid ?? 0)];
  if (/bench\/workers\.ts/.test(child.spawnargs.join(' '))) pids.push(...descendants(child.pid ?? 0).map(String));
  let total = 0;
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch { /* gone */ }
    for (const tid of tids) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0] ?? 0);
      } catch { /* a thread that ended */ }
    }
  }
  return total;
}

async function drive(total: number, concurrency: number, one: (i: number) => Promise<boolean>): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      const ok = await one(i).catch(() => false);
      latencies.push(performance.now() - t0);
      if (!ok) failures += 1;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rps: total / elapsed, p50: q(0.5), p99: q(0.99), failures };
}

// --- token endpoint ------------------------------------------------------------------------------
/** Assertions and proofs are signed before the clock starts, so the load generator's signing is not measured. */
async function tokenRequests(issuer: string, count: number): Promise<Array<{ assertion: string; proof: string }>> {
  const now = Math.floor(Date.now() / 1000);
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: clientJwk.kid as string })
      .setIssuer('bench-client').setSubject('bench-client').setAudience(issuer)
      .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 300)
      .sign(clientKey);
    const proof = await new SignJWT({ htm: 'POST', htu: `${issuer}/token`, jti: randomUUID(), iat: now })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk })
      .sign(dpopKeys.privateKey);
    out.push({ assertion, proof });
  }
  return out;
}

async function benchToken(server: Server, total: number): Promise<Sample> {
  const requests = await tokenRequests(server.url, total);
  return drive(total, TOKEN_CONCURRENCY, async (i) => {
    const { assertion, proof } = requests[i]!;
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'bench-client',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    const body = await res.json() as { token_type?: string };
    return res.status === 200 && body.token_type === 'DPoP';
  });
}

// --- sign-in -------------------------------------------------------------------------------------
async function benchSignIn(server: Server, total: number, viaBankId: boolean): Promise<Sample> {
  const config = await oidc.discovery(new URL(server.url), 'bench-client', { id_token_signed_response_alg: 'ES256' },
    oidc.PrivateKeyJwt({ key: clientKey, kid: clientJwk.kid as string }), { execute: [oidc.allowInsecureRequests] });
  const redirectUri = 'https://bench.example.test/cb';
  return drive(total, SIGNIN_CONCURRENCY, async () => {
    const DPoP = oidc.getDPoPHandle(config, dpopKeys);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri, scope: 'openid profile', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, { DPoP });
    let callback: URL;
    if (viaBankId) {
      callback = await browserThroughBankId({ url: server.url } as Gateway, url, '198003121236', redirectUri, undefined, undefined, SIGNIN_POLL_MS);
    } else {
      const res = await new UserAgent(server.url).follow(url.href, {}, (u) => u.startsWith(redirectUri));
      callback = new URL(res.location!);
    }
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
    return Boolean(tokens.id_token);
  });
}

// --- jump ------------------------------------------------------------------------------------------
// Each lane holds a citizen signed in at bench-client (signed in before the clock starts, once per
// lane); a measured jump is the ticket's issue and the silent sign-in at bench-target through to its
// tokens. Lanes take sessions from a pool, so no two jumps move one browser session at once.
const JUMP_COUNT = Number(args.get('jumps') ?? SIGNIN_COUNT);

async function benchJump(server: Server, total: number): Promise<Sample> {
  const discover = (id: string) => oidc.discovery(new URL(server.url), id, { id_token_signed_response_alg: 'ES256' },
    oidc.PrivateKeyJwt({ key: clientKey, kid: clientJwk.kid as string }), { execute: [oidc.allowInsecureRequests] });
  const source = await discover('bench-client');
  const target = await discover('bench-target');
  const pool: Array<{ ua: UserAgent; token: string; DPoP: oidc.DPoPHandle }> = [];
  for (let lane = 0; lane < SIGNIN_CONCURRENCY; lane += 1) {
    const ua = new UserAgent(server.url);
    const DPoP = oidc.getDPoPHandle(source, dpopKeys);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(source, {
      redirect_uri: 'https://bench.example.test/cb', scope: 'openid profile', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, { DPoP });
    const callback = await browserThroughBankId({ url: server.url } as Gateway, url, '198003121236', 'https://bench.example.test/cb', ua);
    const tokens = await oidc.authorizationCodeGrant(source, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
    pool.push({ ua, token: tokens.access_token, DPoP });
  }
  const redirectUri = 'https://bench-target.example.test/cb';
  return drive(total, SIGNIN_CONCURRENCY, async () => {
    const lane = pool.pop();
    if (!lane) return false;
    try {
      const url = `${server.url}/sso/jump`;
      const proof = await new SignJWT({ htm: 'POST', htu: url, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(lane.token).digest('base64url') })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk }).sign(dpopKeys.privateKey);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `DPoP ${lane.token}`, dpop: proof },
        body: JSON.stringify({ target: 'bench-target', target_link_uri: 'https://bench-target.example.test/home' }),
      });
      const answer = await res.json() as { redirect_to?: string };
      if (!answer.redirect_to) return false;
      const ticket = new URL(answer.redirect_to).searchParams.get('jump_ticket') ?? '';
      const DPoP = oidc.getDPoPHandle(target, dpopKeys);
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const auth = await oidc.buildAuthorizationUrlWithPAR(target, {
        redirect_uri: redirectUri, scope: 'openid profile', state, jump_ticket: ticket,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      }, { DPoP });
      const landed = await lane.ua.follow(auth.href, {}, (u) => u.startsWith(redirectUri));
      if (!landed.location?.startsWith(redirectUri)) return false;
      const tokens = await oidc.authorizationCodeGrant(target, new URL(landed.location), { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
      return Boolean(tokens.id_token);
    } finally {
      pool.push(lane);
    }
  });
}

// --- policy decision point ----------------------------------------------------------------------
// Each decision carries a client-credentials token and a fresh, single-use DPoP proof for exactly that
// request, signed before the clock starts. The no-op baseline gets the same requests (same headers
// and body) and answers without looking at them.
const PDP_CITIZEN = '198003121236';
const PDP_URI = `/data/region-a/bookings?citizen=${PDP_CITIZEN}`;

async function pdpToken(server: Server): Promise<string> {
  const config = await oidc.discovery(new URL(server.url), 'bench-client', {},
    oidc.PrivateKeyJwt({ key: clientKey, kid: clientJwk.kid as string }), { execute: [oidc.allowInsecureRequests] });
  const tokens = await oidc.clientCredentialsGrant(config, {}, { DPoP: oidc.getDPoPHandle(config, dpopKeys) });
  return tokens.access_token;
}

async function benchPdp(server: Server, total: number, isBaseline: boolean, form: 'decide' | 'auth-request'): Promise<Sample> {
  const token = isBaseline ? 'x'.repeat(43) : await pdpToken(server);
  const ath = createHash('sha256').update(token).digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  const htu = form === 'decide' ? `${server.url}/pdp/v1/decide` : `${server.url}${PDP_URI.split('?')[0]}`;
  const proofs: string[] = [];
  for (let i = 0; i < total; i += 1) {
    proofs.push(await new SignJWT({ htm: form === 'decide' ? 'POST' : 'GET', htu, jti: randomUUID(), iat: now, ath })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk }).sign(dpopKeys.privateKey));
  }
  const body = JSON.stringify({ target: { controller: 'region-a', dataset: 'bookings', citizen: PDP_CITIZEN, action: 'read' } });
  return drive(total, PDP_CONCURRENCY, async (i) => {
    const headers: Record<string, string> = { authorization: `DPoP ${token}`, dpop: proofs[i]! };
    if (form === 'decide') {
      const res = await fetch(`${server.url}/pdp/v1/decide`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
      const answer = await res.json() as { decision?: string; ok?: boolean };
      return isBaseline ? answer.ok === true : answer.decision === 'permit';
    }
    const res = await fetch(`${server.url}/pdp/v1/auth-request`, { headers: { ...headers, 'x-original-uri': PDP_URI, 'x-original-method': 'GET' } });
    await res.arrayBuffer();
    return res.status === 200 && (isBaseline || res.headers.get('x-controller') === 'region-a');
  });
}

// --- run -----------------------------------------------------------------------------------------
interface Row {
  scenario: string;
  target: string;
  sample: Sample;
  rss: number;
  baseline?: Sample;
}

const median = (samples: Sample[]): Sample => [...samples].sort((a, b) => a.rps - b.rps)[Math.floor(samples.length / 2)]!;

async function compare(scenario: string, targets: Array<[string, string, Record<string, string>]>, run: (s: Server, n: number, isBaseline: boolean) => Promise<Sample>, total: number): Promise<Row[]> {
  // --signins=0 (or any count of 0) leaves the scenario out rather than printing rows of nothing.
  if (total <= 0) return [];
  const servers: Server[] = [];
  for (const [name, script, env] of targets) servers.push(await startServer(name, script, env));
  try {
    for (const s of servers) await run(s, Math.ceil(total / 5), s === servers[0]); // warm-up
    const samples = servers.map(() => [] as Sample[]);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [i, s] of servers.entries()) {
        // The CPU count includes the run's setup (signing proofs happens here, not in the server).
        const before = cpuNs(s.child);
        const sample = await run(s, total, i === 0);
        samples[i]!.push({ ...sample, cpuUs: (cpuNs(s.child) - before) / 1000 / total });
      }
    }
    const baseline = median(samples[0]!);
    return servers.map((s, i) => ({ scenario, target: s.name, sample: median(samples[i]!), rss: peakRssMiB(s.child), ...(i > 0 ? { baseline } : {}) }));
  } finally {
    for (const s of servers) await stop(s);
  }
}

const bare: [string, string, Record<string, string>] = ['bare oidc-provider (baseline)', 'bench/bare.ts', {}];
const gw: [string, string, Record<string, string>] = ['gateway, in-memory store', 'bench/gateway.ts', {}];
const gwGated: [string, string, Record<string, string>] = ['gateway, product through the token gate', 'bench/gateway.ts', { BENCH_GATED: '1' }];
const gwJumpBase: [string, string, Record<string, string>] = ['gateway, plain BankID sign-in (baseline)', 'bench/gateway.ts', { BENCH_JUMP: '1' }];
const gwJump: [string, string, Record<string, string>] = ['gateway, jump: ticket + silent sign-in at the target', 'bench/gateway.ts', { BENCH_JUMP: '1' }];
const gwRedis: Array<[string, string, Record<string, string>]> = REDIS_URL ? [['gateway, Redis store', 'bench/gateway.ts', { BENCH_REDIS_URL: REDIS_URL }]] : [];

const noop: [string, string, Record<string, string>] = ['no-op Koa endpoint (baseline)', 'bench/noop.ts', {}];
const auditDb: Record<string, string> = DATABASE_URL ? { BENCH_DATABASE_URL: DATABASE_URL } : {};
const auditName = DATABASE_URL ? 'audit in PostgreSQL' : 'audit in PGlite';
const pdpMemory: [string, string, Record<string, string>] = [`PDP, in-memory store, ${auditName}`, 'bench/pdp.ts', auditDb];
const pdpRedis: Array<[string, string, Record<string, string>]> = REDIS_URL ? [[`PDP, Redis store, ${auditName}`, 'bench/pdp.ts', { BENCH_REDIS_URL: REDIS_URL, ...auditDb }]] : [];
// Every core (issue 14): the Redis rows again with two workers behind one port (bench/workers.ts);
// --workers=0 leaves them out. Their ratio to the one-worker Redis row is printed under the table.
const WORKERS = Number(args.get('workers') ?? 2);
const withWorkers = (rows: Array<[string, string, Record<string, string>]>, script: string): Array<[string, string, Record<string, string>]> =>
  WORKERS > 1 ? rows.map(([name, , env]) => [`${name}, ${WORKERS} workers`, 'bench/workers.ts', { ...env, BENCH_WORKERS: String(WORKERS), BENCH_SCRIPT: script }]) : [];
const gwRedisWorkers = withWorkers(gwRedis, 'bench/gateway.ts');
const pdpRedisWorkers = withWorkers(pdpRedis, 'bench/pdp.ts');

// --before=<work tree>: the token and PDP rows also run that tree's gateway (e.g. main before a change), in the
// same rounds, so "no worse than before" is a same-run comparison, not one between two noisy runs.
const BEFORE = args.get('before');
const beforeRev = BEFORE ? spawnSync('git', ['-C', BEFORE, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || 'before' : '';
const before = (target: [string, string, Record<string, string>]): [string, string, Record<string, string>] =>
  [`${target[0]} (at ${beforeRev})`, join(BEFORE ?? '', target[1]), target[2]];
// --semi-space=<MiB>: the gated token row again with a larger young generation (V8's
// --max-semi-space-size): what the gateway's garbage collection costs on the token path (BENCHMARKS.md).
const SEMI_SPACE = args.get('semi-space');
const gwGatedSemi: Array<[string, string, Record<string, string>]> = SEMI_SPACE
  ? [[`${gwGated[0]}, semi-space ${SEMI_SPACE} MiB`, gwGated[1], { ...gwGated[2], NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=${SEMI_SPACE}`.trim() }]]
  : [];
const tokenBefore = BEFORE ? [gw, gwGated, ...gwRedis].map(before) : [];
const pdpBefore = BEFORE ? [pdpMemory, ...pdpRedis].map(before) : [];

// --scenarios=pdp,token,signin (default: all): run only some, e.g. while profiling one path.
const SCENARIOS = new Set((args.get('scenarios') ?? 'pdp,token,signin,jump').split(','));
const rows: Row[] = [
  ...(SCENARIOS.has('pdp') ? await compare('PDP decision (POST /pdp/v1/decide, DPoP)', [noop, pdpMemory, ...pdpRedis, ...pdpRedisWorkers, ...pdpBefore], (s, n, isBaseline) => benchPdp(s, n, isBaseline, 'decide'), PDP_REQUESTS) : []),
  ...(SCENARIOS.has('pdp') ? await compare('PDP decision (nginx auth-request, DPoP)', [noop, pdpMemory, ...pdpRedis, ...pdpBefore], (s, n, isBaseline) => benchPdp(s, n, isBaseline, 'auth-request'), PDP_REQUESTS) : []),
  ...(SCENARIOS.has('token') ? await compare('token (client_credentials, private_key_jwt, DPoP)', [bare, gw, gwGated, ...gwGatedSemi, ...gwRedis, ...gwRedisWorkers, ...tokenBefore], (s, n) => benchToken(s, n), TOKEN_REQUESTS) : []),
  ...(SCENARIOS.has('signin') ? await compare('sign-in (PAR → authorize → login → code → token)', [bare, gw, ...gwRedis], (s, n, isBaseline) => benchSignIn(s, n, !isBaseline), SIGNIN_COUNT) : []),
  ...(SCENARIOS.has('jump') ? await compare('jump (POST /sso/jump → PAR with jump_ticket → authorize → code → token)', [gwJumpBase, gwJump],
    (s, n, isBaseline) => (isBaseline ? benchSignIn(s, n, true) : benchJump(s, n)), JUMP_COUNT) : []),
];

const fmt = (n: number, d = 1) => n.toFixed(d);
const lines = [
  `Node ${process.version}, ${PIN ? `pinned (load generator on core 0, servers, Redis and PostgreSQL on cores ${SERVER_CORES})` : `unpinned (${CORES} cores shared)`}, ${ROUNDS} rounds (median shown), PDP: ${PDP_REQUESTS} decisions at concurrency ${PDP_CONCURRENCY}, token: ${TOKEN_REQUESTS} requests at concurrency ${TOKEN_CONCURRENCY}, sign-in: ${SIGNIN_COUNT} and jump: ${JUMP_COUNT} at concurrency ${SIGNIN_CONCURRENCY}`,
  '',
  '| scenario | target | req/s | p50 ms | p99 ms | peak RSS MiB | failures | ratio to baseline (req/s) | server CPU µs/req |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.scenario} | ${r.target} | ${fmt(r.sample.rps)} | ${fmt(r.sample.p50, 2)} | ${fmt(r.sample.p99, 2)} | ${fmt(r.rss, 0)} | ${r.sample.failures} | ${r.baseline ? fmt(r.sample.rps / r.baseline.rps, 2) : '1.00'} | ${r.sample.cpuUs === undefined ? '' : fmt(r.sample.cpuUs, 0)} |`),
];
// N workers against one, both on Redis, same rounds (aim: >= 1.7 x with 2 workers on 2 cores; the load
// generator runs on the same cores unless pinned elsewhere, which caps what a second worker can add).
for (const r of rows.filter((x) => x.target.endsWith(`, ${WORKERS} workers`))) {
  const one = rows.find((x) => x.scenario === r.scenario && x.target === r.target.slice(0, -`, ${WORKERS} workers`.length));
  if (one) lines.push(`${r.scenario}: ${WORKERS} workers ${fmt(r.sample.rps)} req/s vs 1 worker ${fmt(one.sample.rps)} req/s = ${fmt(r.sample.rps / one.sample.rps, 2)} x`);
}
// --scenarios=memory (not in the default set: 1,000 sign-ins and 100,000 sessions take minutes): bench/memory.ts.
if (SCENARIOS.has('memory')) {
  lines.push('', ...await memoryScenario({
    redisUrl: REDIS_URL, databaseUrl: DATABASE_URL, signIns: Number(args.get('memory-signins') ?? 1000), signInConcurrency: SIGNIN_CONCURRENCY * 2,
    tokenRequests: TOKEN_REQUESTS * 2, tokenConcurrency: TOKEN_CONCURRENCY, sessions: Number(args.get('sessions') ?? 100_000),
  }));
}
process.stdout.write(`${lines.join('\n')}\n`);
await ownRedis?.stop();
await ownPostgres?.stop();
const failures = rows.reduce((n, r) => n + r.sample.failures, 0);
if (failures) {
  process.stderr.write(`${failures} requests failed; the figures above are not to be trusted\n`);
  process.exitCode = 1;
}
// The target of the gateway-core issue: the token endpoint at >= 0.8 x bare oidc-provider, same run.
const tokenRow = rows.find((r) => r.scenario.startsWith('token') && r.target.includes('in-memory'));
if (tokenRow?.baseline && tokenRow.sample.rps / tokenRow.baseline.rps < MIN_TOKEN_RATIO) {
  process.stderr.write(`token endpoint at ${(tokenRow.sample.rps / tokenRow.baseline.rps).toFixed(2)} x baseline, below ${MIN_TOKEN_RATIO}\n`);
  process.exitCode = 1;
}
// The PDP's aim (issue 4): at least half the no-op endpoint's throughput, p99 under 5 ms. Reported, not
// enforced: on a shared 2-core machine the load generator competes with the server for the same cores.
for (const r of rows.filter((x) => x.scenario.startsWith('PDP') && x.baseline)) {
  const ratio = r.sample.rps / r.baseline!.rps;
  if (ratio < 0.5 || r.sample.p99 >= 5) process.stderr.write(`note: ${r.scenario}, ${r.target}: ${ratio.toFixed(2)} x no-op, p99 ${r.sample.p99.toFixed(2)} ms (aim: >= 0.50, < 5 ms)\n`);
}

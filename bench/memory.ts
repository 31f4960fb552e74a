// `npm run bench -- --scenarios=memory` (issue 14, item 6): resident memory, measured, each figure
// beside bare oidc-provider's in the same run.
//
//   sandbox:    the sandbox gateway (PGlite registry in its folder, the in-memory store, the bench
//               client a product of the registry) after SIGNINS full sign-ins through the BankID
//               simulator; beside bare oidc-provider after as many of its sign-ins
//   production: mode production on PostgreSQL and Redis under the token bench (client_credentials,
//               private_key_jwt, DPoP); beside bare oidc-provider under the same requests
//   sessions:   Redis INFO used_memory before and after writing SESSIONS live sessions through the
//               store (oidc-provider's adapter on the HotStore, the payload of a real session)
// RSS is the kernel's (VmRSS now, VmHWM the peak) of the server process alone, read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { createClient } from 'redis';
import { UserAgent } from '../test/helpers/userAgent.ts';
import { startRedisServer } from '../test/helpers/redisServer.ts';
import { browserThroughBankId } from '../test/helpers/signIn.ts';
import type { Gateway } from '../src/gateway.ts';
import { createHotStore } from '../src/store/index.ts';
import { createAdapterFactory } from '../src/idp/adapter.ts';
import { systemClock } from '../src/clock.ts';
import { clientJwk, clientKey, dpopJwk, dpopKeys } from './clientKeys.ts';

export interface MemoryOptions {
  redisUrl: string | undefined;
  databaseUrl: string | undefined;
  signIns: number;
  signInConcurrency: number;
  tokenRequests: number;
  tokenConcurrency: number;
  sessions: number;
}

interface Child {
  url: string;
  port: number;
  child: ChildProcess;
}


function start(script: string, env: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, BENCH_CLIENT_JWK: JSON.stringify(clientJwk), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<Child>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)(?: (\d+))?/.exec(out);
      if (m?.[1]) resolve({ url: m[1], port: Number(m[2] ?? new URL(m[1]).port), child });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function stop(c: Child): Promise<void> {
  c.child.kill('SIGTERM');
  await new Promise((r) => (c.child.exitCode !== null ? r(null) : c.child.once('exit', r)));
}

/** MiB now (VmRSS) and at the peak (VmHWM) of one process. */
function rss(c: Child): { now: number; peak: number } {
  const status = readFileSync(`/proc/${c.child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function drive(total: number, concurrency: number, one: (i: number) => Promise<boolean>): Promise<number> {
  let next = 0;
  let failures = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      if (!(await one(i).catch(() => false))) failures += 1;
    }
  }));
  return failures;
}

async function signIns(server: Child, total: number, concurrency: number, viaBankId: boolean): Promise<number> {
  const config = await oidc.discovery(new URL(server.url), 'bench-client', { id_token_signed_response_alg: 'ES256' },
    oidc.PrivateKeyJwt({ key: clientKey, kid: clientJwk.kid as string }), { execute: [oidc.allowInsecureRequests] });
  const redirectUri = 'https://bench.example.test/cb';
  return drive(total, concurrency, async () => {
    const DPoP = oidc.getDPoPHandle(config, dpopKeys);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirectUri, scope: 'openid profile', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }, { DPoP });
    const callback = viaBankId
      ? await browserThroughBankId({ url: server.url } as Gateway, url, '198003121236', redirectUri)
      : new URL((await new UserAgent(server.url).follow(url.href, {}, (u) => u.startsWith(redirectUri))).location ?? '');
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, { DPoP });
    return Boolean(tokens.id_token);
  });
}

/** POST /token over plain HTTP to the port, as a TLS proxy would forward it (Host and X-Forwarded-Proto of the issuer). */
function postToken(port: number, host: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/token', method: 'POST', headers: { host, 'x-forwarded-proto': 'https', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function tokens(server: Child, total: number, concurrency: number): Promise<number> {
  const issuer = server.url;
  const host = new URL(issuer).host;
  const now = Math.floor(Date.now() / 1000);
  const requests: Array<{ assertion: string; proof: string }> = [];
  for (let i = 0; i < total; i += 1) {
    requests.push({
      assertion: await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: clientJwk.kid as string })
        .setIssuer('bench-client').setSubject('bench-client').setAudience(issuer).setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 600).sign(clientKey),
      proof: await new SignJWT({ htm: 'POST', htu: `${issuer}/token`, jti: randomUUID(), iat: now })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk }).sign(dpopKeys.privateKey),
    });
  }
  return drive(total, concurrency, async (i) => {
    const { assertion, proof } = requests[i] ?? { assertion: '', proof: '' };
    const res = await postToken(server.port, host, { 'content-type': 'application/x-www-form-urlencoded', dpop: proof }, new URLSearchParams({
      grant_type: 'client_credentials', client_id: 'bench-client',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    }).toString());
    return res.status === 200 && (JSON.parse(res.text) as { token_type?: string }).token_type === 'DPoP';
  });
}

/** Redis used_memory before and after `count` sessions written through the store, in bytes per session. */
async function sessionsInRedis(redisUrl: string, count: number): Promise<{ bytesPerSession: number; mibPer100k: number; payloadBytes: number }> {
  const keyPrefix = `benchmem${process.pid}:`;
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
  const store = await createHotStore({ redisUrl, keyPrefix }, systemClock);
  const sessions = createAdapterFactory(store)('Session');
  // The shape oidc-provider writes for a signed-in citizen (src/idp/provider.ts: one login, one grant
  // per product, the e-ID method and level); ids of the lengths oidc-provider generates.
  const now = Math.floor(Date.now() / 1000);
  const payload = (i: number) => ({
    iat: now, exp: now + 3600, uid: randomUUID().replace(/-/g, '').slice(0, 21), jti: randomUUID().replace(/-/g, '').slice(0, 21),
    kind: 'Session', accountId: `acct-${i.toString(36).padStart(40, '0')}`, loginTs: now, amr: ['bankid'], acr: 'http://id.elegnamnden.se/loa/1.0/loa3',
    authorizations: { 'bench-client': { sid: randomUUID(), grantId: randomUUID().replace(/-/g, '').slice(0, 43), persistsLogout: false } },
    transient: false, state: { upstream: 'bankid' },
  });
  const before = await usedMemory();
  for (let i = 0; i < count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => {
      const p = payload(i + j);
      return sessions.upsert(p.jti, p, 3600);
    }));
  }
  const after = await usedMemory();
  const payloadBytes = JSON.stringify(payload(0)).length;
  // Tidy up: the bench's own keys only.
  for await (const keys of redis.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 1000 })) if (keys.length) await redis.del(keys);
  await store.close();
  await redis.quit();
  const bytesPerSession = (after - before) / count;
  return { bytesPerSession, mibPer100k: (bytesPerSession * 100_000) / 1024 / 1024, payloadBytes };
}

const fmt = (n: number) => n.toFixed(0);

export async function memoryScenario(o: MemoryOptions): Promise<string[]> {
  const lines = [
    `Memory (issue 14, item 6): ${o.signIns} sign-ins at concurrency ${o.signInConcurrency}; token bench ${o.tokenRequests} requests at concurrency ${o.tokenConcurrency}; ${o.sessions} sessions in Redis`,
    '',
    '| memory | target | RSS after MiB | peak RSS MiB | failures | aim | baseline (bare oidc-provider, same run) RSS after / peak MiB |',
    '|---|---|---:|---:|---:|---|---:|',
  ];
  // Sandbox: PGlite, after the sign-ins.
  const bare = await start('bench/bare.ts');
  const bareFailures = await signIns(bare, o.signIns, o.signInConcurrency, false);
  const bareSignIn = rss(bare);
  const bareTokenFailures = await tokens({ ...bare, url: bare.url }, o.tokenRequests, o.tokenConcurrency).catch(() => o.tokenRequests);
  const bareToken = rss(bare);
  await stop(bare);
  const sandbox = await start('bench/gateway.ts', { BENCH_GATED: '1' });
  const sandboxStart = rss(sandbox);
  const sandboxFailures = await signIns(sandbox, o.signIns, o.signInConcurrency, true);
  const sandboxAfter = rss(sandbox);
  await stop(sandbox);
  lines.push(`| sandbox after ${o.signIns} sign-ins, first start (a new PGlite folder) | gateway, PGlite registry, in-memory store, product through the gate (at start: ${fmt(sandboxStart.now)} MiB) | ${fmt(sandboxAfter.now)} | ${fmt(sandboxAfter.peak)} | ${sandboxFailures} | ≤ 400 MiB: ${sandboxAfter.now <= 400 ? 'met' : 'not met'} | ${fmt(bareSignIn.now)} / ${fmt(bareSignIn.peak)} (${bareFailures} failures) |`);
  // The sandbox as it usually runs: started again on the folder an earlier start made (npm start keeps it).
  const folder = mkdtempSync(join(tmpdir(), 'bench-mem-sandbox-'));
  await stop(await start('bench/gateway.ts', { BENCH_MEMORY_SANDBOX_DIR: folder }));
  const restarted = await start('bench/gateway.ts', { BENCH_MEMORY_SANDBOX_DIR: folder });
  const restartedStart = rss(restarted);
  const restartedFailures = await signIns(restarted, o.signIns, o.signInConcurrency, true);
  const restartedAfter = rss(restarted);
  await stop(restarted);
  rmSync(folder, { recursive: true, force: true });
  lines.push(`| sandbox after ${o.signIns} sign-ins, restarted on its folder | gateway, PGlite registry, in-memory store, configured client (at start: ${fmt(restartedStart.now)} MiB) | ${fmt(restartedAfter.now)} | ${fmt(restartedAfter.peak)} | ${restartedFailures} | ≤ 400 MiB: ${restartedAfter.now <= 400 ? 'met' : 'not met'} | ${fmt(bareSignIn.now)} / ${fmt(bareSignIn.peak)} |`);
  if (o.redisUrl && o.databaseUrl) {
    const prod = await start('bench/memoryProduction.ts', { BENCH_REDIS_URL: o.redisUrl, BENCH_DATABASE_URL: o.databaseUrl });
    const prodStart = rss(prod);
    const prodFailures = await tokens(prod, o.tokenRequests, o.tokenConcurrency);
    const prodAfter = rss(prod);
    await stop(prod);
    lines.push(`| production under the token bench | gateway, mode production, PostgreSQL + Redis (at start: ${fmt(prodStart.now)} MiB) | ${fmt(prodAfter.now)} | ${fmt(prodAfter.peak)} | ${prodFailures} | ≤ 250 MiB: ${prodAfter.peak <= 250 ? 'met (peak)' : prodAfter.now <= 250 ? 'met after, not at peak' : 'not met'} | ${fmt(bareToken.now)} / ${fmt(bareToken.peak)} (${bareTokenFailures} failures) |`);
  } else {
    lines.push('| production under the token bench | (skipped: needs Redis and PostgreSQL) | | | | | |');
  }
  if (o.redisUrl) {
    const s = await sessionsInRedis(o.redisUrl, o.sessions);
    lines.push('', `Redis: ${o.sessions} live sessions written through the store (JSON payload ${s.payloadBytes} bytes each, plus its uid index key): ${fmt(s.bytesPerSession)} bytes per session (INFO used_memory after minus before), ${s.mibPer100k.toFixed(1)} MiB per 100,000 sessions.`);
  }
  return lines;
}

// Run on its own: node bench/memory.ts [--signins=N] (run.ts calls memoryScenario for --scenarios=memory).
if (import.meta.main) {
  const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
  // A Redis of its own by default: a shared one's used_memory moves with everyone else's keys.
  const own = args.get('redis') ?? process.env.BENCH_REDIS_URL ? undefined : await startRedisServer().catch(() => undefined);
  const lines = await memoryScenario({
    redisUrl: args.get('redis') ?? process.env.BENCH_REDIS_URL ?? own?.url,
    databaseUrl: args.get('database') ?? process.env.BENCH_DATABASE_URL,
    signIns: Number(args.get('signins') ?? 1000),
    signInConcurrency: Number(args.get('signin-concurrency') ?? 8),
    tokenRequests: Number(args.get('token-requests') ?? 3000),
    tokenConcurrency: Number(args.get('token-concurrency') ?? 16),
    sessions: Number(args.get('sessions') ?? 100_000),
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  await own?.stop();
}

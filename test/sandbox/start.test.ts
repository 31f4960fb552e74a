// The README's start command, as a newcomer runs it: `npm start` serves the sandbox, and production
// mode refuses to start with sandbox parts, saying why.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/net.ts';

const root = new URL('../..', import.meta.url).pathname;


function run(env: Record<string, string>, until: RegExp, timeoutMs = 60_000) {
  const child = spawn('npm', ['start', '--silent'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const done = new Promise<{ code: number | null; out: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ code: null, out }), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) {
        clearTimeout(timer);
        resolve({ code: null, out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
  return { child, done };
}

test('npm start with no configuration serves the sandbox', async (t) => {
  const port = await freePort();
  const sandboxDir = mkdtempSync(join(tmpdir(), 'start-'));
  const { child, done } = run({ PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, GATEWAY__sandboxDir: sandboxDir, LOG_LEVEL: 'warn' }, /Sandbox gateway ready/);
  const result = await done;
  try {
    t.regex(result.out, /Sandbox gateway ready/, result.out);
    const landing = await fetch(`http://127.0.0.1:${port}/`);
    t.is(landing.status, 200);
    const text = await landing.text();
    t.regex(text, /sandbox\/rp/);
    t.regex(text, /in-memory/);
    const meta = await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json() as { issuer: string };
    t.is(meta.issuer, `http://127.0.0.1:${port}`);
    t.is((await fetch(`http://127.0.0.1:${port}/sandbox/bankid/app`)).status, 200);
    t.is((await fetch(`http://127.0.0.1:${port}/sandbox/rp`)).status, 200);
  } finally {
    // As a terminal does on Ctrl-C or a service manager on stop: signal the whole process group.
    process.kill(-child.pid!, 'SIGTERM');
  }
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('exit', resolve)));
  // npm itself may die by the signal; what matters is that the gateway behind it stopped.
  let stopped = false;
  for (let i = 0; i < 50 && !stopped; i += 1) {
    stopped = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true);
    if (!stopped) await new Promise((r) => setTimeout(r, 100));
  }
  t.true(stopped, 'SIGTERM stops the gateway');
});

test('production mode refuses to start with sandbox parts and says why', async (t) => {
  const sandboxDir = mkdtempSync(join(tmpdir(), 'start-'));
  const { done } = run({ NODE_ENV: 'production', PORT: '0', GATEWAY__sandboxDir: sandboxDir, GATEWAY__bankid__simulator__enabled: 'true' }, /$^/);
  const result = await done;
  t.is(result.code, 2, result.out);
  t.regex(result.out, /refusing to start|invalid configuration/);
  t.regex(result.out, /Redis/);
  t.regex(result.out, /simulator/);
  t.regex(result.out, /jwksFile/);
});

test('a bad configuration value stops start-up with the field name', async (t) => {
  const { done } = run({ PORT: 'not-a-port' }, /$^/);
  const result = await done;
  t.is(result.code, 2);
  t.regex(result.out, /http\.port/);
});

// A real PostgreSQL for tests: DATABASE_URL when set (CI with a service), otherwise a throwaway cluster
// of our own (initdb into a temp dir, postgres on a free port, trust auth), stopped and removed after.
// PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` OS user (or
// `nobody`) and its binaries are spawned with that uid/gid (no runuser in between, so signals reach
// the server itself); a developer's own account runs them directly.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from './net.ts';

export interface PostgresServer {
  /** A superuser URL of a fresh database made for this caller. */
  url: string;
  /** A URL of another fresh database (one per contract run, say). */
  createDatabase(): Promise<string>;
  /** Kills the server with a signal (durability tests), then starts it again on the same data. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  /** Kills the server and waits for it to exit; `start` brings it back on the same data and port (outage tests). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function findBinary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, name))) return join(dir, name);
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(`/usr/lib/postgresql/${v}/bin/${name}`)) return `/usr/lib/postgresql/${v}/bin/${name}`;
  throw new Error(`${name} is not installed: install PostgreSQL (apt-get install postgresql) or set DATABASE_URL`);
}

function osUser(name: string): { uid: number; gid: number } | undefined {
  try {
    return { uid: Number(execFileSync('id', ['-u', name]).toString().trim()), gid: Number(execFileSync('id', ['-g', name]).toString().trim()) };
  } catch {
    return undefined;
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.href;
}

async function freshDatabase(adminUrl: string): Promise<string> {
  const name = `gw_test_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  return databaseUrl(adminUrl, name);
}

async function startCluster(): Promise<PostgresServer> {
  const initdb = findBinary('initdb');
  const postgres = findBinary('postgres');
  const root = process.getuid?.() === 0;
  const owner = root ? (osUser('postgres') ?? osUser('nobody')) : undefined;
  if (root && !owner) throw new Error('running as root needs a non-root OS user (postgres or nobody) for the test cluster');
  const ids = owner ? { uid: owner.uid, gid: owner.gid } : {};

  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  execFileSync(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], { stdio: 'ignore', cwd: dir, ...ids });
  const port = await freePort();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(postgres, ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100'],
      { stdio: 'ignore', cwd: dir, ...ids });
    for (let i = 0; i < 200; i += 1) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
      if (await canConnect(url)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('postgres did not start');
  };
  const waitExit = () => new Promise<void>((resolve) => (!child || child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  await launch();
  process.once('exit', () => child?.kill('SIGKILL'));
  const own = await freshDatabase(url);
  return {
    url: own,
    createDatabase: () => freshDatabase(url),
    async restart(signal = 'SIGKILL') {
      child?.kill(signal);
      await waitExit();
      await launch();
    },
    async kill(signal = 'SIGKILL') {
      child?.kill(signal);
      await waitExit();
    },
    start: () => launch(),
    async stop() {
      child?.kill('SIGINT'); // fast shutdown
      await waitExit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** DATABASE_URL when set, otherwise a cluster of our own; each caller gets a database of its own. */
export async function postgresForTests(): Promise<PostgresServer> {
  const external = process.env.DATABASE_URL;
  if (!external) return startCluster();
  return {
    url: await freshDatabase(external),
    createDatabase: () => freshDatabase(external),
    async restart() {
      throw new Error('cannot restart an external DATABASE_URL server');
    },
    async kill() {
      throw new Error('cannot kill an external DATABASE_URL server');
    },
    async start() {
      throw new Error('cannot start an external DATABASE_URL server');
    },
    async stop() { /* not ours */ },
  };
}

// Real Redis deployments for tests, on free ports in temp folders: a master with a replica watched by
// three Sentinels, and a Cluster of three masters. Debian's redis-server and redis-sentinel.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.ts';

const run = promisify(execFile);

/** One server process; `kill` for failover tests. */
export interface RedisProcess {
  port: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

async function cli(port: number, args: string[], password?: string): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...(password ? ['--no-auth-warning', '-a', password] : []), ...args]);
  return stdout.trim();
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function server(binary: string, args: string[], port: number): { child: ChildProcess; process: RedisProcess } {
  const child = spawn(binary, args, { stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    child,
    process: {
      port,
      kill: (signal = 'SIGKILL') => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    },
  };
}

async function installed(binary: string): Promise<void> {
  await run(binary, ['--version']).catch(() => {
    throw new Error(`${binary} is not installed: install redis-server and redis-sentinel (apt-get install redis-server redis-sentinel)`);
  });
}

const common = (port: number, dir: string) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];

export interface SentinelSetup {
  masterName: string;
  /** host:port of each Sentinel (store.redis.nodes). */
  sentinels: string[];
  master: RedisProcess;
  replicas: RedisProcess[];
  /** The port of whichever server the Sentinels now call master. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A master, two replicas and three Sentinels (quorum 2) that fail over about a second after the master
 * dies; two replicas so that the new master still has one (WAIT) once the old one is gone.
 */
export async function startSentinelSetup(): Promise<SentinelSetup> {
  await installed('redis-sentinel');
  const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-test-'));
  const masterName = 'gwmaster';
  const masterPort = await freePort();
  const master = server('redis-server', common(masterPort, dir), masterPort);
  await until('the master', async () => (await cli(masterPort, ['PING'])) === 'PONG');
  const replicas = await Promise.all([0, 1].map(async () => {
    const port = await freePort();
    const replica = server('redis-server', [...common(port, dir), '--replicaof', '127.0.0.1', String(masterPort)], port);
    await until('the replica to sync', async () => (await cli(port, ['INFO', 'replication'])).includes('master_link_status:up'));
    return replica;
  }));
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const sentinels = sentinelPorts.map((port) => {
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(conf, [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 2000`,
      `sentinel parallel-syncs ${masterName} 1`,
      '',
    ].join('\n'));
    return server('redis-sentinel', [conf], port);
  });
  const currentMasterPort = async () => Number((await cli(sentinelPorts[0] as number, ['SENTINEL', 'get-master-addr-by-name', masterName])).split('\n')[1]);
  // Every Sentinel knows the replica and the other Sentinels before a test may kill the master.
  await until('the Sentinels to see each other', async () => {
    for (const port of sentinelPorts) {
      const info = await cli(port, ['SENTINEL', 'master', masterName]);
      const field = (name: string) => Number(info.split('\n')[info.split('\n').indexOf(name) + 1]);
      if (field('num-slaves') < 2 || field('num-other-sentinels') < 2) return false;
    }
    return true;
  });
  return {
    masterName,
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`),
    master: master.process,
    replicas: replicas.map((r) => r.process),
    currentMasterPort,
    async stop() {
      for (const s of [...sentinels, master, ...replicas]) await s.process.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ClusterSetup {
  /** host:port of each master (store.redis.nodes). */
  nodes: string[];
  password: string;
  stop(): Promise<void>;
}

/** Three masters, no replicas, every slot assigned, with a password (requirepass). */
export async function startCluster(): Promise<ClusterSetup> {
  await installed('redis-cli');
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-test-'));
  const password = 'cluster-test-secret';
  const ports = [await freePort(), await freePort(), await freePort()];
  const servers = ports.map((port) => server('redis-server', [
    ...common(port, dir), '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout', '2000', '--requirepass', password, '--masterauth', password,
  ], port));
  for (const port of ports) await until(`redis ${port}`, async () => (await cli(port, ['PING'], password)) === 'PONG');
  await run('redis-cli', ['--no-auth-warning', '-a', password, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (const port of ports) {
    await until('the cluster to be ok', async () => (await cli(port, ['CLUSTER', 'INFO'], password)).includes('cluster_state:ok'));
  }
  return {
    nodes: ports.map((p) => `127.0.0.1:${p}`),
    password,
    async stop() {
      for (const s of servers) await s.process.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Cluster slot a key lands in, as the server computes it. */
export async function keySlot(setup: ClusterSetup, key: string): Promise<number> {
  return Number(await cli(Number(setup.nodes[0]?.split(':')[1]), ['CLUSTER', 'KEYSLOT', key], setup.password));
}

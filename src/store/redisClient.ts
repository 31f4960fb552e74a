// How the gateway reaches Redis in each deployment (docs/operations.md, "Redis: standalone, Sentinel,
// Cluster"): one server, a master that Sentinels watch and replace, or a Cluster of masters. All three
// are the official client (createClient, createSentinel, createCluster); the store talks to one shape,
// a RedisConnection, and what differs by mode lives here: where subscriptions run and when they may
// have missed messages, how keys of different slots are deleted, replication before a write is
// answered, and what "reachable" means.
import { readFileSync } from 'node:fs';
import { createClient, createCluster, createSentinel } from 'redis';
import type { RedisTopologyConfig } from '../config.ts';

type Client = ReturnType<typeof createClient>;

/** The commands the store uses; the client, the Sentinel client and the Cluster client all have them. */
export type RedisCommands = Pick<Client,
  'get' | 'set' | 'getDel' | 'multi' | 'sMembers' | 'incr' | 'ttl' | 'eval' | 'zRangeByScore'
  | 'xAdd' | 'xGroupCreate' | 'xAutoClaim' | 'xReadGroup' | 'xAck' | 'xDel' | 'xLen' | 'xRange'>;

export type RedisMode = RedisTopologyConfig['mode'];
type Listener = (message: string) => void;

export interface RedisConnection {
  readonly mode: RedisMode;
  readonly commands: RedisCommands;
  /** Deletes keys, answers how many existed; in a Cluster each key is its own command (keys of one call may live in different slots). */
  del(keys: string[]): Promise<number>;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, listener: Listener): Promise<void>;
  unsubscribe(channel: string, listener: Listener): Promise<void>;
  /** Runs `handler` whenever subscriptions may have missed messages (a reconnect, a failover). */
  onResubscribed(handler: () => void): void;
  /** Throws unless every node holding data answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface RedisConnectOptions {
  /** Standalone: the server's URL (user and password may be in it). */
  url?: string;
  topology?: Partial<RedisTopologyConfig>;
  /** Upper bound of one command; a hung Redis must not hang a request. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

// Back off up to 1 s between attempts, forever: Redis coming back must heal the gateway.
const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 1000);

function node(hostPort: string): { host: string; port: number } {
  const at = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
}

function password(topology: Partial<RedisTopologyConfig>): string | undefined {
  if (topology.passwordFile) return readFileSync(topology.passwordFile, 'utf8').trim();
  return topology.password;
}

/** Connects in the configured mode; resolves once commands can be sent. */
export async function connectRedis(options: RedisConnectOptions): Promise<RedisConnection> {
  const mode = options.topology?.mode ?? 'standalone';
  if (mode === 'sentinel') return connectSentinel(options);
  if (mode === 'cluster') return connectCluster(options);
  if (!options.url) throw new Error('standalone Redis needs a URL (store.redisUrl)');
  return connectStandalone(options.url, options);
}

function socketOptions(options: RedisConnectOptions) {
  return {
    connectTimeout: options.connectTimeoutMs ?? 2000,
    reconnectStrategy,
    ...(options.topology?.tls ? { tls: true as const } : {}),
  };
}

async function connectStandalone(url: string, options: RedisConnectOptions): Promise<RedisConnection> {
  const client = createClient({
    url,
    // Fail fast while Redis is unreachable instead of queueing: callers that must fail closed (token
    // checks, decisions) get an error and deny, and the client reconnects by itself in the background.
    disableOfflineQueue: true,
    // No commandOptions.timeout: the store bounds every operation itself (RedisStore's deadline, which
    // also covers a command already written), and node-redis's is an AbortSignal.timeout per command,
    // about 20 µs of CPU each (bench/deadline.ts) — more than the command (issue 14).
    socket: { connectTimeout: options.connectTimeoutMs ?? 2000, reconnectStrategy },
  });
  // Without a listener an 'error' event would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  const resubscribed = new Set<() => void>();
  // A subscribed connection cannot run other commands: one duplicate serves every subscription.
  let subscriber: Promise<Client> | undefined;
  const sub = () => {
    subscriber ??= (async () => {
      const s = client.duplicate() as Client;
      s.on('error', () => undefined);
      let connectedOnce = false;
      // 'ready' fires on the first connection and after every reconnect; node-redis resubscribes by
      // itself, but what was published in between is lost, so listeners are told to resynchronise.
      s.on('ready', () => {
        if (connectedOnce) for (const h of resubscribed) h();
        connectedOnce = true;
      });
      await s.connect();
      return s;
    })();
    return subscriber;
  };
  return {
    mode: 'standalone',
    commands: client,
    del: async (keys) => Number(await client.del(keys)),
    publish: async (channel, message) => { await client.publish(channel, message); },
    subscribe: async (channel, listener) => { await (await sub()).subscribe(channel, listener); },
    unsubscribe: async (channel, listener) => { if (subscriber) await (await subscriber).unsubscribe(channel, listener); },
    onResubscribed: (h) => { resubscribed.add(h); },
    ping: async () => { await client.ping(); },
    close: async () => {
      const s = subscriber ? await subscriber.catch(() => undefined) : undefined;
      await closeOrDestroy(s);
      await closeOrDestroy(client);
    },
  };
}

async function closeOrDestroy(c: { close(): Promise<unknown>; destroy(): unknown } | undefined): Promise<void> {
  if (!c) return;
  try {
    await c.close();
  } catch {
    await c.destroy();
  }
}

async function connectSentinel(options: RedisConnectOptions): Promise<RedisConnection> {
  const topology = options.topology ?? {};
  if (!topology.masterName || !topology.nodes?.length) throw new Error('Sentinel mode needs store.redis.masterName and store.redis.nodes');
  const waitReplicas = topology.waitReplicas ?? 0;
  const secret = password(topology);
  const sentinel = createSentinel({
    name: topology.masterName,
    sentinelRootNodes: topology.nodes.map(node),
    // One client kept for the store: WAIT counts the writes of its own connection, so the writes and
    // the WAIT after them must share it (the client pipelines, so one connection is no bottleneck).
    reserveClient: true,
    scanInterval: topology.topologyScanMs ?? 1000,
    // A failover takes a few seconds; commands meanwhile fail (the gateway answers 503), none waits.
    maxCommandRediscovers: 2,
    // No commandOptions.timeout (see connectStandalone): failingFast below and the store's deadline bound each command.
    nodeClientOptions: {
      disableOfflineQueue: true,
      socket: socketOptions(options),
      ...(topology.username ? { username: topology.username } : {}),
      ...(secret ? { password: secret } : {}),
    },
    sentinelClientOptions: {
      socket: socketOptions(options),
      ...(topology.sentinelPassword ? { password: topology.sentinelPassword } : {}),
    },
  });
  sentinel.on('error', () => undefined);
  const resubscribed = new Set<() => void>();
  // A new master: what was published to the old one while it failed is lost, and writes it took
  // but had not replicated are gone too; subscribers resynchronise.
  sentinel.on('topology-change', (event: { type?: string }) => {
    if (event.type === 'MASTER_CHANGE') for (const h of resubscribed) h();
  });
  await sentinel.connect();
  const replicate = waitReplicas > 0
    ? async () => {
      const acked = Number(await sentinel.sendCommand(false, ['WAIT', String(waitReplicas), String(topology.waitTimeoutMs ?? 200)]));
      // Fail closed: a write only this master holds would vanish with it, so it is not reported done.
      if (acked < waitReplicas) throw new Error(`write reached ${acked} of ${waitReplicas} replicas`);
    }
    : undefined;
  const commands = failingFast(sentinel as unknown as RedisCommands, options.commandTimeoutMs ?? 2000, replicate);
  return {
    mode: 'sentinel',
    commands,
    del: async (keys) => Number(await (commands as unknown as Client).del(keys)),
    publish: async (channel, message) => { await deadline(sentinel.publish(channel, message), options.commandTimeoutMs ?? 2000); },
    subscribe: async (channel, listener) => { await sentinel.subscribe(channel, listener); },
    // Its typing takes a buffer listener too; ours is subscribed in string mode.
    unsubscribe: async (channel, listener) => { await sentinel.unsubscribe(channel, listener as Parameters<typeof sentinel.unsubscribe>[1]); },
    onResubscribed: (h) => { resubscribed.add(h); },
    ping: async () => { await deadline(sentinel.ping(), options.commandTimeoutMs ?? 2000); },
    close: () => closeOrDestroy(sentinel),
  };
}

// Commands that change data: with WAIT configured, each is answered only once replicas have it.
const WRITES = new Set(['set', 'getDel', 'del', 'incr', 'eval', 'xAdd', 'xGroupCreate', 'xAck', 'xDel']);

function deadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * The Sentinel client holds a command while its master is unreachable until the Sentinels name a new
 * one (seconds): here each command fails after `ms` instead, so a decision meanwhile is a 503, not a
 * request hanging through the failover. A write resolves only after `replicate` when given (a MULTI:
 * its exec); one that timed out may still land later, harmlessly (its request was refused).
 */
function failingFast(commands: RedisCommands, ms: number, replicate: (() => Promise<void>) | undefined): RedisCommands {
  const after = (fn: (...args: unknown[]) => Promise<unknown>, write: boolean) => (...args: unknown[]) => deadline((async () => {
    const reply = await fn(...args);
    if (write && replicate) await replicate();
    return reply;
  })(), ms);
  return new Proxy(commands, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (name === 'multi') {
        return () => {
          const multi = bound() as { exec: (...args: unknown[]) => Promise<unknown> };
          const exec = multi.exec.bind(multi);
          multi.exec = after(exec, true);
          return multi;
        };
      }
      return after(bound as (...args: unknown[]) => Promise<unknown>, typeof name === 'string' && WRITES.has(name));
    },
  });
}

async function connectCluster(options: RedisConnectOptions): Promise<RedisConnection> {
  const topology = options.topology ?? {};
  if (!topology.nodes?.length) throw new Error('Cluster mode needs store.redis.nodes');
  const secret = password(topology);
  const cluster = createCluster({
    rootNodes: topology.nodes.map((n) => ({ socket: { ...node(n), ...socketOptions(options) } })),
    defaults: {
      disableOfflineQueue: true,
      socket: socketOptions(options),
      ...(topology.username ? { username: topology.username } : {}),
      ...(secret ? { password: secret } : {}),
    },
    // No commandOptions.timeout (see connectStandalone): the store's deadline bounds each command.
  });
  cluster.on('error', () => undefined);
  const resubscribed = new Set<() => void>();
  // A node that reconnects, or a new one after a slot moved: its subscriptions are made again by the
  // client, but what was published to that shard meanwhile is lost.
  let started = false;
  const missed = () => { if (started) for (const h of resubscribed) h(); };
  cluster.on('node-reconnecting', missed);
  cluster.on('node-ready', missed);
  await cluster.connect();
  started = true;
  return {
    mode: 'cluster',
    commands: cluster as unknown as RedisCommands,
    // One DEL per key: the keys of one call (a grant's tokens, say) hash to different slots, and a
    // multi-key DEL across slots is refused. Each delete stays atomic; together they never were needed.
    del: async (keys) => (await Promise.all(keys.map((k) => cluster.del(k)))).reduce((n, x) => n + Number(x), 0),
    // Sharded pub/sub: a message goes to the shard owning the channel, not to every node of the cluster.
    publish: async (channel, message) => { await cluster.sPublish(channel, message); },
    subscribe: async (channel, listener) => { await cluster.sSubscribe(channel, listener); },
    unsubscribe: async (channel, listener) => { await cluster.sUnsubscribe(channel, listener); },
    onResubscribed: (h) => { resubscribed.add(h); },
    // Every master: a shard that is down makes its slice of the keys (sessions, counters) unavailable.
    ping: async () => {
      await Promise.all(cluster.masters.map(async (m) => { await (await cluster.nodeClient(m)).ping(); }));
    },
    close: () => closeOrDestroy(cluster),
  };
}

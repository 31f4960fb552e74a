// The HotStore contract on Redis (official node-redis client). Commands fail fast while Redis is
// unreachable instead of queueing: callers that must fail closed (token checks, decisions) get an
// error within the command timeout and deny, and the client reconnects by itself in the background.
// Standalone, Sentinel or Cluster (src/store/redisClient.ts): every command here touches one key, and
// every script one key, so each lands in one Cluster slot as it is.
import { randomUUID } from 'node:crypto';
import { ErrorReply } from 'redis';
import type { RedisTopologyConfig } from '../config.ts';
import type { HotStore } from './hotStore.ts';
import { connectRedis, type RedisCommands, type RedisConnection } from './redisClient.ts';
import { DependencyUnavailable } from '../unavailable.ts';
import { redisDuration, timed } from '../http/metrics.ts';

/** Between the publishing store's id and the message on the wire (a UUID holds no space). */
const ORIGIN_SEPARATOR = ' ';

export interface RedisStoreOptions {
  /** Standalone mode's server. */
  url?: string;
  /** Standalone (default), Sentinel or Cluster, and their nodes. */
  topology?: Partial<RedisTopologyConfig>;
  keyPrefix?: string;
  /** Upper bound of one command; a hung Redis must not hang a request. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

// Sliding window of distinct members in a sorted set scored by last-seen time (ms, from the caller's
// clock). One script, so the check and the add cannot interleave with another instance's.
const WINDOW_ADD = `
local key, member = KEYS[1], ARGV[1]
local now, window, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local admitted = 1
if redis.call('ZSCORE', key, member) or redis.call('ZCARD', key) < max then
  redis.call('ZADD', key, now, member)
else
  admitted = 0
end
redis.call('PEXPIRE', key, window)
return { admitted, redis.call('ZCARD', key) }`;

export class RedisStore implements HotStore {
  readonly kind = 'redis' as const;
  readonly #client: RedisCommands;
  readonly #conn: RedisConnection;
  readonly #prefix: string;
  readonly #reconnectHandlers = new Set<() => void>();
  /** Which store instance published a message (see publish), and this one's subscribers by channel. */
  readonly #origin = randomUUID();
  readonly #local = new Map<string, Set<(message: string) => void>>();
  /** Stream consumer groups known to exist (a Redis that restarted empty loses them: see streamTake). */
  readonly #groups = new Set<string>();

  private constructor(conn: RedisConnection, prefix: string) {
    this.#conn = conn;
    this.#client = conn.commands;
    this.#prefix = prefix;
    // Subscriptions come back by themselves, but what was published meanwhile is lost: tell listeners.
    conn.onResubscribed(() => { for (const h of this.#reconnectHandlers) h(); });
  }

  /** The deployment's shape (standalone, sentinel, cluster). */
  get mode(): RedisConnection['mode'] {
    return this.#conn.mode;
  }

  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const conn = await connectRedis({
      url: options.url, topology: options.topology, commandTimeoutMs: options.commandTimeoutMs, connectTimeoutMs: options.connectTimeoutMs,
    });
    const store = new RedisStore(conn, options.keyPrefix ?? 'gw:');
    deadlines.set(store, options.commandTimeoutMs ?? 2000);
    return store;
  }

  #k(key: string): string {
    return this.#prefix + key;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#client.get(this.#k(key))) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds !== undefined && ttlSeconds > 0) await this.#client.set(this.#k(key), value, { EX: ttlSeconds });
    else await this.#client.set(this.#k(key), value);
  }

  async setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean> {
    const reply = ttlSeconds !== undefined && ttlSeconds > 0
      ? await this.#client.set(this.#k(key), value, { NX: true, EX: ttlSeconds })
      : await this.#client.set(this.#k(key), value, { NX: true });
    return reply === 'OK';
  }

  async getDel(key: string): Promise<string | undefined> {
    return (await this.#client.getDel(this.#k(key))) ?? undefined;
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.#conn.del(keys.map((k) => this.#k(k)));
  }

  async setAdd(key: string, member: string, ttlSeconds?: number): Promise<void> {
    const multi = this.#client.multi().sAdd(this.#k(key), member);
    if (ttlSeconds !== undefined && ttlSeconds > 0) multi.expire(this.#k(key), ttlSeconds);
    await multi.exec();
  }

  async setMembers(key: string): Promise<string[]> {
    return this.#client.sMembers(this.#k(key));
  }

  async incr(key: string, ttlSeconds?: number): Promise<number> {
    const k = this.#k(key);
    if (ttlSeconds === undefined || ttlSeconds <= 0) return Number(await this.#client.incr(k));
    // NX: the window starts with the first increment and is not extended by later ones.
    const [n] = await this.#client.multi().incr(k).expire(k, ttlSeconds, 'NX').exec();
    return Number(n);
  }

  async ttl(key: string): Promise<number | undefined> {
    const t = Number(await this.#client.ttl(this.#k(key)));
    return t === -2 ? undefined : t;
  }

  async windowAdd(key: string, member: string, nowMs: number, windowMs: number, max: number): Promise<{ admitted: boolean; size: number }> {
    const [admitted, size] = await this.#client.eval(WINDOW_ADD, {
      keys: [this.#k(key)],
      arguments: [member, String(nowMs), String(windowMs), String(max)],
    }) as [number, number];
    return { admitted: admitted === 1, size: Number(size) };
  }

  async windowMembers(key: string, nowMs: number, windowMs: number): Promise<string[]> {
    const members = await this.#client.zRangeByScore(this.#k(key), `(${nowMs - windowMs}`, '+inf');
    return [...members].sort();
  }

  async streamAppend(key: string, value: string): Promise<string> {
    return this.#client.xAdd(this.#k(key), '*', { v: value });
  }

  async streamAppendAll(key: string, values: string[]): Promise<string[]> {
    if (!values.length) return [];
    // MULTI: all or none, so a failed batch can go to the database whole without doubles.
    const multi = this.#client.multi();
    for (const value of values) multi.xAdd(this.#k(key), '*', { v: value });
    return (await multi.exec()).map(String);
  }

  async #ensureGroup(key: string, group: string): Promise<void> {
    try {
      await this.#client.xGroupCreate(key, group, '0', { MKSTREAM: true });
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  async streamTake(key: string, group: string, consumer: string, count: number, minIdleMs: number): Promise<Array<{ id: string; value: string }>> {
    const k = this.#k(key);
    const known = `${k}\u0000${group}`;
    if (!this.#groups.has(known)) {
      await this.#ensureGroup(k, group);
      this.#groups.add(known);
    }
    try {
      return await this.#take(k, group, consumer, count, minIdleMs);
    } catch (err) {
      // A Redis that restarted empty has lost the group: make it again, once.
      if (!String((err as Error).message).includes('NOGROUP')) throw err;
      await this.#ensureGroup(k, group);
      return this.#take(k, group, consumer, count, minIdleMs);
    }
  }

  async #take(k: string, group: string, consumer: string, count: number, minIdleMs: number): Promise<Array<{ id: string; value: string }>> {
    const out: Array<{ id: string; value: string }> = [];
    const claimed = await this.#client.xAutoClaim(k, group, consumer, minIdleMs, '0-0', { COUNT: count });
    for (const m of claimed.messages) if (m) out.push({ id: m.id, value: String(m.message.v) });
    if (out.length < count) {
      const read = await this.#client.xReadGroup(group, consumer, { key: k, id: '>' }, { COUNT: count - out.length }) as Array<{ messages: Array<{ id: string; message: Record<string, string> }> }> | null;
      for (const stream of read ?? []) for (const m of stream.messages) out.push({ id: m.id, value: String(m.message.v) });
    }
    return out;
  }

  async streamAck(key: string, group: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    const k = this.#k(key);
    await this.#client.multi().xAck(k, group, ids).xDel(k, ids).exec();
  }

  async streamLength(key: string): Promise<number> {
    return Number(await this.#client.xLen(this.#k(key)));
  }

  async streamRange(key: string, count: number, afterId?: string): Promise<Array<{ id: string; value: string }>> {
    const entries = await this.#client.xRange(this.#k(key), afterId ? `(${afterId}` : '-', '+', { COUNT: count });
    return entries.map((m) => ({ id: m.id, value: String(m.message.v) }));
  }

  async publish(channel: string, message: string): Promise<void> {
    // This instance's subscribers first, before the caller resumes (read your own writes: an admin
    // change is seen by the instance that made it at once, not a round trip through Redis later);
    // the server's copy carries our origin so those subscribers do not get it twice.
    for (const handler of [...(this.#local.get(channel) ?? [])]) queueMicrotask(() => handler(message));
    await this.#conn.publish(this.#k(channel), `${this.#origin}${ORIGIN_SEPARATOR}${message}`);
  }

  async subscribe(channel: string, handler: (message: string) => void, onReconnect?: () => void): Promise<() => Promise<void>> {
    const listener = (wire: string) => {
      const at = wire.indexOf(ORIGIN_SEPARATOR);
      if (at >= 0 && wire.slice(0, at) === this.#origin) return;
      handler(at >= 0 ? wire.slice(at + 1) : wire);
    };
    await this.#conn.subscribe(this.#k(channel), listener);
    let local = this.#local.get(channel);
    if (!local) this.#local.set(channel, (local = new Set()));
    local.add(handler);
    if (onReconnect) this.#reconnectHandlers.add(onReconnect);
    return async () => {
      local.delete(handler);
      if (onReconnect) this.#reconnectHandlers.delete(onReconnect);
      await this.#conn.unsubscribe(this.#k(channel), listener).catch(() => undefined);
    };
  }

  async ping(): Promise<void> {
    await this.#conn.ping();
  }

  async close(): Promise<void> {
    await this.#conn.close();
  }
}

// Replies by which a reachable Redis says it cannot serve now (loading its data, a replica without
// its primary, a cluster slot moving): an outage as much as a closed socket.
const UNAVAILABLE_REPLY = /^(LOADING|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|BUSY)\b/;

/**
 * A Redis outage as the gateway's DependencyUnavailable; anything else (a wrong-type reply, a
 * script error: a bug) unchanged. With the offline queue disabled and the command timeout set, an
 * unreachable or hung Redis reaches here within the timeout, never a request left hanging.
 */
export function redisOutage(err: unknown): unknown {
  if (err instanceof DependencyUnavailable) return err;
  if (err instanceof ErrorReply) return UNAVAILABLE_REPLY.test(err.message) ? new DependencyUnavailable('store', `redis: ${err.message.split(' ')[0]}`) : err;
  // ClientOfflineError, ClientClosedError, TimeoutError, socket errors: no answer from Redis.
  const e = err as { name?: string; message?: string; code?: string };
  return new DependencyUnavailable('store', `redis: ${e.code ?? e.name ?? 'error'}${e.message ? ` (${e.message})` : ''}`);
}

// node-redis's command timeout only covers a command still waiting to be written: one written to a
// Redis that stopped answering (hung, its socket still open) waits for the reply forever. Each
// operation therefore has a deadline of its own; a late reply is dropped when it comes.
const deadlines = new WeakMap<RedisStore, number>();

interface Pending {
  at: number;
  settled: boolean;
  reject: (err: unknown) => void;
}

/**
 * The deadlines of one duration. Operations of one duration expire in the order they started, so they
 * wait in a FIFO behind one timer, armed for the oldest, instead of a timer, a race and two more
 * promises each: a decision makes four or five Redis operations, and those cost about 4 µs apiece on
 * this path (issue 14; bench/deadline.ts measures both). Settled entries are dropped when the timer
 * comes round to them.
 */
class DeadlineQueue {
  readonly #ms: number;
  #queue: Pending[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  guard<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { at: performance.now() + this.#ms, settled: false, reject };
      this.#queue.push(entry);
      this.#timer ??= this.#arm(this.#ms);
      work.then((value) => {
        this.#settle(entry);
        resolve(value);
      }, (err: unknown) => {
        this.#settle(entry);
        reject(err);
      });
    });
  }

  /** Answers come mostly in order: the settled head goes at once, so the queue holds what is in flight. */
  #settle(entry: Pending): void {
    entry.settled = true;
    if (this.#queue[this.#head] !== entry) return;
    const q = this.#queue;
    while (this.#head < q.length && q[this.#head]?.settled) this.#head += 1;
    if (this.#head === q.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
  }

  #arm(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.#expire(), Math.max(1, Math.ceil(ms)));
    timer.unref();
    return timer;
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const q = this.#queue;
    while (this.#head < q.length) {
      const entry = q[this.#head];
      if (!entry) break;
      if (!entry.settled && entry.at > now) break;
      this.#head += 1;
      if (entry.settled) continue;
      // After a stall of the event loop itself (a busy process: a burst of signatures, a GC pause) the
      // timer fires in the same turn as the reply that arrived meanwhile. setImmediate lets that turn's
      // I/O be read first, so a busy gateway is not mistaken for a dead Redis.
      setImmediate(() => {
        if (entry.settled) return;
        this.#settle(entry);
        entry.reject(new DependencyUnavailable('store', `redis: no answer within ${this.#ms} ms`));
      });
    }
    if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
    // The loop stopped at the oldest operation still in flight (or ran out): its deadline is next.
    const oldest = this.#queue[this.#head];
    if (oldest) this.#timer = this.#arm(oldest.at - now);
  }
}

const queues = new Map<number, DeadlineQueue>();
/** Rejects with DependencyUnavailable when `work` has not settled within `ms` (exported for bench/deadline.ts). */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let queue = queues.get(ms);
  if (!queue) queues.set(ms, (queue = new DeadlineQueue(ms)));
  return queue.guard(work);
}

// Every operation of the contract answers an outage as DependencyUnavailable, within its deadline.
// Applied once to the class rather than inside each method, so the methods read as the Redis
// commands they are.
const GUARDED = ['get', 'set', 'setIfAbsent', 'getDel', 'del', 'setAdd', 'setMembers', 'incr', 'ttl', 'windowAdd', 'windowMembers',
  'streamAppend', 'streamAppendAll', 'streamTake', 'streamAck', 'streamLength', 'streamRange', 'publish', 'subscribe', 'ping'] as const satisfies ReadonlyArray<keyof HotStore>;
for (const name of GUARDED) {
  const command = RedisStore.prototype[name] as (...args: unknown[]) => Promise<unknown>;
  Object.defineProperty(RedisStore.prototype, name, {
    configurable: true,
    writable: true,
    value: async function guarded(this: RedisStore, ...args: unknown[]) {
      try {
        // A subscription opens (or resyncs) a connection of its own: more time than one command.
        const ms = (deadlines.get(this) ?? 2000) * (name === 'subscribe' ? 5 : 1);
        return await timed(redisDuration, { operation: name }, () => withDeadline(command.apply(this, args), ms));
      } catch (err) {
        throw redisOutage(err);
      }
    },
  });
}

// The contract of the hot, expiring state (docs/architecture.md: "Redis holds what is hot and expires").
// Two implementations keep it: Redis (production, tests) and memory (the embedded sandbox default).
// Every TTL is in whole seconds; a key without TTL lives until deleted. Values are strings (JSON
// is the caller's business) so both stores behave byte-for-byte alike.

export interface HotStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  /** Sets a value, replacing any earlier one (and its TTL). */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Sets only when the key does not exist; true when this call set it. For one-time use and replay caches. */
  setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean>;
  /** Reads and deletes atomically: only one caller can ever get a given value. */
  getDel(key: string): Promise<string | undefined>;
  /** Deletes keys; answers how many existed. */
  del(...keys: string[]): Promise<number>;
  /** Adds a member to a set and (re)sets the set's TTL when given. */
  setAdd(key: string, member: string, ttlSeconds?: number): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  /** Increments an integer counter; the TTL is set when the counter is created. */
  incr(key: string, ttlSeconds?: number): Promise<number>;
  /** Remaining TTL in seconds; undefined when the key is missing, -1 when it has no TTL. */
  ttl(key: string): Promise<number | undefined>;
  /**
   * Sends a message to every subscriber of the channel on every instance sharing the store, once each;
   * this instance's subscribers have it before the returned promise resolves (read your own writes).
   */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `handler` for each message on the channel until the returned function is called. `onReconnect`
   * runs when a lost subscription comes back: messages sent while it was down are gone, so callers that
   * cache must drop their cache then.
   */
  subscribe(channel: string, handler: (message: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /**
   * A sliding window of distinct members (exposure limits: "at most N citizens per window"): drops
   * members last seen before nowMs - windowMs, then adds `member` (or refreshes it) unless that would
   * make more than `max` distinct members. Atomic across instances. `admitted` is false only when the
   * member is new and the window is full; `size` is the count after the call.
   */
  windowAdd(key: string, member: string, nowMs: number, windowMs: number, max: number): Promise<{ admitted: boolean; size: number }>;
  /** The members seen within the window ending at nowMs (breach reports: who was touched before a trip). */
  windowMembers(key: string, nowMs: number, windowMs: number): Promise<string[]>;
  /** Appends an entry to a stream (a durable queue on Redis); answers its id. */
  streamAppend(key: string, value: string): Promise<string>;
  /**
   * Appends entries in this order, all or none (one round trip on Redis: a batch of records); answers
   * their ids in the same order.
   */
  streamAppendAll(key: string, values: string[]): Promise<string[]>;
  /**
   * Takes up to `count` entries for `consumer` of `group` (created when missing): first entries another
   * consumer took but did not acknowledge within minIdleMs (it crashed), then new ones. An entry stays
   * pending until acknowledged, so a crash between taking and acknowledging delivers it again.
   */
  streamTake(key: string, group: string, consumer: string, count: number, minIdleMs: number): Promise<Array<{ id: string; value: string }>>;
  /** Acknowledges and removes entries. */
  streamAck(key: string, group: string, ids: string[]): Promise<void>;
  /** Entries in the stream (taken but unacknowledged ones included). */
  streamLength(key: string): Promise<number>;
  /**
   * Up to `count` entries still in the stream (taken but unacknowledged ones included), oldest first,
   * after the entry `afterId` (from the start without one): what has not been acknowledged yet.
   */
  streamRange(key: string, count: number, afterId?: string): Promise<Array<{ id: string; value: string }>>;
  /** Throws when the store cannot be reached (readiness, fail-closed checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

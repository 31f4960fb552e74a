// The embedded store: the HotStore contract in process memory, for the sandbox. TTLs read the
// injectable clock, so tests can expire keys by moving time.
import { systemClock, type Clock } from '../clock.ts';
import type { HotStore } from './hotStore.ts';

interface StreamState {
  entries: Array<{ id: string; value: string }>;
  /** Per group: the last id delivered, and what is taken but not acknowledged. */
  groups: Map<string, { last: number; pending: Map<string, { consumer: string; takenAt: number }> }>;
  seq: number;
}

interface Entry {
  value: string | Set<string> | Map<string, number> | StreamState;
  expiresAt?: number;
}

export class MemoryStore implements HotStore {
  readonly kind = 'memory' as const;
  readonly #clock: Clock;
  readonly #data = new Map<string, Entry>();
  readonly #sweep: NodeJS.Timeout;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
    // Lazy expiry alone would keep keys nobody reads again forever.
    this.#sweep = setInterval(() => {
      const now = this.#clock.now();
      for (const [k, e] of this.#data) if (e.expiresAt !== undefined && e.expiresAt <= now) this.#data.delete(k);
    }, 30_000);
    this.#sweep.unref();
  }

  #live(key: string): Entry | undefined {
    const e = this.#data.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && e.expiresAt <= this.#clock.now()) {
      this.#data.delete(key);
      return undefined;
    }
    return e;
  }

  #expiry(ttlSeconds?: number): number | undefined {
    return ttlSeconds !== undefined && ttlSeconds > 0 ? this.#clock.now() + ttlSeconds * 1000 : undefined;
  }

  async get(key: string): Promise<string | undefined> {
    const e = this.#live(key);
    return typeof e?.value === 'string' ? e.value : undefined;
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    this.#data.set(key, { value, expiresAt: this.#expiry(ttlSeconds) });
  }

  async setIfAbsent(key: string, value: string, ttlSeconds?: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#data.set(key, { value, expiresAt: this.#expiry(ttlSeconds) });
    return true;
  }

  async getDel(key: string): Promise<string | undefined> {
    // Read and delete in one synchronous step: no await between them, so only one caller wins.
    const e = this.#live(key);
    this.#data.delete(key);
    return typeof e?.value === 'string' ? e.value : undefined;
  }

  async del(...keys: string[]): Promise<number> {
    let n = 0;
    for (const k of keys) if (this.#live(k) && this.#data.delete(k)) n += 1;
    return n;
  }

  async setAdd(key: string, member: string, ttlSeconds?: number): Promise<void> {
    const e = this.#live(key);
    const set = e && e.value instanceof Set ? e.value : new Set<string>();
    set.add(member);
    this.#data.set(key, { value: set, expiresAt: ttlSeconds !== undefined ? this.#expiry(ttlSeconds) : e?.expiresAt });
  }

  async setMembers(key: string): Promise<string[]> {
    const e = this.#live(key);
    return e && e.value instanceof Set ? [...e.value] : [];
  }

  async incr(key: string, ttlSeconds?: number): Promise<number> {
    const e = this.#live(key);
    const n = (e && typeof e.value === 'string' ? Number(e.value) : 0) + 1;
    this.#data.set(key, { value: String(n), expiresAt: e ? e.expiresAt : this.#expiry(ttlSeconds) });
    return n;
  }

  async ttl(key: string): Promise<number | undefined> {
    const e = this.#live(key);
    if (!e) return undefined;
    if (e.expiresAt === undefined) return -1;
    return Math.ceil((e.expiresAt - this.#clock.now()) / 1000);
  }

  async windowAdd(key: string, member: string, nowMs: number, windowMs: number, max: number): Promise<{ admitted: boolean; size: number }> {
    const e = this.#live(key);
    const seen = e && e.value instanceof Map ? e.value as Map<string, number> : new Map<string, number>();
    for (const [m, at] of seen) if (at <= nowMs - windowMs) seen.delete(m);
    let admitted = true;
    if (seen.has(member) || seen.size < max) seen.set(member, nowMs);
    else admitted = false;
    this.#data.set(key, { value: seen, expiresAt: this.#clock.now() + windowMs });
    return { admitted, size: seen.size };
  }

  async windowMembers(key: string, nowMs: number, windowMs: number): Promise<string[]> {
    const e = this.#live(key);
    if (!e || !(e.value instanceof Map)) return [];
    return [...(e.value as Map<string, number>)].filter(([, at]) => at > nowMs - windowMs).map(([m]) => m).sort();
  }

  #stream(key: string): StreamState {
    const e = this.#live(key);
    if (e && typeof e.value === 'object' && 'entries' in e.value) return e.value as StreamState;
    const state: StreamState = { entries: [], groups: new Map(), seq: 0 };
    this.#data.set(key, { value: state });
    return state;
  }

  async streamAppend(key: string, value: string): Promise<string> {
    const s = this.#stream(key);
    s.seq += 1;
    const id = `${this.#clock.now()}-${s.seq}`;
    s.entries.push({ id, value });
    return id;
  }

  async streamAppendAll(key: string, values: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const value of values) ids.push(await this.streamAppend(key, value));
    return ids;
  }

  async streamTake(key: string, group: string, consumer: string, count: number, minIdleMs: number): Promise<Array<{ id: string; value: string }>> {
    const s = this.#stream(key);
    let g = s.groups.get(group);
    if (!g) s.groups.set(group, (g = { last: 0, pending: new Map() }));
    const now = this.#clock.now();
    const out: Array<{ id: string; value: string }> = [];
    for (const [id, p] of g.pending) {
      if (out.length >= count) break;
      if (now - p.takenAt < minIdleMs) continue;
      const entry = s.entries.find((x) => x.id === id);
      if (!entry) { g.pending.delete(id); continue; }
      g.pending.set(id, { consumer, takenAt: now });
      out.push(entry);
    }
    const seqOf = (id: string) => Number(id.split('-')[1]);
    for (const entry of s.entries) {
      if (out.length >= count) break;
      if (seqOf(entry.id) <= g.last) continue;
      g.last = seqOf(entry.id);
      g.pending.set(entry.id, { consumer, takenAt: now });
      out.push(entry);
    }
    return out.map((x) => ({ ...x }));
  }

  async streamAck(key: string, group: string, ids: string[]): Promise<void> {
    const s = this.#stream(key);
    const g = s.groups.get(group);
    const done = new Set(ids);
    for (const id of ids) g?.pending.delete(id);
    s.entries = s.entries.filter((x) => !done.has(x.id));
  }

  async streamLength(key: string): Promise<number> {
    return this.#stream(key).entries.length;
  }

  async streamRange(key: string, count: number, afterId?: string): Promise<Array<{ id: string; value: string }>> {
    // Ids end in a sequence number that only grows: "after" is by that number (the entry itself may be gone).
    const seq = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));
    const after = afterId === undefined ? -1 : seq(afterId);
    return this.#stream(key).entries.filter((x) => seq(x.id) > after).slice(0, count).map((x) => ({ ...x }));
  }

  readonly #channels = new Map<string, Set<(message: string) => void>>();

  async publish(channel: string, message: string): Promise<void> {
    // Delivered after the caller's await, as Redis would: a publisher never runs handlers inline.
    for (const handler of [...(this.#channels.get(channel) ?? [])]) queueMicrotask(() => handler(message));
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    let set = this.#channels.get(channel);
    if (!set) this.#channels.set(channel, (set = new Set()));
    set.add(handler);
    return async () => {
      set.delete(handler);
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweep);
  }
}

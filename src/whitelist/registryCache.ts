// The registry as every gateway instance reads it: one snapshot in memory, dropped the moment any
// instance announces a change (HotStore publish/subscribe on `registry:changed`), when the
// subscription was lost and came back (messages may have been missed), and after maxAgeMs as a last
// safety net. PostgreSQL stays the only copy: this cache never answers for a registry it cannot read.
import type { HotStore } from '../store/hotStore.ts';
import type { Clock } from '../clock.ts';
import type { RegistrySnapshot } from './model.ts';

export const REGISTRY_CHANNEL = 'registry:changed';

export interface RegistrySource {
  snapshot(): Promise<RegistrySnapshot>;
}

export class RegistryCache {
  readonly #source: RegistrySource;
  readonly #store: HotStore;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  #current: { snapshot: RegistrySnapshot; loadedAt: number } | undefined;
  #loading: Promise<RegistrySnapshot> | undefined;
  /** Bumped by every invalidation, so a load that started before it is not kept. */
  #generation = 0;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(source: RegistrySource, store: HotStore, clock: Clock, options: { maxAgeMs?: number } = {}) {
    this.#source = source;
    this.#store = store;
    this.#clock = clock;
    this.#maxAgeMs = options.maxAgeMs ?? 30_000;
  }

  /** Subscribes to change announcements; call once at start. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#store.subscribe(REGISTRY_CHANNEL, () => this.invalidate(), () => this.invalidate());
  }

  invalidate(): void {
    this.#generation += 1;
    this.#current = undefined;
    this.#loading = undefined;
  }

  /** Tells every instance (this one included) that the registry changed. */
  async announce(revision: number | string): Promise<void> {
    this.invalidate();
    await this.#store.publish(REGISTRY_CHANNEL, String(revision));
  }

  /** The current snapshot; throws when the registry cannot be read (callers fail closed). */
  async snapshot(): Promise<RegistrySnapshot> {
    const now = this.#clock.now();
    if (this.#current && now - this.#current.loadedAt < this.#maxAgeMs) return this.#current.snapshot;
    if (this.#loading) return this.#loading;
    const generation = this.#generation;
    const loading = this.#source.snapshot().then((snapshot) => {
      if (generation === this.#generation) this.#current = { snapshot, loadedAt: this.#clock.now() };
      return snapshot;
    }).finally(() => {
      if (this.#loading === loading) this.#loading = undefined;
    });
    this.#loading = loading;
    return loading;
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }
}

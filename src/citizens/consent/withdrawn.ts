// The withdrawn consents as every instance's decision point reads them: one set in memory, dropped the
// moment any instance announces a withdrawal or a new consent (HotStore publish/subscribe on
// `consent:changed`), when the subscription came back (messages may have been missed), and after
// maxAgeMs as a safety net — the registry cache's pattern (src/whitelist/registryCache.ts). A decision
// pays a lookup in memory; PostgreSQL stays the only copy, and a set that cannot be read fails closed.
import type { Clock } from '../../clock.ts';
import type { HotStore } from '../../store/hotStore.ts';
import { withdrawnKey, type ConsentStore } from './records.ts';

export const CONSENT_CHANNEL = 'consent:changed';

/** What the decision point asks (src/scopes/pdp.ts, consent_in_force). */
export interface WithdrawnConsents {
  /** True when the citizen withdrew the product's access as a whole, or to this data set at this controller. */
  withdrawn(productId: string, citizen: string, dataset: string, controllerId: string): Promise<boolean>;
}

export class WithdrawnConsentCache implements WithdrawnConsents {
  readonly #records: ConsentStore;
  readonly #store: HotStore;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  #current: { keys: Set<string>; loadedAt: number } | undefined;
  #loading: Promise<Set<string>> | undefined;
  #generation = 0;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(records: ConsentStore, store: HotStore, clock: Clock, options: { maxAgeMs?: number } = {}) {
    this.#records = records;
    this.#store = store;
    this.#clock = clock;
    this.#maxAgeMs = options.maxAgeMs ?? 30_000;
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#store.subscribe(CONSENT_CHANNEL, () => this.invalidate(), () => this.invalidate());
  }

  invalidate(): void {
    this.#generation += 1;
    this.#current = undefined;
    this.#loading = undefined;
  }

  /** Tells every instance (this one first) that consents changed. */
  async announce(): Promise<void> {
    this.invalidate();
    await this.#store.publish(CONSENT_CHANNEL, String(this.#clock.now()));
  }

  async #keys(): Promise<Set<string>> {
    const now = this.#clock.now();
    if (this.#current && now - this.#current.loadedAt < this.#maxAgeMs) return this.#current.keys;
    if (this.#loading) return this.#loading;
    const generation = this.#generation;
    const loading = this.#records.withdrawn().then((keys) => {
      if (generation === this.#generation) this.#current = { keys, loadedAt: this.#clock.now() };
      return keys;
    }).finally(() => {
      if (this.#loading === loading) this.#loading = undefined;
    });
    this.#loading = loading;
    return loading;
  }

  async withdrawn(productId: string, citizen: string, dataset: string, controllerId: string): Promise<boolean> {
    const keys = await this.#keys();
    if (!keys.size) return false;
    return keys.has(withdrawnKey(productId, citizen)) || keys.has(withdrawnKey(productId, citizen, dataset, controllerId));
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
  }
}

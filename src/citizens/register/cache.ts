// A cache in front of any population register. Register data is personal data the gateway should not
// keep for long (docs/domain.md, rule 13): an answer is served for at most `maxAgeSeconds` (never more
// than 24 h) after the register gave it, read on the injectable clock, and then asked for again, so a
// protection mark set, a custody ended or a child turning 16 in the register takes effect within that
// bound. The cache lives in this process's memory, not in the hot store (docs/decisions.md, "The
// population-register cache is per process").
import type { Clock } from '../../clock.ts';
import type { PopulationRegister, RegisterRecord } from './register.ts';

/** The longest the gateway may act on a register answer (docs/domain.md, rule 13). */
export const MAX_REGISTER_AGE_SECONDS = 24 * 3600;

export interface RegisterCacheOptions {
  clock: Clock;
  /** Seconds an answer may be served after it was fetched; 1..86400. */
  maxAgeSeconds: number;
  /** Most people held; the oldest answer goes first when full. */
  maxEntries: number;
}

interface Entry {
  /** undefined: the register has nobody by that number (also cached, also bounded). */
  record: RegisterRecord | undefined;
  /** When the register gave it, ms on the cache's clock. */
  fetchedAt: number;
}

export class CachedRegister implements PopulationRegister {
  readonly #source: PopulationRegister;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();
  /** One register call per number at a time: concurrent sign-ins of one person share it. */
  readonly #inFlight = new Map<string, Promise<RegisterRecord | undefined>>();

  constructor(source: PopulationRegister, options: RegisterCacheOptions) {
    if (!(options.maxAgeSeconds >= 1 && options.maxAgeSeconds <= MAX_REGISTER_AGE_SECONDS)) {
      throw new RangeError(`register cache: maxAgeSeconds must be 1..${MAX_REGISTER_AGE_SECONDS}`);
    }
    if (!(options.maxEntries >= 1)) throw new RangeError('register cache: maxEntries must be at least 1');
    this.#source = source;
    this.#clock = options.clock;
    this.#maxAgeMs = options.maxAgeSeconds * 1000;
    this.#maxEntries = options.maxEntries;
  }

  async lookup(personalNumber: string): Promise<RegisterRecord | undefined> {
    const now = this.#clock.now();
    const entry = this.#entries.get(personalNumber);
    // Fresh means fetched less than the bound ago; a clock that went back counts as stale too.
    if (entry && now >= entry.fetchedAt && now - entry.fetchedAt < this.#maxAgeMs) return copy(entry.record);
    if (entry) this.#entries.delete(personalNumber);
    const pending = this.#inFlight.get(personalNumber);
    if (pending) return copy(await pending);
    const asking = this.#fetch(personalNumber, now);
    this.#inFlight.set(personalNumber, asking);
    try {
      return copy(await asking);
    } finally {
      this.#inFlight.delete(personalNumber);
    }
  }

  /** Forgets one person (a change notice from the register, or a test). */
  invalidate(personalNumber: string): void {
    this.#entries.delete(personalNumber);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** How many people are held (for tests and metrics; never who). */
  get size(): number {
    return this.#entries.size;
  }

  async #fetch(personalNumber: string, askedAt: number): Promise<RegisterRecord | undefined> {
    // An unavailable register throws through: errors are never cached, the next lookup asks again.
    const record = await this.#source.lookup(personalNumber);
    // Aged from when it was asked for, so the time the register took counts against the bound.
    this.#entries.set(personalNumber, { record, fetchedAt: askedAt });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    return record;
  }
}

/**
 * A copy for each caller, so what one does with its answer never changes another's. By hand rather
 * than structuredClone: this runs on every PDP permit, and a spread of a few small objects costs a
 * fraction of a microsecond where structuredClone costs tens.
 */
function copy(record: RegisterRecord | undefined): RegisterRecord | undefined {
  if (!record) return undefined;
  const { address, contact, guardians, custodyOf, ...rest } = record;
  return {
    ...rest,
    ...(address ? { address: { ...address } } : {}),
    ...(contact ? { contact: { ...contact } } : {}),
    guardians: guardians.map((g) => ({ ...g })),
    custodyOf: custodyOf.map((c) => ({ ...c })),
  };
}

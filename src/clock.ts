// One clock for every TTL, expiry and window, so tests can move time (docs/architecture.md, "One clock").
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests can move forward. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(startMs = Date.now()) {
    this.#ms = startMs;
  }
  now(): number {
    return this.#ms;
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

export const epochSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);

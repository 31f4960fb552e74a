// The one decision primitive (docs/architecture.md, "How the code is put together"): every decision of the
// gateway — token gate, PDP, jump, SAML ACS, certificate verification, registry rules — is an ordered
// list of named checks over a typed state, in the manner of oidc-provider's
// lib/actions/authorization/. A check either passes (returns nothing), passes and establishes
// something for the checks after it (returns an object merged into the state, so later checks see it
// typed, with no non-null assertions), or refuses with a reason from its pipeline's own string-literal
// union (returns the reason, or `refuse(reason, detail)` to add a detail safe to log). The first
// refusal ends the run; the verdict names the check and the reason. The list of checks is data.
//
// Why a builder and not an array: each `.then(check)` widens the state type by what that check
// establishes, so a check written against `{ product: Product }` cannot be placed before the check
// that finds the product — the compiler refuses the pipeline, not a test at run time.

/**
 * A refusal with a detail (which part, which attribute; never a personal value) and, optionally, facts
 * the refusing check established that whoever handles the refusal needs (e.g. the product the token
 * gate found and refused, for the audit record); they join the verdict's state.
 */
export class Refusal<R extends string = string> {
  readonly reason: R;
  readonly detail: string | undefined;
  readonly facts: object | undefined;
  constructor(reason: R, detail?: string, facts?: object) {
    this.reason = reason;
    this.detail = detail;
    this.facts = facts;
  }
}

/** Refuse with a detail; throwing it from a helper deep inside a check refuses the same way. */
export const refuse = <R extends string>(reason: R, detail?: string, facts?: object): Refusal<R> => new Refusal(reason, detail, facts);

/**
 * What a passing check adds to the state. It may not look like a refusal: an object with a `reason`,
 * `code` or `check` would otherwise pass silently where its author meant to refuse (fail open), so the
 * type forbids those keys and the run refuses to merge them.
 */
export type Addition = object & { reason?: never; code?: never; check?: never };
const REFUSAL_KEYS = ['reason', 'code', 'check'] as const;

/** What a check may answer: nothing (pass), an object (pass, and add it to the state), or a reason. */
export type Outcome<R extends string, A extends Addition> = R | Refusal<R> | A | undefined | void;

export interface Check<S, R extends string, A extends Addition = object, C = void, K extends 'sync' | 'async' = 'sync' | 'async'> {
  readonly name: string;
  readonly kind: K;
  readonly run: (state: Readonly<S>, ctx: C) => K extends 'sync' ? Outcome<R, A> : Outcome<R, A> | Promise<Outcome<R, A>>;
}

/**
 * The check makers of one pipeline, with its reason union fixed once:
 * `const { check, asyncCheck } = checksFor<GateReason>()`.
 */
export function checksFor<R extends string, C = void>() {
  return {
    check<S, A extends Addition = object>(name: string, run: (state: Readonly<S>, ctx: C) => Outcome<R, A>): Check<S, R, A, C, 'sync'> {
      return { name, kind: 'sync', run } as Check<S, R, A, C, 'sync'>;
    },
    asyncCheck<S, A extends Addition = object>(name: string, run: (state: Readonly<S>, ctx: C) => Outcome<R, A> | Promise<Outcome<R, A>>): Check<S, R, A, C, 'async'> {
      return { name, kind: 'async', run } as Check<S, R, A, C, 'async'>;
    },
  };
}

export type Verdict<S, R extends string> =
  | { ok: true; state: S }
  | {
    ok: false;
    /** The name of the check that refused. */
    check: string;
    reason: R;
    detail?: string;
    /** What the checks before it had established (for messages, audit and containment). */
    state: Partial<S>;
  };

export interface RunOptions<R extends string> {
  /**
   * An error a check throws that is not a Refusal: the pipeline's answer for it (fail closed). Without
   * this the error propagates to the caller.
   */
  unexpected?: (err: unknown, check: string) => R | Refusal<R>;
}

type AnyCheck<R extends string, C> = Check<never, R, object, C>;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * An ordered pipeline of named checks from an input of type I, building a state of type S, refusing
 * with reasons of R; C is what every check is given besides the state (its dependencies).
 * `Async` is true once any check may be asynchronous; only a synchronous pipeline has `runSync`.
 */
export class Pipeline<I extends object, S extends object, R extends string, C = void, Async extends boolean = false> {
  readonly #checks: ReadonlyArray<AnyCheck<R, C>>;

  private constructor(checks: ReadonlyArray<AnyCheck<R, C>>) {
    this.#checks = checks;
  }

  /** An empty pipeline over input I with reasons R and dependencies C. */
  static of<I extends object, R extends string, C = void>(): Pipeline<I, I, R, C, false> {
    return new Pipeline<I, I, R, C, false>([]);
  }

  /** This pipeline followed by `check`, which may read everything established so far. */
  then<A extends Addition, K extends 'sync' | 'async'>(check: Check<S, R, A, C, K>): Pipeline<I, S & A, R, C, Async extends true ? true : K extends 'async' ? true : false> {
    if (this.#checks.some((c) => c.name === check.name)) throw new TypeError(`decision: a check named ${check.name} is in the pipeline already`);
    return new Pipeline([...this.#checks, check as unknown as AnyCheck<R, C>]);
  }

  /** The names of the checks, in the order they run (for documentation and tests). */
  get names(): string[] {
    return this.#checks.map((c) => c.name);
  }

  /** Runs every check in order; the first refusal ends it. */
  async run(input: I, ctx: C, options: RunOptions<R> = {}): Promise<Verdict<S, R>> {
    const state = { ...input } as Record<string, unknown>;
    for (const check of this.#checks) {
      let refused;
      try {
        let outcome: unknown = check.run(state as never, ctx);
        if (isThenable(outcome)) outcome = await outcome;
        refused = apply<R>(state, outcome, check.name);
      } catch (err) {
        refused = apply<R>(state, refusalOf(err, check.name, options), check.name);
      }
      if (refused) return refused as Verdict<S, R>;
    }
    return { ok: true, state: state as S };
  }

  /** Runs a pipeline of synchronous checks without a promise (the hot paths: gate, card, rules). */
  runSync(this: Pipeline<I, S, R, C, false>, input: I, ctx: C, options: RunOptions<R> = {}): Verdict<S, R> {
    const state = { ...input } as Record<string, unknown>;
    for (const check of this.#checks) {
      let refused;
      try {
        const outcome: unknown = check.run(state as never, ctx);
        if (isThenable(outcome)) {
          // Its rejection, if any, must not become an unhandled rejection: the run is refused already.
          Promise.resolve(outcome).catch(() => undefined);
          throw new TypeError(`decision: check ${check.name} answered a promise in a synchronous pipeline`);
        }
        refused = apply<R>(state, outcome, check.name);
      } catch (err) {
        refused = apply<R>(state, refusalOf(err, check.name, options), check.name);
      }
      if (refused) return refused as Verdict<S, R>;
    }
    return { ok: true, state: state as S };
  }
}

function refusalOf<R extends string>(err: unknown, check: string, options: RunOptions<R>): Refusal<R> {
  if (err instanceof Refusal) return err as Refusal<R>;
  if (!options.unexpected) throw err;
  const answer = options.unexpected(err, check);
  return answer instanceof Refusal ? answer : new Refusal(answer);
}

/** Merges a passing outcome into the state, or turns a refusal into the verdict. */
function apply<R extends string>(state: Record<string, unknown>, outcome: unknown, check: string) {
  if (outcome === undefined || outcome === null) return undefined;
  if (typeof outcome === 'string') return { ok: false as const, check, reason: outcome as R, state };
  if (outcome instanceof Refusal) {
    if (outcome.facts) Object.assign(state, outcome.facts);
    return { ok: false as const, check, reason: outcome.reason as R, ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}), state };
  }
  if (typeof outcome !== 'object' || REFUSAL_KEYS.some((key) => key in outcome)) {
    throw new TypeError(`decision: check ${check} answered ${typeof outcome === 'object' ? 'an object shaped like a refusal' : `a ${typeof outcome}`}; refuse with a reason or refuse()`);
  }
  Object.assign(state, outcome);
  return undefined;
}

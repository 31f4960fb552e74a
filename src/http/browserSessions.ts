// A server-side browser session, as the gateway's own pages keep one (the admin console, the citizen's
// /account): the browser holds only a random id in an httpOnly, SameSite=Lax cookie on the page's own
// path (Secure under https); what the session knows and its CSRF token stay in the HotStore, keyed by
// a hash of the id, so a copy of the store holds no usable cookie. A sign-in in progress has its own
// short-lived cookie, usable once. Sessions end at their TTL (read from the injectable clock) or at
// logout, and every sign-in gets a fresh id, so a planted cookie never becomes signed in.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { HotStore } from '../store/hotStore.ts';
import type { Clock } from '../clock.ts';

/** What every session has, beside what its page keeps in it. */
export interface SessionBase {
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

/** Where a kind of session lives: its two cookies, their path, and its keys in the store. */
export interface SessionPlace {
  sessionCookie: string;
  loginCookie: string;
  cookiePath: string;
  /** Store keys are `<storePrefix>-session:<hash>` and `<storePrefix>-login:<hash>`. */
  storePrefix: string;
}

export interface SessionOptions {
  store: HotStore;
  clock: Clock;
  ttlSeconds: number;
  secure: boolean;
}

/** How long a sign-in in progress (PKCE verifier, state, DPoP key) is kept. */
const PENDING_SECONDS = 600;
/** Our ids are 43 characters; anything much longer is not one of ours and is not looked up. */
const MAX_ID = 100;

const hashId = (id: string): string => createHash('sha256').update(id).digest('base64url');
const ours = (id: string | undefined): id is string => typeof id === 'string' && id.length > 0 && id.length <= MAX_ID;

export class BrowserSessions<S extends SessionBase, P> {
  readonly #place: SessionPlace;
  readonly #store: HotStore;
  readonly #clock: Clock;
  readonly #ttlSeconds: number;
  readonly #secure: boolean;

  constructor(place: SessionPlace, opts: SessionOptions) {
    this.#place = place;
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#ttlSeconds = opts.ttlSeconds;
    this.#secure = opts.secure;
  }

  #cookie(ctx: Context, name: string, value: string | null, maxAgeSeconds?: number): void {
    // Under an https issuer behind a TLS-terminating proxy, Koa may not know the connection is secure.
    if (this.#secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    ctx.cookies.set(name, value, {
      httpOnly: true, sameSite: 'lax', secure: this.#secure, path: this.#place.cookiePath, overwrite: true,
      ...(maxAgeSeconds !== undefined && value !== null ? { maxAge: maxAgeSeconds * 1000 } : {}),
    });
  }

  #key(kind: 'session' | 'login', id: string): string {
    return `${this.#place.storePrefix}-${kind}:${hashId(id)}`;
  }

  async begin(ctx: Context, pending: P): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    await this.#store.set(this.#key('login', id), JSON.stringify(pending), PENDING_SECONDS);
    this.#cookie(ctx, this.#place.loginCookie, id, PENDING_SECONDS);
  }

  /** The pending sign-in of this browser, usable once. */
  async takePending(ctx: Context): Promise<P | undefined> {
    const id = ctx.cookies.get(this.#place.loginCookie);
    this.#cookie(ctx, this.#place.loginCookie, null);
    if (!ours(id)) return undefined;
    const raw = await this.#store.getDel(this.#key('login', id));
    return raw ? JSON.parse(raw) as P : undefined;
  }

  /** Starts a new session (a fresh id on every sign-in). */
  async create(ctx: Context, data: Omit<S, keyof SessionBase>): Promise<S> {
    await this.destroy(ctx);
    const id = randomBytes(32).toString('base64url');
    const now = this.#clock.now();
    const session = { ...data, csrf: randomBytes(24).toString('base64url'), createdAt: now, expiresAt: now + this.#ttlSeconds * 1000 } as S;
    await this.#store.set(this.#key('session', id), JSON.stringify(session), this.#ttlSeconds);
    this.#cookie(ctx, this.#place.sessionCookie, id, this.#ttlSeconds);
    return session;
  }

  async load(ctx: Context): Promise<S | undefined> {
    const id = ctx.cookies.get(this.#place.sessionCookie);
    if (!ours(id)) return undefined;
    const raw = await this.#store.get(this.#key('session', id));
    if (!raw) return undefined;
    const session = JSON.parse(raw) as S;
    if (session.expiresAt <= this.#clock.now()) {
      await this.destroy(ctx);
      return undefined;
    }
    return session;
  }

  async destroy(ctx: Context): Promise<void> {
    const id = ctx.cookies.get(this.#place.sessionCookie);
    if (ours(id)) await this.#store.del(this.#key('session', id));
    this.#cookie(ctx, this.#place.sessionCookie, null);
  }
}

// The console's server-side session: the browser holds only a random id in an httpOnly, SameSite=Lax
// cookie (Secure under https); the staff member's DPoP-bound access token, its DPoP key and the CSRF
// token stay in the HotStore, keyed by a hash of the id so a copy of the store holds no usable
// cookie. Sessions end at their TTL (read from the injectable clock) or at logout.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { HotStore } from '../../store/hotStore.ts';
import type { Clock } from '../../clock.ts';
import type { StoredKeyPair } from '../../idp/ownClients.ts';

export const SESSION_COOKIE = 'gw_admin';
export const LOGIN_COOKIE = 'gw_admin_login';
const COOKIE_PATH = '/admin';

/** Who is signed in, as the ID token and GET /me described them; for display only, never for decisions. */
export interface StaffSummary {
  name: string;
  hsaId: string | undefined;
  orgName: string | undefined;
  roles: Array<{ role: string; scope?: string }>;
}

export interface ConsoleSession {
  csrf: string;
  createdAt: number;
  expiresAt: number;
  accessToken: string;
  /** When the access token stops working (ms); the console signs in again through SSO before then. */
  accessTokenExpiresAt: number;
  idToken: string | undefined;
  dpop: StoredKeyPair;
  staff: StaffSummary;
}

/** A sign-in in progress: PKCE verifier, state, the DPoP key the tokens will be bound to, where to return. */
export interface PendingLogin {
  verifier: string;
  state: string;
  dpop: StoredKeyPair;
  returnTo: string;
}

const hashId = (id: string): string => createHash('sha256').update(id).digest('base64url');

export function sameSecret(a: string | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Only console paths may be returned to after sign-in: never another origin, never a protocol-relative URL. */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/admin\/[A-Za-z0-9/_.?=&%-]*$/.test(value) && !value.includes('//') ? value : '/admin/';
}

export class ConsoleSessions {
  readonly #store: HotStore;
  readonly #clock: Clock;
  readonly #ttlSeconds: number;
  readonly #secure: boolean;

  constructor(opts: { store: HotStore; clock: Clock; ttlSeconds: number; secure: boolean }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#ttlSeconds = opts.ttlSeconds;
    this.#secure = opts.secure;
  }

  #cookie(ctx: Context, name: string, value: string | null, maxAgeSeconds?: number): void {
    // Under an https issuer behind a TLS-terminating proxy, Koa may not know the connection is secure.
    if (this.#secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    ctx.cookies.set(name, value, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.#secure,
      path: COOKIE_PATH,
      overwrite: true,
      ...(maxAgeSeconds !== undefined && value !== null ? { maxAge: maxAgeSeconds * 1000 } : {}),
    });
  }

  async begin(ctx: Context, pending: PendingLogin): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    await this.#store.set(`admin-login:${hashId(id)}`, JSON.stringify(pending), 600);
    this.#cookie(ctx, LOGIN_COOKIE, id, 600);
  }

  /** The pending sign-in of this browser, usable once. */
  async takePending(ctx: Context): Promise<PendingLogin | undefined> {
    const id = ctx.cookies.get(LOGIN_COOKIE);
    this.#cookie(ctx, LOGIN_COOKIE, null);
    if (!id) return undefined;
    const raw = await this.#store.getDel(`admin-login:${hashId(id)}`);
    return raw ? JSON.parse(raw) as PendingLogin : undefined;
  }

  /** Starts a new session (a fresh id on every sign-in, so a planted cookie never becomes signed in). */
  async create(ctx: Context, data: Omit<ConsoleSession, 'csrf' | 'createdAt' | 'expiresAt'>): Promise<ConsoleSession> {
    await this.destroy(ctx);
    const id = randomBytes(32).toString('base64url');
    const now = this.#clock.now();
    const session: ConsoleSession = { ...data, csrf: randomBytes(24).toString('base64url'), createdAt: now, expiresAt: now + this.#ttlSeconds * 1000 };
    await this.#store.set(`admin-session:${hashId(id)}`, JSON.stringify(session), this.#ttlSeconds);
    this.#cookie(ctx, SESSION_COOKIE, id, this.#ttlSeconds);
    return session;
  }

  async load(ctx: Context): Promise<ConsoleSession | undefined> {
    const id = ctx.cookies.get(SESSION_COOKIE);
    if (!id || id.length > 100) return undefined;
    const raw = await this.#store.get(`admin-session:${hashId(id)}`);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as ConsoleSession;
    if (session.expiresAt <= this.#clock.now()) {
      await this.destroy(ctx);
      return undefined;
    }
    return session;
  }

  async destroy(ctx: Context): Promise<void> {
    const id = ctx.cookies.get(SESSION_COOKIE);
    if (id) await this.#store.del(`admin-session:${hashId(id)}`);
    this.#cookie(ctx, SESSION_COOKIE, null);
  }
}

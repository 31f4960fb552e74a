// The account page's server-side session, the admin console's pattern (src/whitelist/console/session.ts):
// the browser holds only a random id in an httpOnly, SameSite=Lax cookie on /account (Secure under
// https); who is signed in, the CSRF token and the ID token (for logout) stay in the HotStore, keyed by
// a hash of the id. Never the personnummer: the account id (a keyed pseudonym) is what the page reads by.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { HotStore } from '../../store/hotStore.ts';
import type { Clock } from '../../clock.ts';
import type { StoredKeyPair } from '../../idp/ownClients.ts';

export const ACCOUNT_COOKIE = 'gw_account';
export const ACCOUNT_LOGIN_COOKIE = 'gw_account_login';
const COOKIE_PATH = '/account';

export interface AccountSession {
  accountId: string;
  /** For "Inloggad som …" only. */
  name: string;
  /** The upstream (loa.providers key) the citizen signed in with. */
  method: string | undefined;
  /** The level and time (seconds since the epoch) of the e-ID sign-in, from the ID token: appointing an agent needs them. */
  acr?: string | undefined;
  authTime?: number | undefined;
  csrf: string;
  idToken: string | undefined;
  createdAt: number;
  expiresAt: number;
}

export interface PendingAccountLogin {
  verifier: string;
  state: string;
  dpop: StoredKeyPair;
}

const hashId = (id: string): string => createHash('sha256').update(id).digest('base64url');

export class AccountSessions {
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
    if (this.#secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    ctx.cookies.set(name, value, {
      httpOnly: true, sameSite: 'lax', secure: this.#secure, path: COOKIE_PATH, overwrite: true,
      ...(maxAgeSeconds !== undefined && value !== null ? { maxAge: maxAgeSeconds * 1000 } : {}),
    });
  }

  async begin(ctx: Context, pending: PendingAccountLogin): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    await this.#store.set(`account-login:${hashId(id)}`, JSON.stringify(pending), 600);
    this.#cookie(ctx, ACCOUNT_LOGIN_COOKIE, id, 600);
  }

  /** The pending sign-in of this browser, usable once. */
  async takePending(ctx: Context): Promise<PendingAccountLogin | undefined> {
    const id = ctx.cookies.get(ACCOUNT_LOGIN_COOKIE);
    this.#cookie(ctx, ACCOUNT_LOGIN_COOKIE, null);
    if (!id || id.length > 100) return undefined;
    const raw = await this.#store.getDel(`account-login:${hashId(id)}`);
    return raw ? JSON.parse(raw) as PendingAccountLogin : undefined;
  }

  /** A fresh id on every sign-in, so a planted cookie never becomes signed in. */
  async create(ctx: Context, data: Omit<AccountSession, 'csrf' | 'createdAt' | 'expiresAt'>): Promise<AccountSession> {
    await this.destroy(ctx);
    const id = randomBytes(32).toString('base64url');
    const now = this.#clock.now();
    const session: AccountSession = { ...data, csrf: randomBytes(24).toString('base64url'), createdAt: now, expiresAt: now + this.#ttlSeconds * 1000 };
    await this.#store.set(`account-session:${hashId(id)}`, JSON.stringify(session), this.#ttlSeconds);
    this.#cookie(ctx, ACCOUNT_COOKIE, id, this.#ttlSeconds);
    return session;
  }

  async load(ctx: Context): Promise<AccountSession | undefined> {
    const id = ctx.cookies.get(ACCOUNT_COOKIE);
    if (!id || id.length > 100) return undefined;
    const raw = await this.#store.get(`account-session:${hashId(id)}`);
    if (!raw) return undefined;
    const session = JSON.parse(raw) as AccountSession;
    if (session.expiresAt <= this.#clock.now()) {
      await this.destroy(ctx);
      return undefined;
    }
    return session;
  }

  async destroy(ctx: Context): Promise<void> {
    const id = ctx.cookies.get(ACCOUNT_COOKIE);
    if (id && id.length <= 100) await this.#store.del(`account-session:${hashId(id)}`);
    this.#cookie(ctx, ACCOUNT_COOKIE, null);
  }
}

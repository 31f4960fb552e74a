// The console's server-side session: the browser holds only a random id in an httpOnly, SameSite=Lax
// cookie (Secure under https); the staff member's DPoP-bound access token, its DPoP key and the CSRF
// token stay in the HotStore, keyed by a hash of the id so a copy of the store holds no usable
// cookie. Sessions end at their TTL (read from the injectable clock) or at logout.
import { timingSafeEqual } from 'node:crypto';
import { BrowserSessions, type SessionBase, type SessionOptions } from '../../http/browserSessions.ts';
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

export interface ConsoleSession extends SessionBase {
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

/** The console's sessions: cookies on /admin, keys `admin-session:` and `admin-login:` (src/http/browserSessions.ts). */
export class ConsoleSessions extends BrowserSessions<ConsoleSession, PendingLogin> {
  constructor(opts: SessionOptions) {
    super({ sessionCookie: SESSION_COOKIE, loginCookie: LOGIN_COOKIE, cookiePath: COOKIE_PATH, storePrefix: 'admin' }, opts);
  }
}

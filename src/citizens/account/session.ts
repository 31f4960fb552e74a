// The account page's server-side session, the admin console's kind (src/http/browserSessions.ts):
// the browser holds only a random id in an httpOnly, SameSite=Lax cookie on /account (Secure under
// https); who is signed in, the CSRF token and the ID token (for logout) stay in the HotStore, keyed by
// a hash of the id. Never the personnummer: the account id (a keyed pseudonym) is what the page reads by.
import { BrowserSessions, type SessionBase, type SessionOptions } from '../../http/browserSessions.ts';
import type { StoredKeyPair } from '../../idp/ownClients.ts';

export const ACCOUNT_COOKIE = 'gw_account';
export const ACCOUNT_LOGIN_COOKIE = 'gw_account_login';
const COOKIE_PATH = '/account';

export interface AccountSession extends SessionBase {
  accountId: string;
  /** For "Inloggad som …" only. */
  name: string;
  /** The upstream (loa.providers key) the citizen signed in with. */
  method: string | undefined;
  /** The level and time (seconds since the epoch) of the e-ID sign-in, from the ID token: appointing an agent needs them. */
  acr?: string | undefined;
  authTime?: number | undefined;
  idToken: string | undefined;
}

export interface PendingAccountLogin {
  verifier: string;
  state: string;
  dpop: StoredKeyPair;
}

/** The account page's sessions: cookies on /account, keys `account-session:` and `account-login:` (src/http/browserSessions.ts). */
export class AccountSessions extends BrowserSessions<AccountSession, PendingAccountLogin> {
  constructor(opts: SessionOptions) {
    super({ sessionCookie: ACCOUNT_COOKIE, loginCookie: ACCOUNT_LOGIN_COOKIE, cookiePath: COOKIE_PATH, storePrefix: 'account' }, opts);
  }
}

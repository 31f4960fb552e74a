// What an upstream with sessions of its own (a SAML IdP) said about the session it made — its NameID
// and SessionIndex — kept beside the gateway session it signed in, so that single logout can send
// that IdP a LogoutRequest naming the right session. Keyed by the account and the sign-in time
// (oidc-provider's loginTs, which finishLogin sets), so two browsers of one person stay apart.
import type { HotStore } from '../../store/hotStore.ts';

export interface UpstreamSessionFacts {
  upstream: string;
  /** The configured IdP id (saml.idps[].id). */
  idp: string;
  nameId: string;
  nameIdFormat?: string | undefined;
  sessionIndex?: string | undefined;
}

const key = (accountId: string, loginTs: number): string => `sso:upstream-session:${accountId}:${loginTs}`;

export class UpstreamSessions {
  readonly #store: HotStore;
  readonly #ttlSeconds: number;

  constructor(store: HotStore, ttlSeconds: number) {
    this.#store = store;
    this.#ttlSeconds = ttlSeconds;
  }

  async remember(accountId: string, loginTs: number, facts: UpstreamSessionFacts): Promise<void> {
    await this.#store.set(key(accountId, loginTs), JSON.stringify(facts), this.#ttlSeconds);
  }

  /** The facts, once: a logout uses them up. */
  async take(accountId: string, loginTs: number): Promise<UpstreamSessionFacts | undefined> {
    const raw = await this.#store.getDel(key(accountId, loginTs));
    return raw ? JSON.parse(raw) as UpstreamSessionFacts : undefined;
  }
}

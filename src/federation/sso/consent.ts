// Consents remembered across sessions: a person who approved a product's access once is not asked
// again on a later sign-in to it (the portal's passive sign-in would otherwise always stop at the
// consent page). What is remembered is what they approved — the OIDC scopes and claims — never the
// grant itself: each session gets a grant of its own, so revoking one (a replayed code, a logout)
// never reaches another browser's tokens. Logout forgets the consents of the products it signed out
// of; the next sign-in asks again.
import { createHash } from 'node:crypto';
import type { HotStore } from '../../store/hotStore.ts';

export interface Consented {
  scope: string;
  claims: string[];
}

const key = (accountId: string, clientId: string): string =>
  `sso:consent:${createHash('sha256').update(`${accountId}\n${clientId}`).digest('base64url')}`;

export class RememberedConsents {
  readonly #store: HotStore;
  readonly #ttlSeconds: number;

  constructor(store: HotStore, ttlSeconds: number) {
    this.#store = store;
    this.#ttlSeconds = ttlSeconds;
  }

  async remember(accountId: string, clientId: string, consented: Consented): Promise<void> {
    await this.#store.set(key(accountId, clientId), JSON.stringify(consented), this.#ttlSeconds);
  }

  async find(accountId: string, clientId: string): Promise<Consented | undefined> {
    const raw = await this.#store.get(key(accountId, clientId));
    return raw ? JSON.parse(raw) as Consented : undefined;
  }

  async forget(accountId: string, clientIds: string[]): Promise<void> {
    if (clientIds.length) await this.#store.del(...clientIds.map((c) => key(accountId, c)));
  }
}

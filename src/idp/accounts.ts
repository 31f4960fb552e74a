// Accounts as the OpenID Provider sees them. A citizen's account id is a keyed pseudonym of the
// personnummer, so ids in the store, logs and grants never reveal who the person is; the identity
// itself is kept only as long as a session or grant can still use it (data minimisation, rule 12).
import { createHmac } from 'node:crypto';
import type { HotStore } from '../store/hotStore.ts';
import { parseIdentityNumber } from '../personnummer.ts';

/** What an upstream e-ID proved about a person. */
export interface VerifiedIdentity {
  personalNumber: string;
  givenName: string;
  surname: string;
  name?: string;
}

export interface AccountRecord {
  kind: 'citizen';
  personalNumber: string;
  coordinationNumber: boolean;
  givenName: string;
  surname: string;
  name: string;
}

export class AccountStore {
  readonly #store: HotStore;
  readonly #key: string;
  readonly #ttlSeconds: number;

  constructor(store: HotStore, accountKey: string, ttlSeconds: number) {
    this.#store = store;
    this.#key = accountKey;
    this.#ttlSeconds = ttlSeconds;
  }

  /** The stable, pseudonymous account id for a personnummer: the same person gets the same id whatever e-ID they used. */
  accountIdFor(personalNumber: string): string {
    return createHmac('sha256', this.#key).update(`citizen:${personalNumber}`).digest('base64url');
  }

  /** Records the identity for the life of the session and returns the account id. */
  async remember(identity: VerifiedIdentity): Promise<string> {
    const parsed = parseIdentityNumber(identity.personalNumber);
    if (!parsed) throw new Error('upstream returned an invalid identity number');
    const accountId = this.accountIdFor(parsed.value);
    const record: AccountRecord = {
      kind: 'citizen',
      personalNumber: parsed.value,
      coordinationNumber: parsed.kind === 'samordningsnummer',
      givenName: identity.givenName,
      surname: identity.surname,
      name: identity.name ?? `${identity.givenName} ${identity.surname}`,
    };
    await this.#store.set(`account:${accountId}`, JSON.stringify(record), this.#ttlSeconds);
    return accountId;
  }

  async find(accountId: string): Promise<AccountRecord | undefined> {
    const raw = await this.#store.get(`account:${accountId}`);
    return raw ? (JSON.parse(raw) as AccountRecord) : undefined;
  }
}

// Accounts as the OpenID Provider sees them. A citizen's account id is a keyed pseudonym of the
// personnummer, so the same person is the same account whichever e-ID they used (BankID one day,
// Freja the next) and ids in the store, logs and grants never reveal who the person is. Staff
// accounts are keyed by HSA-id in a separate namespace: a clinician signing in with SITHS is never
// the same account as the same human signing in as a citizen. The identity itself is kept only as
// long as a session or grant can still use it (data minimisation, rule 12).
import { createHmac } from 'node:crypto';
import type { HotStore } from '../store/hotStore.ts';
import { parseIdentityNumber } from '../personnummer.ts';

/** What a citizen e-ID proved about a person. */
export interface VerifiedIdentity {
  kind?: 'citizen';
  personalNumber: string;
  givenName: string;
  surname: string;
  name?: string;
}

/** What a staff e-ID (SITHS card or SITHS IdP) proved: the HSA-id is the identity. */
export interface VerifiedStaffIdentity {
  kind: 'staff';
  hsaId: string;
  givenName: string;
  surname: string;
  name?: string;
  /** Present when the upstream released it (the SITHS IdP does; a card certificate does not). */
  personalNumber?: string;
  /** The employing organisation's organisation number (10 digits) and name. */
  orgNumber?: string;
  orgName?: string;
}

export type UpstreamIdentity = VerifiedIdentity | VerifiedStaffIdentity;

export interface CitizenRecord {
  kind: 'citizen';
  personalNumber: string;
  coordinationNumber: boolean;
  givenName: string;
  surname: string;
  name: string;
}

export interface StaffRecord {
  kind: 'staff';
  hsaId: string;
  personalNumber?: string;
  coordinationNumber?: boolean;
  orgNumber?: string;
  orgName?: string;
  givenName: string;
  surname: string;
  name: string;
}

export type AccountRecord = CitizenRecord | StaffRecord;

/** HSA-id: country code, the organisation's number, a dash and a local part (e.g. SE2321000016-A1B2). */
export const HSA_ID = /^SE\d{10}-[A-Za-z0-9]{1,31}$/;

export class IdentityRejected extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`identity rejected: ${reason}`);
    this.name = 'IdentityRejected';
    this.reason = reason;
  }
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

  /** The staff account id for an HSA-id, in its own namespace. */
  staffAccountIdFor(hsaId: string): string {
    return createHmac('sha256', this.#key).update(`staff:${hsaId}`).digest('base64url');
  }

  /** Records the identity for the life of the session and returns the account id. */
  async remember(identity: UpstreamIdentity): Promise<string> {
    const { accountId, record } = identity.kind === 'staff' ? this.#staff(identity) : this.#citizen(identity);
    await this.#store.set(`account:${accountId}`, JSON.stringify(record), this.#ttlSeconds);
    return accountId;
  }

  #citizen(identity: VerifiedIdentity): { accountId: string; record: CitizenRecord } {
    const parsed = parseIdentityNumber(identity.personalNumber);
    if (!parsed) throw new IdentityRejected('invalid_identity_number');
    return {
      accountId: this.accountIdFor(parsed.value),
      record: {
        kind: 'citizen',
        personalNumber: parsed.value,
        coordinationNumber: parsed.kind === 'samordningsnummer',
        givenName: identity.givenName,
        surname: identity.surname,
        name: identity.name ?? `${identity.givenName} ${identity.surname}`,
      },
    };
  }

  #staff(identity: VerifiedStaffIdentity): { accountId: string; record: StaffRecord } {
    if (!HSA_ID.test(identity.hsaId)) throw new IdentityRejected('invalid_hsa_id');
    const parsed = identity.personalNumber ? parseIdentityNumber(identity.personalNumber) : undefined;
    if (identity.personalNumber && !parsed) throw new IdentityRejected('invalid_identity_number');
    if (identity.orgNumber !== undefined && !/^\d{10}$/.test(identity.orgNumber)) throw new IdentityRejected('invalid_org_number');
    // Without a released organisation number, the HSA-id names the organisation that issued it.
    const orgNumber = identity.orgNumber ?? identity.hsaId.slice(2, 12);
    return {
      accountId: this.staffAccountIdFor(identity.hsaId),
      record: {
        kind: 'staff',
        hsaId: identity.hsaId,
        ...(parsed ? { personalNumber: parsed.value, coordinationNumber: parsed.kind === 'samordningsnummer' } : {}),
        orgNumber,
        ...(identity.orgName ? { orgName: identity.orgName } : {}),
        givenName: identity.givenName,
        surname: identity.surname,
        name: identity.name ?? `${identity.givenName} ${identity.surname}`,
      },
    };
  }

  async find(accountId: string): Promise<AccountRecord | undefined> {
    const raw = await this.#store.get(`account:${accountId}`);
    if (!raw) return undefined;
    const record = JSON.parse(raw) as AccountRecord;
    return record;
  }
}

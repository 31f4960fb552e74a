// The simulator's authentication transactions, in memory, with Freja's life cycle:
//   STARTED --(QR scanned / link opened)--> DELIVERED_TO_MOBILE --> APPROVED | REJECTED | CANCELED
//   and EXPIRED after two minutes, RP_CANCELED when the relying party cancels.
// Time moves only through the injected clock and is applied when a transaction is looked at, so
// tests expire one by moving a ManualClock.
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../../../clock.ts';
import { PENDING_STATUSES, type FrejaStatus, type RegistrationLevel } from '../client.ts';

/** What the tester makes the simulated Freja app do. `open` shows the request and leaves it waiting. */
export type AppOutcome = 'approve' | 'reject' | 'cancel' | 'expire' | 'open';
export const APP_OUTCOMES: readonly AppOutcome[] = ['approve', 'reject', 'cancel', 'expire', 'open'];

/** The levels a sandbox persona can hold in the simulated app; BASIC users have no personnummer. */
export const PERSONA_LEVELS = ['PLUS', 'EXTENDED'] as const satisfies readonly RegistrationLevel[];

const LEVEL_RANK: Record<RegistrationLevel, number> = { BASIC: 1, EXTENDED: 2, PLUS: 3 };

export interface SandboxPersona {
  id?: string;
  personalNumber: string;
  givenName: string;
  surname: string;
  description?: { sv: string; en: string };
}

/** The shape of config/sandbox/personas.json; Freja signs in citizens only. */
export interface SandboxPersonas {
  citizens: SandboxPersona[];
}

export interface Transaction {
  authRef: string;
  created: number;
  userInfoType: 'INFERRED' | 'SSN';
  /** With userInfoType SSN: the only person who may approve. */
  ssn: string | undefined;
  minRegistrationLevel: RegistrationLevel;
  attributesToReturn: string[];
  status: FrejaStatus;
  finishedAt: number | undefined;
  /** The signed result once approved. */
  details: string | undefined;
}

export interface NewTransaction {
  userInfoType: 'INFERRED' | 'SSN';
  ssn?: string;
  minRegistrationLevel: RegistrationLevel;
  attributesToReturn: string[];
}

export class TransactionNotPendingError extends Error {
  readonly transaction: Transaction;
  constructor(transaction: Transaction) {
    super(`transaction is ${transaction.status}`);
    this.transaction = transaction;
  }
}

/** The persona's registration level is below what the relying party asked for: Freja would not let them approve. */
export class LevelTooLowError extends Error {}

/** The transaction names another person (userInfoType SSN). */
export class PersonMismatchError extends Error {}

export interface ResultSigner {
  /** The certificate's x5t (base64url SHA-1 of its DER). */
  x5t: string;
  keyPem: string;
}

export interface TransactionBookOptions {
  signer: ResultSigner;
  clock?: Clock;
  /** Freja gives the person two minutes. */
  ttlSeconds?: number;
  /** How long a finished transaction can still be fetched. Default 600. */
  retainFinishedSeconds?: number;
  /**
   * Whether the app refuses a person below minRegistrationLevel, as Freja does. Off only in tests
   * that play a misbehaving upstream, to prove the gateway checks the level itself.
   */
  enforceMinRegistrationLevel?: boolean;
}

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

export class TransactionBook {
  readonly clock: Clock;
  readonly ttlSeconds: number;
  readonly retainFinishedSeconds: number;
  readonly #enforceLevel: boolean;
  readonly #signer: { x5t: string; key: KeyObject };
  readonly #transactions = new Map<string, Transaction>();

  constructor(options: TransactionBookOptions) {
    this.clock = options.clock ?? systemClock;
    this.ttlSeconds = options.ttlSeconds ?? 120;
    this.retainFinishedSeconds = options.retainFinishedSeconds ?? 600;
    this.#enforceLevel = options.enforceMinRegistrationLevel ?? true;
    this.#signer = { x5t: options.signer.x5t, key: createPrivateKey(options.signer.keyPem) };
  }

  create(input: NewTransaction): Transaction {
    const tx: Transaction = {
      // Freja's references are long, URL-safe and unguessable.
      authRef: randomBytes(48).toString('base64url'),
      created: this.clock.now(),
      userInfoType: input.userInfoType,
      ssn: input.ssn,
      minRegistrationLevel: input.minRegistrationLevel,
      attributesToReturn: [...input.attributesToReturn],
      status: 'STARTED',
      finishedAt: undefined,
      details: undefined,
    };
    this.#transactions.set(tx.authRef, tx);
    return tx;
  }

  /** The transaction as it stands now, or undefined once forgotten. */
  get(authRef: string): Transaction | undefined {
    const tx = this.#transactions.get(authRef);
    return tx ? this.#age(tx) : undefined;
  }

  /** The relying party cancels: a running transaction becomes RP_CANCELED; false if there is none to cancel. */
  cancel(authRef: string): boolean {
    const tx = this.get(authRef);
    if (!tx || !PENDING_STATUSES.includes(tx.status)) return false;
    this.#finish(tx, 'RP_CANCELED');
    return true;
  }

  /** What the simulated app does with a running transaction, as `persona` at `level`. */
  act(authRef: string, outcome: AppOutcome, persona: SandboxPersona, level: RegistrationLevel): Transaction {
    const tx = this.get(authRef);
    if (!tx) throw new Error('unknown transaction');
    if (!PENDING_STATUSES.includes(tx.status)) throw new TransactionNotPendingError(tx);
    if (outcome === 'expire') {
      this.#finish(tx, 'EXPIRED');
      return tx;
    }
    if (tx.userInfoType === 'SSN' && tx.ssn !== persona.personalNumber) throw new PersonMismatchError();
    if (this.#enforceLevel && LEVEL_RANK[level] < LEVEL_RANK[tx.minRegistrationLevel] && outcome !== 'cancel' && outcome !== 'reject') {
      throw new LevelTooLowError();
    }
    tx.status = 'DELIVERED_TO_MOBILE';
    switch (outcome) {
      case 'open':
        break;
      case 'approve':
        this.#finish(tx, 'APPROVED');
        tx.details = this.#sign(tx, persona, level);
        break;
      case 'reject':
        this.#finish(tx, 'REJECTED');
        break;
      case 'cancel':
        this.#finish(tx, 'CANCELED');
        break;
    }
    return tx;
  }

  /** Transactions still running (after expiry is applied). */
  pending(): Transaction[] {
    for (const tx of [...this.#transactions.values()]) this.#age(tx);
    return [...this.#transactions.values()].filter((tx) => PENDING_STATUSES.includes(tx.status));
  }

  /** The signed statement Freja puts in `details`: RS256 over the result, the certificate named by x5t. */
  #sign(tx: Transaction, persona: SandboxPersona, level: RegistrationLevel): string {
    const requestedAttributes: Record<string, unknown> = {};
    const wants = (a: string) => tx.attributesToReturn.includes(a);
    if (wants('BASIC_USER_INFO')) requestedAttributes.basicUserInfo = { name: persona.givenName, surname: persona.surname };
    if (wants('SSN')) requestedAttributes.ssn = { ssn: persona.personalNumber, country: 'SE' };
    if (wants('REGISTRATION_LEVEL')) requestedAttributes.registrationLevel = level;
    const payload = {
      authRef: tx.authRef,
      status: tx.status,
      userInfoType: tx.userInfoType,
      userInfo: tx.userInfoType === 'SSN' ? Buffer.from(JSON.stringify({ country: 'SE', ssn: tx.ssn })).toString('base64') : 'N/A',
      minRegistrationLevel: tx.minRegistrationLevel,
      requestedAttributes,
      timestamp: this.clock.now(),
    };
    const signingInput = `${b64url(JSON.stringify({ x5t: this.#signer.x5t, alg: 'RS256' }))}.${b64url(JSON.stringify(payload))}`;
    return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), this.#signer.key))}`;
  }

  #finish(tx: Transaction, status: FrejaStatus, at = this.clock.now()): void {
    tx.status = status;
    tx.finishedAt = at;
  }

  #age(tx: Transaction): Transaction | undefined {
    const now = this.clock.now();
    const ttl = this.ttlSeconds * 1000;
    if (PENDING_STATUSES.includes(tx.status) && now - tx.created >= ttl) this.#finish(tx, 'EXPIRED', tx.created + ttl);
    if (tx.finishedAt !== undefined && now - tx.finishedAt >= this.retainFinishedSeconds * 1000) {
      this.#transactions.delete(tx.authRef);
      return undefined;
    }
    return tx;
  }
}

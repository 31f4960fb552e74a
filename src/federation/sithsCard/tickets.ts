// The two one-time tickets that carry a card sign-in from the issuer to the TLS endpoint that asks for
// the card (possibly another host) and back. Both live in the HotStore, so any instance can serve any
// leg, and both are taken with getDel, so each works exactly once.
//
//   start ticket  : made by /interaction/:uid/siths-card/start, bound to the interaction; its holder
//                   (the browser that started) takes it to <publicUrl>/siths/card/<start ticket>.
//   result ticket : made by the card endpoint after checking the certificate, holding the identity or
//                   the refusal; only the browser that presented the card sees it, in the redirect to
//                   <issuer>/interaction/<uid>/siths-card/resume?ticket=<result ticket>.
//
// Two tickets rather than one: the start ticket is known to whoever started the sign-in. Were the
// result stored under it, someone could start a sign-in, lure a member of staff's browser to the card
// link, and then resume with their own interaction cookie as that person. The result ticket never
// reaches the starter unless the starter's browser is the one that presented the card.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import type { VerifiedStaffIdentity } from '../../idp/accounts.ts';
import type { CardRefusalReason } from './refusals.ts';

/** How long a browser has to go to the card endpoint, and to come back from it. */
export const TICKET_TTL_SECONDS = 120;

const START = 'sithsCard:start:';
const RESULT = 'sithsCard:result:';
// 32 random bytes, base64url: what newTicket makes; anything else is not looked up at all.
const TICKET_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export interface StartTicket {
  uid: string;
  locale: Locale;
  expiresAt: number;
}

/** What the card endpoint found; the names and HSA-id stay in the store for at most the ticket's TTL. */
export type CardOutcome =
  | { ok: true; identity: VerifiedStaffIdentity }
  | { ok: false; reason: CardRefusalReason; detail?: string };

export interface ResultTicket {
  uid: string;
  locale: Locale;
  expiresAt: number;
  outcome: CardOutcome;
}

const newTicket = (): string => randomBytes(32).toString('base64url');

export const isTicket = (value: unknown): value is string => typeof value === 'string' && TICKET_FORMAT.test(value);

export class CardTickets {
  readonly #store: HotStore;
  readonly #clock: Clock;

  constructor(store: HotStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async start(uid: string, locale: Locale): Promise<string> {
    const ticket = newTicket();
    const value: StartTicket = { uid, locale, expiresAt: this.#clock.now() + TICKET_TTL_SECONDS * 1000 };
    await this.#store.set(START + ticket, JSON.stringify(value), TICKET_TTL_SECONDS);
    return ticket;
  }

  /** Takes the start ticket (once); undefined when unknown, used or expired. */
  takeStart(ticket: unknown): Promise<StartTicket | undefined> {
    return this.#take<StartTicket>(START, ticket);
  }

  async result(start: StartTicket, outcome: CardOutcome): Promise<string> {
    const ticket = newTicket();
    const value: ResultTicket = { uid: start.uid, locale: start.locale, expiresAt: this.#clock.now() + TICKET_TTL_SECONDS * 1000, outcome };
    await this.#store.set(RESULT + ticket, JSON.stringify(value), TICKET_TTL_SECONDS);
    return ticket;
  }

  /** Takes the result ticket (once); undefined when unknown, used or expired. */
  takeResult(ticket: unknown): Promise<ResultTicket | undefined> {
    return this.#take<ResultTicket>(RESULT, ticket);
  }

  async #take<T extends { expiresAt: number }>(prefix: string, ticket: unknown): Promise<T | undefined> {
    if (!isTicket(ticket)) return undefined;
    const raw = await this.#store.getDel(prefix + ticket);
    if (!raw) return undefined;
    const value = JSON.parse(raw) as T;
    // The store's TTL is the backstop; the clock decides (a Redis TTL does not follow a test's clock).
    return this.#clock.now() <= value.expiresAt ? value : undefined;
  }
}

// Jump tickets (docs/sso.md, "Jumps"): what POST /sso/jump hands the target product, through the
// citizen's browser, so that the target's own PAR request signs the citizen in without a prompt. A
// ticket is single-use, lives about a minute, and is bound to the gateway session it was issued for,
// the source and target products and the deep link. It is `jt1.<id>.<mac>`: the id names a record
// in the hot store (so every instance can consume it, once, atomically), and the MAC under the
// gateway's key tells a tampered ticket from one that merely expired or was used. The ticket says
// nothing about the citizen: whoever reads it learns no personal data.
//
// Accepting a ticket is a pipeline of the decision primitive (TICKET_CHECKS); the PAR endpoint runs
// the same checks without consuming (PAR_TICKET_CHECKS), since only the browser's session, at the
// interaction, can show whose ticket it is.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { HotStore } from '../../store/hotStore.ts';
import { checksFor, Pipeline, refuse } from '../../decision.ts';

export const TICKET_REASONS = [
  'ticket_missing', 'ticket_malformed', 'ticket_tampered', 'ticket_unknown', 'ticket_replayed', 'ticket_expired',
  'ticket_foreign_client', 'ticket_foreign_session',
] as const;
export type TicketReason = (typeof TICKET_REASONS)[number];

/** What a ticket is bound to and carries; no personal data (the account id is the gateway's pseudonym). */
export interface TicketRecord {
  /** The gateway session (oidc-provider's session uid) the jump was made from. */
  sessionUid: string;
  accountId: string;
  /** The login the session holds, so the target's ID token names the same e-ID, level and auth_time. */
  acr: string;
  amr: string[];
  loginTs: number;
  sourceClientId: string;
  targetClientId: string;
  deepLink: string;
  /** Milliseconds since the epoch (the one clock). */
  expiresAt: number;
}

export interface TicketDeps {
  store: HotStore;
  clock: Clock;
  /** The MAC key (derived from the gateway's secrets, never the secret itself). */
  key: Buffer;
}

const PREFIX = 'jt1';
const ID = /^[A-Za-z0-9_-]{32}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;
const recordKey = (id: string) => `sso:jump:${id}`;
const usedKey = (id: string) => `sso:jump-used:${id}`;

const macOf = (key: Buffer, id: string) => createHmac('sha256', key).update(`${PREFIX}.${id}`).digest('base64url');

/** Derives the ticket MAC key from a gateway secret (its own label, so no other use shares it). */
export const ticketKey = (secret: string): Buffer => createHmac('sha256', secret).update('vardgateway jump ticket v1').digest();

export interface TicketInput {
  ticket: unknown;
  /** The client whose request carries the ticket. */
  clientId: string;
  /** The browser's gateway session at the interaction; absent at PAR (no browser there). */
  sessionUid?: string | undefined;
}

const { check, asyncCheck } = checksFor<TicketReason, TicketDeps>();

export const ticketPresent = check('ticket_present', (s: TicketInput) =>
  (typeof s.ticket === 'string' && s.ticket.length > 0 ? { value: s.ticket } : refuse('ticket_missing', 'no jump_ticket')));

export const ticketWellFormed = check('ticket_well_formed', (s: { value: string }) => {
  const [prefix, id, mac, ...rest] = s.value.split('.');
  if (prefix !== PREFIX || !id || !mac || rest.length || !ID.test(id) || !MAC.test(mac)) return refuse('ticket_malformed', 'not a jump ticket of this gateway');
  return { id, mac };
});

export const ticketAuthentic = check('ticket_authentic', (s: { id: string; mac: string }, d) => {
  const expected = Buffer.from(macOf(d.key, s.id));
  const given = Buffer.from(s.mac);
  return expected.length === given.length && timingSafeEqual(expected, given) ? undefined : refuse('ticket_tampered', 'the ticket\'s MAC does not verify');
});

/** The record, read without consuming it; a used ticket says so rather than "unknown". */
export const ticketKnown = asyncCheck('ticket_known', async (s: { id: string }, d) => {
  const raw = await d.store.get(recordKey(s.id));
  if (!raw) return (await d.store.get(usedKey(s.id))) ? refuse('ticket_replayed', 'the ticket was used before') : refuse('ticket_unknown', 'no such ticket (never issued, or long gone)');
  return { record: JSON.parse(raw) as TicketRecord };
});

export const ticketFresh = check('ticket_fresh', (s: { record: TicketRecord }, d) =>
  (d.clock.now() < s.record.expiresAt ? undefined : refuse('ticket_expired', 'the ticket has expired')));

export const ticketForClient = check('ticket_for_client', (s: TicketInput & { record: TicketRecord }) =>
  (s.record.targetClientId === s.clientId ? undefined : refuse('ticket_foreign_client', 'the ticket was issued for another product')));

export const ticketForSession = check('ticket_for_session', (s: TicketInput & { record: TicketRecord }) =>
  (s.sessionUid !== undefined && s.sessionUid === s.record.sessionUid ? undefined : refuse('ticket_foreign_session', 'the ticket belongs to another browser session')));

/** Single use across instances: getDel answers the record to one caller only; the marker names a replay. */
export const ticketConsumed = asyncCheck('ticket_consumed', async (s: { id: string; record: TicketRecord }, d) => {
  const taken = await d.store.getDel(recordKey(s.id));
  if (!taken) return refuse('ticket_replayed', 'the ticket was used at the same moment by another request');
  const leftMs = Math.max(0, s.record.expiresAt - d.clock.now());
  await d.store.set(usedKey(s.id), '1', Math.ceil(leftMs / 1000) + TICKET_GRACE_SECONDS);
  return undefined;
});

/** The ticket's record outlives its expiry by this much, so a late use is "expired", not "unknown". */
const TICKET_GRACE_SECONDS = 300;

const common = Pipeline.of<TicketInput, TicketReason, TicketDeps>()
  .then(ticketPresent)
  .then(ticketWellFormed)
  .then(ticketAuthentic)
  .then(ticketKnown)
  .then(ticketFresh)
  .then(ticketForClient);

/** At the interaction: every check, then the one use. */
export const ticketChecks = common.then(ticketForSession).then(ticketConsumed);
/** At PAR: is this a live ticket for this product (the browser is not there yet to show whose). */
export const parTicketChecks = common;

export const TICKET_CHECKS = { interaction: ticketChecks.names, par: parTicketChecks.names };

export class JumpTickets {
  readonly #d: TicketDeps;
  readonly lifetimeSeconds: number;

  constructor(deps: TicketDeps, lifetimeSeconds = 60) {
    this.#d = deps;
    this.lifetimeSeconds = lifetimeSeconds;
  }

  async issue(binding: Omit<TicketRecord, 'expiresAt'>): Promise<string> {
    const id = randomBytes(24).toString('base64url');
    const record: TicketRecord = { ...binding, expiresAt: this.#d.clock.now() + this.lifetimeSeconds * 1000 };
    await this.#d.store.set(recordKey(id), JSON.stringify(record), this.lifetimeSeconds + TICKET_GRACE_SECONDS);
    return `${PREFIX}.${id}.${macOf(this.#d.key, id)}`;
  }

  /** Consumes the ticket if every check passes (interaction). */
  accept(input: TicketInput) {
    return ticketChecks.run(input, this.#d);
  }

  /** Checks without consuming (PAR). */
  peek(input: TicketInput) {
    return parTicketChecks.run(input, this.#d);
  }
}

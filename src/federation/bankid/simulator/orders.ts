// The simulator's orders, in memory, with BankID's life cycle:
//   pending/outstandingTransaction --(QR scanned or app opened)--> pending/userSign --> complete
//   and failed/{userCancel, expiredTransaction, startFailed, cancelled} on the way.
// Time only moves through the injected clock and is applied when an order is looked at, so tests can
// expire an order by moving a ManualClock instead of waiting.
import type { AuthRequirement } from '../client.ts';
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../../clock.ts';
import { sandboxCompletion, type Completion } from './completion.ts';

export type OrderStatus = 'pending' | 'failed' | 'complete';

/** What the tester makes the simulated BankID app do with an order. `userSign` opens it and leaves it waiting. */
export type AppOutcome = 'complete' | 'userCancel' | 'expiredTransaction' | 'startFailed' | 'userSign';
export const APP_OUTCOMES: readonly AppOutcome[] = ['complete', 'userCancel', 'expiredTransaction', 'startFailed', 'userSign'];

export interface SandboxPersona {
  id?: string;
  personalNumber: string;
  givenName: string;
  surname: string;
  description?: { sv: string; en: string };
}

/** The shape of config/sandbox/personas.json (other fields are ignored here). */
export interface SandboxPersonas {
  citizens: SandboxPersona[];
  staff?: SandboxPersona[];
}

export const allPersonas = (personas: SandboxPersonas): SandboxPersona[] => [...personas.citizens, ...(personas.staff ?? [])];

/** The same wire object the RP sends in `auth`; one definition for both ends of the API. */
export type OrderRequirement = AuthRequirement;

export interface Order {
  orderRef: string;
  autoStartToken: string;
  qrStartToken: string;
  qrStartSecret: string;
  /** ms since the epoch, by the order book's clock. */
  created: number;
  endUserIp: string;
  requirement: OrderRequirement;
  returnRisk: boolean;
  status: OrderStatus;
  /** Absent once complete, as in the RP API. */
  hintCode: string | undefined;
  completion: Completion | undefined;
  /** Who opened the order in the app, once someone has. */
  personalNumber: string | undefined;
  openedVia: 'qr' | 'autostart' | undefined;
  finishedAt: number | undefined;
}

export interface NewOrder {
  endUserIp: string;
  requirement?: OrderRequirement;
  returnRisk?: boolean;
}

export interface OrderBookOptions {
  clock?: Clock;
  /** How long an order waits to be opened (QR scanned / autostart) before it expires. BankID: 30 s. */
  orderTtlSeconds?: number;
  /** How long an order may live in total before it expires, also once opened. */
  signTtlSeconds?: number;
  /** How long a finished order can still be collected before it is forgotten. */
  retainFinishedSeconds?: number;
}

/** Thrown by create(): BankID refuses a second order for a person and cancels the first. */
export class AlreadyInProgressError extends Error {
  constructor() {
    super('An order for this user is already in progress');
    this.name = 'AlreadyInProgressError';
  }
}

export class OrderNotPendingError extends Error {
  readonly order: Order;
  constructor(order: Order) {
    super(`The order is ${order.status}`);
    this.name = 'OrderNotPendingError';
    this.order = order;
  }
}

export class OrderBook {
  readonly clock: Clock;
  readonly orderTtlSeconds: number;
  readonly signTtlSeconds: number;
  readonly retainFinishedSeconds: number;
  readonly #orders = new Map<string, Order>();

  constructor(options: OrderBookOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.orderTtlSeconds = options.orderTtlSeconds ?? 30;
    this.signTtlSeconds = Math.max(options.signTtlSeconds ?? 180, this.orderTtlSeconds);
    this.retainFinishedSeconds = options.retainFinishedSeconds ?? 300;
  }

  create(input: NewOrder): Order {
    this.#sweep();
    const wanted = input.requirement?.personalNumber;
    if (wanted) {
      const clashing = [...this.#orders.values()].filter(
        (o) => o.status === 'pending' && (o.requirement.personalNumber === wanted || o.personalNumber === wanted),
      );
      if (clashing.length) {
        // As BankID does: the order already in progress fails with `cancelled`, the new one is never created.
        for (const o of clashing) this.#fail(o, 'cancelled');
        throw new AlreadyInProgressError();
      }
    }
    const order: Order = {
      orderRef: randomUUID(),
      autoStartToken: randomUUID(),
      qrStartToken: randomUUID(),
      qrStartSecret: randomUUID(),
      created: this.clock.now(),
      endUserIp: input.endUserIp,
      requirement: { ...input.requirement },
      returnRisk: input.returnRisk ?? false,
      status: 'pending',
      hintCode: 'outstandingTransaction',
      completion: undefined,
      personalNumber: undefined,
      openedVia: undefined,
      finishedAt: undefined,
    };
    this.#orders.set(order.orderRef, order);
    return order;
  }

  /** The order as it stands now, or undefined once cancelled or forgotten. */
  get(orderRef: string): Order | undefined {
    const order = this.#orders.get(orderRef);
    return order ? this.#age(order) : undefined;
  }

  findByAutoStartToken(token: string): Order | undefined {
    for (const o of this.#orders.values()) if (o.autoStartToken === token) return this.#age(o);
    return undefined;
  }

  findByQrStartToken(token: string): Order | undefined {
    for (const o of this.#orders.values()) if (o.qrStartToken === token) return this.#age(o);
    return undefined;
  }

  /** Whole seconds since the order was created: the number an honest QR code carries now. */
  secondsSinceCreated(order: Order): number {
    return Math.max(0, Math.floor((this.clock.now() - order.created) / 1000));
  }

  /** Removes the order, pending or not; false when it is not (or no longer) known. */
  cancel(orderRef: string): boolean {
    return this.#orders.delete(orderRef);
  }

  /**
   * What the simulated app does with a pending order: open it (userSign) for `persona`, then finish it
   * with `outcome`. `appIp` is the address the app called from, reported as completionData.device.ipAddress.
   */
  act(orderRef: string, via: 'qr' | 'autostart', outcome: AppOutcome, persona: SandboxPersona, appIp?: string): Order {
    const order = this.get(orderRef);
    if (!order) throw new Error('unknown order');
    if (order.status !== 'pending') throw new OrderNotPendingError(order);
    if (outcome === 'startFailed') {
      // The app never got going, so nobody is known to have opened the order.
      this.#fail(order, 'startFailed');
      return order;
    }
    order.openedVia = via;
    order.personalNumber = persona.personalNumber;
    order.hintCode = 'userSign';
    switch (outcome) {
      case 'userSign':
        break;
      case 'complete':
        order.status = 'complete';
        order.hintCode = undefined;
        order.finishedAt = this.clock.now();
        order.completion = sandboxCompletion(order, persona, appIp ?? order.endUserIp, this.clock.now());
        break;
      case 'userCancel':
      case 'expiredTransaction':
        this.#fail(order, outcome);
        break;
    }
    return order;
  }

  /** Orders still pending (after expiry is applied). */
  pending(): Order[] {
    this.#sweep();
    return [...this.#orders.values()].filter((o) => o.status === 'pending');
  }

  get size(): number {
    this.#sweep();
    return this.#orders.size;
  }

  #fail(order: Order, hintCode: string, at = this.clock.now()): void {
    order.status = 'failed';
    order.hintCode = hintCode;
    order.finishedAt = at;
  }

  #age(order: Order): Order | undefined {
    const now = this.clock.now();
    if (order.status === 'pending') {
      const opened = order.hintCode === 'userSign';
      const ttl = (opened ? this.signTtlSeconds : this.orderTtlSeconds) * 1000;
      if (now - order.created >= ttl) this.#fail(order, 'expiredTransaction', order.created + ttl);
    }
    if (order.finishedAt !== undefined && now - order.finishedAt >= this.retainFinishedSeconds * 1000) {
      this.#orders.delete(order.orderRef);
      return undefined;
    }
    return order;
  }

  #sweep(): void {
    for (const o of [...this.#orders.values()]) this.#age(o);
  }
}

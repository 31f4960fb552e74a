// One BankID sign-in, tied to one OIDC interaction: start an order, render the animated QR code,
// collect at BankID's pace, cancel when the person gives up. The order's secrets (qrStartSecret,
// orderRef) stay on the server; the browser only ever sees the current QR content.
import type { HotStore } from '../../store/hotStore.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import type { VerifiedIdentity } from '../../idp/accounts.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { BankIdError, type BankIdClient } from './client.ts';
import { qrContent } from './qr.ts';
import { userMessage } from './messages.ts';

export type Mode = 'qr' | 'autostart';

interface OrderState {
  orderRef: string;
  autoStartToken: string;
  qrStartToken: string;
  qrStartSecret: string;
  mode: Mode;
  startedAt: number;
  lastCollectAt: number;
  status: 'pending' | 'failed' | 'complete';
  hintCode?: string;
  errorCode?: string;
}

export interface LoginStatus {
  status: 'pending' | 'failed' | 'complete';
  message: { code: string; text: string };
  /** Current QR content while pending in QR mode. */
  qr?: string;
  identity?: VerifiedIdentity;
}

export interface BankIdLoginOptions {
  client: BankIdClient;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  collectIntervalMs: number;
}

// An order lives at BankID for at most 30 s unscanned and a few minutes in total; keep a margin.
const STATE_TTL_SECONDS = 300;

export class BankIdLogin {
  readonly #o: BankIdLoginOptions;

  constructor(options: BankIdLoginOptions) {
    this.#o = options;
  }

  #key(uid: string): string {
    return `bankid:login:${uid}`;
  }

  async #load(uid: string): Promise<OrderState | undefined> {
    const raw = await this.#o.store.get(this.#key(uid));
    return raw ? (JSON.parse(raw) as OrderState) : undefined;
  }

  async #save(uid: string, state: OrderState): Promise<void> {
    await this.#o.store.set(this.#key(uid), JSON.stringify(state), STATE_TTL_SECONDS);
  }

  /** Starts an order for this interaction, cancelling any earlier one so at most one is alive. */
  async start(uid: string, endUserIp: string, mode: Mode): Promise<{ autoStartToken: string }> {
    await this.cancel(uid);
    const order = await this.#o.client.auth({ endUserIp });
    const now = this.#o.clock.now();
    await this.#save(uid, {
      orderRef: order.orderRef,
      autoStartToken: order.autoStartToken,
      qrStartToken: order.qrStartToken,
      qrStartSecret: order.qrStartSecret,
      mode,
      startedAt: now,
      lastCollectAt: 0,
      status: 'pending',
      hintCode: 'outstandingTransaction',
    });
    return { autoStartToken: order.autoStartToken };
  }

  async autoStartToken(uid: string): Promise<string | undefined> {
    return (await this.#load(uid))?.autoStartToken;
  }

  /**
   * The order's status for the page. Polled every second for the QR code; BankID itself is asked at
   * most once per collect interval (BankID asks relying parties to collect every two seconds).
   */
  async status(uid: string, locale: Locale): Promise<LoginStatus | undefined> {
    const state = await this.#load(uid);
    if (!state) return undefined;
    const now = this.#o.clock.now();
    let identity: VerifiedIdentity | undefined;

    if (state.status === 'pending' && now - state.lastCollectAt >= this.#o.collectIntervalMs) {
      state.lastCollectAt = now;
      try {
        const result = await this.#o.client.collect(state.orderRef);
        state.status = result.status;
        state.hintCode = result.hintCode;
        if (result.status === 'complete' && result.completionData) {
          const u = result.completionData.user;
          identity = { personalNumber: u.personalNumber, givenName: u.givenName, surname: u.surname, name: u.name };
        }
      } catch (err) {
        const code = err instanceof BankIdError ? err.errorCode : 'network';
        this.#o.logger.warn({ errorCode: code }, 'bankid collect failed');
        state.status = 'failed';
        state.errorCode = code;
        state.hintCode = undefined;
      }
      if (state.status === 'pending') await this.#save(uid, state);
      // A finished order is of no further use: its identity goes to the caller once, never to the store.
      else await this.#o.store.del(this.#key(uid));
    }

    const message = userMessage(
      { status: state.status, hintCode: state.hintCode, errorCode: state.errorCode, qr: state.mode === 'qr' },
      locale,
    );
    const out: LoginStatus = { status: state.status, message };
    if (state.status === 'pending' && state.mode === 'qr') {
      const seconds = Math.floor((now - state.startedAt) / 1000);
      out.qr = qrContent(state.qrStartToken, state.qrStartSecret, seconds);
    }
    if (identity) out.identity = identity;
    return out;
  }

  /** Cancels the order at BankID (the person gave up or restarted); never throws. */
  async cancel(uid: string): Promise<void> {
    const state = await this.#load(uid);
    if (!state) return;
    await this.#o.store.del(this.#key(uid));
    if (state.status !== 'pending') return;
    try {
      await this.#o.client.cancel(state.orderRef);
    } catch (err) {
      this.#o.logger.info({ errorCode: err instanceof BankIdError ? err.errorCode : 'network' }, 'bankid cancel failed');
    }
  }
}


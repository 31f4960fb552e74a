// One Freja eID sign-in, tied to one OIDC interaction: start a transaction at the registration level
// the interaction needs, show its QR code (or the same-device link), ask Freja for the result at most
// once per poll interval, and cancel when the person gives up. Only a verified result (result.ts,
// identity.ts) ever leaves this module, and it leaves once: it is never written to the store.
import type { HotStore } from '../../store/hotStore.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import type { VerifiedIdentity } from '../../idp/accounts.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { FrejaError, PENDING_STATUSES, type FrejaClient, type FrejaStatus, type RegistrationLevel } from './client.ts';
import { FrejaIdentityRejected, signInFrom } from './identity.ts';
import { userMessage, type FrejaMessage } from './messages.ts';
import { qrContent } from './qr.ts';

export type Mode = 'qr' | 'autostart';

interface TransactionState {
  authRef: string;
  mode: Mode;
  startedAt: number;
  lastPollAt: number;
  status: FrejaStatus;
  /** Set when a call failed or the result was refused; the sign-in has then failed. */
  errorCode?: string;
}

export interface LoginStatus {
  status: 'pending' | 'failed' | 'complete';
  message: FrejaMessage;
  /** QR content while pending in QR mode. */
  qr?: string;
  identity?: VerifiedIdentity;
  registrationLevel?: string;
}

export interface FrejaLoginOptions {
  client: FrejaClient;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  pollIntervalMs: number;
}

// Freja gives the person two minutes; keep the state a little longer so the page can say it expired.
const STATE_TTL_SECONDS = 300;

export class FrejaLogin {
  readonly #o: FrejaLoginOptions;

  constructor(options: FrejaLoginOptions) {
    this.#o = options;
  }

  #key(uid: string): string {
    return `freja:login:${uid}`;
  }

  async #load(uid: string): Promise<TransactionState | undefined> {
    const raw = await this.#o.store.get(this.#key(uid));
    return raw ? (JSON.parse(raw) as TransactionState) : undefined;
  }

  async #save(uid: string, state: TransactionState): Promise<void> {
    await this.#o.store.set(this.#key(uid), JSON.stringify(state), STATE_TTL_SECONDS);
  }

  /**
   * Starts a transaction for anyone who scans or opens it (userInfoType INFERRED), asking Freja to
   * accept only users at `minRegistrationLevel` or above; any earlier transaction is cancelled first.
   */
  async start(uid: string, mode: Mode, minRegistrationLevel: RegistrationLevel): Promise<{ authRef: string }> {
    await this.cancel(uid);
    const { authRef } = await this.#o.client.initAuthentication({ user: { type: 'INFERRED' }, minRegistrationLevel });
    await this.#save(uid, { authRef, mode, startedAt: this.#o.clock.now(), lastPollAt: 0, status: 'STARTED' });
    return { authRef };
  }

  async authRef(uid: string): Promise<string | undefined> {
    return (await this.#load(uid))?.authRef;
  }

  /** The transaction's status for the page; Freja itself is asked at most once per poll interval. */
  async status(uid: string, locale: Locale): Promise<LoginStatus | undefined> {
    const state = await this.#load(uid);
    if (!state) return undefined;
    const now = this.#o.clock.now();
    let signIn: { identity: VerifiedIdentity; registrationLevel: string } | undefined;

    if (!state.errorCode && PENDING_STATUSES.includes(state.status) && now - state.lastPollAt >= this.#o.pollIntervalMs) {
      state.lastPollAt = now;
      try {
        const result = await this.#o.client.getOneResult(state.authRef);
        state.status = result.status;
        if (result.status === 'APPROVED') signIn = signInFrom(result.details);
      } catch (err) {
        const code = err instanceof FrejaError ? err.errorCode : err instanceof FrejaIdentityRejected ? 'badResult' : 'network';
        this.#o.logger.warn({ errorCode: code, reason: err instanceof FrejaIdentityRejected ? err.reason : undefined }, 'freja result refused or unavailable');
        state.errorCode = code;
      }
      if (!state.errorCode && PENDING_STATUSES.includes(state.status)) await this.#save(uid, state);
      // A finished transaction is of no further use: its identity goes to the caller once, never to the store.
      else await this.#o.store.del(this.#key(uid));
    }

    const overall: LoginStatus['status'] = state.errorCode
      ? 'failed'
      : PENDING_STATUSES.includes(state.status) ? 'pending' : state.status === 'APPROVED' ? 'complete' : 'failed';
    const out: LoginStatus = {
      status: overall,
      message: userMessage({ status: state.status, errorCode: state.errorCode, qr: state.mode === 'qr' }, locale),
    };
    if (overall === 'pending' && state.mode === 'qr') out.qr = qrContent(state.authRef);
    if (signIn) {
      out.identity = signIn.identity;
      out.registrationLevel = signIn.registrationLevel;
    }
    return out;
  }

  /** Cancels the transaction at Freja (the person gave up or restarted); never throws. */
  async cancel(uid: string): Promise<void> {
    const state = await this.#load(uid);
    if (!state) return;
    await this.#o.store.del(this.#key(uid));
    if (state.errorCode || !PENDING_STATUSES.includes(state.status)) return;
    try {
      await this.#o.client.cancel(state.authRef);
    } catch (err) {
      this.#o.logger.info({ errorCode: err instanceof FrejaError ? err.errorCode : 'network' }, 'freja cancel failed');
    }
  }
}


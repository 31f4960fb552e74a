// OpenID Connect Back-Channel Logout 1.0 from the gateway to the products (issue 11 item 5). When a
// session ends, every product it signed in to that registered a backchannel_logout_uri gets a signed
// logout token (typ logout+jwt, its pairwise sub, the session's sid for that product, the events
// claim, no nonce), POSTed as application/x-www-form-urlencoded.
//
// Why not oidc-provider's own delivery: it makes one attempt, inside the logout request (the person
// waits for the slowest product), and only emits an event on failure. Here delivery is taken off the
// request, retried with exponential back-off (a receiver that is down for a moment still learns of the
// logout), and each outcome is recorded in the hot store (client, attempts, outcome, last HTTP status;
// never the token, sub or any personal value) so operators and tests can see it. oidc-provider still
// decides *which* products the session touched and their sids; provider.ts hands each to `deliver`.
//
// Retries live in the instance that ended the session: an instance that stops mid-retry drops the
// rest (the token would be stale by then anyway; products also expire their sessions).
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { asKeySet } from '../../idp/keys.ts';
import { signCompact, type SigningKeySet } from '../../idp/keys/signer.ts';
import type { Clock } from '../../clock.ts';
import { inJob, type Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';

export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How long a logout token is valid (OIDC Back-Channel Logout §2.4 recommends short, e.g. 2 minutes). */
export const LOGOUT_TOKEN_TTL_SECONDS = 120;
/** How long an outcome is kept for operators. */
const OUTCOME_TTL_SECONDS = 7 * 86400;

export type DeliveryOutcome = 'pending' | 'delivered' | 'failed';

/** What is recorded per delivery: no token, no sub, nothing personal. */
export interface DeliveryRecord {
  id: string;
  clientId: string;
  outcome: DeliveryOutcome;
  attempts: number;
  /** The receiver's last HTTP status, or 0 when it could not be reached. */
  lastStatus?: number;
  /** Milliseconds since the epoch of the last attempt. */
  at: number;
}

export interface LogoutTarget {
  clientId: string;
  uri: string;
  /** The product's pairwise sub for the account. */
  sub: string;
  /** The session's sid for this product, when it asked for one. */
  sid?: string | undefined;
}

export interface BackchannelOptions {
  issuer: string;
  /** The gateway's signing keys (or a private JWKS): the active one signs, as ID tokens are signed. */
  signingKeys: JWK[] | SigningKeySet;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  /** Attempts in all, the first included. */
  attempts: number;
  /** The first retry's delay; each later one doubles it. */
  retryBaseMs: number;
  /** Per attempt. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

const outcomeKey = (id: string): string => `sso:backchannel:${id}`;
const clientIndex = (clientId: string): string => `sso:backchannel-client:${clientId}`;

export class BackchannelLogout {
  readonly #o: BackchannelOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #running = new Set<Promise<void>>();
  readonly #keys: SigningKeySet;
  #closed = false;

  constructor(options: BackchannelOptions) {
    this.#o = options;
    this.#keys = asKeySet(Array.isArray(options.signingKeys) ? { keys: options.signingKeys } : options.signingKeys);
  }

  /** The logout token for one product (exported for the receiver tests). */
  async logoutToken(target: LogoutTarget): Promise<string> {
    const now = Math.floor(this.#o.clock.now() / 1000);
    return signCompact(this.#keys.active(), {
      events: { [BACKCHANNEL_EVENT]: {} },
      ...(target.sid ? { sid: target.sid } : {}),
      iss: this.#o.issuer,
      aud: target.clientId,
      sub: target.sub,
      iat: now,
      exp: now + LOGOUT_TOKEN_TTL_SECONDS,
      jti: randomUUID(),
    }, { typ: 'logout+jwt' });
  }

  /** Starts delivery to one product and returns at once with the delivery's id; never throws. */
  async deliver(target: LogoutTarget): Promise<string> {
    const id = randomUUID();
    const record: DeliveryRecord = { id, clientId: target.clientId, outcome: 'pending', attempts: 0, at: this.#o.clock.now() };
    try {
      await this.#record(record);
      const token = await this.logoutToken(target);
      this.#attempt(target, token, record);
    } catch (err) {
      this.#o.logger.error({ client: target.clientId, delivery: id, err: (err as Error).message }, 'back-channel logout not started');
    }
    return id;
  }

  #attempt(target: LogoutTarget, token: string, record: DeliveryRecord): void {
    if (this.#closed) return;
    const run = (async () => {
      const status = await this.#post(target.uri, token);
      const attempts = record.attempts + 1;
      const ok = status === 200 || status === 204;
      const last = attempts >= this.#o.attempts;
      const next: DeliveryRecord = { ...record, attempts, lastStatus: status, at: this.#o.clock.now(), outcome: ok ? 'delivered' : last ? 'failed' : 'pending' };
      await this.#record(next).catch(() => undefined);
      this.#o.logger[ok ? 'info' : 'warn']({ client: target.clientId, delivery: record.id, attempt: attempts, status, outcome: next.outcome }, 'back-channel logout');
      if (!ok && !last) {
        const delay = this.#o.retryBaseMs * 2 ** (attempts - 1);
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          inJob('backchannel-logout-retry', () => this.#attempt(target, token, next));
        }, delay);
        timer.unref();
        this.#timers.add(timer);
      }
    })().catch((err: unknown) => {
      this.#o.logger.error({ client: target.clientId, delivery: record.id, err: (err as Error).message }, 'back-channel logout attempt failed');
    });
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
  }

  /** The receiver's HTTP status; 0 when it cannot be reached in time. Redirects are not followed. */
  async #post(uri: string, token: string): Promise<number> {
    try {
      const res = await (this.#o.fetch ?? fetch)(uri, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }).toString(),
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      return res.status;
    } catch {
      return 0;
    }
  }

  async #record(record: DeliveryRecord): Promise<void> {
    await this.#o.store.set(outcomeKey(record.id), JSON.stringify(record), OUTCOME_TTL_SECONDS);
    await this.#o.store.setAdd(clientIndex(record.clientId), record.id, OUTCOME_TTL_SECONDS);
  }

  /** The recorded deliveries to one product, oldest first. */
  async outcomes(clientId: string): Promise<DeliveryRecord[]> {
    const ids = await this.#o.store.setMembers(clientIndex(clientId));
    const records = await Promise.all(ids.map(async (id) => {
      const raw = await this.#o.store.get(outcomeKey(id));
      return raw ? JSON.parse(raw) as DeliveryRecord : undefined;
    }));
    return records.filter((r): r is DeliveryRecord => r !== undefined).sort((a, b) => a.at - b.at);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#running]);
  }
}

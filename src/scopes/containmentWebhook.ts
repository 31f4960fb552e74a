// The controller's containment webhook (docs/security-model.md, "Breach containment"): the event is a
// JWT signed with the gateway's own signing keys, the ones published at /jwks, so a controller verifies
// it with any JOSE library and the gateway's JWKS — nothing to share beforehand, and a body altered on
// the way fails. The token is the whole request body (application/jwt), not a detached signature
// over a JSON body: one call of a JWT library verifies it, with no canonical form of the body to
// agree on. Delivery is retried with exponential back-off, a bounded number of times.
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { asKeySet } from '../idp/keys.ts';
import { signCompact, type SigningKeySet } from '../idp/keys/signer.ts';

/** The JWS `typ` of a containment event (RFC 8725 §3.11: explicit typing, so it passes for no other token). */
export const CONTAINMENT_EVENT_TYP = 'containment-event+jwt';

/** What the controller is told: pseudonyms only, never a personnummer. */
export interface ContainmentEvent {
  event: 'product_suspended';
  suspensionId: string;
  productId: string;
  controllerId: string;
  reason: string;
  suspendedAt: string;
  windowSeconds: number;
  windowStart: string;
  windowEnd: string;
  /** How many citizens' data was released (permits in the decision audit) in [windowStart, windowEnd]. */
  citizensInWindow: number;
  /** Their pseudonyms, sorted: the controller resolves them in its own systems to inform them. */
  citizens: string[];
}

export interface EventSigner {
  /** A compact JWS: header {alg, kid, typ}, claims iss, aud (the controller id), iat, jti and the event. */
  sign(event: ContainmentEvent, nowMs: number): Promise<string>;
}


/**
 * Signs with the first of the gateway's signing keys (ES256 where there is one: the key oidc-provider
 * prefers too). The key's kid goes in the header, so a receiver picks the key from /jwks.
 */
export async function gatewayEventSigner(jwks: { keys: JWK[] } | SigningKeySet, issuer: string): Promise<EventSigner> {
  const keys = asKeySet(jwks);
  return {
    async sign(event, nowMs) {
      return signCompact(keys.active(), {
        ...event, iss: issuer, aud: event.controllerId, iat: Math.floor(nowMs / 1000), jti: randomUUID(),
      }, { typ: CONTAINMENT_EVENT_TYP });
    },
  };
}

/** One attempt as recorded: the receiver's status, or why there was none. No URL, no body. */
export interface AttemptOutcome {
  attempt: number;
  status?: number;
  error?: 'timeout' | 'unreachable' | 'report_unavailable';
  delivered: boolean;
  /** No further attempt follows (delivered, a refusal retrying cannot change, or the last attempt). */
  final: boolean;
}

export interface DeliveryOptions {
  url: string;
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  /** Makes the body; a throw is a failed attempt (the decision audit could not be read), retried. */
  body: () => Promise<string>;
  onAttempt: (outcome: AttemptOutcome) => Promise<void> | void;
  /** How to wait between attempts (tests pass one that does not). */
  sleep?: (ms: number) => Promise<void>;
}

/** A 4xx the receiver will answer again whatever we do (but 408 Request Timeout and 429 are worth retrying). */
const permanent = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * POSTs the body to the URL until a 2xx, at most `attempts` times, waiting backoffMs, 2·backoffMs,
 * 4·backoffMs … between attempts. Redirects are not followed (a webhook that moved says so with its
 * status, and the gateway sends nothing where the registry did not say). Answers the last outcome.
 */
export async function deliverWithRetries(o: DeliveryOptions): Promise<AttemptOutcome> {
  const sleep = o.sleep ?? defaultSleep;
  let body: string | undefined;
  let outcome: AttemptOutcome = { attempt: 0, delivered: false, final: true };
  for (let attempt = 1; attempt <= o.attempts; attempt += 1) {
    const last = attempt === o.attempts;
    try {
      body ??= await o.body();
    } catch {
      outcome = { attempt, error: 'report_unavailable', delivered: false, final: last };
    }
    if (body !== undefined) {
      try {
        const res = await fetch(o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/jwt' },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        await res.body?.cancel();
        const delivered = res.status >= 200 && res.status < 300;
        outcome = { attempt, status: res.status, delivered, final: delivered || permanent(res.status) || last };
      } catch (err) {
        outcome = { attempt, error: (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable', delivered: false, final: last };
      }
    }
    await o.onAttempt(outcome);
    if (outcome.final) return outcome;
    await sleep(o.backoffMs * 2 ** (attempt - 1));
  }
  return outcome;
}

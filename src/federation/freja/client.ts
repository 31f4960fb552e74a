// A client for the Freja eID REST API's authentication service (v1.0): initAuthentication,
// getOneResult and cancel. Mutual TLS with the relying party's PKCS#12 certificate and trust in
// exactly one CA (the one that issued Freja's server certificate); every call has a hard deadline;
// every answer is validated, and an approved result counts only once its JWS has been verified
// against Freja's configured signing certificates (result.ts). Nothing personal reaches a log line.
import { Agent } from 'node:https';
import { z } from 'zod';
import { systemClock, type Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import { loadRpPkcs12 } from '../pkcs12.ts';
import { postToUpstream, UpstreamPostError } from '../upstreamPost.ts';
import { ResultRejected, verifyResultDetails, type ResultDetails, type SigningCertificates } from './result.ts';
import { upstreamCall } from '../../http/metrics.ts';

/** Failures on our side of the wire, plus a result whose signature or content we refused. */
export type ClientErrorCode = 'timeout' | 'network' | 'badResponse' | 'badResult';

export class FrejaError extends Error {
  /** Freja's numeric error code as a string (e.g. "1100"), or one of ClientErrorCode. */
  readonly errorCode: string;
  readonly httpStatus: number | undefined;
  /** Freja's `message`, or the reason a result was refused; for developers and logs, not people. */
  readonly details: string | undefined;
  constructor(errorCode: string, options: { httpStatus?: number; details?: string; cause?: unknown } = {}) {
    super(`Freja eID ${errorCode}${options.httpStatus ? ` (HTTP ${options.httpStatus})` : ''}`, { cause: options.cause });
    this.name = 'FrejaError';
    this.errorCode = errorCode;
    this.httpStatus = options.httpStatus;
    this.details = options.details;
  }
}

/** Error codes of the REST API this gateway reacts to (Freja eID Relying Party documentation). */
export const FREJA_ERRORS = {
  invalidUserInfoType: 1001,
  invalidUserInfo: 1002,
  notAllowed: 1004,
  invalidMinRegistrationLevel: 1007,
  invalidReference: 1100,
  invalidAttributesToReturn: 2002,
} as const;

export type RegistrationLevel = 'BASIC' | 'EXTENDED' | 'PLUS';

/** Transaction statuses; the first three are still running. */
export const FREJA_STATUSES = ['STARTED', 'DELIVERED_TO_MOBILE', 'OPENED', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELED', 'RP_CANCELED'] as const;
export type FrejaStatus = (typeof FREJA_STATUSES)[number];
export const PENDING_STATUSES: readonly FrejaStatus[] = ['STARTED', 'DELIVERED_TO_MOBILE', 'OPENED'];

/** What to ask the person's Freja for. */
export interface InitAuthRequest {
  /** INFERRED: whoever scans the QR code or opens the link; SSN: only this person (12 digits). */
  user: { type: 'INFERRED' } | { type: 'SSN'; ssn: string };
  minRegistrationLevel: RegistrationLevel;
  /** Defaults to the name, the personnummer and the registration level. */
  attributesToReturn?: string[];
}

/** The verified signed statement comes with every APPROVED answer (and with some others). */
export type AuthResult =
  | { authRef: string; status: 'APPROVED'; details: ResultDetails }
  | { authRef: string; status: Exclude<FrejaStatus, 'APPROVED'>; details?: ResultDetails };

export interface FrejaClientOptions {
  /** E.g. https://services.test.frejaeid.com (Freja's test environment) or the simulator's URL. */
  baseUrl: string;
  pfx: Buffer;
  passphrase: string;
  /** PEM of the CA that issued Freja's TLS server certificate; the only CA trusted. */
  caPem: string;
  /** Freja's result-signing certificates. */
  signingCerts: SigningCertificates;
  /** Deadline for a whole call. Default 10 000 ms. */
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export const DEFAULT_ATTRIBUTES = ['BASIC_USER_INFO', 'SSN', 'REGISTRATION_LEVEL'];

// --- wire formats ----------------------------------------------------------------------------------

const initWire = z.object({ authRef: z.string().min(1).max(200) });

const resultWire = z.object({
  authRef: z.string().min(1).max(200),
  status: z.enum(FREJA_STATUSES),
  details: z.string().min(1).max(200_000).optional(),
}).loose();

const errorWire = z.object({ code: z.number().int(), message: z.string().max(2000).optional() });

// Results carry a JWS with at most a photo in it; anything much bigger is not Freja.
const MAX_RESPONSE_BYTES = 1 << 20;

const b64json = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

const PATHS = {
  init: '/authentication/1.0/initAuthentication',
  getOneResult: '/authentication/1.0/getOneResult',
  cancel: '/authentication/1.0/cancel',
} as const;

type Method = keyof typeof PATHS;

// --- client ----------------------------------------------------------------------------------------

export class FrejaClient {
  readonly #baseUrl: URL;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #signingCerts: SigningCertificates;

  constructor(options: FrejaClientOptions) {
    const base = new URL(options.baseUrl.replace(/\/+$/, ''));
    // Fail closed: the REST API is only ever spoken over mutual TLS.
    if (base.protocol !== 'https:') throw new Error('Freja eID client: baseUrl must be https');
    this.#baseUrl = base;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#signingCerts = options.signingCerts;
    const { keyPem, certChainPem } = loadRpPkcs12(options.pfx, options.passphrase, 'Freja eID client');
    this.#agent = new Agent({
      keepAlive: true,
      key: keyPem,
      cert: certChainPem,
      // Replaces Node's bundled public CAs: only the configured CA can vouch for Freja's server.
      ca: [options.caPem],
      minVersion: 'TLSv1.2',
    });
  }

  /** Starts an authentication; the authRef goes into the QR code and the same-device link. */
  async initAuthentication(req: InitAuthRequest): Promise<{ authRef: string }> {
    const payload = {
      userInfoType: req.user.type,
      // INFERRED takes the literal "N/A"; SSN takes base64 JSON naming the country and the number.
      userInfo: req.user.type === 'SSN' ? b64json({ country: 'SE', ssn: req.user.ssn }) : 'N/A',
      minRegistrationLevel: req.minRegistrationLevel,
      attributesToReturn: (req.attributesToReturn ?? DEFAULT_ATTRIBUTES).map((attribute) => ({ attribute })),
    };
    const answer = await this.#call('init', 'initAuthRequest', payload, initWire);
    return { authRef: answer.authRef };
  }

  /** The transaction's status; an APPROVED answer comes back only with verified details. */
  async getOneResult(authRef: string): Promise<AuthResult> {
    const wire = await this.#call('getOneResult', 'getOneAuthResultRequest', { authRef }, resultWire);
    if (wire.authRef !== authRef) throw this.#failed('getOneResult', new FrejaError('badResponse', { details: 'getOneResult answered for another transaction' }));
    let details: ResultDetails | undefined;
    if (wire.details) {
      try {
        details = await verifyResultDetails(wire.details, { authRef, status: wire.status }, this.#signingCerts, this.#clock);
      } catch (err) {
        const reason = err instanceof ResultRejected ? err.reason : 'jws_malformed';
        throw this.#failed('getOneResult', new FrejaError('badResult', { details: reason, cause: err }));
      }
    }
    if (wire.status === 'APPROVED') {
      if (!details) throw this.#failed('getOneResult', new FrejaError('badResult', { details: 'approved without signed details' }));
      return { authRef: wire.authRef, status: wire.status, details };
    }
    return { authRef: wire.authRef, status: wire.status, ...(details ? { details } : {}) };
  }

  /** Cancels a running authentication; Freja then reports it as RP_CANCELED. */
  async cancel(authRef: string): Promise<void> {
    await this.#call('cancel', 'cancelAuthRequest', { authRef }, z.unknown());
  }

  /** Closes the kept-alive connections (tests, shutdown). */
  close(): void {
    this.#agent.destroy();
  }

  #failed(method: Method, e: FrejaError): FrejaError {
    // `details` holds only our reason codes or Freja's message, never a person's data.
    this.#logger?.warn({ freja: method, errorCode: e.errorCode, reason: e.errorCode === 'badResult' ? e.details : undefined }, 'freja call failed');
    return e;
  }

  // Timed and counted for /metrics (upstream freja, the REST method, the error code).
  #call<T>(method: Method, parameter: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    return upstreamCall('freja', method, () => this.#callOnce(method, parameter, body, schema), (err) => (err instanceof FrejaError ? err.errorCode : 'network'));
  }

  async #callOnce<T>(method: Method, parameter: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const started = this.#clock.now();
    try {
      const { status, json } = await this.#post(method, `${parameter}=${encodeURIComponent(b64json(body))}`);
      if (status !== 200) {
        const err = errorWire.safeParse(json);
        if (!err.success) throw new FrejaError('badResponse', { httpStatus: status });
        throw new FrejaError(String(err.data.code), { httpStatus: status, ...(err.data.message ? { details: err.data.message } : {}) });
      }
      const parsed = schema.safeParse(json);
      // zod's issues may quote values: they stay out of the error.
      if (!parsed.success) throw new FrejaError('badResponse', { httpStatus: status, details: `${method} answer does not match the REST API` });
      const info = parsed.data as { status?: string };
      this.#logger?.debug({ freja: method, status: info?.status, ms: this.#clock.now() - started }, 'freja call');
      return parsed.data;
    } catch (err) {
      const e = err instanceof FrejaError ? err : new FrejaError('network', { cause: err });
      this.#logger?.warn({ freja: method, errorCode: e.errorCode, httpStatus: e.httpStatus, ms: this.#clock.now() - started }, 'freja call failed');
      throw e;
    }
  }

  async #post(method: Method, form: string): Promise<{ status: number; json: unknown }> {
    const url = new URL(`${this.#baseUrl.pathname.replace(/\/$/, '')}${PATHS[method]}`, this.#baseUrl.origin);
    try {
      // cancel answers 200 with an empty body.
      return await postToUpstream({ agent: this.#agent, url, body: form, contentType: 'application/x-www-form-urlencoded',
        timeoutMs: this.#timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES, emptyAnswer: 'object' });
    } catch (err) {
      if (!(err instanceof UpstreamPostError)) throw err;
      throw new FrejaError(err.kind, { ...(err.httpStatus ? { httpStatus: err.httpStatus } : {}), ...(err.details ? { details: err.details } : {}), cause: err.cause });
    }
  }
}

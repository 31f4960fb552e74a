// A client for BankID's Relying Party API v6 (auth, collect, cancel): mutual TLS with the relying
// party's PKCS#12 certificate, and trust in exactly one CA — BankID's server CA, pinned — so that
// a certificate from any public CA cannot stand in for BankID. Every call has a hard deadline, every
// answer is validated before the gateway believes it, and nothing personal ever reaches a log line.
import { Agent } from 'node:https';
import { z } from 'zod';
import { systemClock, type Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import { loadRpPkcs12 } from '../pkcs12.ts';
import { postToUpstream, UpstreamPostError } from '../upstreamPost.ts';
import { upstreamCall } from '../../http/metrics.ts';

/** Error codes of the RP API (developers.bankid.com, "Errors"). */
export type RpErrorCode =
  | 'alreadyInProgress' | 'invalidParameters' | 'unauthorized' | 'notFound' | 'methodNotAllowed'
  | 'requestTimeout' | 'unsupportedMediaType' | 'internalError' | 'maintenance';

/** Failures on our side of the wire: no answer in time, no connection (or TLS refused), an answer we cannot trust. */
export type ClientErrorCode = 'timeout' | 'network' | 'badResponse';

export type BankIdErrorCode = RpErrorCode | ClientErrorCode;

export class BankIdError extends Error {
  /** One of BankIdErrorCode, or a code BankID introduced after this client was written. */
  readonly errorCode: string;
  readonly httpStatus: number | undefined;
  /** BankID's `details`, for developers; not meant for the person signing in. */
  readonly details: string | undefined;
  constructor(errorCode: string, options: { httpStatus?: number; details?: string; cause?: unknown } = {}) {
    super(`BankID ${errorCode}${options.httpStatus ? ` (HTTP ${options.httpStatus})` : ''}`, { cause: options.cause });
    this.name = 'BankIdError';
    this.errorCode = errorCode;
    this.httpStatus = options.httpStatus;
    this.details = options.details;
  }
}

export interface BankIdClientOptions {
  /** E.g. https://appapi2.test.bankid.com/rp/v6.0 (BankID's test environment) or the simulator's URL. */
  baseUrl: string;
  /** The relying party's PKCS#12 (key + certificate chain). */
  pfx: Buffer;
  passphrase: string;
  /** PEM of the BankID server CA; the only CA trusted for the server's certificate. */
  caPem: string;
  /** Deadline for a whole call (connect, TLS, request, answer). Default 10 000 ms. */
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface AuthRequirement {
  /** Only this person may complete the order (12 digits). */
  personalNumber?: string;
  pinCode?: boolean;
  mrtd?: boolean;
  cardReader?: 'class1' | 'class2';
  certificatePolicies?: string[];
  risk?: 'low' | 'moderate';
}

export interface AuthRequest {
  /** The person's IP address as the relying party sees it (IPv4 or IPv6). */
  endUserIp: string;
  requirement?: AuthRequirement;
  /** Plain text shown in the app; the client base64-encodes it as the API wants. */
  userVisibleData?: string;
  /** Plain text that is signed but not shown; base64-encoded by the client. */
  userNonVisibleData?: string;
  userVisibleDataFormat?: 'simpleMarkdownV1';
  returnUrl?: string;
  returnRisk?: boolean;
}

export interface AuthResponse {
  orderRef: string;
  autoStartToken: string;
  qrStartToken: string;
  qrStartSecret: string;
}

export interface CompletionData {
  user: { personalNumber: string; name: string; givenName: string; surname: string };
  /** `uniqueHardwareId` is the API's `uhi`. */
  device: { ipAddress: string; uniqueHardwareId?: string };
  bankIdIssueDate: string;
  stepUp?: { mrtd: boolean };
  /** Base64 XML signature. */
  signature: string;
  /** Base64 OCSP response. */
  ocspResponse: string;
  risk?: 'low' | 'moderate' | 'high';
}

export interface CollectResponse {
  orderRef: string;
  status: 'pending' | 'failed' | 'complete';
  hintCode?: string;
  completionData?: CompletionData;
}

// --- wire formats ----------------------------------------------------------------------------------

const authWire = z.object({
  orderRef: z.string().min(1).max(200),
  autoStartToken: z.string().min(1).max(200),
  qrStartToken: z.string().min(1).max(200),
  qrStartSecret: z.string().min(1).max(200),
});

const completionWire = z.object({
  user: z.object({
    personalNumber: z.string().regex(/^\d{12}$/),
    name: z.string(),
    givenName: z.string(),
    surname: z.string(),
  }),
  device: z.object({ ipAddress: z.string().min(1), uhi: z.string().optional() }),
  bankIdIssueDate: z.string().min(1),
  stepUp: z.object({ mrtd: z.boolean() }).optional(),
  signature: z.string().min(1),
  ocspResponse: z.string().min(1),
  risk: z.enum(['low', 'moderate', 'high']).optional(),
});

const collectWire = z
  .object({
    orderRef: z.string().min(1).max(200),
    status: z.enum(['pending', 'failed', 'complete']),
    hintCode: z.string().max(100).optional(),
    completionData: completionWire.optional(),
  })
  .refine((c) => (c.status === 'complete') === (c.completionData !== undefined), 'completionData comes with, and only with, status complete');

const cancelWire = z.object({});

const errorWire = z.object({ errorCode: z.string().min(1).max(100), details: z.string().max(2000).optional() });

// BankID's answers are small; a bigger body is not BankID.
const MAX_RESPONSE_BYTES = 1 << 20;

// --- PKCS#12 ---------------------------------------------------------------------------------------

/** The RP certificate's key and chain as PEM (src/federation/pkcs12.ts says why node-forge reads it). */
export const loadPkcs12 = (pfx: Buffer, passphrase: string): { keyPem: string; certChainPem: string } =>
  loadRpPkcs12(pfx, passphrase, 'BankID client');

// --- client ----------------------------------------------------------------------------------------

export class BankIdClient {
  readonly #baseUrl: URL;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;

  constructor(options: BankIdClientOptions) {
    const base = new URL(options.baseUrl.replace(/\/+$/, ''));
    // Fail closed: the RP API is only ever spoken over mutual TLS.
    if (base.protocol !== 'https:') throw new Error('BankID client: baseUrl must be https');
    this.#baseUrl = base;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    const { keyPem, certChainPem } = loadPkcs12(options.pfx, options.passphrase);
    this.#agent = new Agent({
      keepAlive: true,
      key: keyPem,
      cert: certChainPem,
      // Replaces Node's bundled public CAs: only BankID's own CA can vouch for BankID.
      ca: [options.caPem],
      minVersion: 'TLSv1.2',
    });
  }

  /** Starts an authentication order. */
  async auth(req: AuthRequest): Promise<AuthResponse> {
    const body: Record<string, unknown> = { endUserIp: req.endUserIp };
    if (req.requirement) body.requirement = req.requirement;
    if (req.userVisibleData !== undefined) body.userVisibleData = Buffer.from(req.userVisibleData, 'utf8').toString('base64');
    if (req.userNonVisibleData !== undefined) body.userNonVisibleData = Buffer.from(req.userNonVisibleData, 'utf8').toString('base64');
    if (req.userVisibleDataFormat) body.userVisibleDataFormat = req.userVisibleDataFormat;
    if (req.returnUrl !== undefined) body.returnUrl = req.returnUrl;
    if (req.returnRisk !== undefined) body.returnRisk = req.returnRisk;
    return this.#call('auth', body, authWire);
  }

  /** The order's status; call it about every two seconds until it is complete or failed. */
  async collect(orderRef: string): Promise<CollectResponse> {
    const wire = await this.#call('collect', { orderRef }, collectWire);
    if (wire.orderRef !== orderRef) throw new BankIdError('badResponse', { details: 'collect answered for another order' });
    const out: CollectResponse = { orderRef: wire.orderRef, status: wire.status };
    if (wire.hintCode !== undefined) out.hintCode = wire.hintCode;
    if (wire.completionData) {
      const { device, ...rest } = wire.completionData;
      out.completionData = {
        ...rest,
        device: { ipAddress: device.ipAddress, ...(device.uhi !== undefined ? { uniqueHardwareId: device.uhi } : {}) },
      };
    }
    return out;
  }

  /** Cancels a pending order; BankID then forgets it. */
  async cancel(orderRef: string): Promise<void> {
    await this.#call('cancel', { orderRef }, cancelWire);
  }

  /** Closes the kept-alive connections (tests, shutdown). */
  close(): void {
    this.#agent.destroy();
  }

  // Timed and counted for /metrics (upstream bankid, the RP API method, the error code).
  #call<T>(method: 'auth' | 'collect' | 'cancel', body: unknown, schema: z.ZodType<T>): Promise<T> {
    return upstreamCall('bankid', method, () => this.#callOnce(method, body, schema), (err) => (err instanceof BankIdError ? err.errorCode : 'network'));
  }

  async #callOnce<T>(method: 'auth' | 'collect' | 'cancel', body: unknown, schema: z.ZodType<T>): Promise<T> {
    const started = this.#clock.now();
    try {
      const { status, json } = await this.#post(method, body);
      if (status !== 200) {
        const err = errorWire.safeParse(json);
        if (!err.success) throw new BankIdError('badResponse', { httpStatus: status });
        throw new BankIdError(err.data.errorCode, { httpStatus: status, ...(err.data.details ? { details: err.data.details } : {}) });
      }
      const parsed = schema.safeParse(json);
      // zod's issue list names fields and may quote values (a personal number): it stays out of the error.
      if (!parsed.success) throw new BankIdError('badResponse', { httpStatus: status, details: `${method} answer does not match the RP API` });
      const result = parsed.data;
      const info = result as { status?: string; hintCode?: string };
      this.#logger?.debug({ bankid: method, status: info.status, hintCode: info.hintCode, ms: this.#clock.now() - started }, 'bankid call');
      return result;
    } catch (err) {
      const e = err instanceof BankIdError ? err : new BankIdError('network', { cause: err });
      this.#logger?.warn({ bankid: method, errorCode: e.errorCode, httpStatus: e.httpStatus, ms: this.#clock.now() - started }, 'bankid call failed');
      throw e;
    }
  }

  async #post(method: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const url = new URL(`${this.#baseUrl.pathname.replace(/\/$/, '')}/${method}`, this.#baseUrl.origin);
    try {
      // Exactly application/json: BankID answers 415 to a charset parameter.
      return await postToUpstream({ agent: this.#agent, url, body: JSON.stringify(body), contentType: 'application/json',
        timeoutMs: this.#timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES, emptyAnswer: 'error' });
    } catch (err) {
      if (!(err instanceof UpstreamPostError)) throw err;
      throw new BankIdError(err.kind, { ...(err.httpStatus ? { httpStatus: err.httpStatus } : {}), ...(err.details ? { details: err.details } : {}), cause: err.cause });
    }
  }
}

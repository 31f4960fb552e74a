// A Freja eID REST API simulator on the same wire as Freja: POST /authentication/1.0/{initAuthentication,
// getOneResult,cancel} with a form parameter holding base64 JSON, answers in JSON and errors as
// { code, message }, over TLS that demands a client certificate from the sandbox RP CA. Approved
// results are JWS signed with the sandbox signing certificate, so the gateway's FrejaClient and its
// JWS checks run unchanged against it.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type Router from '@koa/router';
import { z } from 'zod';
import type { SandboxCerts } from '../../../../certs/make-sandbox-certs.ts';
import type { Clock } from '../../../clock.ts';
import type { Logger } from '../../../log.ts';
import { parseIdentityNumber } from '../../../personnummer.ts';
import { FREJA_ERRORS } from '../client.ts';
import { x5tOf } from '../result.ts';
import { frejaAppRouter, type FrejaAppOptions } from './app.ts';
import { TransactionBook, type SandboxPersonas, type Transaction } from './transactions.ts';
import { listenWithClientCertificates } from '../../simulatorListener.ts';

export interface FrejaSimulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  certs: SandboxCerts;
  personas: SandboxPersonas;
  clock?: Clock;
  ttlSeconds?: number;
  /** How long a body may take to arrive. Default 5000. */
  requestTimeoutMs?: number;
  /** See TransactionBookOptions; tests turn it off to play a misbehaving Freja. */
  enforceMinRegistrationLevel?: boolean;
  logger?: Logger;
}

export interface FrejaSimulator {
  /** The REST API base URL, e.g. https://127.0.0.1:41234 — FrejaClient's baseUrl. */
  url: string;
  transactions: TransactionBook;
  personas: SandboxPersonas;
  /** What a FrejaClient needs to call this simulator (the signing certificate as PEM). */
  clientOptions(): { baseUrl: string; pfx: Buffer; passphrase: string; caPem: string; signingCertPems: string[] };
  /** The simulated Freja app for these transactions, to mount under /sandbox/freja/app. */
  appRouter(options?: FrejaAppOptions): Router;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;

class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const level = z.enum(['BASIC', 'EXTENDED', 'PLUS']);

const initRequest = z.object({
  userInfoType: z.string(),
  userInfo: z.string().max(2000),
  minRegistrationLevel: level.optional(),
  attributesToReturn: z.array(z.object({ attribute: z.string().max(50) })).max(30).optional(),
}).loose();

const refRequest = z.object({ authRef: z.string().min(1).max(200) });

const KNOWN_ATTRIBUTES = new Set([
  'BASIC_USER_INFO', 'EMAIL_ADDRESS', 'ALL_EMAIL_ADDRESSES', 'ALL_PHONE_NUMBERS', 'DATE_OF_BIRTH', 'AGE', 'ADDRESSES',
  'SSN', 'RELYING_PARTY_USER_ID', 'INTEGRATOR_SPECIFIC_USER_ID', 'CUSTOM_IDENTIFIER', 'REGISTRATION_LEVEL', 'PHOTO', 'DOCUMENT',
]);

/** Decodes `<parameter>=<base64 JSON>` from a form body; Freja's messages name the problem, never echo values. */
function decodeParameter(raw: string, parameter: string): unknown {
  const value = new URLSearchParams(raw).get(parameter);
  if (!value || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) throw new ApiError(400, 1000, `Missing or malformed ${parameter}.`);
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw new ApiError(400, 1000, `Missing or malformed ${parameter}.`);
  }
}

function resultAnswer(tx: Transaction): Record<string, unknown> {
  return { authRef: tx.authRef, status: tx.status, ...(tx.details ? { details: tx.details } : {}) };
}

function readBody(req: IncomingMessage, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => reject(new ApiError(408, 1000, 'Request not received in time.')), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        clearTimeout(timer);
        reject(new ApiError(413, 1000, 'Request too large.'));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function startFrejaSimulator(options: FrejaSimulatorOptions): Promise<FrejaSimulator> {
  const { certs, personas, logger } = options;
  const signingCertPem = readFileSync(certs.freja.signingCert, 'utf8');
  const transactions = new TransactionBook({
    signer: { x5t: x5tOf(new X509Certificate(signingCertPem)), keyPem: readFileSync(certs.freja.signingKey, 'utf8') },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.ttlSeconds !== undefined ? { ttlSeconds: options.ttlSeconds } : {}),
    ...(options.enforceMinRegistrationLevel !== undefined ? { enforceMinRegistrationLevel: options.enforceMinRegistrationLevel } : {}),
  });
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;

  const handlers: Record<string, (body: string) => Record<string, unknown> | undefined> = {
    '/authentication/1.0/initAuthentication'(body) {
      const parsed = initRequest.safeParse(decodeParameter(body, 'initAuthRequest'));
      if (!parsed.success) throw new ApiError(400, 1000, 'Invalid initAuthRequest.');
      const input = parsed.data;
      let ssn: string | undefined;
      if (input.userInfoType === 'SSN') {
        let info: { country?: unknown; ssn?: unknown };
        try {
          info = JSON.parse(Buffer.from(input.userInfo, 'base64').toString('utf8')) as typeof info;
        } catch {
          throw new ApiError(400, FREJA_ERRORS.invalidUserInfo, 'Invalid or missing userInfo.');
        }
        if (info.country !== 'SE' || typeof info.ssn !== 'string' || !parseIdentityNumber(info.ssn)) {
          throw new ApiError(400, FREJA_ERRORS.invalidUserInfo, 'Invalid or missing userInfo.');
        }
        ssn = info.ssn;
      } else if (input.userInfoType !== 'INFERRED') {
        // The sandbox app knows people by personnummer only; EMAIL and PHONE are not simulated.
        throw new ApiError(400, FREJA_ERRORS.invalidUserInfoType, 'Invalid or missing userInfoType.');
      } else if (input.userInfo !== 'N/A') {
        throw new ApiError(400, FREJA_ERRORS.invalidUserInfo, 'Invalid or missing userInfo.');
      }
      const attributes = (input.attributesToReturn ?? []).map((a) => a.attribute);
      if (attributes.some((a) => !KNOWN_ATTRIBUTES.has(a))) {
        throw new ApiError(400, FREJA_ERRORS.invalidAttributesToReturn, 'Invalid attributesToReturn parameter.');
      }
      // A personnummer is only ever returned for users whose identity was checked.
      const min = input.minRegistrationLevel ?? 'BASIC';
      if (attributes.includes('SSN') && min === 'BASIC') {
        throw new ApiError(400, FREJA_ERRORS.invalidMinRegistrationLevel, 'Invalid min registration level.');
      }
      const tx = transactions.create({ userInfoType: input.userInfoType, ...(ssn ? { ssn } : {}), minRegistrationLevel: min, attributesToReturn: attributes });
      return { authRef: tx.authRef };
    },
    '/authentication/1.0/getOneResult'(body) {
      const parsed = refRequest.safeParse(decodeParameter(body, 'getOneAuthResultRequest'));
      if (!parsed.success) throw new ApiError(400, 1000, 'Invalid getOneAuthResultRequest.');
      const tx = transactions.get(parsed.data.authRef);
      if (!tx) throw new ApiError(400, FREJA_ERRORS.invalidReference, 'Invalid reference (for example, nonexistent or expired).');
      return resultAnswer(tx);
    },
    '/authentication/1.0/cancel'(body) {
      const parsed = refRequest.safeParse(decodeParameter(body, 'cancelAuthRequest'));
      if (!parsed.success) throw new ApiError(400, 1000, 'Invalid cancelAuthRequest.');
      if (!transactions.cancel(parsed.data.authRef)) throw new ApiError(400, FREJA_ERRORS.invalidReference, 'Invalid reference (for example, nonexistent or expired).');
      return undefined;
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!(req.socket as TLSSocket).authorized) throw new ApiError(401, FREJA_ERRORS.notAllowed, 'You are not allowed to call this method.');
      const path = new URL(req.url ?? '/', 'https://simulator.invalid').pathname;
      const handler = Object.hasOwn(handlers, path) ? handlers[path] : undefined;
      if (!handler) throw new ApiError(404, 1000, 'Not found.');
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        throw new ApiError(405, 1000, 'Only POST is allowed.');
      }
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
        throw new ApiError(415, 1000, 'Content-Type must be application/x-www-form-urlencoded.');
      }
      send(res, 200, handler(await readBody(req, requestTimeoutMs)));
    } catch (err) {
      if (err instanceof ApiError) {
        send(res, err.status, { code: err.code, message: err.message });
        if (!req.complete) res.on('finish', () => req.destroy());
        return;
      }
      logger?.error({ err: err instanceof Error ? err.message : 'unknown' }, 'freja simulator failed');
      send(res, 500, { code: 1000, message: 'Internal error.' });
    }
  }

  const { server, origin } = await listenWithClientCertificates({
    serverKeyFile: certs.freja.serverKey,
    serverCertFile: certs.freja.serverCert,
    // Client certificates must chain to the sandbox RP CA, and only to it.
    clientCaFile: certs.freja.rpCaCert,
    host: options.host,
    port: options.port,
  }, (req, res) => void handle(req, res));
  const url = `${origin}`;

  return {
    url,
    transactions,
    personas,
    clientOptions: () => ({
      baseUrl: url,
      pfx: readFileSync(certs.freja.rpP12),
      passphrase: certs.passphrase,
      caPem: readFileSync(certs.freja.serverCaCert, 'utf8'),
      signingCertPems: [signingCertPem],
    }),
    appRouter: (appOptions) => frejaAppRouter(transactions, personas, appOptions),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

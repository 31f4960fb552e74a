// A BankID RP API v6 simulator on the same wire as BankID: POST /rp/v6.0/{auth,collect,cancel} with
// exactly `application/json`, answers and `{ errorCode, details }` errors with BankID's HTTP statuses,
// over TLS that demands a client certificate from the sandbox RP CA. The gateway's BankIdClient runs
// unchanged against it, so the sandbox exercises the production code path, mutual TLS included.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type Router from '@koa/router';
import { z } from 'zod';
import type { SandboxCerts } from '../../../../certs/make-sandbox-certs.ts';
import type { Clock } from '../../../clock.ts';
import type { Logger } from '../../../log.ts';
import { parseIdentityNumber } from '../../../personnummer.ts';
import { bankIdAppRouter, type BankIdAppOptions } from './app.ts';
import { AlreadyInProgressError, OrderBook, type Order, type SandboxPersonas } from './orders.ts';
import { listenWithClientCertificates } from '../../simulatorListener.ts';

export interface BankIdSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  certs: SandboxCerts;
  personas: SandboxPersonas;
  clock?: Clock;
  /** How long an order waits to be opened before it fails with expiredTransaction. Default 30 (BankID's). */
  orderTtlSeconds?: number;
  /** How long an order may live in total. Default 180. */
  signTtlSeconds?: number;
  /** How long a body may take to arrive before 408 requestTimeout. Default 5000. */
  requestTimeoutMs?: number;
  logger?: Logger;
}

export interface BankIdSimulator {
  /** The RP API base URL, e.g. https://127.0.0.1:41234/rp/v6.0 — BankIdClient's baseUrl. */
  url: string;
  orders: OrderBook;
  personas: SandboxPersonas;
  /** Everything a BankIdClient needs to call this simulator with the sandbox RP certificate. */
  clientOptions(): { baseUrl: string; pfx: Buffer; passphrase: string; caPem: string };
  /** The simulated BankID app for these orders, to mount under /sandbox/bankid/app. */
  appRouter(options?: BankIdAppOptions): Router;
  close(): Promise<void>;
}

const API_PREFIX = '/rp/v6.0';
// Generous for auth (userVisibleData and userNonVisibleData are at most 1 500 base64 characters each).
const MAX_BODY_BYTES = 64 * 1024;

class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  constructor(status: number, errorCode: string, details: string) {
    super(details);
    this.status = status;
    this.errorCode = errorCode;
  }
}

const invalid = (details: string): ApiError => new ApiError(400, 'invalidParameters', details);

const base64 = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9+/]+={0,2}$/);

const authBody = z.object({
  endUserIp: z.string().refine((ip) => isIP(ip) !== 0),
  requirement: z
    .object({
      personalNumber: z.string().refine((pn) => parseIdentityNumber(pn) !== undefined),
      pinCode: z.boolean(),
      mrtd: z.boolean(),
      cardReader: z.enum(['class1', 'class2']),
      certificatePolicies: z.array(z.string().regex(/^\d+(\.\d+)*$/)).min(1).max(20),
      risk: z.enum(['low', 'moderate']),
    })
    .partial()
    .optional(),
  userVisibleData: base64(1500).optional(),
  userNonVisibleData: base64(1500).optional(),
  userVisibleDataFormat: z.literal('simpleMarkdownV1').optional(),
  returnUrl: z.string().min(1).max(2048).optional(),
  returnRisk: z.boolean().optional(),
  // v6's optional device data; accepted, not interpreted.
  web: z.record(z.string(), z.unknown()).optional(),
  app: z.record(z.string(), z.unknown()).optional(),
});

const orderRefBody = z.object({ orderRef: z.string().min(1).max(100) });

/** BankID's `details` name the parameter, never echo its value. */
function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const field = result.error.issues[0]?.path.join('.') || 'body';
  throw invalid(`Invalid ${field}`);
}

function collectAnswer(order: Order): Record<string, unknown> {
  const out: Record<string, unknown> = { orderRef: order.orderRef, status: order.status };
  if (order.hintCode !== undefined) out.hintCode = order.hintCode;
  if (order.status === 'complete' && order.completion) out.completionData = order.completion;
  return out;
}

function readBody(req: IncomingMessage, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => reject(new ApiError(408, 'requestTimeout', 'Request not received in time')), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        clearTimeout(timer);
        reject(invalid('Request too large'));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export async function startBankIdSimulator(options: BankIdSimulatorOptions): Promise<BankIdSimulator> {
  const { certs, personas, logger } = options;
  const orders = new OrderBook({
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.orderTtlSeconds !== undefined ? { orderTtlSeconds: options.orderTtlSeconds } : {}),
    ...(options.signTtlSeconds !== undefined ? { signTtlSeconds: options.signTtlSeconds } : {}),
  });
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;

  const handlers: Record<string, (body: unknown) => Record<string, unknown>> = {
    auth(body) {
      const input = parse(authBody, body);
      try {
        const order = orders.create({
          endUserIp: input.endUserIp,
          ...(input.requirement ? { requirement: input.requirement } : {}),
          ...(input.returnRisk !== undefined ? { returnRisk: input.returnRisk } : {}),
        });
        return { orderRef: order.orderRef, autoStartToken: order.autoStartToken, qrStartToken: order.qrStartToken, qrStartSecret: order.qrStartSecret };
      } catch (err) {
        if (err instanceof AlreadyInProgressError) throw new ApiError(400, 'alreadyInProgress', 'Order already in progress for pno');
        throw err;
      }
    },
    collect(body) {
      const { orderRef } = parse(orderRefBody, body);
      const order = orders.get(orderRef);
      // BankID: cancelled, too old or never created — all "No such order".
      if (!order) throw invalid('No such order');
      return collectAnswer(order);
    },
    cancel(body) {
      const { orderRef } = parse(orderRefBody, body);
      if (!orders.cancel(orderRef)) throw invalid('No such order');
      return {};
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // rejectUnauthorized already stops foreign certificates in the handshake; this is the belt to those braces.
      if (!(req.socket as TLSSocket).authorized) throw new ApiError(401, 'unauthorized', 'Client certificate not accepted');
      const path = new URL(req.url ?? '/', 'https://simulator.invalid').pathname;
      const method = path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length + 1) : '';
      const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
      if (!handler) throw new ApiError(404, 'notFound', 'Not found');
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        throw new ApiError(405, 'methodNotAllowed', 'Only POST is allowed');
      }
      // BankID takes `application/json` and nothing else, not even with a charset parameter.
      if ((req.headers['content-type'] ?? '').trim().toLowerCase() !== 'application/json') {
        throw new ApiError(415, 'unsupportedMediaType', 'Content-Type must be application/json');
      }
      const raw = await readBody(req, requestTimeoutMs);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw invalid('Invalid JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('Invalid JSON');
      send(res, 200, handler(body));
    } catch (err) {
      if (err instanceof ApiError) {
        send(res, err.status, { errorCode: err.errorCode, details: err.message });
        // A body we stopped reading (too large, too slow, never wanted) would otherwise block the socket.
        if (!req.complete) res.on('finish', () => req.destroy());
        return;
      }
      logger?.error({ err: err instanceof Error ? err.message : 'unknown' }, 'bankid simulator failed');
      send(res, 500, { errorCode: 'internalError', details: 'Internal error' });
    }
  }

  const { server, origin } = await listenWithClientCertificates({
    serverKeyFile: certs.bankid.serverKey,
    serverCertFile: certs.bankid.serverCert,
    // Client certificates must chain to the sandbox RP CA, and only to it.
    clientCaFile: certs.bankid.rpCaCert,
    host: options.host,
    port: options.port,
  }, (req, res) => void handle(req, res));
  const url = `${origin}${API_PREFIX}`;

  return {
    url,
    orders,
    personas,
    clientOptions: () => ({
      baseUrl: url,
      pfx: readFileSync(certs.bankid.rpP12),
      passphrase: certs.passphrase,
      caPem: readFileSync(certs.bankid.serverCaCert, 'utf8'),
    }),
    appRouter: (appOptions) => bankIdAppRouter(orders, personas, appOptions),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

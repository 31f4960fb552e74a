// Structured logging with pino. Personal data never reaches a log line: the redaction paths cover
// every field name the gateway uses for people and credentials, and call sites log pseudonyms or
// reason codes, never personnummer, names or tokens (DEVELOPERS.md, "Fail closed, never leak").
//
// Every line says what it belongs to: a request's lines carry its `requestId`, a background job's its
// `jobId` (and `job`, what it is). Both come from an AsyncLocalStorage context that the outer app
// (src/http/app.ts) and each job's runner (`inJob`) open, so a line written deep in a module — a
// store, an upstream client, the decision audit — carries the id without anyone passing it down.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';

export const redactedPaths = [
  'personalNumber', '*.personalNumber', 'personnummer', '*.personnummer',
  'givenName', '*.givenName', 'surname', '*.surname', 'name', '*.name',
  'token', '*.token', 'accessToken', '*.accessToken', 'access_token', '*.access_token',
  'id_token', '*.id_token', 'refresh_token', '*.refresh_token', 'code', '*.code',
  'authorization', '*.authorization', 'cookie', '*.cookie', 'dpop', '*.dpop',
  'qrStartSecret', '*.qrStartSecret', 'autoStartToken', '*.autoStartToken',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers.dpop',
];

export type { Logger };

/** What a log line belongs to: one request or one run of a background job. */
export type LogContext = { requestId: string } | { jobId: string; job: string };

const context = new AsyncLocalStorage<LogContext>();

/** Runs `work` as part of the request `requestId`: every line logged within it carries the id. */
export function inRequest<T>(requestId: string, work: () => T): T {
  return context.run({ requestId }, work);
}

/**
 * Runs one pass of a background job (a drain, a checkpoint, a retry) under a fresh job id. A job that
 * a request set off (a drain after an enqueue) gets its own id too: its lines are not that request's.
 */
export function inJob<T>(job: string, work: () => T): T {
  return context.run({ jobId: randomUUID(), job }, work);
}

/** The current request's or job's context, if any (the problem answers echo the request id). */
export function logContext(): LogContext | undefined {
  return context.getStore();
}

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'gateway' },
      // Context fields first, so a call site's own `requestId` (kept for clarity) wins without a clash.
      mixin: () => context.getStore() ?? {},
    },
    options.destination as pino.DestinationStream | undefined,
  );
}

// Structured logging with pino. Personal data never reaches a log line: the redaction paths cover
// every field name the gateway uses for people and credentials, and call sites log pseudonyms or
// reason codes, never personnummer, names or tokens (DEVELOPERS.md, "Fail closed, never leak").
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

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'gateway' },
    },
    options.destination as pino.DestinationStream | undefined,
  );
}

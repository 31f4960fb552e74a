// BankID's animated QR code: `bankid.<qrStartToken>.<seconds>.<qrAuthCode>`, where qrAuthCode is the
// hex HMAC-SHA256 of the decimal seconds since the order was created, keyed with qrStartSecret. A new
// code every second is what makes a photographed code useless a moment later; the secret therefore
// never leaves the server — the browser only ever gets the current content.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ParsedQrContent {
  qrStartToken: string;
  seconds: number;
  qrAuthCode: string;
}

const qrAuthCode = (qrStartSecret: string, seconds: number): string =>
  createHmac('sha256', qrStartSecret).update(String(seconds)).digest('hex');

/** The QR content to show `secondsSinceOrder` whole seconds after the auth response arrived. */
export function qrContent(qrStartToken: string, qrStartSecret: string, secondsSinceOrder: number): string {
  if (!Number.isSafeInteger(secondsSinceOrder) || secondsSinceOrder < 0) {
    throw new RangeError('secondsSinceOrder must be a whole number of seconds, 0 or more');
  }
  return `bankid.${qrStartToken}.${secondsSinceOrder}.${qrAuthCode(qrStartSecret, secondsSinceOrder)}`;
}

// Tokens are UUIDs at BankID; accept any token without dots so the simulator can say "unknown order"
// rather than "malformed" for a well-formed code from some other order.
const QR_PATTERN = /^bankid\.([A-Za-z0-9-]{1,100})\.(0|[1-9]\d{0,8})\.([0-9a-f]{64})$/;

/** Splits QR content into its parts; undefined for anything that is not BankID's format. */
export function parseQrContent(content: string): ParsedQrContent | undefined {
  const [, qrStartToken, seconds, qrAuthCode] = QR_PATTERN.exec(content.trim()) ?? [];
  // Every group in the pattern is required, so a match has all three.
  if (qrStartToken === undefined || seconds === undefined || qrAuthCode === undefined) return undefined;
  return { qrStartToken, seconds: Number(seconds), qrAuthCode };
}

export type QrVerdict =
  | { ok: true; seconds: number }
  | { ok: false; reason: 'malformed' | 'wrongOrder' | 'badSignature' };

/**
 * Checks QR content against an order's token and secret, comparing the HMAC in constant time.
 * Whether the seconds are recent enough is the caller's call: only it knows the order's age.
 */
export function verifyQrContent(content: string, order: { qrStartToken: string; qrStartSecret: string }): QrVerdict {
  const parsed = parseQrContent(content);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const tokenA = Buffer.from(parsed.qrStartToken);
  const tokenB = Buffer.from(order.qrStartToken);
  if (tokenA.length !== tokenB.length || !timingSafeEqual(tokenA, tokenB)) return { ok: false, reason: 'wrongOrder' };
  const expected = Buffer.from(qrAuthCode(order.qrStartSecret, parsed.seconds), 'hex');
  const given = Buffer.from(parsed.qrAuthCode, 'hex');
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'badSignature' };
  return { ok: true, seconds: parsed.seconds };
}

// What the person sees while Freja eID works, for each transaction status and for each way a call
// can fail. Freja prescribes no texts (unlike BankID's RFA codes), so these are the gateway's own:
// short, in Swedish and English, and each tells the person what to do next.
import type { Locale } from '../../idp/views/i18n.ts';

export type FrejaMessageCode =
  | 'scanQr' | 'openApp' | 'confirmInApp' | 'approved' | 'rejected' | 'expired' | 'canceled'
  | 'rpCanceled' | 'unavailable' | 'unverifiable' | 'notFound' | 'failed';

export interface FrejaMessage {
  code: FrejaMessageCode;
  text: string;
}

export const FREJA_MESSAGES: Readonly<Record<FrejaMessageCode, Readonly<Record<Locale, string>>>> = {
  scanQr: { sv: 'Öppna Freja eID-appen och skanna QR-koden.', en: 'Open the Freja eID app and scan the QR code.' },
  openApp: { sv: 'Öppna Freja eID-appen på den här enheten.', en: 'Open the Freja eID app on this device.' },
  confirmInApp: { sv: 'Bekräfta inloggningen i Freja eID-appen.', en: 'Confirm the sign-in in the Freja eID app.' },
  approved: { sv: 'Du är identifierad. Inloggningen fortsätter.', en: 'You are identified. The sign-in continues.' },
  rejected: { sv: 'Du nekade inloggningen i Freja eID-appen.', en: 'You declined the sign-in in the Freja eID app.' },
  expired: { sv: 'Tiden för inloggningen gick ut. Försök igen.', en: 'The time for the sign-in ran out. Please try again.' },
  canceled: { sv: 'Inloggningen avbröts i Freja eID-appen.', en: 'The sign-in was cancelled in the Freja eID app.' },
  rpCanceled: { sv: 'Inloggningen avbröts. Försök igen.', en: 'The sign-in was cancelled. Please try again.' },
  unavailable: { sv: 'Freja eID svarar inte just nu. Försök igen om en stund.', en: 'Freja eID is not responding right now. Please try again in a while.' },
  unverifiable: {
    sv: 'Svaret från Freja eID kunde inte godtas. Försök igen eller välj en annan e-legitimation.',
    en: 'The answer from Freja eID could not be accepted. Please try again or choose another e-ID.',
  },
  notFound: { sv: 'Inloggningen finns inte längre. Försök igen.', en: 'The sign-in no longer exists. Please try again.' },
  failed: { sv: 'Något gick fel. Försök igen.', en: 'Something went wrong. Please try again.' },
};

export interface MessageInput {
  status: string;
  /** A FrejaError's code when a call failed. */
  errorCode?: string | undefined;
  /** QR on another device (true) or the app on this one. */
  qr?: boolean;
}

const byStatus: Record<string, FrejaMessageCode> = {
  DELIVERED_TO_MOBILE: 'confirmInApp',
  OPENED: 'confirmInApp',
  APPROVED: 'approved',
  REJECTED: 'rejected',
  EXPIRED: 'expired',
  CANCELED: 'canceled',
  RP_CANCELED: 'rpCanceled',
};

const byError: Record<string, FrejaMessageCode> = {
  timeout: 'unavailable',
  network: 'unavailable',
  badResponse: 'unavailable',
  badResult: 'unverifiable',
  notFound: 'notFound',
  // Freja's "invalid reference": the transaction is gone at Freja.
  '1100': 'notFound',
};

export function messageCode(input: MessageInput): FrejaMessageCode {
  if (input.errorCode !== undefined) return byError[input.errorCode] ?? 'failed';
  if (input.status === 'STARTED') return input.qr === false ? 'openApp' : 'scanQr';
  return byStatus[input.status] ?? 'failed';
}

export function userMessage(input: MessageInput, locale: Locale): FrejaMessage {
  const code = messageCode(input);
  return { code, text: FREJA_MESSAGES[code][locale] };
}

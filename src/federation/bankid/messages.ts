// BankID's recommended user messages (RFA codes) and which one to show for a collect result or an
// error, as developers.bankid.com prescribes them. People recognise these sentences from every other
// service that uses BankID, so the gateway shows them verbatim instead of writing its own.
// RFA7, RFA10–RFA12 and RFA14 are retired by BankID and left out on purpose.

export type MessageLocale = 'sv' | 'en';

export type RfaCode =
  | 'RFA1' | 'RFA2' | 'RFA3' | 'RFA4' | 'RFA5' | 'RFA6' | 'RFA8' | 'RFA9' | 'RFA13'
  | 'RFA15A' | 'RFA15B' | 'RFA16' | 'RFA17A' | 'RFA17B' | 'RFA18' | 'RFA19' | 'RFA20'
  | 'RFA21' | 'RFA22' | 'RFA23';

/** `complete` is ours: BankID defines no message for a finished order. */
export type UserMessageCode = RfaCode | 'complete';

export interface UserMessage {
  code: UserMessageCode;
  text: string;
}

export const RFA_MESSAGES: Readonly<Record<UserMessageCode, Readonly<Record<MessageLocale, string>>>> = {
  RFA1: { sv: 'Starta BankID-appen.', en: 'Start your BankID app.' },
  RFA2: {
    sv: 'Du verkar inte ha BankID-appen. Installera den och skaffa ett BankID hos din bank.',
    en: "You don't seem to have the BankID app. Install the app and get a BankID from your bank.",
  },
  RFA3: { sv: 'Åtgärden avbröts. Försök igen.', en: 'The action was cancelled. Please try again.' },
  RFA4: {
    sv: 'En identifiering eller underskrift pågår redan för ditt personnummer. Försök igen.',
    en: 'An identification or signing is already in progress for your personal identity number. Please try again.',
  },
  RFA5: { sv: 'Något gick fel. Försök igen.', en: 'Something went wrong. Please try again.' },
  RFA6: { sv: 'Åtgärden avbröts.', en: 'The action was cancelled.' },
  RFA8: {
    sv: 'BankID-appen svarar inte. Kontrollera att den är startad och att du har internetanslutning. Försök sedan igen.',
    en: "The BankID app is not responding. Please check that it's started and that you have internet access. Then try again.",
  },
  RFA9: {
    sv: 'Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.',
    en: 'Enter your security code in the BankID app and select Identify or Sign.',
  },
  RFA13: { sv: 'Försöker starta BankID-appen.', en: 'Trying to start your BankID app.' },
  RFA15A: {
    sv: 'Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här datorn. Om du har ett BankID på kort, sätt in kortet i kortläsaren.',
    en: 'Searching for BankID. Make sure you have a valid BankID on this computer. If you have a BankID on card, insert the card into your card reader.',
  },
  RFA15B: {
    sv: 'Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här enheten.',
    en: 'Searching for BankID. Make sure you have a valid BankID on this device.',
  },
  RFA16: {
    sv: 'Ditt BankID är för gammalt eller spärrat. Använd ett annat BankID eller skaffa ett nytt hos din bank.',
    en: 'Your BankID is blocked or too old. Please use another BankID or get a new one from your bank.',
  },
  RFA17A: {
    sv: 'Du verkar inte ha BankID-appen. Installera den och skaffa ett BankID hos din bank.',
    en: "You don't seem to have the BankID app. Please install it and get a BankID from your bank.",
  },
  RFA17B: {
    sv: 'Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden.',
    en: 'Failed to scan the QR code. Start the BankID app and scan the QR code.',
  },
  RFA18: { sv: 'Starta BankID-appen', en: 'Start the BankID app' },
  RFA19: {
    sv: 'Vill du använda BankID på den här datorn eller ett Mobilt BankID?',
    en: 'Would you like to use BankID on this computer, or a Mobile BankID?',
  },
  RFA20: {
    sv: 'Vill du använda BankID på den här enheten eller på en annan enhet?',
    en: 'Do you want to use BankID on this device or on another device?',
  },
  RFA21: { sv: 'En identifiering eller underskrift pågår.', en: 'An identification or signing is in progress.' },
  RFA22: { sv: 'Något gick fel. Försök igen.', en: 'Something went wrong. Please try again.' },
  RFA23: {
    sv: 'Fotografera och läs av din ID-handling med BankID-appen.',
    en: 'Take a photo of your ID document and scan it with the BankID app.',
  },
  complete: { sv: 'Klart. Du är identifierad.', en: 'Done. You are identified.' },
};

export interface UserMessageInput {
  status: 'pending' | 'failed' | 'complete';
  hintCode?: string | undefined;
  /** An RP API errorCode, or the client's own `timeout` / `network` / `badResponse`; wins over the status. */
  errorCode?: string | undefined;
  /**
   * true: the person scans the QR code on another device; false: the app was opened on this device
   * with the autoStartToken. Leave it out when unknown: the messages then avoid assuming either.
   */
  qr?: boolean | undefined;
}

function forError(errorCode: string): RfaCode {
  switch (errorCode) {
    case 'alreadyInProgress':
      return 'RFA4';
    // BankID's own transient failures, and ours when BankID cannot be reached: worth trying again.
    case 'requestTimeout':
    case 'maintenance':
    case 'internalError':
    case 'timeout':
    case 'network':
      return 'RFA5';
    // invalidParameters, unauthorized, notFound, methodNotAllowed, unsupportedMediaType, badResponse:
    // faults on the relying party's side, which BankID says must not be presented as a BankID error.
    default:
      return 'RFA22';
  }
}

function forPending(hintCode: string | undefined, qr: boolean | undefined): RfaCode {
  switch (hintCode) {
    case 'outstandingTransaction':
      return qr === false ? 'RFA13' : 'RFA1';
    case 'noClient':
      return 'RFA1';
    // `started` only happens after an autostart; the device kind is unknown here, so the variant
    // that fits every device.
    case 'started':
      return 'RFA15B';
    case 'userMrtd':
      return 'RFA23';
    case 'userSign':
      return 'RFA9';
    default:
      return 'RFA21';
  }
}

function forFailed(hintCode: string | undefined, qr: boolean | undefined): RfaCode {
  switch (hintCode) {
    case 'expiredTransaction':
      return 'RFA8';
    case 'certificateErr':
      return 'RFA16';
    case 'userCancel':
      return 'RFA6';
    case 'cancelled':
      return 'RFA3';
    case 'startFailed':
      return qr === true ? 'RFA17B' : 'RFA17A';
    default:
      return 'RFA22';
  }
}

/** The message to show a person for a collect result or a failed call. */
export function userMessage(input: UserMessageInput, locale: MessageLocale): UserMessage {
  let code: UserMessageCode;
  if (input.errorCode) code = forError(input.errorCode);
  else if (input.status === 'pending') code = forPending(input.hintCode, input.qr);
  else if (input.status === 'failed') code = forFailed(input.hintCode, input.qr);
  else code = 'complete';
  return { code, text: RFA_MESSAGES[code][locale] };
}

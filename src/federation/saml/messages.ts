// What a person is told when a SAML sign-in is refused. Reason codes are many and go to the log;
// people get one of a few plain messages, in Swedish and English, that say what to do next.
import type { Locale } from '../../idp/views/i18n.ts';
import type { SamlReason } from './reasons.ts';

type Message = Record<Locale, string>;

const messages = {
  idp_refused: {
    sv: 'Inloggningen avbröts eller misslyckades hos e-legitimationstjänsten. Försök igen eller välj en annan metod.',
    en: 'The sign-in was cancelled or failed at the e-ID service. Try again or choose another method.',
  },
  expired: {
    sv: 'Svaret från e-legitimationstjänsten var för gammalt eller ännu inte giltigt. Försök igen.',
    en: 'The answer from the e-ID service was too old or not yet valid. Try again.',
  },
  replayed: {
    sv: 'Svaret från e-legitimationstjänsten har redan använts. Börja om inloggningen.',
    en: 'The answer from the e-ID service has already been used. Start the sign-in again.',
  },
  unknown_request: {
    sv: 'Vi känner inte igen den här inloggningen; den kan ha gått ut. Börja om från appen.',
    en: 'We do not recognise this sign-in; it may have expired. Start again from the app.',
  },
  missing_attribute: {
    sv: 'E-legitimationstjänsten lämnade inte de uppgifter som behövs för inloggningen.',
    en: 'The e-ID service did not provide the information the sign-in needs.',
  },
  unavailable: {
    sv: 'Inloggningstjänsten kan inte ta emot svaret just nu. Försök igen om en stund.',
    en: 'The sign-in service cannot take the answer right now. Try again in a while.',
  },
  invalid: {
    sv: 'Svaret från e-legitimationstjänsten kunde inte godtas. Försök igen eller välj en annan metod.',
    en: 'The answer from the e-ID service could not be accepted. Try again or choose another method.',
  },
} satisfies Record<string, Message>;

/** The routes' own reasons, besides the ACS's (a ticket, the store). */
type RouteReason = 'ticket_unknown' | 'ticket_mismatch' | 'temporarily_unavailable';

// Keyed by the reason unions, so a code misspelt here does not compile; every other code is 'invalid'.
const byReason: { readonly [R in SamlReason | RouteReason]?: keyof typeof messages } = {
  idp_refused: 'idp_refused',
  assertion_expired: 'expired',
  assertion_not_yet_valid: 'expired',
  assertion_replayed: 'replayed',
  unknown_in_response_to: 'unknown_request',
  in_response_to_missing: 'unknown_request',
  ticket_unknown: 'unknown_request',
  ticket_mismatch: 'unknown_request',
  attribute_missing: 'missing_attribute',
  temporarily_unavailable: 'unavailable',
};

const lookup: Readonly<Record<string, keyof typeof messages | undefined>> = byReason;

export function refusalMessage(reason: string, locale: Locale): string {
  return messages[lookup[reason] ?? 'invalid'][locale];
}

// What a citizen reads when a jump or its ticket is refused, per reason code, in Swedish and English.
// Programs get the reason code; people get these words and a way on.
import type { Locale } from '../../idp/views/i18n.ts';
import type { JumpReason } from './jump.ts';
import type { TicketReason } from './jumpTickets.ts';

type Words = Record<Locale, string>;

export const JUMP_WORDS: Record<JumpReason, Words> = {
  no_session: {
    sv: 'Du är inte inloggad längre, så vi kan inte ta dig vidare utan ny inloggning.',
    en: 'You are no longer signed in, so we cannot take you on without a new sign-in.',
  },
  source_refused: {
    sv: 'Tjänsten du kom från får inte använda inloggningstjänsten just nu.',
    en: 'The service you came from may not use the sign-in service right now.',
  },
  target_refused: {
    sv: 'Tjänsten du vill till är inte godkänd för inloggning just nu.',
    en: 'The service you want to reach is not approved for sign-in right now.',
  },
  target_no_jump_entry: {
    sv: 'Tjänsten du vill till tar inte emot delad inloggning.',
    en: 'The service you want to reach does not take a shared sign-in.',
  },
  same_product: {
    sv: 'Du är redan i den tjänsten.',
    en: 'You are in that service already.',
  },
  deep_link_invalid: {
    sv: 'Länken till tjänsten är felaktig.',
    en: 'The link to the service is not valid.',
  },
  deep_link_not_registered: {
    sv: 'Länken leder till en sida som tjänsten inte har anmält för delad inloggning.',
    en: 'The link leads to a page the service has not registered for shared sign-in.',
  },
  wrong_audience: {
    sv: 'Din inloggning är inte avsedd för den här tjänsten (privatperson eller medarbetare).',
    en: 'Your sign-in is not meant for this service (citizen or staff).',
  },
  method_not_allowed: {
    sv: 'Tjänsten du vill till tar inte emot den e-legitimation du loggade in med.',
    en: 'The service you want to reach does not take the e-ID you signed in with.',
  },
  step_up_required: {
    sv: 'Tjänsten kräver en högre tillitsnivå än den du loggade in med.',
    en: 'The service needs a higher level of assurance than the one you signed in with.',
  },
  no_jump_policy: {
    sv: 'Den som ansvarar för uppgifterna i tjänsten tar inte emot delad inloggning.',
    en: 'The organisation responsible for the data in the service does not accept a shared sign-in.',
  },
  upstream_not_accepted: {
    sv: 'Den som ansvarar för uppgifterna i tjänsten godtar inte den e-legitimation du loggade in med.',
    en: 'The organisation responsible for the data in the service does not accept the e-ID you signed in with.',
  },
  level_below_policy: {
    sv: 'Den som ansvarar för uppgifterna i tjänsten kräver en högre tillitsnivå än din inloggning har.',
    en: 'The organisation responsible for the data in the service needs a higher level of assurance than your sign-in has.',
  },
};

export const TICKET_WORDS: Record<TicketReason, Words> = {
  ticket_missing: { sv: 'Den delade inloggningen saknas.', en: 'The shared sign-in is missing.' },
  ticket_malformed: { sv: 'Den delade inloggningen kunde inte läsas.', en: 'The shared sign-in could not be read.' },
  ticket_tampered: { sv: 'Den delade inloggningen har ändrats på vägen och godtas inte.', en: 'The shared sign-in was changed on the way and is not accepted.' },
  ticket_unknown: { sv: 'Den delade inloggningen finns inte.', en: 'The shared sign-in does not exist.' },
  ticket_replayed: { sv: 'Den delade inloggningen är redan använd.', en: 'The shared sign-in has been used already.' },
  ticket_expired: { sv: 'Den delade inloggningen har gått ut.', en: 'The shared sign-in has expired.' },
  ticket_foreign_client: { sv: 'Den delade inloggningen gäller en annan tjänst.', en: 'The shared sign-in is for another service.' },
  ticket_foreign_session: { sv: 'Den delade inloggningen hör till en annan inloggning eller webbläsare.', en: 'The shared sign-in belongs to another sign-in or browser.' },
};

export const SIGN_IN_INSTEAD: Words = {
  sv: 'Logga in på nytt för att fortsätta.',
  en: 'Sign in again to go on.',
};

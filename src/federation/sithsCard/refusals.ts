// Why a card sign-in was refused, in words a member of staff can act on (Swedish and English). The
// reason codes are the verifier's (src/federation/mtls/certificateError.ts) plus the ones the flow
// itself adds; codes are what the log gets, never the certificate's names or HSA-id.
import type { Locale } from '../../idp/views/i18n.ts';
import type { CertificateErrorReason } from '../mtls/sithsCertificate.ts';

export const FLOW_REASONS = [
  /** The browser sent no client certificate (no card, or the person cancelled the certificate choice). */
  'no_certificate',
  /** A certificate header reached the gateway but trustForwardedCertificate is off: it may be forged. */
  'forwarded_certificate_not_trusted',
  /** The card certificate verified but lacks the given name or surname a staff account needs. */
  'no_names',
  /** The card endpoint failed unexpectedly (the store, say): fail closed. */
  'card_check_failed',
] as const;

export type CardRefusalReason = CertificateErrorReason | (typeof FLOW_REASONS)[number];

/** Ticket problems at resume: they are not about the card, but the person sees them the same way. */
export type TicketProblem = 'ticket_unknown' | 'ticket_mismatch';

type Texts = Record<Locale, string>;

const CRL_PROBLEM: Texts = {
  sv: 'Just nu går det inte att kontrollera om kortet är spärrat, så inloggningen stoppades. Försök igen om en stund.',
  en: 'Right now it cannot be checked whether the card is revoked, so the sign-in was stopped. Try again in a while.',
};
const NOT_GENUINE: Texts = {
  sv: 'Kortets certifikat kunde inte läsas eller är inte äkta.',
  en: 'The card\'s certificate could not be read or is not genuine.',
};

const TEXTS: Record<CardRefusalReason | TicketProblem, Texts> = {
  no_certificate: {
    sv: 'Inget SITHS-kort visades upp. Sätt i kortet i läsaren och välj kortets certifikat när webbläsaren frågar.',
    en: 'No SITHS card was presented. Insert the card in the reader and choose its certificate when the browser asks.',
  },
  forwarded_certificate_not_trusted: {
    sv: 'Inloggning med SITHS-kort är inte korrekt uppsatt på den här servern. Kontakta supporten.',
    en: 'Sign-in with a SITHS card is not set up correctly on this server. Contact support.',
  },
  no_names: {
    sv: 'Kortets certifikat saknar förnamn eller efternamn och kan inte användas för inloggning.',
    en: 'The card\'s certificate lacks a given name or surname and cannot be used to sign in.',
  },
  card_check_failed: {
    sv: 'Kortet kunde inte kontrolleras just nu. Försök igen.',
    en: 'The card could not be checked right now. Try again.',
  },
  malformed: NOT_GENUINE,
  bad_signature: NOT_GENUINE,
  unknown_ca: {
    sv: 'Kortet är inte utfärdat av SITHS, eller av en utfärdare som den här tjänsten inte litar på.',
    en: 'The card was not issued by SITHS, or by an issuer this service does not trust.',
  },
  not_yet_valid: {
    sv: 'Kortets certifikat gäller inte ännu.',
    en: 'The card\'s certificate is not valid yet.',
  },
  expired: {
    sv: 'Kortets certifikat har gått ut. Kontakta din SITHS-administratör för ett nytt kort.',
    en: 'The card\'s certificate has expired. Contact your SITHS administrator for a new card.',
  },
  revoked: {
    sv: 'Kortet är spärrat. Kontakta din SITHS-administratör.',
    en: 'The card has been revoked. Contact your SITHS administrator.',
  },
  crl_missing: CRL_PROBLEM,
  crl_expired: CRL_PROBLEM,
  crl_bad_signature: CRL_PROBLEM,
  key_usage: {
    sv: 'Certifikatet är inte avsett för inloggning. Välj kortets legitimeringscertifikat.',
    en: 'The certificate is not meant for signing in. Choose the card\'s authentication certificate.',
  },
  no_hsa_id: {
    sv: 'Certifikatet saknar HSA-id. Välj kortets legitimeringscertifikat (det med ditt HSA-id).',
    en: 'The certificate has no HSA-id. Choose the card\'s authentication certificate (the one with your HSA-id).',
  },
  ticket_unknown: {
    sv: 'Inloggningen med SITHS-kort har gått ut eller har redan använts. Försök igen.',
    en: 'The SITHS card sign-in has expired or was already used. Try again.',
  },
  ticket_mismatch: {
    sv: 'Inloggningen med SITHS-kort hör till en annan inloggning. Försök igen.',
    en: 'The SITHS card sign-in belongs to another sign-in. Try again.',
  },
};

export const refusalText = (reason: CardRefusalReason | TicketProblem, locale: Locale): string => (TEXTS[reason] ?? TEXTS.card_check_failed)[locale];

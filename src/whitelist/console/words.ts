// The console's words in Swedish and English: statuses, roles, actions, data sets, and what each of
// the admin API's problem codes means to the person who met it.
import type { Locale, Text } from '../../idp/views/i18n.ts';
import type { DatasetConfig } from '../../config.ts';
import type { Action, ApprovalBasis, DatasetAccess } from '../model.ts';

export const productStatus: Record<string, Text> = {
  registered: { sv: 'Registrerad', en: 'Registered' },
  active: { sv: 'Aktiv', en: 'Active' },
  suspended: { sv: 'Avstängd', en: 'Suspended' },
  retired: { sv: 'Avvecklad', en: 'Retired' },
};

export const roleNames: Record<string, Text> = {
  operator: { sv: 'Federationsoperatör', en: 'Federation operator' },
  certifier: { sv: 'Certifieringsorgan', en: 'Certification body' },
  controller_admin: { sv: 'Administratör för personuppgiftsansvarig', en: 'Data controller administrator' },
  supplier: { sv: 'Leverantör', en: 'Supplier' },
};

export const basisNames: Record<ApprovalBasis | 'policy', Text> = {
  own_review: { sv: 'egen granskning', en: 'own review' },
  trusted_reviewer: { sv: 'granskning av betrodd granskare', en: 'review by a trusted reviewer' },
  certification: { sv: 'certifiering enligt ett godtaget tillitsramverk', en: 'certification under an accepted trust framework' },
  policy: { sv: 'automatiskt, enligt den personuppgiftsansvariges policy', en: 'automatically, by the data controller\'s policy' },
};

export const actionNames: Record<Action, Text> = {
  read: { sv: 'läsa', en: 'read' },
  write: { sv: 'skriva', en: 'write' },
};

/** Names of the sandbox catalogue's data sets, until a catalogue entry says otherwise. */
const knownDatasets: Record<string, Text> = {
  bookings: { sv: 'bokningar', en: 'bookings' },
  vaccinations: { sv: 'vaccinationer', en: 'vaccinations' },
  'lab-results': { sv: 'provsvar', en: 'lab results' },
  'home-care-decisions': { sv: 'beslut om hemtjänst', en: 'home-care decisions' },
  'care-plans': { sv: 'vårdplaner', en: 'care plans' },
};

export type DatasetNames = (id: string, locale: Locale) => string;
export const defaultDatasetNames: DatasetNames = (id, locale) => knownDatasets[id]?.[locale] ?? id;

/** Names from the configured data-set catalogue, written to sit inside a sentence ("bokningar"). */
export function catalogueNames(catalogue: DatasetConfig[]): DatasetNames {
  const byId = new Map(catalogue.map((d) => [d.id, d]));
  return (id, locale) => {
    const name = byId.get(id)?.names[locale];
    return name ? name.charAt(0).toLocaleLowerCase(locale) + name.slice(1) : defaultDatasetNames(id, locale);
  };
}

export const sensitivityNames: Record<DatasetConfig['sensitivity'], Text> = {
  low: { sv: 'låg känslighet', en: 'low sensitivity' },
  medium: { sv: 'medelhög känslighet', en: 'medium sensitivity' },
  high: { sv: 'hög känslighet', en: 'high sensitivity' },
};

/** "bokningar (läsa, skriva) och provsvar (läsa)". */
export function accessInWords(access: DatasetAccess[], locale: Locale, names: DatasetNames = defaultDatasetNames): string {
  const parts = access.map((a) => `${names(a.dataset, locale)} (${a.actions.map((x) => actionNames[x]?.[locale] ?? x).join(', ')})`);
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} ${locale === 'sv' ? 'och' : 'and'} ${parts[parts.length - 1]}`;
}

export interface ProblemWords {
  title: Text;
  explanation: Text;
}

/** What each problem code means, in plain words. Unknown codes fall back to the API's own title and detail. */
export const problemWords: Record<string, ProblemWords> = {
  forbidden_role: {
    title: { sv: 'Din roll får inte göra det här', en: 'Your role may not do this' },
    explanation: { sv: 'Registret tillåter inte den här åtgärden för någon av dina roller.', en: 'The registry does not allow this action for any of your roles.' },
  },
  outside_controller: {
    title: { sv: 'Utanför din organisation', en: 'Outside your organisation' },
    explanation: { sv: 'Du är administratör för en annan personuppgiftsansvarig. Du kan bara godkänna och återkalla för den du administrerar.', en: 'You administer another data controller. You can only approve and revoke for the one you administer.' },
  },
  outside_framework: {
    title: { sv: 'Utanför ditt tillitsramverk', en: 'Outside your trust framework' },
    explanation: { sv: 'Som certifieringsorgan kan du bara certifiera enligt ditt eget tillitsramverk.', en: 'As a certification body you can only certify under your own trust framework.' },
  },
  own_product: {
    title: { sv: 'Din egen produkt', en: 'Your own product' },
    explanation: { sv: 'Din organisation är leverantör av produkten. Den som talar för leverantören ändrar aldrig något som rör produkten – inte godkännanden, begränsningar, certifieringar, status eller avstängningar – oavsett vilka andra roller hen har. Be någon annan hos den personuppgiftsansvarige.', en: 'Your organisation supplies this product. Whoever speaks for the supplier never changes anything about the product — approvals, limits, certifications, status or suspensions — whatever other roles they hold. Ask someone else at the data controller.' },
  },
  undeclared_change: {
    title: { sv: 'Ändringen kan inte prövas', en: 'The change cannot be checked' },
    explanation: { sv: 'Gatewayen vet inte vilka produkter ändringen gäller och gör den därför inte. Kontakta federationsoperatören.', en: 'The gateway does not know which products this change concerns, so it does not make it. Contact the federation operator.' },
  },
  not_staff: {
    title: { sv: 'Bara för medarbetare', en: 'Staff only' },
    explanation: { sv: 'Administrationskonsolen är bara för medarbetare som loggar in med en e-legitimation för medarbetare (SITHS). En privatpersons inloggning godtas inte.', en: 'The admin console is only for staff signing in with a staff e-ID (SITHS). A citizen sign-in is not accepted.' },
  },
  no_role: {
    title: { sv: 'Du har ingen roll i registret', en: 'You have no role in the registry' },
    explanation: { sv: 'Be federationsoperatören att ge dig en roll.', en: 'Ask the federation operator to give you a role.' },
  },
  version_conflict: {
    title: { sv: 'Någon annan har ändrat det här', en: 'Someone else changed this' },
    explanation: { sv: 'Uppgifterna har ändrats sedan du öppnade sidan. Ladda om sidan, kontrollera uppgifterna och försök igen.', en: 'The information changed after you opened the page. Reload the page, check it and try again.' },
  },
  precondition_required: {
    title: { sv: 'Versionen saknas', en: 'The version is missing' },
    explanation: { sv: 'Ändringen måste ange vilken version den gäller. Ladda om sidan och försök igen.', en: 'The change must name the version it applies to. Reload the page and try again.' },
  },
  not_found: {
    title: { sv: 'Finns inte', en: 'Not found' },
    explanation: { sv: 'Det du letar efter finns inte i registret.', en: 'What you are looking for is not in the registry.' },
  },
  duplicate: {
    title: { sv: 'Finns redan', en: 'Already exists' },
    explanation: { sv: 'Det finns redan en post med samma identitet.', en: 'There is already an entry with the same identity.' },
  },
  validation: {
    title: { sv: 'Uppgifterna godtogs inte', en: 'The information was not accepted' },
    explanation: { sv: 'Rätta det som anges nedan och försök igen.', en: 'Correct what is listed below and try again.' },
  },
  session_expired: {
    title: { sv: 'Inloggningen har gått ut', en: 'Your sign-in has expired' },
    explanation: { sv: 'Logga in igen för att fortsätta.', en: 'Sign in again to continue.' },
  },
  csrf: {
    title: { sv: 'Formuläret kunde inte tas emot', en: 'The form could not be accepted' },
    explanation: { sv: 'Formuläret kom inte från en sida i konsolen eller har gått ut. Gå tillbaka, ladda om sidan och försök igen.', en: 'The form did not come from a console page or has expired. Go back, reload the page and try again.' },
  },
  api_unreachable: {
    title: { sv: 'Registret svarar inte', en: 'The registry does not answer' },
    explanation: { sv: 'Försök igen om en stund. Ingenting har ändrats.', en: 'Try again in a while. Nothing was changed.' },
  },
  api_bad_response: {
    title: { sv: 'Registret svarade fel', en: 'The registry answered wrongly' },
    explanation: { sv: 'Registret gav ett svar som konsolen inte förstår. Ingenting har ändrats av konsolen.', en: 'The registry gave an answer the console does not understand. The console changed nothing.' },
  },
  sign_in_failed: {
    title: { sv: 'Inloggningen misslyckades', en: 'Sign-in failed' },
    explanation: { sv: 'Inloggningen kunde inte slutföras. Försök igen.', en: 'The sign-in could not be completed. Try again.' },
  },
};

/** Token problems all mean the same thing to a person: sign in again. */
export const SIGN_IN_AGAIN = new Set(['invalid_token', 'invalid_dpop_proof', 'token_missing', 'token_malformed', 'token_invalid', 'token_inactive', 'dpop_missing', 'dpop_invalid', 'dpop_stale', 'dpop_mismatch', 'dpop_replayed', 'dpop_key_mismatch', 'unbound_token', 'session_expired']);

/** Why an approval does not count right now (src/whitelist/liveApprovals.ts lapses). */
export const lapseWords: Record<string, Text> = {
  approval_revoked: { sv: 'den personuppgiftsansvarige har återkallat sitt godkännande', en: 'the data controller revoked its approval' },
  approval_expired: { sv: 'ett godkännande har passerat sitt slutdatum', en: 'an approval has passed its end date' },
  certification_expired: { sv: 'en certifiering har gått ut', en: 'a certification has expired' },
  certification_withdrawn: { sv: 'en certifiering har återkallats', en: 'a certification was withdrawn' },
  framework_not_accepted: { sv: 'en certifiering gäller ett tillitsramverk som den personuppgiftsansvarige inte godtar för ändamålet', en: 'a certification is under a trust framework the data controller does not accept for the purpose' },
  nothing_in_common: { sv: 'ett godkännande täcker inget som produkten begär och den personuppgiftsansvarige förvaltar', en: 'an approval covers nothing the product asks for that the data controller holds' },
};

// The privacy information's texts, in every language of PRIVACY_LOCALES (Farsi and Arabic right to left).
import { catalogue, type PrivacyLocale, type KeysOf } from './catalogue.ts';
import { privacy as sv } from './sv/privacy.ts';
import { privacy as en } from './en/privacy.ts';
import { privacy as so } from './so/privacy.ts';
import { privacy as fa } from './fa/privacy.ts';
import { privacy as ar } from './ar/privacy.ts';

export const privacyTexts = catalogue<PrivacyLocale, keyof KeysOf<typeof sv>>({ sv, en, so, fa, ar });

/** Each language's name in itself, for the language list. */
export const PRIVACY_LANGUAGE_NAMES: Readonly<Record<PrivacyLocale, string>> = {
  sv: 'Svenska', en: 'English', so: 'Soomaali', fa: 'فارسی', ar: 'العربية',
};

// Per-locale message catalogues. Every text a person reads lives in a catalogue file under
// `messages/<locale>/<area>.ts`, never inline in a page: Swedish is the reference (its keys define
// the area), English is complete, and the privacy texts are also in Somali, Farsi and Arabic (the
// largest language groups after Swedish and English), Farsi and Arabic right to left.
//
// A text may carry named placeholders, `{name}`; `say` fills them. Pages escape what they
// interpolate, so a catalogue text is plain text, never markup.
import type { Locale } from '../i18n.ts';

/** The languages of the privacy information (issue: sv and en complete, plus so, fa, ar). */
export const PRIVACY_LOCALES = ['sv', 'en', 'so', 'fa', 'ar'] as const;
export type PrivacyLocale = (typeof PRIVACY_LOCALES)[number];

/** Any language a page may be written in; the ones that are not page languages only for privacy texts. */
export type AnyLocale = Locale | PrivacyLocale;

const RIGHT_TO_LEFT: ReadonlySet<string> = new Set(['fa', 'ar']);

/** The writing direction of a language, for `<html dir>`. */
export const directionOf = (locale: AnyLocale): 'ltr' | 'rtl' => (RIGHT_TO_LEFT.has(locale) ? 'rtl' : 'ltr');

/** One area's texts in one language: keys as Swedish defines them. */
export type Messages<K extends string = string> = Readonly<Record<K, string>>;

/** The keys of a Swedish catalogue file, for its translations to satisfy. */
export type KeysOf<T> = Messages<Extract<keyof T, string>>;

/** Fill `{name}` placeholders. An unknown placeholder stays visible, so a missing value is seen in tests, not hidden. */
export function fill(text: string, params?: Readonly<Record<string, string | number>>): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** An area's texts in each of its languages, and `say(locale, key, params)` over them. */
export interface Catalogue<L extends string, K extends string> {
  readonly locales: readonly L[];
  readonly texts: Readonly<Record<L, Messages<K>>>;
  say(locale: L, key: K, params?: Readonly<Record<string, string | number>>): string;
}

export function catalogue<L extends string, K extends string>(texts: Readonly<Record<L, Messages<K>>>): Catalogue<L, K> {
  const locales = Object.keys(texts) as L[];
  return {
    locales,
    texts,
    say: (locale, key, params) => fill(texts[locale][key], params),
  };
}

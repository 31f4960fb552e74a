// Swedish first, English second: the two languages of every page the gateway shows a person.
import type { Context } from 'koa';

export const LOCALES = ['sv', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** A language the person chose on a page (?lang=, a form's lang, the lang cookie): `en`, `en-GB` and `EN` all say English. */
export function chosenLocale(value: unknown): Locale | undefined {
  if (typeof value !== 'string') return undefined;
  const lang = value.trim().split('-')[0]?.toLowerCase();
  return LOCALES.find((l) => l === lang);
}

/** OIDC ui_locales: space-separated, most preferred first; the first one we speak wins. */
function fromUiLocales(uiLocales: string | undefined): Locale | undefined {
  for (const tag of uiLocales?.split(' ') ?? []) {
    const locale = chosenLocale(tag);
    if (locale) return locale;
  }
  return undefined;
}

/** Accept-Language by its q-values (Koa's negotiation); undefined when it names neither language. */
function fromAcceptLanguage(ctx: Context): Locale | undefined {
  if (!ctx.get('accept-language')) return undefined;
  const best = ctx.acceptsLanguages([...LOCALES]);
  return LOCALES.find((l) => l === best);
}

/**
 * The person's own choice first (?lang=, then the lang cookie a page set), then the client's
 * ui_locales, then what the browser prefers; Swedish when nothing says otherwise.
 */
export function localeOf(ctx: Context, uiLocales?: string): Locale {
  return chosenLocale(ctx.query.lang) ?? chosenLocale(ctx.cookies.get('lang')) ?? fromUiLocales(uiLocales) ?? fromAcceptLanguage(ctx) ?? 'sv';
}

export type Text = Record<Locale, string>;
export const t = (text: Text, locale: Locale): string => text[locale];

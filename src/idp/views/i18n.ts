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
 * The language the app asked for (ui_locales) in the sign-in under way, kept in a browser-session
 * cookie so the pages that no longer see the request (an error, the signed-out page, the logout
 * prompt) stay in it. Below the person's own choice; above what the browser prefers.
 */
export const APP_LANG_COOKIE = 'app_lang';

/** Keeps the app's ui_locales language for the rest of the flow (see APP_LANG_COOKIE); no-op without one. */
export function rememberAppLocale(ctx: Context, uiLocales: string | undefined): void {
  const locale = fromUiLocales(uiLocales);
  if (locale && ctx.cookies.get(APP_LANG_COOKIE) !== locale) ctx.cookies.set(APP_LANG_COOKIE, locale, { httpOnly: true, sameSite: 'lax' });
}

/**
 * The person's own choice first (?lang=, then the lang cookie a page set), then the client's
 * ui_locales (this request's, else the flow's), then what the browser prefers; Swedish when nothing
 * says otherwise.
 */
export function localeOf(ctx: Context, uiLocales?: string): Locale {
  return chosenLocale(ctx.query.lang) ?? chosenLocale(ctx.cookies.get('lang')) ?? fromUiLocales(uiLocales)
    ?? chosenLocale(ctx.cookies.get(APP_LANG_COOKIE)) ?? fromAcceptLanguage(ctx) ?? 'sv';
}

export type Text = Record<Locale, string>;
export const t = (text: Text, locale: Locale): string => text[locale];

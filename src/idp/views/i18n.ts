// Swedish first, English second: the two languages of every page the gateway shows a person.
import type { Context } from 'koa';

export type Locale = 'sv' | 'en';

/** ?lang= wins, then the lang cookie, then the client's ui_locales, then Accept-Language; default Swedish. */
export function localeOf(ctx: Context, uiLocales?: string): Locale {
  const pick = (v: string | undefined): Locale | undefined => {
    if (!v) return undefined;
    for (const tag of v.split(/[\s,]+/)) {
      const lang = tag.split(/[-;]/)[0]?.toLowerCase();
      if (lang === 'sv' || lang === 'en') return lang;
    }
    return undefined;
  };
  const query = typeof ctx.query?.lang === 'string' ? ctx.query.lang : undefined;
  return pick(query) ?? pick(ctx.cookies?.get('lang') ?? undefined) ?? pick(uiLocales) ?? pick(ctx.get?.('accept-language')) ?? 'sv';
}

export type Text = Record<Locale, string>;
export const t = (text: Text, locale: Locale): string => text[locale];

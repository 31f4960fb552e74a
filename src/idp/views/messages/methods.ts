// The method list's texts, in the two page languages.
import type { Locale } from '../i18n.ts';
import { catalogue } from './catalogue.ts';
import { methods as sv } from './sv/methods.ts';
import { methods as en } from './en/methods.ts';

export const methodTexts = catalogue({ sv, en });

type Key = keyof typeof sv;
const isKey = (key: string): key is Key => key in sv;

/** The plain-words description of an upstream (loa.providers key), or undefined when the catalogue has none. */
export function methodDescription(upstream: string, locale: Locale): string | undefined {
  const key = `describe.${upstream}`;
  return isKey(key) ? methodTexts.say(locale, key) : undefined;
}

/** A level rank (2..4) in plain words, or undefined for a rank without words. */
export function levelWords(rank: number, locale: Locale): string | undefined {
  const key = `level.${rank}`;
  return isKey(key) ? methodTexts.say(locale, key) : undefined;
}

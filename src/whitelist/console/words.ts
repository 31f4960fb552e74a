// The console's words, read from its message catalogue (src/idp/views/messages/<locale>/console.ts):
// statuses, roles, actions, data sets, audit actions, and what each of the admin API's reason codes
// means to the person who met it. Here are only the rules for choosing a text; the texts are there.
import type { Locale } from '../../idp/views/i18n.ts';
import { consoleTexts, type ConsoleKey } from '../../idp/views/messages/console.ts';
import type { DatasetConfig } from '../../config.ts';
import type { DatasetAccess } from '../model.ts';

export type { ConsoleKey };

/** A catalogue text, with `{name}` placeholders filled. */
export const say = (locale: Locale, key: ConsoleKey, params?: Readonly<Record<string, string | number>>): string => consoleTexts.say(locale, key, params);

/** The text of a key made from a code (`status.${code}`), or undefined when the catalogue has none. */
export function sayCode(locale: Locale, prefix: string, code: string, params?: Readonly<Record<string, string | number>>): string | undefined {
  const key = `${prefix}.${code}`;
  return key in consoleTexts.texts[locale] ? say(locale, key as ConsoleKey, params) : undefined;
}

export const statusName = (locale: Locale, status: string | undefined): string => sayCode(locale, 'status', String(status ?? '')) ?? String(status ?? '');
export const roleName = (locale: Locale, role: string): string => sayCode(locale, 'role', role) ?? role;
export const basisName = (locale: Locale, basis: string): string => sayCode(locale, 'basis', basis) ?? basis;
export const actionName = (locale: Locale, action: string): string => sayCode(locale, 'action', action) ?? action;
export const kindName = (locale: Locale, kind: string): string => sayCode(locale, 'kind', kind) ?? kind;
export const sensitivityName = (locale: Locale, s: string): string => sayCode(locale, 'sensitivity', s) ?? s;
export const objectTypeName = (locale: Locale, type: string): string => sayCode(locale, 'type', type) ?? type;

/** An audit action in words ("återkallade ett godkännande"); one without words is named by its code. */
export const auditActionWords = (locale: Locale, action: string): string => sayCode(locale, 'audit', action) ?? say(locale, 'auditUnknownAction', { action });

/** Why an approval does not count right now (src/whitelist/liveApprovals.ts lapses); undefined for one without words. */
export const lapseWords = (locale: Locale, lapse: string): string | undefined => sayCode(locale, 'lapse', lapse);

export type DatasetNames = (id: string, locale: Locale) => string;
/** Names of the sandbox catalogue's data sets, until a catalogue entry says otherwise. */
export const defaultDatasetNames: DatasetNames = (id, locale) => sayCode(locale, 'dataset', id) ?? id;

/** Names from the configured data-set catalogue, written to sit inside a sentence ("bokningar"). */
export function catalogueNames(catalogue: DatasetConfig[]): DatasetNames {
  const byId = new Map(catalogue.map((d) => [d.id, d]));
  return (id, locale) => {
    const name = byId.get(id)?.names[locale];
    return name ? name.charAt(0).toLocaleLowerCase(locale) + name.slice(1) : defaultDatasetNames(id, locale);
  };
}

/** "bokningar (läsa, skriva) och provsvar (läsa)". */
export function accessInWords(access: DatasetAccess[], locale: Locale, names: DatasetNames = defaultDatasetNames): string {
  const parts = access.map((a) => `${names(a.dataset, locale)} (${a.actions.map((x) => actionName(locale, x)).join(', ')})`);
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} ${say(locale, 'and')} ${parts[parts.length - 1]}`;
}

/** Token problems all mean the same thing to a person: sign in again. */
export const SIGN_IN_AGAIN = new Set(['invalid_token', 'invalid_dpop_proof', 'token_missing', 'token_malformed', 'token_invalid', 'token_inactive', 'dpop_missing', 'dpop_invalid', 'dpop_stale', 'dpop_mismatch', 'dpop_replayed', 'dpop_key_mismatch', 'unbound_token', 'session_expired']);

/** What a problem code means, in plain words; undefined for a code the catalogue has no sentence for. */
export function problemWords(locale: Locale, code: string, status?: number): { title: string; text: string } | undefined {
  const known = (c: string) => {
    const title = sayCode(locale, 'problem', `${c}.title`);
    const text = sayCode(locale, 'problem', `${c}.text`);
    return title && text ? { title, text } : undefined;
  };
  return known(code)
    ?? (SIGN_IN_AGAIN.has(code) || status === 401 ? known('sign_in_again') : undefined)
    ?? (status === 400 || status === 422 ? known('validation') : undefined);
}

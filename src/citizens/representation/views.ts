// The pages and lines of acting for someone: the choice after the e-ID ("Vem agerar du för?") and the
// "Du agerar för Kalle (11 år)" line the consent page and the app show.
import { html, page, type Html } from '../../idp/views/html.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { representationTexts as t } from '../../idp/views/messages/representation.ts';
import { ageOn, parseIdentityNumber } from '../../personnummer.ts';
import { SE } from '../../idp/claims.ts';
import type { Relation } from './pipeline.ts';

/** One person the signed-in person may act for, as the choice page offers it (no personnummer). */
export interface ActingOption {
  /** The option's index in the list kept server-side: the form sends only this. */
  index: number;
  name: string;
  age: number;
  relation: Relation;
}

/** "Du agerar för Kalle (11 år)" — the age only for a child (a guardian's relation). */
export function actingForText(locale: Locale, person: { name: string; age: number; relation: Relation }): string {
  return person.relation === 'guardian'
    ? t.say(locale, 'actingFor', { name: person.name, age: person.age })
    : t.say(locale, 'actingForAdult', { name: person.name });
}

export function actingForLine(locale: Locale, person: { name: string; age: number; relation: Relation }): Html {
  return html`<p class="message" role="status" id="acting-for">${actingForText(locale, person)}</p>`;
}

export function choosePage(opts: { locale: Locale; uid: string; options: ActingOption[]; notice?: string | undefined }): string {
  const { locale, uid } = opts;
  const title = t.say(locale, 'chooseTitle');
  return page({
    locale,
    title,
    path: `/interaction/${uid}/represent`,
    body: html`<h1>${title}</h1>
<p>${t.say(locale, 'chooseIntro')}</p>
${opts.notice ? html`<p class="message error" role="alert">${opts.notice}</p>` : html``}
<form method="post" action="/interaction/${uid}/represent" class="card">
<input type="hidden" name="lang" value="${locale}">
<fieldset><legend>${title}</legend>
<p><label><input type="radio" name="for" value="self" checked> ${t.say(locale, 'myself')}</label></p>
${opts.options.map((o) => html`<p><label><input type="radio" name="for" value="${String(o.index)}"> ${o.name}${o.relation === 'guardian' ? html` (${String(o.age)})` : html``} – ${t.say(locale, o.relation === 'guardian' ? 'asGuardian' : 'asAgent')}</label></p>`)}
</fieldset>
<button type="submit" id="represent-continue">${t.say(locale, 'continue')}</button>
</form>`,
  });
}

export function refusedPage(locale: Locale, expired = false): string {
  const title = t.say(locale, 'refusedTitle');
  return page({ locale, title, body: html`<h1>${title}</h1><p class="message error" role="alert">${t.say(locale, expired ? 'expiredBody' : 'refusedBody')}</p>` });
}

/**
 * The app's side (the sandbox's demo apps): from an ID token's claims, "Du agerar för …" when the
 * token carries `act`, else nothing. The age is the represented person's, from their personnummer
 * claim; a child (under 18) is shown with it, as a guardian's relation.
 */
export function actingForFromClaims(locale: Locale, claims: Record<string, unknown>, nowMs: number): Html | undefined {
  if (!claims.act || typeof claims.name !== 'string') return undefined;
  const id = typeof claims[SE.personalIdentityNumber] === 'string' ? parseIdentityNumber(claims[SE.personalIdentityNumber] as string) : undefined;
  const age = id ? ageOn(id, nowMs) : 99;
  return actingForLine(locale, { name: claims.name, age, relation: age < 18 ? 'guardian' : 'agent' });
}

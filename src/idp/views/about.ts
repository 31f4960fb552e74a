// The pages about the service itself: help and contact, and the accessibility statement
// (tillgänglighetsredogörelse) that the Act on accessibility to digital public services (DOS-lagen,
// 2018:1937) requires, in the structure of Digg's model statement: conformance with WCAG 2.1 AA,
// known shortcomings, how to report them, supervision by Digg, how it was tested, and the date.
import { html, page, type Html } from './html.ts';
import type { Locale } from './i18n.ts';
import { pageTexts } from './messages/pages.ts';

export interface ServiceContact {
  operator: string;
  supportEmail?: string | undefined;
  supportPhone?: string | undefined;
  accessibilityEmail?: string | undefined;
}

/** Digg's form for reporting shortcomings in digital public services. */
export const DIGG_REPORT_URL = 'https://www.digg.se/tdosanmalan';

type Key = Parameters<typeof pageTexts.say>[1];

function contactList(locale: Locale, email: string | undefined, phone: string | undefined): Html {
  const say = (key: Key) => pageTexts.say(locale, key);
  return html`<ul id="contact">
${email ? html`<li>${say('helpEmail')}: <a href="mailto:${email}">${email}</a></li>` : html``}
${phone ? html`<li>${say('helpPhone')}: <a href="tel:${phone.replace(/[^0-9+]/g, '')}">${phone}</a></li>` : html``}
</ul>`;
}

export function helpPage(locale: Locale, contact: ServiceContact): string {
  const say = (key: Key, params?: Record<string, string>) => pageTexts.say(locale, key, params);
  const title = say('helpTitle');
  const reachable = contact.supportEmail ?? contact.supportPhone;
  return page({
    locale,
    title,
    path: '/help',
    body: html`<h1>${title}</h1>
<div class="card"><p>${say('helpIntro', { operator: contact.operator })}</p></div>
<div class="card"><h2>${say('helpTroubleTitle')}</h2>
<ul><li>${say('helpTrouble1')}</li><li>${say('helpTrouble2')}</li><li>${say('helpTrouble3')}</li></ul></div>
<div class="card"><h2>${say('helpContactTitle')}</h2>
<p>${say('helpContactApp')}</p>
${reachable ? html`<p>${say('helpContactUs')}</p>${contactList(locale, contact.supportEmail, contact.supportPhone)}` : html`<p>${say('helpNoContact')}</p>`}</div>`,
  });
}

export function accessibilityStatement(locale: Locale, contact: ServiceContact): string {
  const say = (key: Key, params?: Record<string, string>) => pageTexts.say(locale, key, params);
  const title = say('a11yTitle');
  const email = contact.accessibilityEmail ?? contact.supportEmail;
  const shortcomings: Key[] = ['a11yShortcoming1', 'a11yShortcoming2', 'a11yShortcoming3', 'a11yShortcoming4'];
  return page({
    locale,
    title,
    path: '/accessibility',
    body: html`<h1>${title}</h1>
<div class="card" id="a11y-statement">
<p>${say('a11yIntro', { operator: contact.operator })}</p>
<h2>${say('a11yStatusTitle')}</h2>
<p id="a11y-status">${say('a11yStatus')}</p>
<h2>${say('a11yShortcomingsTitle')}</h2>
<ul id="a11y-shortcomings">${shortcomings.map((k) => html`<li>${say(k)}</li>`)}</ul>
<h2>${say('a11yReportTitle')}</h2>
${email || contact.supportPhone ? html`<p>${say('a11yReport')}</p>${contactList(locale, email, contact.supportPhone)}` : html`<p>${say('a11yReportNoContact')}</p>`}
<h2>${say('a11yDiggTitle')}</h2>
<p>${say('a11yDigg')}</p>
<p><a href="${DIGG_REPORT_URL}" id="digg-report">${say('a11yDiggLink')}</a></p>
<h2>${say('a11yTestedTitle')}</h2>
<p>${say('a11yTested')}</p>
<p class="muted" id="a11y-updated">${say('a11yUpdated')}</p>
</div>`,
  });
}

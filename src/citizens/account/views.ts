// The pages of /account: the signed-out landing, the citizen's overview (apps, consents, access log,
// agents and representatives, export, sign-out), problems with their reason, and the privacy page in
// every privacy language (Farsi and Arabic right to left through page()'s contentLocale). Every text
// comes from the account and privacy catalogues; every form that changes something carries the CSRF token.
import { html, page, type Html } from '../../idp/views/html.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { accountTexts } from '../../idp/views/messages/account.ts';
import { privacyTexts, PRIVACY_LANGUAGE_NAMES } from '../../idp/views/messages/privacy.ts';
import { PRIVACY_LOCALES, type PrivacyLocale } from '../../idp/views/messages/catalogue.ts';
import { methodName } from '../../federation/sso/views.ts';
import type { DecisionRecord } from '../../scopes/decisionAudit.ts';
import type { ConsentRecord } from '../consent/records.ts';
import type { AccessLogFilter, AccessLogPage } from './accessLog.ts';
import type { AccountOverview } from './overview.ts';
import type { AccountSession } from './session.ts';
import type { ShownRelation } from './representation.ts';

type Key = Parameters<typeof accountTexts.say>[1];

const sayer = (locale: Locale) => (key: Key, params?: Record<string, string | number>) => accountTexts.say(locale, key, params);

/** A time as a person reads it, in Swedish time. */
export function when(iso: string | undefined, locale: Locale): string {
  if (!iso) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  return at.toLocaleString(locale === 'sv' ? 'sv-SE' : 'en-GB', { timeZone: 'Europe/Stockholm', dateStyle: 'medium', timeStyle: 'short' });
}

const actionKey = (actions: readonly string[]): Key =>
  (actions.includes('read') && actions.includes('write') ? 'actionReadWrite' : actions.includes('write') ? 'actionWrite' : 'actionRead');

const styles = html`<style>
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:start;padding:.35rem .5rem;border-bottom:1px solid #cfd6e0;vertical-align:top}
nav.toc ul{padding-inline-start:1.2rem}.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:0 1rem}
.permit{color:#14532d}.deny{color:#a4161a}
</style>`;

export function signInPage(locale: Locale, notice?: string): string {
  const say = sayer(locale);
  return page({
    locale,
    title: say('title'),
    path: '/account',
    body: html`<h1>${say('title')}</h1>
${notice ? html`<p class="message error" role="alert">${notice}</p>` : html``}
<div class="card"><p>${say('signInIntro')}</p>
<p><a class="button" id="account-sign-in" href="/account/login?lang=${locale}">${say('signIn')}</a></p></div>
<p><a href="/account/privacy?lang=${locale}">${say('privacyLink')}</a></p>`,
  });
}

export function signedOutPage(locale: Locale): string {
  const say = sayer(locale);
  return page({
    locale,
    title: say('signedOutTitle'),
    path: '/account/signed-out',
    body: html`<div class="card"><h1>${say('signedOutTitle')}</h1><p>${say('signedOutText')}</p>
<p><a class="button" href="/account/login?lang=${locale}">${say('signInAgain')}</a></p></div>`,
  });
}

/** A refusal: the status, its reason code (for programs and tests) and the words for the person. */
export function problemPage(locale: Locale, reason: string, message: string): string {
  const say = sayer(locale);
  return page({
    locale,
    title: say('title'),
    body: html`<h1>${say('title')}</h1>
<p class="message error" role="alert" id="problem" data-reason="${reason}">${message} <code>${reason}</code></p>
<p><a href="/account?lang=${locale}">${say('back')}</a></p>`,
  });
}

function relationLines(locale: Locale, relations: ShownRelation[]): Html {
  const say = sayer(locale);
  if (!relations.length) return html`<p>${say('noneRelations')}</p>`;
  return html`<ul>${relations.map((r) => html`<li>${r.name}, ${say(r.kind === 'guardian' ? 'relationGuardian' : 'relationAgent')}${r.mandate ? html` (${r.mandate})` : html``}${r.until ? html`, ${say('relationUntil', { date: when(r.until, locale) })}` : html``}</li>`)}</ul>`;
}

function consentWhat(locale: Locale, o: AccountOverview, c: ConsentRecord): string {
  const say = sayer(locale);
  const ctrl = (id: string | undefined) => (id ? o.controllerNames.get(id) ?? id : '');
  const dataset = c.dataset ? o.datasetName(c.dataset).toLowerCase() : '';
  switch (c.kind) {
    case 'disclosure_secrecy': return say('kindSecrecy', { controller: ctrl(c.controllerId), dataset, recipient: ctrl(c.recipientId) });
    case 'disclosure_processing': return say('kindProcessing', { controller: ctrl(c.controllerId), dataset, recipient: ctrl(c.recipientId) });
    case 'disclosure_receipt': {
      // The receipt consent is to the receiving provider; the disclosing one is its pair's controller.
      const from = o.consents.find((x) => x.kind === 'disclosure_secrecy' && x.productId === c.productId && x.dataset === c.dataset && x.recipientId === c.recipientId)?.controllerId;
      return say('kindReceipt', { controller: ctrl(c.controllerId), dataset, from: ctrl(from) });
    }
    default:
      return c.dataset
        ? say('accessLine', { actions: say(actionKey(c.actions)), dataset, controller: ctrl(c.controllerId) })
        : say('kindIdentity');
  }
}

const howKey = (how: string): Key => (how.startsWith('consent_page') ? 'howConsentPage' : how.startsWith('account_page') ? 'howAccountPage' : how.startsWith('jump') ? 'howJump' : 'howOther');

function logRow(locale: Locale, o: AccountOverview, e: DecisionRecord): Html {
  const say = sayer(locale);
  const permitted = e.decision === 'permit';
  return html`<tr data-decision="${e.id}"><td>${when(e.decidedAt, locale)}</td><td>${e.productId ? o.productNames.get(e.productId) ?? e.productId : ''}</td>
<td>${e.controllerId ? o.controllerNames.get(e.controllerId) ?? e.controllerId : ''}</td><td>${e.dataset ? o.datasetName(e.dataset) : ''}</td>
<td>${e.action === 'write' ? say('write') : e.action === 'read' ? say('read') : ''}</td>
<td class="${permitted ? 'permit' : 'deny'}">${permitted ? say('permitted') : say('denied')}</td></tr>`;
}

function option(value: string, label: string, selected: string | undefined): Html {
  return html`<option value="${value}"${selected === value ? html` selected` : html``}>${label}</option>`;
}

function logQuery(f: AccessLogFilter, page: number, locale: Locale): string {
  const q = new URLSearchParams();
  for (const k of ['product', 'controller', 'dataset', 'outcome', 'from', 'to'] as const) {
    const v = f[k];
    if (v) q.set(k, v);
  }
  q.set('page', String(page));
  q.set('lang', locale);
  return `/account?${q.toString()}#log`;
}

export interface OverviewView {
  locale: Locale;
  session: AccountSession;
  overview: AccountOverview;
  log: AccessLogPage;
  filter: AccessLogFilter;
  flash?: string | undefined;
}

export function overviewPage(v: OverviewView): string {
  const { locale, session, overview: o, log, filter } = v;
  const say = sayer(locale);
  const csrf = html`<input type="hidden" name="csrf" value="${session.csrf}">`;
  const apps = o.apps.length
    ? html`<ul class="apps" style="list-style:none;padding:0">${o.apps.map((a) => html`<li class="card" id="app-${a.productId}" data-product="${a.productId}"><h3>${a.name}</h3>
<p class="muted">${say('since', { date: when(a.since, locale) })}. ${a.lastUse ? say('lastUse', { date: when(a.lastUse, locale) }) : say('neverUsed')}.</p>
${a.access.length
    ? html`<ul>${a.access.map((x) => html`<li>${say('accessLine', { actions: say(actionKey(x.actions)), dataset: x.datasetName.toLowerCase(), controller: x.controllerName })}</li>`)}</ul>`
    : html`<p>${say('identityOnly')}</p>`}
<form method="post" action="/account/apps/${encodeURIComponent(a.productId)}/revoke">${csrf}<input type="hidden" name="lang" value="${locale}">
<button type="submit" class="secondary revoke-app" data-product="${a.productId}">${say('revokeApp', { app: a.name })}</button></form>
<p class="muted">${say('revokeAppNote')}</p></li>`)}</ul>`
    : html`<p id="apps-none">${say('appsNone')}</p>`;
  const consentRows = o.consents.map((c) => html`<tr data-consent="${c.id}"><td>${o.productNames.get(c.productId) ?? c.productId}</td><td>${consentWhat(locale, o, c)}</td>
<td>${when(c.givenAt, locale)}</td><td>${say(howKey(c.givenHow))}</td><td><code>${c.textVersion}</code> (${c.locale})</td>
<td>${c.revokedAt ? say('revokedAt', { date: when(c.revokedAt, locale) }) : html`${say('inForce')}
<form method="post" action="/account/consents/${encodeURIComponent(c.id)}/revoke">${csrf}<input type="hidden" name="lang" value="${locale}"><button type="submit" class="secondary" aria-label="${say('revoke')}: ${consentWhat(locale, o, c)}">${say('revoke')}</button></form>`}</td></tr>`);
  const th = (k: Key) => html`<th scope="col">${say(k)}</th>`;
  const products = [...o.productNames].sort((a, b) => a[1].localeCompare(b[1]));
  const controllers = [...o.controllerNames].sort((a, b) => a[1].localeCompare(b[1]));
  const datasets = [...new Set(log.entries.map((e) => e.dataset).filter((d): d is string => Boolean(d)).concat(filter.dataset ? [filter.dataset] : []))];
  return page({
    locale,
    title: say('title'),
    path: '/account',
    body: html`${styles}<h1>${say('title')}</h1>
<p class="message" id="signed-in-as" role="status">${say('signedInAs', { name: session.name, method: session.method ? methodName(session.method, locale) : '' })}</p>
<form method="post" action="/account/logout">${csrf}<button type="submit" class="secondary" id="account-sign-out">${say('signOut')}</button></form>
${v.flash ? html`<p class="message" role="status" id="flash">${v.flash}</p>` : html``}
<p>${say('intro')}</p>
<nav class="toc" aria-label="${say('contents')}"><ul>
<li><a href="#apps">${say('appsHeading')}</a></li><li><a href="#consents">${say('consentsHeading')}</a></li>
<li><a href="#log">${say('logHeading')}</a></li><li><a href="#representation">${say('representationHeading')}</a></li>
<li><a href="#export">${say('exportHeading')}</a></li><li><a href="/account/privacy?lang=${locale}">${say('privacyLink')}</a></li>
</ul></nav>
<section aria-labelledby="apps"><h2 id="apps">${say('appsHeading')}</h2>${apps}</section>
<section aria-labelledby="consents"><h2 id="consents">${say('consentsHeading')}</h2>
${o.consents.length ? html`<table id="consent-table"><caption class="sr-only">${say('consentsHeading')}</caption><thead><tr>${th('colApp')}${th('colWhat')}${th('colGiven')}${th('colHow')}${th('colText')}${th('colStatus')}</tr></thead>
<tbody>${consentRows}</tbody></table>` : html`<p>${say('consentsNone')}</p>`}</section>
<section aria-labelledby="log"><h2 id="log">${say('logHeading')}</h2><p>${say('logIntro')}</p>
<form method="get" action="/account" class="card" id="log-filter"><input type="hidden" name="lang" value="${locale}"><div class="filters">
<div><label for="f-product">${say('filterApp')}</label><select id="f-product" name="product">${option('', say('filterAll'), filter.product ?? '')}${products.map(([id, name]) => option(id, name, filter.product))}</select></div>
<div><label for="f-controller">${say('filterController')}</label><select id="f-controller" name="controller">${option('', say('filterAll'), filter.controller ?? '')}${controllers.map(([id, name]) => option(id, name, filter.controller))}</select></div>
<div><label for="f-dataset">${say('filterDataset')}</label><select id="f-dataset" name="dataset">${option('', say('filterAll'), filter.dataset ?? '')}${datasets.map((id) => option(id, o.datasetName(id), filter.dataset))}</select></div>
<div><label for="f-outcome">${say('filterOutcome')}</label><select id="f-outcome" name="outcome">${option('', say('filterAll'), filter.outcome ?? '')}${option('permit', say('permitted'), filter.outcome)}${option('deny', say('denied'), filter.outcome)}</select></div>
<div><label for="f-from">${say('filterFrom')}</label><input id="f-from" name="from" value="${filter.from ?? ''}" inputmode="numeric" autocomplete="off"></div>
<div><label for="f-to">${say('filterTo')}</label><input id="f-to" name="to" value="${filter.to ?? ''}" inputmode="numeric" autocomplete="off"></div>
</div><button type="submit">${say('filter')}</button></form>
${log.entries.length ? html`<table id="access-log"><caption class="sr-only">${say('logHeading')}</caption><thead><tr>${th('colTime')}${th('colApp')}${th('colController')}${th('colDataset')}${th('colAction')}${th('colOutcome')}</tr></thead>
<tbody>${log.entries.map((e) => logRow(locale, o, e))}</tbody></table>` : html`<p id="log-none">${say('logNone')}</p>`}
<nav aria-label="${say('showing', { page: log.page })}"><p>${say('showing', { page: log.page })}
${log.page > 1 ? html` <a id="log-previous" href="${logQuery(filter, log.page - 1, locale)}">${say('previous')}</a>` : html``}
${log.hasNext ? html` <a id="log-next" href="${logQuery(filter, log.page + 1, locale)}">${say('next')}</a>` : html``}</p></nav></section>
<section aria-labelledby="representation"><h2 id="representation">${say('representationHeading')}</h2>
<h3>${say('actForMe')}</h3>${relationLines(locale, o.relations.actForMe)}
<h3>${say('iActFor')}</h3>${relationLines(locale, o.relations.iActFor)}</section>
<section aria-labelledby="export"><h2 id="export">${say('exportHeading')}</h2><p>${say('exportText')}</p>
<p><a class="button secondary" id="export-json" href="/account/export" download="mina-uppgifter.json">${say('exportButton')}</a></p></section>`,
  });
}

/** The privacy information in one of its languages, with links to the others. */
export function privacyPage(locale: Locale, content: PrivacyLocale, retentionMonths: number): string {
  const say = (key: Parameters<typeof privacyTexts.say>[1]) => privacyTexts.say(content, key, { months: retentionMonths });
  const part = (h: Parameters<typeof privacyTexts.say>[1], t: Parameters<typeof privacyTexts.say>[1]) => html`<h2>${say(h)}</h2><p>${say(t)}</p>`;
  return page({
    locale,
    contentLocale: content,
    title: say('title'),
    body: html`<h1>${say('title')}</h1>
<div class="card"><p>${say('intro')}</p>
${part('whatHeading', 'whatText')}${part('whyHeading', 'whyText')}${part('howLongHeading', 'howLongText')}${part('whoHeading', 'whoText')}${part('rightsHeading', 'rightsText')}</div>
<nav aria-label="${say('otherLanguages')}"><h2>${say('otherLanguages')}</h2><ul id="privacy-languages">${PRIVACY_LOCALES.map((l) => html`<li><a href="/account/privacy?lang=${l}" lang="${l}" hreflang="${l}"${l === content ? html` aria-current="page"` : html``}>${PRIVACY_LANGUAGE_NAMES[l]}</a></li>`)}</ul></nav>
<p><a href="/account?lang=${locale}">${say('back')}</a></p>`,
  });
}

// The console's pages, server-rendered with the gateway's html helpers: no scripts at all, every
// form works without JavaScript, every change goes through a confirmation page that says in plain
// words what will change (destructive ones in the danger style), and every form carries the session's
// CSRF token. Every text comes from the console's message catalogue (words.ts).
import { html, page, raw, type Html } from '../../idp/views/html.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import type { AuditEntry, Approval, Certification, Controller, ControllerPolicy, DatasetAccess, JumpPolicy, Product, RoleAssignment, Suspension, TrustFramework } from '../model.ts';
import type { AdminApiProblem, LiveAccess } from '../adminApiClient.ts';
export { liveAccessOf } from '../adminApiClient.ts';
import type { StaffSummary } from './session.ts';
import {
  accessInWords, actionName, auditActionWords, basisName, defaultDatasetNames, kindName, lapseWords, objectTypeName, problemWords, roleName,
  say, sensitivityName, SIGN_IN_AGAIN, statusName, type ConsoleKey, type DatasetNames,
} from './words.ts';

const DAY = 24 * 3600 * 1000;
export const EXPIRY_WARNING_DAYS = 30;
export const TIME_ZONE = 'Europe/Stockholm';

// Tables need more room than the sign-in pages' column; at 375 px a table scrolls inside its own
// focusable region, never the page. The danger style marks what removes, stops or ends something.
const wide = raw(`<style>main{max-width:68rem}main p,main li,main dd,legend,label{overflow-wrap:break-word}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #cfd6e0;vertical-align:top}
.table{overflow-x:auto;max-width:100%;position:relative}nav.console{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin-bottom:1.5rem}nav.console form{margin-left:auto}
.warn{color:#8a3b00;font-weight:600}.bad{color:#a4161a;font-weight:600}.ok{color:#1e5e2a}fieldset{border:1px solid #cfd6e0;border-radius:.4rem;margin-top:1rem;min-width:0}
fieldset label{display:inline;font-weight:400;margin:0 1rem 0 .25rem}input[type=checkbox],input[type=radio]{width:auto}
textarea{font:inherit;padding:.5rem;border:1px solid #5a6472;border-radius:.3rem;width:100%;box-sizing:border-box;min-height:4rem}
button.danger,.button.danger{background:#a4161a;border-color:#a4161a;color:#fff}.button.danger-link{background:#fff;border-color:#a4161a;color:#a4161a}
.danger-zone{border-left:4px solid #a4161a;padding-left:1rem}.hint{font-size:.9rem;color:#4a5361;margin:.25rem 0}
small.code{font-size:.8rem;color:#4a5361}details summary{cursor:pointer}@media (max-width:40rem){main{margin:1rem auto;padding:0 .75rem}.card{padding:1rem}nav.console form{margin-left:0}}</style>`);

export interface ConsoleView {
  locale: Locale;
  /** This page's path, for the language switch. */
  path: string;
  staff?: StaffSummary;
  csrf?: string;
}

type Params = Readonly<Record<string, string | number>>;
const t = (v: ConsoleView, key: ConsoleKey, params?: Params) => say(v.locale, key, params);
const has = (v: ConsoleView, role: string) => Boolean(v.staff?.roles.some((r) => r.role === role));
const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '–');

/** A moment in Swedish local time (Europe/Stockholm), whatever the server's zone. */
export function localTime(iso: string | undefined, locale: Locale): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale === 'sv' ? 'sv-SE' : 'en-GB', { timeZone: TIME_ZONE, dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function csrfField(csrf: string | undefined): Html {
  return html`<input type="hidden" name="csrf" value="${csrf ?? ''}">`;
}

/** A table in its own scrolling region, so a narrow screen scrolls the table and not the page. */
function table(label: string, head: Html, rows: Html[], empty: string, columns: number, id?: string): Html {
  return html`<div class="table" role="region" aria-label="${label}" tabindex="0"><table${id ? raw(` id="${id}"`) : raw('')}><caption class="sr-only">${label}</caption><thead><tr>${head}</tr></thead>
<tbody>${rows.length ? rows : [html`<tr><td colspan="${columns}">${empty}</td></tr>`]}</tbody></table></div>`;
}

function nav(v: ConsoleView): Html {
  if (!v.staff) return html``;
  const roles = v.staff.roles.map((r) => `${roleName(v.locale, r.role)}${r.scope ? ` (${r.scope})` : ''}`).join(', ');
  const link = (href: string, key: ConsoleKey, id: string) => html`<a href="${href}" id="${id}">${t(v, key)}</a>`;
  return html`<nav class="console" aria-label="${t(v, 'navLabel')}">
${link('/admin/', 'navProducts', 'nav-products')}
${has(v, 'controller_admin') ? link('/admin/pending', 'navPending', 'nav-pending') : html``}
${link('/admin/controllers', 'navControllers', 'nav-controllers')}
${link('/admin/frameworks', 'navFrameworks', 'nav-frameworks')}
${has(v, 'operator') ? link('/admin/roles', 'navRoles', 'nav-roles') : html``}
${has(v, 'operator') || has(v, 'controller_admin') ? link('/admin/audit', 'navAudit', 'nav-audit') : html``}
<span class="muted" id="signed-in-as">${v.staff.name}${v.staff.hsaId ? ` (${v.staff.hsaId})` : ''}${roles ? ` – ${roles}` : ''}</span>
<form method="post" action="/admin/logout">${csrfField(v.csrf)}<button type="submit" class="secondary" id="logout">${t(v, 'signOut')}</button></form>
</nav>`;
}

export function consolePage(v: ConsoleView, title: string, body: Html): string {
  return page({ locale: v.locale, title: t(v, 'pageTitle', { title }), path: v.path, body: html`${wide}${nav(v)}${body}` });
}

function notice(text: string | undefined): Html {
  return text ? html`<p class="message" role="status" id="notice">${text}</p>` : html``;
}

function errorList(v: ConsoleView, errors: string[]): Html {
  return errors.length ? html`<div class="message error" role="alert" id="form-errors"><p>${t(v, 'formErrors')}</p><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : html``;
}

const isExpired = (c: Certification, now: number) => c.status === 'valid' && Date.parse(c.expiresAt) <= now;

/** Where a product's certifications stand: expired, expiring within 30 days, or fine. */
export function certificationWarning(certs: Certification[], now: number, locale: Locale): { level: 'bad' | 'warn' | 'ok' | 'none'; text: string } {
  const valid = certs.filter((c) => c.status === 'valid');
  const soonest = valid.map((c) => c.expiresAt).sort()[0];
  if (soonest === undefined) return { level: 'none', text: say(locale, 'certNone') };
  const expired = valid.filter((c) => isExpired(c, now));
  if (expired.length) return { level: 'bad', text: say(locale, 'certExpiredOn', { date: day(expired.map((c) => c.expiresAt).sort().at(-1)) }) };
  const days = Math.ceil((Date.parse(soonest) - now) / DAY);
  if (days <= EXPIRY_WARNING_DAYS) return { level: 'warn', text: say(locale, 'certExpiresIn', { days, date: day(soonest) }) };
  return { level: 'ok', text: say(locale, 'certifiedUntil', { date: day(soonest) }) };
}

/** A certification's state in one word: Giltig, Utgången or Återkallad. */
export const certificationState = (c: Certification, now: number, locale: Locale): string =>
  say(locale, c.status === 'withdrawn' ? 'certWithdrawn' : isExpired(c, now) ? 'certExpired' : 'certValid');

export function productListPage(v: ConsoleView, products: Product[], certs: Map<string, Certification[]>, now: number, flash?: string): string {
  const title = t(v, 'products');
  const rows = products.map((p) => {
    const w = certificationWarning(certs.get(p.id) ?? [], now, v.locale);
    return html`<tr id="product-${p.id}"><td><a href="/admin/products/${encodeURIComponent(p.id)}">${p.name}</a><br><code>${p.id}</code></td>
<td>${p.supplierName}</td><td>${p.purpose}</td><td>${statusName(v.locale, p.status)}</td>
<td class="${w.level === 'none' ? 'muted' : w.level}">${w.text}</td></tr>`;
  });
  return consolePage(v, title, html`<h1>${title}</h1>${notice(flash)}
${has(v, 'operator') ? html`<p><a class="button" id="register-product" href="/admin/products/new">${t(v, 'registerProduct')}</a></p>` : html``}
${table(title, html`<th scope="col">${t(v, 'product')}</th><th scope="col">${t(v, 'supplier')}</th><th scope="col">${t(v, 'purpose')}</th><th scope="col">${t(v, 'status')}</th><th scope="col">${t(v, 'certification')}</th>`, rows, t(v, 'noProducts'), 5)}`);
}

export interface ProductPageData {
  product: Product;
  certifications: Certification[];
  approvals: Approval[] | AdminApiProblem;
  access: LiveAccess[] | AdminApiProblem;
  /** Why candidate approvals do not count right now. */
  lapses?: string[];
  controllers: Map<string, Controller>;
  /** Controllers this person administers (controller_admin scopes). */
  administers: string[];
  /** The person is a federation operator (sees every approval, changes the status). */
  operator?: boolean;
  /** Frameworks this person certifies under (certifier scopes). */
  certifies?: string[];
  /** Containment suspensions in force for this product, as far as this person may see them. */
  suspensions?: Suspension[];
  now: number;
  datasetNames?: DatasetNames;
  flash?: string;
}

function unavailable(v: ConsoleView, p: AdminApiProblem): Html {
  const words = problemWords(v.locale, p.code, p.status);
  return html`<p class="muted">${words ? words.title : p.title} <small class="code">${p.code}</small></p>`;
}

/** What the approve button says about the product's state: nothing (active), "takes effect once active", or no button (retired). */
export function approveOffer(product: Product): 'now' | 'later' | 'never' {
  return product.status === 'active' ? 'now' : product.status === 'retired' ? 'never' : 'later';
}

export function productPage(v: ConsoleView, d: ProductPageData): string {
  const p = d.product;
  const names = d.datasetNames ?? defaultDatasetNames;
  const ctrlName = (id: string) => d.controllers.get(id)?.name ?? id;
  const w = certificationWarning(d.certifications, d.now, v.locale);
  const pid = encodeURIComponent(p.id);
  const certRows = d.certifications.map((c) => {
    const cw = certificationWarning([c], d.now, v.locale);
    const expired = isExpired(c, d.now);
    return html`<tr id="certification-${c.id}" data-state="${c.status === 'withdrawn' ? 'withdrawn' : expired ? 'expired' : 'valid'}"><td>${c.frameworkId}</td><td>${c.purpose}</td><td>${c.certifiedBy}</td><td>${day(c.issuedAt)}</td>
<td class="${c.status === 'valid' ? cw.level : 'muted'}">${day(c.expiresAt)}${c.status === 'valid' && cw.level === 'warn' ? html` – ${cw.text}` : html``}</td>
<td class="${expired ? 'bad' : ''}">${certificationState(c, d.now, v.locale)}</td><td><code>${c.evidenceRef}</code></td>
<td>${c.status === 'valid' && (d.certifies ?? []).includes(c.frameworkId)
    ? html`<a class="button danger-link" id="withdraw-${c.id}" href="/admin/products/${pid}/certifications/${encodeURIComponent(c.id)}/withdraw">${t(v, 'withdraw')}<span class="sr-only"> ${c.frameworkId}</span></a> ` : html``}
<a href="/admin/audit?objectType=certification&amp;objectId=${encodeURIComponent(c.id)}">${t(v, 'history')}<span class="sr-only"> ${c.id}</span></a></td></tr>`;
  });
  const notActive = p.status !== 'active';
  const accessSection = Array.isArray(d.access)
    ? (d.access.length
      ? html`<ul id="live-access">${d.access.map((a) => html`<li data-controller="${a.controllerId}"><strong>${ctrlName(a.controllerId)}</strong>: ${accessInWords(a.access, v.locale, names)} <span class="muted">(${basisName(v.locale, a.basis ?? '')})</span>
${notActive ? html` <span class="warn">${t(v, 'waitsForActive')}</span>` : html``}
${a.basis === 'policy' && a.certificationId && d.administers.includes(a.controllerId)
    ? html` <a class="button danger-link" id="stop-${a.controllerId}" href="/admin/products/${pid}/automatic/${encodeURIComponent(a.controllerId)}/stop">${t(v, 'stopAutomatic')}<span class="sr-only"> – ${ctrlName(a.controllerId)}</span></a>`
    : html``}</li>`)}</ul>`
      : html`<p id="live-access">${t(v, 'nobodyShares')}</p>`)
    : unavailable(v, d.access);
  // A lapse the console has no words for is left out rather than shown as a code.
  const lapses = (d.lapses ?? []).flatMap((l) => lapseWords(v.locale, l) ?? []);
  const lapseNote = lapses.length ? html`<p class="warn" id="lapses">${t(v, 'notCountingNow', { lapses: lapses.join('; ') })}</p>` : html``;
  // Explicit approvals and the automatic sharing in one table, so they never seem to contradict:
  // a revoked certification-based row is the controller's "stop" of what its policy would give.
  const automatic = Array.isArray(d.access) ? d.access.filter((a) => a.basis === 'policy') : [];
  const approvalState = (a: Approval) => {
    if (a.status === 'revoked') return t(v, a.basis === 'certification' ? 'approvalStopped' : 'approvalRevoked', { date: day(a.revokedAt) });
    if (a.expiresAt && Date.parse(a.expiresAt) <= d.now) return t(v, 'approvalExpired', { date: day(a.expiresAt) });
    return notActive ? `${t(v, 'approvalActive')} – ${t(v, 'waitsForActive')}` : t(v, 'approvalActive');
  };
  const approvalRows = Array.isArray(d.approvals) ? [
    ...automatic.map((a) => html`<tr data-status="automatic" data-controller="${a.controllerId}"><td>${ctrlName(a.controllerId)}</td><td>${a.purpose ?? p.purpose}</td><td>${accessInWords(a.access, v.locale, names)}</td>
<td>${t(v, 'automaticRow', { framework: a.frameworkId ?? '' })}</td><td>${notActive ? `${t(v, 'approvalActive')} – ${t(v, 'waitsForActive')}` : t(v, 'approvalActive')}</td><td></td></tr>`),
    ...d.approvals.map((a) => html`<tr id="approval-${a.id}" data-status="${a.status}">
<td>${ctrlName(a.controllerId)}</td><td>${a.purpose}</td><td>${accessInWords(a.access, v.locale, names)}</td>
<td>${basisName(v.locale, a.basis)}${a.reviewer ? ` (${a.reviewer})` : ''}</td>
<td>${approvalState(a)}${a.expiresAt && a.status === 'active' ? html`<br><span class="muted">${t(v, 'until', { date: day(a.expiresAt) })}</span>` : html``}</td>
<td>${a.status === 'active' && d.administers.includes(a.controllerId)
    ? html`<a class="button danger-link" href="/admin/products/${pid}/approvals/${encodeURIComponent(a.id)}/revoke">${t(v, 'revoke')}<span class="sr-only"> ${ctrlName(a.controllerId)}, ${a.purpose}</span></a> `
    : html``}<a href="/admin/audit?objectType=approval&amp;objectId=${encodeURIComponent(a.id)}">${t(v, 'history')}<span class="sr-only"> ${a.id}</span></a></td></tr>`)] : [];
  const approvalsSection = Array.isArray(d.approvals)
    ? table(t(v, 'approvalsPerController'), html`<th scope="col">${t(v, 'controller')}</th><th scope="col">${t(v, 'purpose')}</th><th scope="col">${t(v, 'data')}</th><th scope="col">${t(v, 'basis')}</th><th scope="col">${t(v, 'status')}</th><th scope="col">${t(v, 'actions')}</th>`,
      approvalRows, t(v, 'noApprovals'), 6, 'approvals')
    : unavailable(v, d.approvals);
  const offer = approveOffer(p);
  const approveBlock = d.administers.length
    ? offer === 'never'
      ? html`<p class="muted" id="approve-unavailable">${t(v, 'approveRetired')}</p>`
      : html`${offer === 'later' ? html`<p class="warn" id="approve-later">${t(v, 'approveLater', { status: statusName(v.locale, p.status).toLocaleLowerCase(v.locale) })}</p>` : html``}
<p><a class="button" id="approve" href="/admin/products/${pid}/approve">${t(v, 'approveProduct')}</a></p>`
    : html``;
  const scopeNote = Array.isArray(d.approvals) && d.administers.length && !d.operator ? html`<p class="muted">${t(v, 'approvalsScope')}</p>` : html``;
  const statusActions = d.operator && p.status !== 'retired'
    ? html`<p id="status-actions">${(['active', 'suspended', 'retired'] as const).filter((s) => s !== p.status).map((s) =>
      html`<a class="button${s === 'active' ? '' : ' danger-link'}" id="status-${s}" href="/admin/products/${pid}/status?to=${s}">${t(v, `statusTo.${s}`)}</a> `)}</p>`
    : html``;
  const suspensions = (d.suspensions ?? []).filter((s) => !s.liftedAt);
  const suspensionSection = suspensions.length ? html`<h2>${t(v, 'suspensions')}</h2><ul id="suspensions">${suspensions.map((s) => html`<li>${t(v, 'suspendedAt', { controller: ctrlName(s.controllerId), date: localTime(s.suspendedAt, v.locale), reason: s.reason })}
${d.operator || d.administers.includes(s.controllerId) ? html` <a class="button secondary" id="lift-${s.id}" href="/admin/suspensions/${encodeURIComponent(s.id)}/lift?productId=${pid}">${t(v, 'lift')}</a>` : html``}</li>`)}</ul>` : html``;
  return consolePage(v, p.name, html`<h1>${p.name}</h1>${notice(d.flash)}
<div class="card"><dl class="claims">
<dt>Id</dt><dd><code>${p.id}</code></dd>
<dt>${t(v, 'status')}</dt><dd id="product-status">${statusName(v.locale, p.status)}</dd>
<dt>${t(v, 'supplier')}</dt><dd>${p.supplierName} (${p.supplierOrgNumber})</dd>
<dt>${t(v, 'purpose')}</dt><dd>${p.purpose}</dd>
<dt>${t(v, 'asksFor')}</dt><dd>${accessInWords(p.requestedAccess ?? [], v.locale, names) || '–'}</dd>
<dt>${t(v, 'client')}</dt><dd><code>${p.client?.clientId ?? ''}</code></dd>
<dt>${t(v, 'contact')}</dt><dd>${p.contact?.name ?? ''} ${p.contact?.email ? html`&lt;${p.contact.email}&gt;` : html``}</dd>
</dl>${statusActions}<p><a href="/admin/audit?productId=${pid}" id="product-history">${t(v, 'productHistory')}</a></p></div>
${suspensionSection}
<h2>${t(v, 'accessNow')}</h2>${accessSection}${lapseNote}
<h2>${t(v, 'approvalsPerController')}</h2>${scopeNote}${approvalsSection}
${approveBlock}
<h2>${t(v, 'certifications')}</h2>
<p class="${w.level === 'none' ? 'muted' : w.level}">${w.text}</p>
${(d.certifies ?? []).length && p.status !== 'retired' ? html`<p><a class="button" id="certify" href="/admin/products/${pid}/certify">${t(v, 'recordCertification')}</a></p>` : html``}
${certRows.length ? table(t(v, 'certifications'), html`<th scope="col">${t(v, 'framework')}</th><th scope="col">${t(v, 'purpose')}</th><th scope="col">${t(v, 'certifiedBy')}</th>
<th scope="col">${t(v, 'issued')}</th><th scope="col">${t(v, 'expires')}</th><th scope="col">${t(v, 'status')}</th><th scope="col">${t(v, 'evidence')}</th><th scope="col">${t(v, 'actions')}</th>`, certRows, '', 8, 'certifications') : html``}`);
}

export interface ApproveChoice {
  controllers: Controller[];
  purposes: string[];
  /** dataset -> actions the approval may cover (what the product asks for, held by the controller). */
  options: Array<DatasetAccess & { sensitivity?: 'low' | 'medium' | 'high' }>;
}

export interface ApproveInput {
  controllerId: string;
  purpose: string;
  access: DatasetAccess[];
  basis: 'own_review' | 'trusted_reviewer';
  reviewer?: string;
  expiresAt?: string;
}

export function approveFormPage(v: ConsoleView, product: Product, choice: ApproveChoice, errors: string[] = [], names: DatasetNames = defaultDatasetNames): string {
  const title = t(v, 'approveTitle', { product: product.name });
  const checkboxes = choice.options.flatMap((o) => o.actions.map((a) => {
    const id = `access-${o.dataset}-${a}`;
    return html`<div><input type="checkbox" name="access" value="${o.dataset}:${a}" id="${id}"><label for="${id}">${names(o.dataset, v.locale)} – ${actionName(v.locale, a)}${o.sensitivity ? ` (${sensitivityName(v.locale, o.sensitivity)})` : ''}</label></div>`;
  }));
  const offer = approveOffer(product);
  return consolePage(v, title, html`<h1>${title}</h1>${errorList(v, errors)}
${offer === 'later' ? html`<p class="warn">${t(v, 'approveLater', { status: statusName(v.locale, product.status).toLocaleLowerCase(v.locale) })}</p>` : html``}
<form method="post" action="/admin/products/${encodeURIComponent(product.id)}/approve/review" class="card">${csrfField(v.csrf)}
<label for="controllerId">${t(v, 'controller')}</label>
<select id="controllerId" name="controllerId">${choice.controllers.map((c) => html`<option value="${c.id}">${c.name}</option>`)}</select>
<label for="purpose">${t(v, 'purpose')}</label>
<select id="purpose" name="purpose">${choice.purposes.map((p) => html`<option value="${p}">${p}</option>`)}</select>
<fieldset><legend>${t(v, 'dataAndActions')}</legend>
${checkboxes.length ? checkboxes : [html`<p>${t(v, 'noDataHeld')}</p>`]}</fieldset>
<fieldset><legend>${t(v, 'basisLegend')}</legend>
<input type="radio" name="basis" value="own_review" id="basis-own" checked><label for="basis-own">${basisName(v.locale, 'own_review')}</label>
<input type="radio" name="basis" value="trusted_reviewer" id="basis-trusted"><label for="basis-trusted">${basisName(v.locale, 'trusted_reviewer')}</label>
</fieldset>
<label for="reviewer">${t(v, 'reviewerLabel')}</label>
<input id="reviewer" name="reviewer" maxlength="200">
<label for="expiresAt">${t(v, 'validUntil')}</label>
<input id="expiresAt" name="expiresAt" type="date">
<p><button type="submit" id="review">${t(v, 'reviewChange')}</button>
<a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${t(v, 'cancel')}</a></p>
</form>`);
}

export function approveConfirmPage(v: ConsoleView, product: Product, controller: Controller, input: ApproveInput, names: DatasetNames = defaultDatasetNames): string {
  const title = t(v, 'confirmApprovalTitle');
  const basis = `${basisName(v.locale, input.basis)}${input.reviewer ? ` (${input.reviewer})` : ''}`;
  const sentence = t(v, 'approveSentence', { controller: controller.name, what: accessInWords(input.access, v.locale, names), product: product.name, purpose: input.purpose, basis });
  const hidden = [
    html`<input type="hidden" name="controllerId" value="${input.controllerId}">`,
    html`<input type="hidden" name="purpose" value="${input.purpose}">`,
    html`<input type="hidden" name="basis" value="${input.basis}">`,
    ...input.access.flatMap((a) => a.actions.map((x) => html`<input type="hidden" name="access" value="${a.dataset}:${x}">`)),
    ...(input.reviewer ? [html`<input type="hidden" name="reviewer" value="${input.reviewer}">`] : []),
    ...(input.expiresAt ? [html`<input type="hidden" name="expiresAt" value="${input.expiresAt}">`] : []),
  ];
  // The confirmation says when the approval takes effect: now, or once the product is active.
  const when = approveOffer(product) === 'now'
    ? t(v, 'approveNow', { controller: controller.name })
    : t(v, 'approveWhenActive', { status: statusName(v.locale, product.status).toLocaleLowerCase(v.locale) });
  return consolePage(v, title, html`<h1>${title}</h1>
<div class="card"><p class="message" id="what-changes">${sentence}</p>
<p id="takes-effect">${when}${input.expiresAt ? ` ${t(v, 'approveUntil', { date: input.expiresAt })}` : ''}</p>
<form method="post" action="/admin/products/${encodeURIComponent(product.id)}/approve">${csrfField(v.csrf)}${hidden}
<button type="submit" id="confirm">${t(v, 'confirmApproval')}</button>
<a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${t(v, 'cancel')}</a></form></div>`);
}

function reasonField(v: ConsoleView, value = ''): Html {
  return html`<label for="reason">${t(v, 'reason')} ${t(v, 'required')}</label><p class="hint" id="reason-hint">${t(v, 'reasonHint')}</p>
<textarea id="reason" name="reason" required maxlength="500" aria-describedby="reason-hint">${value}</textarea>`;
}

export function revokeConfirmPage(v: ConsoleView, product: Product, controller: Controller | undefined, approval: Approval, names: DatasetNames = defaultDatasetNames, errors: string[] = []): string {
  const title = t(v, 'confirmRevokeTitle');
  const who = controller?.name ?? approval.controllerId;
  const sentence = t(v, 'revokeSentence', { controller: who, what: accessInWords(approval.access, v.locale, names), product: product.name, purpose: approval.purpose });
  return consolePage(v, title, html`<h1>${title}</h1>${errorList(v, errors)}
<div class="card danger-zone"><p class="message error" id="what-changes">${sentence}</p>
<p>${t(v, 'revokeEffect', { controller: who })}${approval.basis === 'certification' ? ` ${t(v, 'revokeAlsoBlocks')}` : ''}</p>
<form method="post" action="/admin/approvals/${encodeURIComponent(approval.id)}/revoke">${csrfField(v.csrf)}
<input type="hidden" name="version" value="${approval.version}"><input type="hidden" name="productId" value="${product.id}">
${reasonField(v)}
<p><button type="submit" id="confirm" class="danger">${t(v, 'revokeApproval')}</button>
<a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${t(v, 'cancel')}</a></p></form></div>`);
}

/** Saying "no" to a product the controller's policy approved automatically (a revoked certification-based approval). */
export function stopAutomaticConfirmPage(v: ConsoleView, product: Product, controller: Controller, live: LiveAccess, names: DatasetNames = defaultDatasetNames): string {
  const title = t(v, 'confirmStopTitle');
  const params = { controller: controller.name, what: accessInWords(live.access, v.locale, names), product: product.name, framework: live.frameworkId ?? '', purpose: live.purpose ?? product.purpose };
  return consolePage(v, title, html`<h1>${title}</h1>
<div class="card danger-zone"><p class="message error" id="what-changes">${t(v, 'stopSentence', params)}</p>
<p>${t(v, 'stopExplained', params)}</p>
<form method="post" action="/admin/products/${encodeURIComponent(product.id)}/automatic/${encodeURIComponent(controller.id)}/stop">${csrfField(v.csrf)}
<button type="submit" id="confirm" class="danger">${t(v, 'stopSharing')}</button>
<a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${t(v, 'cancel')}</a></form></div>`);
}

export interface ConfirmSpec {
  title: string;
  /** What will change, in plain words. */
  sentences: Array<string | Html>;
  action: string;
  /** The form's fields, carried through unchanged (the csrf token is added). */
  fields: Record<string, string | string[]>;
  button: string;
  danger: boolean;
  /** Ask for a reason (kept in the audit entry). */
  reason?: boolean;
  back: string;
  errors?: string[];
}

/** The one confirmation step of every change without its own page: a second POST with `confirmed=yes`; works without JavaScript. */
export function confirmPage(v: ConsoleView, c: ConfirmSpec): string {
  const hidden = Object.entries(c.fields).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((x) => html`<input type="hidden" name="${name}" value="${x}">`));
  const [first, ...rest] = c.sentences;
  return consolePage(v, c.title, html`<h1>${c.title}</h1>${errorList(v, c.errors ?? [])}
<div class="card${c.danger ? ' danger-zone' : ''}"><p class="message${c.danger ? ' error' : ''}" id="what-changes">${first ?? ''}</p>${rest.map((s) => html`<div>${s}</div>`)}
<form method="post" action="${c.action}">${csrfField(v.csrf)}${hidden}<input type="hidden" name="confirmed" value="yes">
${c.reason ? reasonField(v) : html``}
<p><button type="submit" id="confirm"${c.danger ? raw(' class="danger"') : raw('')}>${c.button}</button>
<a class="button secondary" href="${c.back}">${t(v, 'cancel')}</a></p></form></div>`);
}

// --- Operator: register a product, frameworks, roles ---------------------------------------------

export interface RegisterForm {
  values: Record<string, string | string[]>;
  methods: string[];
  datasets: Array<{ id: string; actions: string[] }>;
}

export function registerProductPage(v: ConsoleView, f: RegisterForm, errors: string[] = [], names: DatasetNames = defaultDatasetNames): string {
  const title = t(v, 'registerTitle');
  const val = (k: string) => { const x = f.values[k]; return Array.isArray(x) ? x.join('\n') : x ?? ''; };
  const chosen = (k: string) => new Set(([] as string[]).concat(f.values[k] ?? []));
  const text = (name: string, key: ConsoleKey, attrs = '') => html`<label for="${name}">${t(v, key)}</label><input id="${name}" name="${name}" value="${val(name)}"${raw(attrs)}>`;
  const methods = chosen('authnMethods');
  const access = chosen('requestedAccess');
  return consolePage(v, title, html`<h1>${title}</h1>${errorList(v, errors)}
<form method="post" action="/admin/products" class="card">${csrfField(v.csrf)}
${text('id', 'productId', ' required pattern="[a-z0-9][a-z0-9-]{1,62}"')}${text('name', 'productName', ' required')}
${text('supplierOrgNumber', 'supplierOrgNumber', ' required inputmode="numeric" pattern="[0-9]{10}"')}${text('supplierName', 'supplierName', ' required')}
${text('purpose', 'purposeId', ' required')}${text('contactName', 'contactName', ' required')}${text('contactEmail', 'contactEmail', ' required type="email"')}
<fieldset><legend>${t(v, 'clientLegend')}</legend>
${text('clientId', 'clientId', ' required')}
<label for="redirectUris">${t(v, 'redirectUris')}</label><textarea id="redirectUris" name="redirectUris" required>${val('redirectUris')}</textarea>
<label for="jwks">${t(v, 'jwks')}</label><textarea id="jwks" name="jwks" required>${val('jwks')}</textarea></fieldset>
<fieldset><legend>${t(v, 'methodsLegend')}</legend>${f.methods.map((m) => html`<span><input type="checkbox" name="authnMethods" value="${m}" id="method-${m}"${methods.has(m) ? raw(' checked') : raw('')}><label for="method-${m}">${m}</label></span> `)}</fieldset>
<fieldset><legend>${t(v, 'requestedLegend')}</legend>${f.datasets.flatMap((d) => d.actions.map((a) => html`<div><input type="checkbox" name="requestedAccess" value="${d.id}:${a}" id="ask-${d.id}-${a}"${access.has(`${d.id}:${a}`) ? raw(' checked') : raw('')}><label for="ask-${d.id}-${a}">${names(d.id, v.locale)} – ${actionName(v.locale, a)}</label></div>`))}</fieldset>
<p><button type="submit" id="register">${t(v, 'register')}</button> <a class="button secondary" href="/admin/">${t(v, 'cancel')}</a></p></form>`);
}

export function frameworksPage(v: ConsoleView, frameworks: TrustFramework[], errors: string[] = [], flash?: string): string {
  const title = t(v, 'frameworks');
  const rows = frameworks.map((f) => html`<tr id="framework-${f.id}"><td>${f.name}<br><code>${f.id}</code></td><td>${f.description ?? ''}</td>
<td><a href="/admin/audit?objectType=framework&amp;objectId=${encodeURIComponent(f.id)}">${t(v, 'history')}<span class="sr-only"> ${f.name}</span></a></td></tr>`);
  return consolePage(v, title, html`<h1>${title}</h1>${notice(flash)}${errorList(v, errors)}
${table(title, html`<th scope="col">${t(v, 'name')}</th><th scope="col">${t(v, 'description')}</th><th scope="col">${t(v, 'history')}</th>`, rows, '–', 3, 'frameworks')}
${has(v, 'operator') ? html`<h2>${t(v, 'addFramework')}</h2><form method="post" action="/admin/frameworks" class="card">${csrfField(v.csrf)}
<label for="fw-id">${t(v, 'frameworkId')}</label><input id="fw-id" name="id" required pattern="[a-z0-9][a-z0-9-]{1,62}">
<label for="fw-name">${t(v, 'name')}</label><input id="fw-name" name="name" required>
<label for="fw-description">${t(v, 'description')} ${t(v, 'optional')}</label><textarea id="fw-description" name="description"></textarea>
<p><button type="submit" id="add-framework">${t(v, 'save')}</button></p></form>` : html``}`);
}

export function rolesPage(v: ConsoleView, roles: RoleAssignment[], staffNames: Map<string, string>, errors: string[] = [], flash?: string): string {
  const title = t(v, 'roles');
  const subjectOf = (r: RoleAssignment) => (r.subject.kind === 'staff' ? `${staffNames.get(r.subject.hsaId) ?? ''} ${r.subject.hsaId}`.trim() : r.subject.clientId);
  const rows = roles.map((r) => html`<tr id="role-${r.id}"><td>${subjectOf(r)}</td><td>${roleName(v.locale, r.role)}</td><td>${r.scope ?? '–'}</td>
<td><a class="button danger-link" id="remove-${r.id}" href="/admin/roles/${encodeURIComponent(r.id)}/remove">${t(v, 'removeRole')}<span class="sr-only"> ${subjectOf(r)} ${r.role}</span></a></td></tr>`);
  return consolePage(v, title, html`<h1>${title}</h1>${notice(flash)}${errorList(v, errors)}
${table(title, html`<th scope="col">${t(v, 'subject')}</th><th scope="col">${t(v, 'role')}</th><th scope="col">${t(v, 'scope')}</th><th scope="col">${t(v, 'actions')}</th>`, rows, '–', 4, 'roles')}
<h2>${t(v, 'assignRole')}</h2><form method="post" action="/admin/roles" class="card">${csrfField(v.csrf)}
<label for="role-hsa">${t(v, 'hsaIdLabel')}</label><input id="role-hsa" name="hsaId" required>
<label for="role-role">${t(v, 'role')}</label><select id="role-role" name="role">${(['operator', 'certifier', 'controller_admin', 'supplier'] as const).map((r) => html`<option value="${r}">${roleName(v.locale, r)}</option>`)}</select>
<label for="role-scope">${t(v, 'scope')} ${t(v, 'optional')}</label><p class="hint" id="scope-hint">${t(v, 'scopeHint')}</p><input id="role-scope" name="scope" aria-describedby="scope-hint">
<p><button type="submit" id="assign-role">${t(v, 'assign')}</button></p></form>`);
}

// --- Certifier -------------------------------------------------------------------------------------

export function certifyPage(v: ConsoleView, product: Product, frameworks: TrustFramework[], values: Record<string, string>, errors: string[] = []): string {
  const title = t(v, 'certifyTitle', { product: product.name });
  const val = (k: string) => values[k] ?? '';
  return consolePage(v, title, html`<h1>${title}</h1>${errorList(v, errors)}
${frameworks.length ? html`<form method="post" action="/admin/products/${encodeURIComponent(product.id)}/certify" class="card">${csrfField(v.csrf)}
<label for="frameworkId">${t(v, 'framework')}</label><select id="frameworkId" name="frameworkId">${frameworks.map((f) => html`<option value="${f.id}">${f.name}</option>`)}</select>
<p>${t(v, 'purpose')}: <code>${product.purpose}</code></p>
<label for="certifiedBy">${t(v, 'certifiedByLabel')}</label><input id="certifiedBy" name="certifiedBy" required value="${val('certifiedBy')}">
<label for="issuedAt">${t(v, 'issuedAtLabel')}</label><input id="issuedAt" name="issuedAt" type="date" required value="${val('issuedAt')}">
<label for="expiresAt">${t(v, 'expiresAtLabel')}</label><input id="expiresAt" name="expiresAt" type="date" required value="${val('expiresAt')}">
<label for="evidenceRef">${t(v, 'evidenceLabel')}</label><input id="evidenceRef" name="evidenceRef" required maxlength="2000" value="${val('evidenceRef')}">
<p><button type="submit" id="certify-submit">${t(v, 'certify')}</button> <a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${t(v, 'cancel')}</a></p></form>`
    : html`<p>${t(v, 'noFrameworkOfYours')}</p>`}`);
}

// --- Controller administrator ----------------------------------------------------------------------

export interface PendingItem {
  productId: string;
  name: string;
  supplierName: string;
  purpose: string;
  status: string;
  asks: DatasetAccess[];
  registeredAt: string;
}

export function pendingPage(v: ConsoleView, lists: Array<{ controller: Controller; items: PendingItem[] }>, names: DatasetNames = defaultDatasetNames): string {
  const title = t(v, 'pendingTitle');
  return consolePage(v, title, html`<h1>${title}</h1>${lists.map(({ controller, items }) => html`<section aria-labelledby="pending-${controller.id}-h">
<h2 id="pending-${controller.id}-h">${controller.name}</h2><p class="muted">${t(v, 'pendingIntro', { controller: controller.name })}</p>
${table(`${title} – ${controller.name}`, html`<th scope="col">${t(v, 'product')}</th><th scope="col">${t(v, 'supplier')}</th><th scope="col">${t(v, 'purpose')}</th><th scope="col">${t(v, 'asksForOurs')}</th><th scope="col">${t(v, 'status')}</th><th scope="col">${t(v, 'actions')}</th>`,
    items.map((p) => html`<tr id="pending-${p.productId}"><td>${p.name}<br><code>${p.productId}</code><br><span class="muted">${t(v, 'registeredOn', { date: day(p.registeredAt) })}</span></td><td>${p.supplierName}</td><td>${p.purpose}</td>
<td>${accessInWords(p.asks, v.locale, names)}</td><td>${statusName(v.locale, p.status)}</td>
<td><a class="button" href="/admin/products/${encodeURIComponent(p.productId)}">${t(v, 'decide')}<span class="sr-only"> ${p.name}</span></a></td></tr>`),
    t(v, 'pendingNone'), 6, `pending-${controller.id}`)}</section>`)}`);
}

export function controllersPage(v: ConsoleView, controllers: Controller[], names: DatasetNames = defaultDatasetNames): string {
  const title = t(v, 'controllers');
  return consolePage(v, title, html`<h1>${title}</h1>
${table(title, html`<th scope="col">${t(v, 'name')}</th><th scope="col">${t(v, 'kind')}</th><th scope="col">${t(v, 'orgNumber')}</th><th scope="col">${t(v, 'data')}</th>`,
    controllers.map((c) => html`<tr><td><a href="/admin/controllers/${encodeURIComponent(c.id)}">${c.name}</a></td><td>${kindName(v.locale, c.kind)}</td><td>${c.orgNumber}</td>
<td>${c.datasets.map((d) => names(d, v.locale)).join(', ')}</td></tr>`), '–', 4)}`);
}

export const policyLine = (v: ConsoleView, a: ControllerPolicy['accepts'][number], names: DatasetNames): string =>
  t(v, 'policyLine', { framework: a.frameworkId, purpose: a.purpose, what: accessInWords(a.access, v.locale, names) });

export function controllerPage(v: ConsoleView, c: Controller, policy: ControllerPolicy | AdminApiProblem | undefined, names: DatasetNames = defaultDatasetNames,
  jump?: JumpPolicy | AdminApiProblem, flash?: string): string {
  const mine = Boolean(v.staff?.roles.some((r) => r.role === 'controller_admin' && r.scope === c.id));
  const cid = encodeURIComponent(c.id);
  const policySection = policy === undefined
    ? html`<p id="policy-none">${t(v, 'noPolicy')}</p>`
    : 'accepts' in policy
      ? html`${policy.accepts.length ? html`<ul id="policy">${policy.accepts.map((a) => html`<li>${policyLine(v, a, names)}</li>`)}</ul>` : html`<p id="policy">${t(v, 'policyAcceptsNothing')}</p>`}
<p class="muted">${t(v, 'policyVersion', { version: policy.version, date: localTime(policy.updatedAt, v.locale) })} <a href="/admin/audit?objectType=policy&amp;objectId=${cid}">${t(v, 'policyHistory')}</a></p>`
      : unavailable(v, policy);
  const jumpSection = jump === undefined
    ? html`<p id="jump-policy">${t(v, 'jumpNone')}</p>`
    : 'acceptedUpstreams' in jump
      ? html`<p id="jump-policy">${t(v, 'jumpLine', { upstreams: jump.acceptedUpstreams.join(', ') || t(v, 'nothing'), acr: jump.minimumAcr })}</p>`
      : unavailable(v, jump);
  return consolePage(v, c.name, html`<h1>${c.name}</h1>${notice(flash)}
<div class="card"><dl class="claims"><dt>Id</dt><dd><code>${c.id}</code></dd>
<dt>${t(v, 'kind')}</dt><dd>${kindName(v.locale, c.kind)}</dd>
<dt>${t(v, 'orgNumber')}</dt><dd>${c.orgNumber}</dd>
${c.hsaId ? html`<dt>HSA-id</dt><dd>${c.hsaId}</dd>` : html``}
<dt>${t(v, 'data')}</dt><dd>${c.datasets.map((d) => names(d, v.locale)).join(', ') || '–'}</dd></dl>
<p><a href="/admin/audit?objectType=controller&amp;objectId=${cid}">${t(v, 'history')}</a></p></div>
<h2>${t(v, 'policyHeading')}</h2>${policySection}
${mine ? html`<p><a class="button secondary" id="edit-policy" href="/admin/controllers/${cid}/policy">${t(v, 'editPolicy')}</a></p>` : html``}
<h2>${t(v, 'jumpHeading')}</h2>${jumpSection}
${mine ? html`<p><a class="button secondary" id="edit-jump" href="/admin/controllers/${cid}/jump-policy">${t(v, 'editJump')}</a></p>` : html``}`);
}

export function policyEditPage(v: ConsoleView, c: Controller, accepts: ControllerPolicy['accepts'], frameworks: TrustFramework[], names: DatasetNames = defaultDatasetNames, errors: string[] = []): string {
  const title = t(v, 'editPolicyTitle', { controller: c.name });
  return consolePage(v, title, html`<h1>${title}</h1>${errorList(v, errors)}
<form method="post" action="/admin/controllers/${encodeURIComponent(c.id)}/policy" class="card">${csrfField(v.csrf)}
${accepts.length ? html`<fieldset><legend>${t(v, 'policyHeading')}</legend>${accepts.map((a, i) => html`<div><input type="checkbox" name="keep" value="${JSON.stringify(a)}" id="keep-${i}" checked><label for="keep-${i}">${t(v, 'keepLine', { line: policyLine(v, a, names) })}</label></div>`)}</fieldset>` : html``}
<fieldset><legend>${t(v, 'addLine')}</legend>
<label for="add-framework">${t(v, 'framework')}</label><select id="add-framework" name="addFramework"><option value="">–</option>${frameworks.map((f) => html`<option value="${f.id}">${f.name}</option>`)}</select>
<label for="add-purpose">${t(v, 'purposeId')}</label><input id="add-purpose" name="addPurpose">
<p>${t(v, 'dataAndActions')}</p>${c.datasets.flatMap((d) => (['read', 'write'] as const).map((a) => html`<span><input type="checkbox" name="addAccess" value="${d}:${a}" id="add-${d}-${a}"><label for="add-${d}-${a}">${names(d, v.locale)} – ${actionName(v.locale, a)}</label></span> `))}
</fieldset>
<p><button type="submit" id="review">${t(v, 'reviewChange')}</button> <a class="button secondary" href="/admin/controllers/${encodeURIComponent(c.id)}">${t(v, 'cancel')}</a></p></form>`);
}

export function jumpPolicyEditPage(v: ConsoleView, c: Controller, current: JumpPolicy | undefined, upstreams: string[], acrValues: string[], errors: string[] = []): string {
  const title = t(v, 'editJumpTitle', { controller: c.name });
  const on = new Set(current?.acceptedUpstreams ?? []);
  return consolePage(v, title, html`<h1>${title}</h1>${errorList(v, errors)}
<form method="post" action="/admin/controllers/${encodeURIComponent(c.id)}/jump-policy" class="card">${csrfField(v.csrf)}
<input type="hidden" name="version" value="${current?.version ?? 0}">
<fieldset><legend>${t(v, 'upstreamsLegend')}</legend>${upstreams.map((u) => html`<span><input type="checkbox" name="acceptedUpstreams" value="${u}" id="up-${u}"${on.has(u) ? raw(' checked') : raw('')}><label for="up-${u}">${u}</label></span> `)}</fieldset>
<label for="minimumAcr">${t(v, 'minimumAcr')}</label><select id="minimumAcr" name="minimumAcr">${acrValues.map((a) => html`<option value="${a}"${a === current?.minimumAcr ? raw(' selected') : raw('')}>${a}</option>`)}</select>
<p><button type="submit" id="review">${t(v, 'reviewChange')}</button> <a class="button secondary" href="/admin/controllers/${encodeURIComponent(c.id)}">${t(v, 'cancel')}</a></p></form>`);
}

// --- Audit overview --------------------------------------------------------------------------------

export interface AuditFilters {
  objectType?: string;
  objectId?: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
  productId?: string;
}

export const AUDIT_OBJECT_TYPES = ['controller', 'framework', 'policy', 'jump_policy', 'product', 'certification', 'approval', 'role', 'cohort', 'suspension'] as const;
export const AUDIT_ACTIONS = ['product', 'certification', 'approval', 'policy', 'jump_policy', 'role', 'framework', 'controller', 'suspension', 'cohort'] as const;

const reasonOf = (e: AuditEntry): string | undefined => {
  const after = e.after as { reason?: unknown } | null;
  return after && typeof after === 'object' && typeof after.reason === 'string' ? after.reason : undefined;
};

/** One entry in words: "Sara Sjöström (Administratör för personuppgiftsansvarig) återkallade ett godkännande: godkännande 3f…". */
export function auditEntryWords(v: ConsoleView, e: AuditEntry, staffNames: Map<string, string>): string {
  const name = staffNames.get(e.actor);
  return t(v, 'auditSentence', { actor: name ? `${name} (${e.actor})` : e.actor, role: roleName(v.locale, e.role), action: auditActionWords(v.locale, e.action), type: objectTypeName(v.locale, e.objectType), id: e.objectId });
}

export function auditPage(v: ConsoleView, title: string, entries: AuditEntry[], filters: AuditFilters, staffNames: Map<string, string>): string {
  const json = (x: unknown) => (x === null || x === undefined ? '–' : JSON.stringify(x, null, 1));
  const rows = entries.map((e) => {
    const reason = reasonOf(e);
    return html`<tr data-seq="${e.seq}" data-action="${e.action}"><td>${localTime(e.at, v.locale)}</td><td>${auditEntryWords(v, e, staffNames)}${reason ? html`<br><em>${t(v, 'entryReason', { reason })}</em>` : html``}</td>
<td><details><summary>${t(v, 'details')}<span class="sr-only"> ${e.seq}</span></summary><pre>${json({ seq: e.seq, at: e.at, actor: e.actor, role: e.role, action: e.action, objectType: e.objectType, objectId: e.objectId, before: e.before, after: e.after, hash: e.hash })}</pre></details></td></tr>`;
  });
  const f = filters;
  const field = (name: keyof AuditFilters, key: ConsoleKey, type = 'text') => html`<div><label for="f-${name}">${t(v, key)}</label><input id="f-${name}" name="${name}" type="${type}" value="${f[name] ?? ''}"></div>`;
  return consolePage(v, title, html`<h1>${title}</h1>
<form method="get" action="/admin/audit" class="card" role="search" aria-label="${t(v, 'searchLegend')}">
<div><label for="f-objectType">${t(v, 'objectType')}</label><select id="f-objectType" name="objectType"><option value="">${t(v, 'any')}</option>${AUDIT_OBJECT_TYPES.map((x) => html`<option value="${x}"${f.objectType === x ? raw(' selected') : raw('')}>${objectTypeName(v.locale, x)}</option>`)}</select></div>
${field('objectId', 'objectId')}${field('actor', 'actor')}
<div><label for="f-action">${t(v, 'actionFilter')}</label><select id="f-action" name="action"><option value="">${t(v, 'any')}</option>${AUDIT_ACTIONS.map((x) => html`<option value="${x}"${f.action === x ? raw(' selected') : raw('')}>${objectTypeName(v.locale, x)}</option>`)}</select></div>
${field('from', 'from', 'date')}${field('to', 'to', 'date')}
${f.productId ? html`<input type="hidden" name="productId" value="${f.productId}">` : html``}
<p><button type="submit" id="search">${t(v, 'search')}</button></p></form>
<p class="muted">${t(v, 'timeZoneNote')}</p>
${table(title, html`<th scope="col">${t(v, 'when')}</th><th scope="col">${t(v, 'what')}</th><th scope="col">${t(v, 'details')}</th>`, rows, t(v, 'noEntries'), 3, 'audit')}`);
}

// --- Problems, sign-out ----------------------------------------------------------------------------

/** An API problem in plain words, with what the person can do next; the code kept small; never a stack trace. */
export function problemPage(v: ConsoleView, p: AdminApiProblem | { status: number; code: string; title: string; detail?: string | undefined; errors?: Array<{ path: string; message: string }> }, back?: string): string {
  const words = problemWords(v.locale, p.code, p.status);
  const title = words ? words.title : t(v, 'didNotWork');
  const explanation = words ? words.text : t(v, 'registryCouldNot', { title: p.title });
  const signIn = SIGN_IN_AGAIN.has(p.code) || p.status === 401;
  return consolePage(v, title, html`<div class="card"><h1>${title}</h1>
<p class="message error" role="alert" id="problem" data-code="${p.code}">${explanation}</p>
${p.errors?.length ? html`<ul>${p.errors.map((e) => html`<li><code>${e.path}</code>: ${e.message}</li>`)}</ul>` : html``}
${p.detail ? (p.code === 'validation' ? html`<p>${p.detail}</p>` : html`<details><summary>${t(v, 'details')}</summary><p><small class="code">${p.detail}</small></p></details>`) : html``}
<p class="muted"><small class="code">${t(v, 'errorCode')}: ${p.code} (HTTP ${p.status})</small></p>
${signIn ? html`<p><a class="button" href="/admin/login">${t(v, 'signInAgain')}</a></p>` : html``}
${p.code === 'version_conflict' && back ? html`<p><a class="button" href="${back}">${t(v, 'reload')}</a></p>` : back ? html`<p><a href="${back}">${t(v, 'back')}</a></p>` : html`<p><a href="/admin/">${t(v, 'navProducts')}</a></p>`}</div>`);
}

export function signedOutPage(v: ConsoleView): string {
  const title = t(v, 'signedOutTitle');
  return consolePage(v, title, html`<div class="card"><h1>${title}</h1><p><a class="button" href="/admin/login">${t(v, 'signInAgain')}</a></p></div>`);
}

// The console's pages, server-rendered with the gateway's html helpers: no scripts at all, every
// form works without JavaScript, every change goes through a confirmation page that says in plain
// words what will change, and every form carries the session's CSRF token.
import { html, page, raw, type Html } from '../../idp/views/html.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import type { AuditEntry, Approval, Certification, Controller, ControllerPolicy, DatasetAccess, Product } from '../model.ts';
import type { AdminApiProblem, LiveAccess } from '../adminApiClient.ts';
export { liveAccessOf } from '../adminApiClient.ts';
import type { StaffSummary } from './session.ts';
import { lapseWords, sensitivityNames, accessInWords, actionNames, basisNames, defaultDatasetNames, problemWords, productStatus, roleNames, SIGN_IN_AGAIN, type DatasetNames } from './words.ts';

const DAY = 24 * 3600 * 1000;
export const EXPIRY_WARNING_DAYS = 30;

// Tables need more room than the sign-in pages' column.
const wide = raw(`<style>main{max-width:68rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #cfd6e0;vertical-align:top}
nav.console{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin-bottom:1.5rem}nav.console form{margin-left:auto}
.warn{color:#8a3b00;font-weight:600}.bad{color:#a4161a;font-weight:600}.ok{color:#1e5e2a}fieldset{border:1px solid #cfd6e0;border-radius:.4rem;margin-top:1rem}
fieldset label{display:inline;font-weight:400;margin:0 1rem 0 .25rem}input[type=checkbox],input[type=radio]{width:auto}</style>`);

export interface ConsoleView {
  locale: Locale;
  /** This page's path, for the language switch. */
  path: string;
  staff?: StaffSummary;
  csrf?: string;
}

const sv = (v: ConsoleView) => v.locale === 'sv';
const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '–');
const moment = (iso: string | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '–');

export function csrfField(csrf: string | undefined): Html {
  return html`<input type="hidden" name="csrf" value="${csrf ?? ''}">`;
}

function nav(v: ConsoleView): Html {
  if (!v.staff) return html``;
  const roles = v.staff.roles.map((r) => `${roleNames[r.role]?.[v.locale] ?? r.role}${r.scope ? ` (${r.scope})` : ''}`).join(', ');
  return html`<nav class="console" aria-label="${sv(v) ? 'Konsolen' : 'Console'}">
<a href="/admin/">${sv(v) ? 'Produkter' : 'Products'}</a>
<a href="/admin/controllers">${sv(v) ? 'Personuppgiftsansvariga' : 'Data controllers'}</a>
<span class="muted" id="signed-in-as">${v.staff.name}${v.staff.hsaId ? ` (${v.staff.hsaId})` : ''}${roles ? ` – ${roles}` : ''}</span>
<form method="post" action="/admin/logout">${csrfField(v.csrf)}<button type="submit" class="secondary" id="logout">${sv(v) ? 'Logga ut' : 'Sign out'}</button></form>
</nav>`;
}

export function consolePage(v: ConsoleView, title: string, body: Html): string {
  return page({ locale: v.locale, title: `${title} – ${sv(v) ? 'Administrationskonsolen' : 'Admin console'}`, path: v.path, body: html`${wide}${nav(v)}${body}` });
}

/** Where a product's certifications stand: expired, expiring within 30 days, or fine. */
export function certificationWarning(certs: Certification[], now: number, locale: Locale): { level: 'bad' | 'warn' | 'ok' | 'none'; text: string } {
  const valid = certs.filter((c) => c.status === 'valid');
  const soonest = valid.map((c) => c.expiresAt).sort()[0];
  if (soonest === undefined) return { level: 'none', text: locale === 'sv' ? 'Ingen giltig certifiering' : 'No valid certification' };
  const expired = valid.filter((c) => Date.parse(c.expiresAt) <= now);
  if (expired.length) {
    const last = expired.map((c) => c.expiresAt).sort().at(-1);
    return { level: 'bad', text: locale === 'sv' ? `Certifiering har gått ut (${day(last)})` : `Certification expired (${day(last)})` };
  }
  const days = Math.ceil((Date.parse(soonest) - now) / DAY);
  if (days <= EXPIRY_WARNING_DAYS) {
    return { level: 'warn', text: locale === 'sv' ? `Certifiering går ut om ${days} dagar (${day(soonest)})` : `Certification expires in ${days} days (${day(soonest)})` };
  }
  return { level: 'ok', text: locale === 'sv' ? `Certifierad till ${day(soonest)}` : `Certified until ${day(soonest)}` };
}

function notice(text: string | undefined): Html {
  return text ? html`<p class="message" role="status" id="notice">${text}</p>` : html``;
}

export function productListPage(v: ConsoleView, products: Product[], certs: Map<string, Certification[]>, now: number, flash?: string): string {
  const title = sv(v) ? 'Produkter' : 'Products';
  const rows = products.map((p) => {
    const w = certificationWarning(certs.get(p.id) ?? [], now, v.locale);
    return html`<tr id="product-${p.id}"><td><a href="/admin/products/${encodeURIComponent(p.id)}">${p.name}</a><br><code>${p.id}</code></td>
<td>${p.supplierName}</td><td>${p.purpose}</td><td>${productStatus[p.status]?.[v.locale] ?? p.status}</td>
<td class="${w.level === 'none' ? 'muted' : w.level}">${w.text}</td></tr>`;
  });
  return consolePage(v, title, html`<h1>${title}</h1>${notice(flash)}
<table><caption class="sr-only">${title}</caption><thead><tr>
<th scope="col">${sv(v) ? 'Produkt' : 'Product'}</th><th scope="col">${sv(v) ? 'Leverantör' : 'Supplier'}</th>
<th scope="col">${sv(v) ? 'Ändamål' : 'Purpose'}</th><th scope="col">Status</th><th scope="col">${sv(v) ? 'Certifiering' : 'Certification'}</th>
</tr></thead><tbody>${rows.length ? rows : [html`<tr><td colspan="5">${sv(v) ? 'Inga produkter som du får se.' : 'No products you may see.'}</td></tr>`]}</tbody></table>`);
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
  /** The person is a federation operator (sees every approval). */
  operator?: boolean;
  now: number;
  datasetNames?: DatasetNames;
  flash?: string;
}

function unavailable(v: ConsoleView, p: AdminApiProblem): Html {
  const words = problemWords[p.code];
  return html`<p class="muted">${words ? words.title[v.locale] : p.title} <code>${p.code}</code></p>`;
}

export function productPage(v: ConsoleView, d: ProductPageData): string {
  const p = d.product;
  const names = d.datasetNames ?? defaultDatasetNames;
  const ctrlName = (id: string) => d.controllers.get(id)?.name ?? id;
  const w = certificationWarning(d.certifications, d.now, v.locale);
  const certRows = d.certifications.map((c) => {
    const cw = certificationWarning([c], d.now, v.locale);
    return html`<tr><td>${c.frameworkId}</td><td>${c.purpose}</td><td>${c.certifiedBy}</td><td>${day(c.issuedAt)}</td>
<td class="${c.status === 'valid' ? cw.level : 'muted'}">${day(c.expiresAt)}${c.status === 'valid' && cw.level !== 'ok' ? html` – ${cw.text}` : html``}</td>
<td>${c.status === 'valid' ? (sv(v) ? 'Giltig' : 'Valid') : (sv(v) ? 'Återkallad' : 'Withdrawn')}</td>
<td><a href="/admin/audit/certification/${encodeURIComponent(c.id)}">${sv(v) ? 'Historik' : 'History'}<span class="sr-only"> ${c.id}</span></a></td></tr>`;
  });
  const accessSection = Array.isArray(d.access)
    ? (d.access.length
      ? html`<ul id="live-access">${d.access.map((a) => html`<li data-controller="${a.controllerId}"><strong>${ctrlName(a.controllerId)}</strong>: ${accessInWords(a.access, v.locale, names)}${a.basis && basisNames[a.basis as keyof typeof basisNames] ? html` <span class="muted">(${basisNames[a.basis as keyof typeof basisNames][v.locale]})</span>` : html``}
${a.basis === 'policy' && a.certificationId && d.administers.includes(a.controllerId)
    ? html` <a class="button secondary" id="stop-${a.controllerId}" href="/admin/products/${encodeURIComponent(p.id)}/automatic/${encodeURIComponent(a.controllerId)}/stop">${sv(v) ? 'Stoppa den automatiska delningen' : 'Stop the automatic sharing'}<span class="sr-only"> – ${ctrlName(a.controllerId)}</span></a>`
    : html``}</li>`)}</ul>`
      : html`<p id="live-access">${sv(v) ? 'Ingen personuppgiftsansvarig delar data med produkten just nu.' : 'No data controller shares data with the product right now.'}</p>`)
    : unavailable(v, d.access);
  // A lapse the console has no words for is left out rather than shown as a code.
  const lapses = (d.lapses ?? []).flatMap((l) => lapseWords[l]?.[v.locale] ?? []);
  const lapseNote = lapses.length
    ? html`<p class="warn" id="lapses">${sv(v) ? 'Räknas inte just nu: ' : 'Not counting right now: '}${lapses.join('; ')}.</p>`
    : html``;
  const approvalRows = Array.isArray(d.approvals) ? d.approvals.map((a) => html`<tr id="approval-${a.id}" data-status="${a.status}">
<td>${ctrlName(a.controllerId)}</td><td>${a.purpose}</td><td>${accessInWords(a.access, v.locale, names)}</td>
<td>${basisNames[a.basis]?.[v.locale] ?? a.basis}</td>
<td>${a.status === 'active' ? (sv(v) ? 'Gäller' : 'Active') : (sv(v) ? `Återkallat ${day(a.revokedAt)}` : `Revoked ${day(a.revokedAt)}`)}${a.expiresAt ? html`<br><span class="muted">${sv(v) ? 'till' : 'until'} ${day(a.expiresAt)}</span>` : html``}</td>
<td>${a.status === 'active' && d.administers.includes(a.controllerId)
    ? html`<a class="button secondary" href="/admin/products/${encodeURIComponent(p.id)}/approvals/${encodeURIComponent(a.id)}/revoke">${sv(v) ? 'Återkalla' : 'Revoke'}<span class="sr-only"> ${ctrlName(a.controllerId)}, ${a.purpose}</span></a>`
    : html``}
<a href="/admin/audit/approval/${encodeURIComponent(a.id)}">${sv(v) ? 'Historik' : 'History'}<span class="sr-only"> ${a.id}</span></a></td></tr>`) : [];
  const approvalsSection = Array.isArray(d.approvals)
    ? html`<table id="approvals"><caption class="sr-only">${sv(v) ? 'Godkännanden' : 'Approvals'}</caption><thead><tr>
<th scope="col">${sv(v) ? 'Personuppgiftsansvarig' : 'Data controller'}</th><th scope="col">${sv(v) ? 'Ändamål' : 'Purpose'}</th>
<th scope="col">${sv(v) ? 'Data' : 'Data'}</th><th scope="col">${sv(v) ? 'Grund' : 'Basis'}</th><th scope="col">Status</th><th scope="col">${sv(v) ? 'Åtgärder' : 'Actions'}</th>
</tr></thead><tbody>${approvalRows.length ? approvalRows : [html`<tr><td colspan="6">${sv(v) ? 'Inga godkännanden.' : 'No approvals.'}</td></tr>`]}</tbody></table>`
    : unavailable(v, d.approvals);
  const canApprove = d.administers.length > 0;
  const scopeNote = Array.isArray(d.approvals) && d.administers.length && !d.operator
    ? html`<p class="muted">${sv(v) ? 'Du ser godkännanden för de personuppgiftsansvariga du administrerar.' : 'You see the approvals of the data controllers you administer.'}</p>`
    : html``;
  return consolePage(v, p.name, html`<h1>${p.name}</h1>${notice(d.flash)}
<div class="card"><dl class="claims">
<dt>Id</dt><dd><code>${p.id}</code></dd>
<dt>Status</dt><dd id="product-status">${productStatus[p.status]?.[v.locale] ?? p.status}</dd>
<dt>${sv(v) ? 'Leverantör' : 'Supplier'}</dt><dd>${p.supplierName} (${p.supplierOrgNumber})</dd>
<dt>${sv(v) ? 'Ändamål' : 'Purpose'}</dt><dd>${p.purpose}</dd>
<dt>${sv(v) ? 'Begär' : 'Asks for'}</dt><dd>${accessInWords(p.requestedAccess ?? [], v.locale, names) || '–'}</dd>
<dt>${sv(v) ? 'Klient' : 'Client'}</dt><dd><code>${p.client?.clientId ?? ''}</code></dd>
<dt>${sv(v) ? 'Kontakt' : 'Contact'}</dt><dd>${p.contact?.name ?? ''} ${p.contact?.email ? html`&lt;${p.contact.email}&gt;` : html``}</dd>
</dl><p><a href="/admin/audit/product/${encodeURIComponent(p.id)}">${sv(v) ? 'Produktens historik' : 'The product\'s history'}</a></p></div>
<h2>${sv(v) ? 'Åtkomst just nu' : 'Access right now'}</h2>${accessSection}${lapseNote}
<h2>${sv(v) ? 'Godkännanden per personuppgiftsansvarig' : 'Approvals per data controller'}</h2>${scopeNote}${approvalsSection}
${canApprove ? html`<p><a class="button" id="approve" href="/admin/products/${encodeURIComponent(p.id)}/approve">${sv(v) ? 'Godkänn produkten' : 'Approve the product'}</a></p>` : html``}
<h2>${sv(v) ? 'Certifieringar' : 'Certifications'}</h2>
<p class="${w.level === 'none' ? 'muted' : w.level}">${w.text}</p>
${certRows.length ? html`<table id="certifications"><caption class="sr-only">${sv(v) ? 'Certifieringar' : 'Certifications'}</caption><thead><tr>
<th scope="col">${sv(v) ? 'Tillitsramverk' : 'Trust framework'}</th><th scope="col">${sv(v) ? 'Ändamål' : 'Purpose'}</th><th scope="col">${sv(v) ? 'Certifierad av' : 'Certified by'}</th>
<th scope="col">${sv(v) ? 'Utfärdad' : 'Issued'}</th><th scope="col">${sv(v) ? 'Går ut' : 'Expires'}</th><th scope="col">Status</th><th scope="col">${sv(v) ? 'Historik' : 'History'}</th>
</tr></thead><tbody>${certRows}</tbody></table>` : html``}`);
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
  const title = sv(v) ? `Godkänn ${product.name}` : `Approve ${product.name}`;
  const checkboxes = choice.options.flatMap((o) => o.actions.map((a) => {
    const id = `access-${o.dataset}-${a}`;
    return html`<div><input type="checkbox" name="access" value="${o.dataset}:${a}" id="${id}"><label for="${id}">${names(o.dataset, v.locale)} – ${actionNames[a][v.locale]}${o.sensitivity ? ` (${sensitivityNames[o.sensitivity][v.locale]})` : ''}</label></div>`;
  }));
  return consolePage(v, title, html`<h1>${title}</h1>
${errors.length ? html`<div class="message error" role="alert"><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : html``}
<form method="post" action="/admin/products/${encodeURIComponent(product.id)}/approve/review" class="card">${csrfField(v.csrf)}
<label for="controllerId">${sv(v) ? 'Personuppgiftsansvarig' : 'Data controller'}</label>
<select id="controllerId" name="controllerId">${choice.controllers.map((c) => html`<option value="${c.id}">${c.name}</option>`)}</select>
<label for="purpose">${sv(v) ? 'Ändamål' : 'Purpose'}</label>
<select id="purpose" name="purpose">${choice.purposes.map((p) => html`<option value="${p}">${p}</option>`)}</select>
<fieldset><legend>${sv(v) ? 'Data och vad produkten får göra' : 'Data and what the product may do'}</legend>
${checkboxes.length ? checkboxes : [html`<p>${sv(v) ? 'Produkten begär ingen data som du förvaltar.' : 'The product asks for no data you hold.'}</p>`]}</fieldset>
<fieldset><legend>${sv(v) ? 'Grund för godkännandet' : 'Basis of the approval'}</legend>
<input type="radio" name="basis" value="own_review" id="basis-own" checked><label for="basis-own">${basisNames.own_review[v.locale]}</label>
<input type="radio" name="basis" value="trusted_reviewer" id="basis-trusted"><label for="basis-trusted">${basisNames.trusted_reviewer[v.locale]}</label>
</fieldset>
<label for="reviewer">${sv(v) ? 'Granskare (vid granskning av betrodd granskare)' : 'Reviewer (for a trusted reviewer\'s review)'}</label>
<input id="reviewer" name="reviewer" maxlength="200">
<label for="expiresAt">${sv(v) ? 'Gäller till (valfritt, ÅÅÅÅ-MM-DD)' : 'Valid until (optional, YYYY-MM-DD)'}</label>
<input id="expiresAt" name="expiresAt" type="date">
<p><button type="submit" id="review">${sv(v) ? 'Granska ändringen' : 'Review the change'}</button>
<a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${sv(v) ? 'Avbryt' : 'Cancel'}</a></p>
</form>`);
}

export function approveConfirmPage(v: ConsoleView, product: Product, controller: Controller, input: ApproveInput, names: DatasetNames = defaultDatasetNames): string {
  const title = sv(v) ? 'Bekräfta godkännandet' : 'Confirm the approval';
  const what = accessInWords(input.access, v.locale, names);
  const sentence = sv(v)
    ? `${controller.name} börjar dela ${what} med ${product.name} för ändamålet ${input.purpose}, på grund av ${basisNames[input.basis].sv}${input.reviewer ? ` (${input.reviewer})` : ''}.`
    : `${controller.name} will start sharing ${what} with ${product.name} for the purpose ${input.purpose}, on the basis of ${basisNames[input.basis].en}${input.reviewer ? ` (${input.reviewer})` : ''}.`;
  const hidden = [
    html`<input type="hidden" name="controllerId" value="${input.controllerId}">`,
    html`<input type="hidden" name="purpose" value="${input.purpose}">`,
    html`<input type="hidden" name="basis" value="${input.basis}">`,
    ...input.access.flatMap((a) => a.actions.map((x) => html`<input type="hidden" name="access" value="${a.dataset}:${x}">`)),
    ...(input.reviewer ? [html`<input type="hidden" name="reviewer" value="${input.reviewer}">`] : []),
    ...(input.expiresAt ? [html`<input type="hidden" name="expiresAt" value="${input.expiresAt}">`] : []),
  ];
  return consolePage(v, title, html`<h1>${title}</h1>
<div class="card"><p class="message" id="what-changes">${sentence}</p>
<p>${sv(v) ? 'Produkten kan få token för de här uppgifterna hos' : 'The product can get tokens for this data at'} ${controller.name} ${sv(v) ? 'så snart du bekräftar.' : 'as soon as you confirm.'}
${input.expiresAt ? (sv(v) ? ` Godkännandet gäller till ${input.expiresAt}.` : ` The approval is valid until ${input.expiresAt}.`) : ''}</p>
<form method="post" action="/admin/products/${encodeURIComponent(product.id)}/approve">${csrfField(v.csrf)}${hidden}
<button type="submit" id="confirm">${sv(v) ? 'Bekräfta godkännandet' : 'Confirm the approval'}</button>
<a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${sv(v) ? 'Avbryt' : 'Cancel'}</a></form></div>`);
}

export function revokeConfirmPage(v: ConsoleView, product: Product, controller: Controller | undefined, approval: Approval, names: DatasetNames = defaultDatasetNames): string {
  const title = sv(v) ? 'Bekräfta återkallandet' : 'Confirm the revocation';
  const who = controller?.name ?? approval.controllerId;
  const what = accessInWords(approval.access, v.locale, names);
  const sentence = sv(v)
    ? `${who} slutar dela ${what} med ${product.name} (ändamålet ${approval.purpose}).`
    : `${who} will stop sharing ${what} with ${product.name} (purpose ${approval.purpose}).`;
  return consolePage(v, title, html`<h1>${title}</h1>
<div class="card"><p class="message" id="what-changes">${sentence}</p>
<p>${sv(v)
    ? `Produkten får inga nya token för ${who}, och token som redan finns slutar gälla för ${who} inom en sekund.`
    : `The product gets no new tokens for ${who}, and tokens it already holds stop covering ${who} within a second.`}
${approval.basis === 'certification' ? (sv(v) ? ' Återkallandet gäller även det automatiska godkännandet som certifieringen annars ger.' : ' The revocation also blocks the automatic approval the certification would otherwise give.') : ''}</p>
<form method="post" action="/admin/approvals/${encodeURIComponent(approval.id)}/revoke">${csrfField(v.csrf)}
<input type="hidden" name="version" value="${approval.version}"><input type="hidden" name="productId" value="${product.id}">
<button type="submit" id="confirm">${sv(v) ? 'Återkalla godkännandet' : 'Revoke the approval'}</button>
<a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${sv(v) ? 'Avbryt' : 'Cancel'}</a></form></div>`);
}

const objectTypeNames: Record<string, { sv: string; en: string }> = {
  controller: { sv: 'personuppgiftsansvarig', en: 'data controller' },
  framework: { sv: 'tillitsramverk', en: 'trust framework' },
  policy: { sv: 'policy', en: 'policy' },
  product: { sv: 'produkt', en: 'product' },
  certification: { sv: 'certifiering', en: 'certification' },
  approval: { sv: 'godkännande', en: 'approval' },
  role: { sv: 'roll', en: 'role' },
};

export function auditPage(v: ConsoleView, objectType: string, objectId: string, entries: AuditEntry[]): string {
  const typeName = objectTypeNames[objectType]?.[v.locale] ?? objectType;
  const title = sv(v) ? `Historik: ${typeName} ${objectId}` : `History: ${typeName} ${objectId}`;
  const json = (x: unknown) => (x === null || x === undefined ? '–' : JSON.stringify(x, null, 1));
  const rows = entries.map((e) => html`<tr><td>${e.seq}</td><td>${moment(e.at)}</td><td><code>${e.actor}</code><br>${roleNames[e.role]?.[v.locale] ?? e.role}</td><td>${e.action}</td>
<td><details><summary>${sv(v) ? 'Före och efter' : 'Before and after'}<span class="sr-only"> ${e.seq}</span></summary>
<h3>${sv(v) ? 'Före' : 'Before'}</h3><pre>${json(e.before)}</pre><h3>${sv(v) ? 'Efter' : 'After'}</h3><pre>${json(e.after)}</pre></details></td></tr>`);
  return consolePage(v, title, html`<h1>${title}</h1>
<table id="audit"><caption class="sr-only">${title}</caption><thead><tr><th scope="col">#</th><th scope="col">${sv(v) ? 'När' : 'When'}</th>
<th scope="col">${sv(v) ? 'Vem' : 'Who'}</th><th scope="col">${sv(v) ? 'Vad' : 'What'}</th><th scope="col">${sv(v) ? 'Ändring' : 'Change'}</th></tr></thead>
<tbody>${rows.length ? rows : [html`<tr><td colspan="5">${sv(v) ? 'Inga händelser.' : 'No entries.'}</td></tr>`]}</tbody></table>`);
}

const kindNames: Record<string, { sv: string; en: string }> = {
  region: { sv: 'Region', en: 'Region' },
  municipality: { sv: 'Kommun', en: 'Municipality' },
  private_provider: { sv: 'Privat vårdgivare', en: 'Private care provider' },
};

export function controllersPage(v: ConsoleView, controllers: Controller[], names: DatasetNames = defaultDatasetNames): string {
  const title = sv(v) ? 'Personuppgiftsansvariga' : 'Data controllers';
  return consolePage(v, title, html`<h1>${title}</h1>
<table><caption class="sr-only">${title}</caption><thead><tr><th scope="col">${sv(v) ? 'Namn' : 'Name'}</th><th scope="col">${sv(v) ? 'Slag' : 'Kind'}</th>
<th scope="col">${sv(v) ? 'Organisationsnummer' : 'Organisation number'}</th><th scope="col">${sv(v) ? 'Data' : 'Data'}</th></tr></thead><tbody>
${controllers.map((c) => html`<tr><td><a href="/admin/controllers/${encodeURIComponent(c.id)}">${c.name}</a></td><td>${kindNames[c.kind]?.[v.locale] ?? c.kind}</td><td>${c.orgNumber}</td>
<td>${c.datasets.map((d) => names(d, v.locale)).join(', ')}</td></tr>`)}</tbody></table>`);
}

export function controllerPage(v: ConsoleView, c: Controller, policy: ControllerPolicy | AdminApiProblem | undefined, names: DatasetNames = defaultDatasetNames): string {
  const policySection = policy === undefined
    ? html`<p>${sv(v) ? 'Ingen policy ännu: inga tillitsramverk godtas.' : 'No policy yet: no trust framework is accepted.'}</p>`
    : 'accepts' in policy
      ? (policy.accepts.length
        ? html`<ul id="policy">${policy.accepts.map((a) => html`<li>${sv(v)
          ? `Godtar ${a.frameworkId} för ändamålet ${a.purpose}: ${accessInWords(a.access, 'sv', names)}`
          : `Accepts ${a.frameworkId} for the purpose ${a.purpose}: ${accessInWords(a.access, 'en', names)}`}</li>`)}</ul>
<p class="muted">${sv(v) ? 'Policyversion' : 'Policy version'} ${policy.version}, ${moment(policy.updatedAt)}. <a href="/admin/audit/policy/${encodeURIComponent(c.id)}">${sv(v) ? 'Policyns historik' : 'The policy\'s history'}</a></p>`
        : html`<p>${sv(v) ? 'Policyn godtar inga tillitsramverk.' : 'The policy accepts no trust framework.'}</p>`)
      : unavailable(v, policy);
  return consolePage(v, c.name, html`<h1>${c.name}</h1>
<div class="card"><dl class="claims"><dt>Id</dt><dd><code>${c.id}</code></dd>
<dt>${sv(v) ? 'Slag' : 'Kind'}</dt><dd>${kindNames[c.kind]?.[v.locale] ?? c.kind}</dd>
<dt>${sv(v) ? 'Organisationsnummer' : 'Organisation number'}</dt><dd>${c.orgNumber}</dd>
${c.hsaId ? html`<dt>HSA-id</dt><dd>${c.hsaId}</dd>` : html``}
<dt>${sv(v) ? 'Data' : 'Data'}</dt><dd>${c.datasets.map((d) => names(d, v.locale)).join(', ') || '–'}</dd></dl>
<p><a href="/admin/audit/controller/${encodeURIComponent(c.id)}">${sv(v) ? 'Historik' : 'History'}</a></p></div>
<h2>${sv(v) ? 'Policy för tillitsramverk' : 'Trust framework policy'}</h2>${policySection}`);
}

/** An API problem in plain words, with what the person can do next; never a stack trace. */
export function problemPage(v: ConsoleView, p: AdminApiProblem | { status: number; code: string; title: string; detail?: string | undefined; errors?: Array<{ path: string; message: string }> }, back?: string): string {
  const words = problemWords[p.code] ?? (p.status === 400 || p.status === 422 ? problemWords.validation : undefined);
  const title = words ? words.title[v.locale] : (sv(v) ? 'Det gick inte' : 'That did not work');
  const explanation = words ? words.explanation[v.locale] : (sv(v) ? `Registret kunde inte utföra begäran (${p.title}).` : `The registry could not do this (${p.title}).`);
  const signIn = SIGN_IN_AGAIN.has(p.code) || p.status === 401;
  return consolePage(v, title, html`<div class="card"><h1>${title}</h1>
<p class="message error" role="alert" id="problem" data-code="${p.code}">${explanation}</p>
${p.detail ? html`<p>${p.detail}</p>` : html``}
${p.errors?.length ? html`<ul>${p.errors.map((e) => html`<li><code>${e.path}</code>: ${e.message}</li>`)}</ul>` : html``}
<p class="muted">${sv(v) ? 'Felkod' : 'Error code'}: <code>${p.code}</code> (HTTP ${p.status})</p>
${signIn ? html`<p><a class="button" href="/admin/login">${sv(v) ? 'Logga in igen' : 'Sign in again'}</a></p>` : html``}
${p.code === 'version_conflict' && back ? html`<p><a class="button" href="${back}">${sv(v) ? 'Ladda om' : 'Reload'}</a></p>` : back ? html`<p><a href="${back}">${sv(v) ? 'Tillbaka' : 'Back'}</a></p>` : html``}</div>`);
}

export function signedOutPage(v: ConsoleView): string {
  const title = sv(v) ? 'Du är utloggad från konsolen' : 'You are signed out of the console';
  return consolePage(v, title, html`<div class="card"><h1>${title}</h1><p><a class="button" href="/admin/login">${sv(v) ? 'Logga in igen' : 'Sign in again'}</a></p></div>`);
}

/** Saying "no" to a product the controller's policy approved automatically (a revoked certification-based approval). */
export function stopAutomaticConfirmPage(v: ConsoleView, product: Product, controller: Controller, live: LiveAccess, names: DatasetNames = defaultDatasetNames): string {
  const title = sv(v) ? 'Bekräfta att den automatiska delningen stoppas' : 'Confirm stopping the automatic sharing';
  const what = accessInWords(live.access, v.locale, names);
  const framework = live.frameworkId ?? '';
  const sentence = sv(v)
    ? `${controller.name} slutar dela ${what} med ${product.name}.`
    : `${controller.name} will stop sharing ${what} with ${product.name}.`;
  return consolePage(v, title, html`<h1>${title}</h1>
<div class="card"><p class="message" id="what-changes">${sentence}</p>
<p>${sv(v)
    ? `Produkten delar i dag data automatiskt, eftersom den är certifierad enligt ${framework} och ${controller.name}s policy godtar det ramverket för ändamålet ${live.purpose ?? product.purpose}. Stoppet gäller bara ${product.name}: policyn gäller som förut för andra produkter. Produkten får inga nya token för ${controller.name}, och token som redan finns slutar gälla för ${controller.name} inom en sekund.`
    : `The product shares data automatically today, because it is certified under ${framework} and ${controller.name}'s policy accepts that framework for the purpose ${live.purpose ?? product.purpose}. The stop applies to ${product.name} only: the policy applies to other products as before. The product gets no new tokens for ${controller.name}, and tokens it already holds stop covering ${controller.name} within a second.`}</p>
<form method="post" action="/admin/products/${encodeURIComponent(product.id)}/automatic/${encodeURIComponent(controller.id)}/stop">${csrfField(v.csrf)}
<button type="submit" id="confirm">${sv(v) ? 'Stoppa delningen' : 'Stop the sharing'}</button>
<a class="button secondary" href="/admin/products/${encodeURIComponent(product.id)}">${sv(v) ? 'Avbryt' : 'Cancel'}</a></form></div>`);
}

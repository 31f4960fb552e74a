// The pages of an interaction: choose a sign-in method, wait for BankID, consent.
import { html, page, raw, sayHtml, type Html } from './html.ts';
import type { Locale } from './i18n.ts';
import { pageTexts } from './messages/pages.ts';
import { methodTexts } from './messages/methods.ts';
import { bankidTexts } from './messages/bankid.ts';
import { frejaTexts } from './messages/freja.ts';

export interface MethodButton {
  label: string;
  /** Form field sent with the button (e.g. mode=qr). */
  name?: string;
  value?: string;
  secondary?: boolean;
}

export interface MethodChoice {
  id: string;
  name: string;
  description: string;
  /** Where the method's form posts (or, with `method: 'get'`, links). */
  action: string;
  method?: 'post' | 'get';
  buttons: MethodButton[];
  /** The level of assurance it reaches, shown to the person in words. */
  levelText?: string;
  /** Whom the e-ID signs in (loa.providers' audience): the list is grouped by it when both appear. */
  audience?: 'citizen' | 'staff';
}

function methodItem(m: MethodChoice, locale: Locale): Html {
  return html`<li class="card" id="method-${m.id}"><h3>${m.name}</h3><p>${m.description}</p>
${m.levelText ? html`<p class="muted">${m.levelText}</p>` : html``}
<form method="${m.method ?? 'post'}" action="${m.action}">
${m.method === 'get' ? html`` : html`<input type="hidden" name="lang" value="${locale}">`}
${m.buttons.map((b) => html`<button type="submit"${b.name ? html` name="${b.name}" value="${b.value ?? ''}"` : html``}${b.secondary ? html` class="secondary"` : html``}>${b.label}</button>`)}
</form></li>`;
}

/** The methods, grouped by whom they sign in when a product serves citizens and staff alike. */
function methodList(methods: MethodChoice[], locale: Locale): Html {
  const list = (ms: MethodChoice[]) => html`<ul class="methods" style="list-style:none;padding:0">${ms.map((m) => methodItem(m, locale))}</ul>`;
  const audiences = [...new Set(methods.map((m) => m.audience ?? 'citizen'))];
  if (audiences.length < 2) return html`<h2>${pageTexts.say(locale, 'chooseMethod')}</h2>${list(methods)}`;
  return html`${(['citizen', 'staff'] as const).map((a) => {
    const ms = methods.filter((m) => (m.audience ?? 'citizen') === a);
    return ms.length ? html`<section aria-labelledby="audience-${a}"><h2 id="audience-${a}">${methodTexts.say(locale, `audience.${a}`)}</h2>${list(ms)}</section>` : html``;
  })}`;
}

export function loginPage(opts: {
  locale: Locale;
  uid: string;
  clientName: string;
  methods: MethodChoice[];
  notice?: string;
  stepUp?: boolean;
  /** "Inloggad som … med …" when a session exists (src/federation/sso/views.ts). */
  signedIn?: Html;
  /** The shared-login notice: which services share the session, and "sign out of all". */
  shared?: Html;
  /** Why the existing session was not used for this app. */
  sessionNotUsed?: string | undefined;
}): string {
  const say = (key: Parameters<typeof pageTexts.say>[1]) => pageTexts.say(opts.locale, key);
  const title = say('signInTitle');
  const methods = opts.methods.length
    ? methodList(opts.methods, opts.locale)
    : html`<p class="message error" role="alert">${say('noMethod')}</p>`;
  const stepUp = opts.stepUp ? html`<p class="message" role="status">${say('stepUp')}</p>` : html``;
  return page({
    locale: opts.locale,
    title,
    path: `/interaction/${opts.uid}`,
    body: html`<h1>${title}</h1>
${opts.signedIn ?? html``}
<p>${sayHtml(say('appAsks'), { app: html`<strong>${opts.clientName}</strong>` })}</p>
${stepUp}
${opts.sessionNotUsed ? html`<p class="message" role="status" id="session-not-used">${opts.sessionNotUsed}</p>` : html``}
${opts.notice ? html`<p class="message error" role="alert">${opts.notice}</p>` : html``}
${methods}
<form method="post" action="/interaction/${opts.uid}/abort"><button type="submit" class="secondary">${say('cancelSignIn')}</button></form>
${opts.shared ?? html``}`,
  });
}

/** An e-ID used through its app (BankID, Freja): the wait page polls `/interaction/:uid/<id>/status`. */
export interface AppEid {
  /** Route segment, e.g. 'bankid'. */
  id: string;
  /** Brand name shown to the person, e.g. 'BankID', 'Freja eID'. */
  name: string;
}

/** The e-ID's own scanning instructions and mode-switch words (BankID's and Freja's catalogues). */
function eidWords(id: string, locale: Locale) {
  const texts = id === 'freja' ? frejaTexts : bankidTexts;
  return {
    scanTitle: texts.say(locale, 'scanTitle'),
    steps: [texts.say(locale, 'scanStep1'), texts.say(locale, 'scanStep2'), texts.say(locale, 'scanStep3')],
    sameDevice: texts.say(locale, 'sameDevice'),
    otherDevice: texts.say(locale, 'otherDevice'),
  };
}

/**
 * The wait page, as BankID's guidance for relying parties describes it: the QR code with short
 * instructions, hidden as soon as the app has opened the order (the message then says what to do in
 * the app); the other way to start one click away; after a failure no QR code and no "open the app"
 * (that order is dead), only one way on: start again (a new order), or choose another method.
 */
export function appWaitPage(opts: {
  eid: AppEid;
  locale: Locale;
  uid: string;
  mode: 'qr' | 'autostart';
  message: string;
  qrSvg?: string;
  qrText?: string;
  launchHref?: string;
  failed?: boolean;
  /** The app has opened the order (scanned the QR code or started on this device): no QR code any more. */
  opened?: boolean;
  /** The response's CSP nonce, for the status poller's script. */
  nonce: string | undefined;
}): string {
  const say = (key: Parameters<typeof pageTexts.say>[1], params?: Record<string, string>) => pageTexts.say(opts.locale, key, params);
  const { id, name } = opts.eid;
  const words = eidWords(id, opts.locale);
  const title = say('waitTitle', { name });
  const base = `/interaction/${opts.uid}/${id}`;
  const live = !opts.failed;
  const showQr = live && !opts.opened && opts.qrSvg;
  const qr: Html = showQr
    ? html`<div id="qr-area"><figure class="qr" id="qr" role="img" aria-label="${say('qrLabel', { name })}">${raw(opts.qrSvg ?? '')}</figure>
<h2>${words.scanTitle}</h2><ol class="steps" id="scan-steps">${words.steps.map((step) => html`<li>${step}</li>`)}</ol>
${opts.qrText !== undefined ? html`<p class="muted">${say('qrSandbox')}: <code id="qr-text">${opts.qrText}</code></p>` : html``}</div>`
    : html``;
  const launch = live && opts.launchHref
    ? html`<p><a class="button" id="launch" href="${opts.launchHref}" target="_blank" rel="noopener">${say('open', { name })}</a></p>`
    : html``;
  // The other way to start, while this order runs (a new order replaces it).
  const switchMode = live && !opts.opened
    ? html`<form method="post" action="${base}/start" id="switch-mode"><input type="hidden" name="lang" value="${opts.locale}"><input type="hidden" name="mode" value="${opts.mode === 'qr' ? 'autostart' : 'qr'}"><button type="submit" class="secondary">${opts.mode === 'qr' ? words.sameDevice : words.otherDevice}</button></form>`
    : html``;
  const script = `(() => {
  const statusUrl = ${JSON.stringify(`${base}/status?lang=${opts.locale}`)};
  // Back after the sign-in asks for this page again instead of re-posting the start form.
  try { history.replaceState(null, '', ${JSON.stringify(`${base}/wait?mode=${opts.mode}&lang=${opts.locale}`)}); } catch (e) { /* an old browser keeps the POST */ }
  const msg = document.getElementById('status');
  const gone = (id) => { const el = document.getElementById(id); if (el) el.remove(); };
  let stopped = false;
  async function poll() {
    if (stopped) return;
    try {
      const r = await fetch(statusUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      const s = await r.json();
      if (s.message && msg.textContent !== s.message.text) msg.textContent = s.message.text;
      if (s.opened) { gone('qr-area'); gone('switch-mode'); }
      const qr = document.getElementById('qr'), qrText = document.getElementById('qr-text');
      if (s.qrSvg && qr) qr.innerHTML = s.qrSvg;
      if (qrText && s.qr) qrText.textContent = s.qr;
      if (s.redirectTo) { stopped = true; window.location.assign(s.redirectTo); return; }
      if (s.status !== 'pending') {
        stopped = true; gone('qr-area'); gone('launch'); gone('switch-mode'); gone('check');
        msg.classList.add('error'); msg.setAttribute('role', 'alert');
        document.getElementById('retry').hidden = false; return;
      }
    } catch (e) { /* a missed poll is retried on the next tick */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();`;
  return page({
    locale: opts.locale,
    title,
    path: `${base}/wait?mode=${opts.mode}`,
    body: html`<h1>${title}</h1>
<div class="card">
<p class="message${opts.failed ? ' error' : ''}" id="status" role="${opts.failed ? 'alert' : 'status'}"${opts.failed ? html`` : html` aria-live="polite"`}>${opts.message}</p>
${launch}${qr}
${live ? html`<form method="post" action="${base}/check" id="check"><noscript><button type="submit">${say('noscriptContinue')}</button></noscript></form>` : html``}
<form method="post" action="${base}/start" id="retry" ${opts.failed ? '' : 'hidden'}><input type="hidden" name="lang" value="${opts.locale}"><input type="hidden" name="mode" value="${opts.mode}"><button type="submit">${say('startAgain')}</button></form>
${switchMode}
<form method="post" action="${base}/cancel"><input type="hidden" name="lang" value="${opts.locale}"><button type="submit" class="secondary" id="cancel">${say('otherMethod')}</button></form>
</div>`,
    script: opts.failed ? undefined : { source: script, nonce: opts.nonce },
  });
}

// The consent page's content is the citizens' module's (src/citizens/consent/prompt.ts): what is
// given depends on the person and on the consent records.

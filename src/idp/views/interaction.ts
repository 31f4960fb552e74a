// The pages of an interaction: choose a sign-in method, wait for BankID, consent.
import { html, page, raw, type Html } from './html.ts';
import type { Locale } from './i18n.ts';

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
  const sv = opts.locale === 'sv';
  const title = sv ? 'Logga in' : 'Sign in';
  const methods = opts.methods.length
    ? opts.methods.map((m) => html`<li class="card" id="method-${m.id}"><h2>${m.name}</h2><p>${m.description}</p>
${m.levelText ? html`<p class="muted">${m.levelText}</p>` : html``}
<form method="${m.method ?? 'post'}" action="${m.action}">
${m.method === 'get' ? html`` : html`<input type="hidden" name="lang" value="${opts.locale}">`}
${m.buttons.map((b) => html`<button type="submit"${b.name ? html` name="${b.name}" value="${b.value ?? ''}"` : html``}${b.secondary ? html` class="secondary"` : html``}>${b.label}</button>`)}
</form></li>`)
    : [html`<li class="message error" role="alert">${sv ? 'Ingen inloggningsmetod uppfyller den tillitsnivå som appen kräver.' : 'No sign-in method meets the level of assurance the app requires.'}</li>`];
  const stepUp = opts.stepUp
    ? html`<p class="message" role="status">${sv ? 'Appen behöver en starkare inloggning än den du redan har gjort. Logga in igen med en av metoderna nedan.' : 'The app needs a stronger sign-in than the one you already made. Sign in again with one of the methods below.'}</p>`
    : html``;
  return page({
    locale: opts.locale,
    title,
    path: `/interaction/${opts.uid}`,
    body: html`<h1>${title}</h1>
${opts.signedIn ?? html``}
<p>${sv ? 'Appen' : 'The app'} <strong>${opts.clientName}</strong> ${sv ? 'vill att du loggar in med e-legitimation.' : 'asks you to sign in with an e-ID.'}</p>
${stepUp}
${opts.sessionNotUsed ? html`<p class="message" role="status" id="session-not-used">${opts.sessionNotUsed}</p>` : html``}
${opts.notice ? html`<p class="message error" role="alert">${opts.notice}</p>` : html``}
<ul style="list-style:none;padding:0">${methods}</ul>
<form method="post" action="/interaction/${opts.uid}/abort"><button type="submit" class="secondary">${sv ? 'Avbryt inloggningen' : 'Cancel sign-in'}</button></form>
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
  /** The response's CSP nonce, for the status poller's script. */
  nonce: string | undefined;
}): string {
  const sv = opts.locale === 'sv';
  const { id, name } = opts.eid;
  const title = sv ? `Logga in med ${name}` : `Sign in with ${name}`;
  const base = `/interaction/${opts.uid}/${id}`;
  const qr: Html = opts.qrSvg
    ? html`<figure class="qr" id="qr" role="img" aria-label="${sv ? `QR-kod att skanna med ${name}-appen` : `QR code to scan with the ${name} app`}">${raw(opts.qrSvg)}</figure>
${opts.qrText !== undefined ? html`<p class="muted">${sv ? 'Sandlåda – QR-kodens innehåll' : 'Sandbox – QR content'}: <code id="qr-text">${opts.qrText}</code></p>` : html``}`
    : html``;
  const launch = opts.launchHref
    ? html`<p><a class="button" id="launch" href="${opts.launchHref}" target="_blank" rel="noopener">${sv ? `Öppna ${name}` : `Open ${name}`}</a></p>`
    : html``;
  const script = `(() => {
  const statusUrl = ${JSON.stringify(`${base}/status?lang=${opts.locale}`)};
  const msg = document.getElementById('status'), qr = document.getElementById('qr'), qrText = document.getElementById('qr-text');
  let stopped = false;
  async function poll() {
    if (stopped) return;
    try {
      const r = await fetch(statusUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      const s = await r.json();
      if (s.message && msg.textContent !== s.message.text) msg.textContent = s.message.text;
      if (s.qrSvg && qr) qr.innerHTML = s.qrSvg;
      if (qrText && s.qr) qrText.textContent = s.qr;
      if (s.redirectTo) { stopped = true; window.location.assign(s.redirectTo); return; }
      if (s.status !== 'pending') { stopped = true; if (qr) qr.remove(); msg.classList.add('error'); document.getElementById('retry').hidden = false; return; }
    } catch (e) { /* a missed poll is retried on the next tick */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();`;
  return page({
    locale: opts.locale,
    title,
    body: html`<h1>${title}</h1>
<div class="card">
<p class="message${opts.failed ? ' error' : ''}" id="status" role="status" aria-live="polite">${opts.message}</p>
${qr}${launch}
<form method="post" action="${base}/check"><noscript><button type="submit">${sv ? 'Jag har legitimerat mig – fortsätt' : 'I have identified myself – continue'}</button></noscript></form>
<form method="post" action="${base}/start" id="retry" ${opts.failed ? '' : 'hidden'}><input type="hidden" name="mode" value="${opts.mode}"><button type="submit">${sv ? 'Försök igen' : 'Try again'}</button></form>
<form method="post" action="${base}/cancel"><button type="submit" class="secondary" id="cancel">${sv ? 'Avbryt' : 'Cancel'}</button></form>
</div>`,
    script: opts.failed ? undefined : { source: script, nonce: opts.nonce },
  });
}

// The consent page's content is the citizens' module's (src/citizens/consent/prompt.ts): what is
// given depends on the person and on the consent records.

// Pages oidc-provider shows a person when an authorization request or logout cannot go on.
import { html, page, raw } from './html.ts';
import type { Locale } from './i18n.ts';

export function renderErrorPage(locale: Locale, out: Record<string, string>): string {
  const title = locale === 'sv' ? 'Inloggningen kunde inte genomföras' : 'Sign-in could not be completed';
  return page({
    locale,
    title,
    body: html`<div class="card"><h1>${title}</h1>
<p class="message error" role="alert">${out.error_description ?? out.error ?? ''}</p>
<p>${locale === 'sv' ? 'Felkod' : 'Error code'}: <code>${out.error ?? 'server_error'}</code></p>
<p class="muted">${locale === 'sv' ? 'Gå tillbaka till appen och försök igen.' : 'Go back to the app and try again.'}</p></div>`,
  });
}

/**
 * oidc-provider passes the logout form as an HTML string it built (hidden xsrf input). Logging out
 * always ends the shared session everywhere: the one button sends logout=yes, and the page names the
 * services it signs out of.
 */
export function renderLogoutPrompt(locale: Locale, form: string, services: string[] = []): string {
  const sv = locale === 'sv';
  const title = sv ? 'Vill du logga ut?' : 'Do you want to sign out?';
  return page({
    locale,
    title,
    body: html`<div class="card"><h1>${title}</h1>
<p>${sv ? 'Du loggas ut från den gemensamma inloggningen och från alla tjänster som delar den.' : 'You will be signed out of the shared login and of every service that shares it.'}</p>
${services.length ? html`<ul id="logout-services">${services.map((s) => html`<li>${s}</li>`)}</ul>` : html``}
${raw(form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes" id="logout-all">${sv ? 'Logga ut från alla' : 'Sign out of all'}</button></div>`,
  });
}

export function renderLoggedOut(locale: Locale): string {
  const title = locale === 'sv' ? 'Du är utloggad' : 'You are signed out';
  return page({ locale, title, body: html`<div class="card"><h1>${title}</h1></div>` });
}

/** Redis or the database did not answer (a 503): nothing is wrong with the request; try again. */
export function renderUnavailablePage(locale: Locale): string {
  const sv = locale === 'sv';
  return renderErrorPage(locale, {
    error: 'temporarily_unavailable',
    error_description: sv ? 'Tjänsten är tillfälligt otillgänglig. Försök igen om en liten stund.' : 'The service is temporarily unavailable. Try again in a little while.',
  });
}

// Error pages: every one a real page in the person's language, with a title, what happened and what
// to do next in words from the catalogue (messages/<locale>/errors.ts), the code kept small for
// support, and a way back — to the app when it is known, else to the help page. A machine's
// error_description (oidc-provider's "client is invalid", "request_uri is invalid, expired, or was
// already used") never reaches the page: it is mapped to a code with words of its own.
import { html, page, raw, type Html } from './html.ts';
import type { Locale } from './i18n.ts';
import { errorTexts, isErrorCode, type ErrorCode } from './messages/errors.ts';
import { pageTexts } from './messages/pages.ts';
import { FOOTER_LINKS } from './html.ts';

/** Where the person can go from an error: the app (its name and page), when the request named one. */
export interface WayBack {
  href: string;
  name?: string | undefined;
}

export interface ErrorPageInput {
  /** The code shown small for support; its sentence comes from the catalogue unless `message` is given. */
  code: string;
  /** A sentence from another catalogue (a SAML or card refusal) that says more than the code's own. */
  message?: string | undefined;
  title?: 'title' | 'notFoundTitle' | 'unavailableTitle' | 'signOutTitle';
  back?: WayBack | undefined;
}

/** The catalogue's code for a code (unknown ones read as a failed request, never as raw text). */
function sentence(locale: Locale, code: string): string {
  return errorTexts.say(locale, `code.${isErrorCode(code) ? code : 'invalid_request'}`);
}

export function errorPage(locale: Locale, input: ErrorPageInput): string {
  const title = errorTexts.say(locale, input.title ?? (input.code === 'not_found' ? 'notFoundTitle' : input.code === 'temporarily_unavailable' ? 'unavailableTitle' : 'title'));
  const back: Html = input.back
    ? html`<p><a class="button" id="back" href="${input.back.href}">${input.back.name ? errorTexts.say(locale, 'backToApp', { app: input.back.name }) : errorTexts.say(locale, 'backToTheApp')}</a></p>`
    : html`<p>${errorTexts.say(locale, 'startAgainHint')}</p>
<p><a class="button secondary" id="back" href="${FOOTER_LINKS.help}?lang=${locale}">${errorTexts.say(locale, 'help')}</a></p>`;
  return page({
    locale,
    title,
    body: html`<div class="card" id="error"><h1>${title}</h1>
<p class="message error" role="alert">${input.message ?? sentence(locale, input.code)}</p>
${back}
<p class="muted"><small>${errorTexts.say(locale, 'codeLabel')}: <code id="error-code">${input.code}</code></small></p></div>`,
  });
}

/**
 * oidc-provider's error out ({ error, error_description }) as a code with words: the description is
 * read only to tell apart the cases that share a code (an expired interaction is an invalid_request).
 */
export function oidcErrorCode(out: { error?: string | undefined; error_description?: string | undefined }): ErrorCode | 'invalid_request' {
  const error = out.error ?? 'server_error';
  const description = out.error_description ?? '';
  if (error === 'invalid_request' && /session not found|has expired|session and authentication session mismatch|interaction/i.test(description)) return 'interaction_expired';
  if (error === 'invalid_request' && /redirect_uri/i.test(description)) return 'invalid_redirect_uri';
  return isErrorCode(error) ? error : 'invalid_request';
}

/** oidc-provider's renderError: its `out`, in words; `back` when the request named a client. */
export function renderErrorPage(locale: Locale, out: Record<string, string | undefined>, back?: WayBack): string {
  return errorPage(locale, { code: oidcErrorCode(out), back });
}

/**
 * The logout prompt. oidc-provider passes its form as an HTML string it built (hidden xsrf input).
 * Logging out always ends the shared session everywhere: the one button sends logout=yes, and the
 * page names the services it signs out of. Cancelling is a link back to the app that never submits
 * the form, so the session stays.
 */
export function renderLogoutPrompt(locale: Locale, form: string, services: string[] = [], back?: WayBack): string {
  const say = (key: Parameters<typeof pageTexts.say>[1]) => pageTexts.say(locale, key);
  const title = say('logoutTitle');
  return page({
    locale,
    title,
    body: html`<div class="card"><h1>${title}</h1>
<p>${say('logoutBody')}</p>
${services.length ? html`<ul id="logout-services">${services.map((s) => html`<li>${s}</li>`)}</ul>` : html``}
${raw(form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes" id="logout-all">${say('logoutAll')}</button>
${back
    ? html`<a class="button secondary" id="logout-cancel" href="${back.href}">${say('logoutCancel')}</a>`
    : html`<p class="muted" id="logout-cancel-hint">${say('logoutCancelNoApp')}</p>`}</div>`,
  });
}

/** After a logout without a way back of its own (no post_logout_redirect_uri): still a way on. */
export function renderLoggedOut(locale: Locale, back?: WayBack): string {
  const title = pageTexts.say(locale, 'signedOutTitle');
  return page({
    locale,
    title,
    body: html`<div class="card"><h1>${title}</h1>
${back
    ? html`<p><a class="button" id="back-to-app" href="${back.href}">${back.name ? errorTexts.say(locale, 'backToApp', { app: back.name }) : errorTexts.say(locale, 'backToTheApp')}</a></p>`
    : html`<p>${errorTexts.say(locale, 'startAgainHint')}</p>`}</div>`,
  });
}

/** Redis or the database did not answer (a 503): nothing is wrong with the request; try again. */
export function renderUnavailablePage(locale: Locale): string {
  return errorPage(locale, { code: 'temporarily_unavailable' });
}

/** A path no route answered, for a browser (API clients keep problem+json). */
export function renderNotFoundPage(locale: Locale): string {
  return errorPage(locale, { code: 'not_found' });
}

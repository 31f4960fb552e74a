// What the shared login tells the person, on every page that uses it (issue 11 items 1 and 4, §8.1 c):
// who is signed in and with what ("Inloggad som Anna Andersson med BankID", with "Inte du? Logga ut"),
// that the sign-in is shared, which services share it now, and a button that signs out of all of them.
// The login and consent pages use these; the jump pages (src/federation/sso/jump*) use them too.
import { html, page, type Html } from '../../idp/views/html.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { pageTexts } from '../../idp/views/messages/pages.ts';
import type { AccountStore } from '../../idp/accounts.ts';
import { signedInClients, upstreamOf, type Providers } from './session.ts';

/** Where "Logga ut" goes: oidc-provider's end_session, which ends the session everywhere. */
export const END_SESSION_PATH = '/session/end';

const METHOD_NAMES: Record<string, Record<Locale, string>> = {
  bankid: { sv: 'BankID', en: 'BankID' },
  freja: { sv: 'Freja eID', en: 'Freja eID' },
  'siths-saml': { sv: 'SITHS eID', en: 'SITHS eID' },
  'siths-card': { sv: 'SITHS-kort', en: 'a SITHS card' },
  'portal-saml': { sv: 'den nationella portalens inloggning', en: 'the national portal\'s sign-in' },
};

/** The e-ID method in words; an upstream without words of its own is named by its key. */
export const methodName = (upstream: string, locale: Locale): string => METHOD_NAMES[upstream]?.[locale] ?? upstream;

/** Who a session signs in, in words: enough for the notices, nothing a page does not show anyway. */
export interface SignedInPerson {
  name: string;
  /** The upstream (loa.providers key) the session was made with. */
  upstream: string;
  /** The names of the services (products) that share the session now. */
  services: string[];
}

/** The session facts the notices need, as oidc-provider's Session holds them. */
export interface SessionLike {
  accountId?: string | undefined;
  amr?: string[] | undefined;
  authorizations?: Record<string, unknown> | undefined;
}

/**
 * Describes a session for the notices; undefined when nobody is signed in (or the identity expired).
 * `clientName` names a client id (undefined for a client that is gone: left out).
 */
export async function describeSession(
  deps: { accounts: AccountStore; providers: Providers; clientName: (clientId: string) => Promise<string | undefined> },
  session: SessionLike | undefined,
): Promise<SignedInPerson | undefined> {
  if (!session?.accountId) return undefined;
  const record = await deps.accounts.find(session.accountId);
  const upstream = upstreamOf(session.amr, deps.providers);
  if (!record || !upstream) return undefined;
  const names = await Promise.all(signedInClients(session.authorizations).map((id) => deps.clientName(id).catch(() => undefined)));
  return { name: record.name, upstream, services: names.filter((n): n is string => Boolean(n)) };
}

/** "Inloggad som Anna Andersson med BankID. Inte du? Logga ut" */
export function signedInNotice(locale: Locale, person: SignedInPerson, logoutHref = END_SESSION_PATH): Html {
  const sv = locale === 'sv';
  return html`<p class="message" id="signed-in-as" role="status">${sv ? 'Inloggad som' : 'Signed in as'} <strong>${person.name}</strong> ${sv ? 'med' : 'with'} ${methodName(person.upstream, locale)}.
<a href="${logoutHref}" id="not-you">${sv ? 'Inte du? Logga ut' : 'Not you? Sign out'}</a></p>`;
}

/**
 * The shared-login notice (§8.1 c): signed in through the shared login, which services share it now,
 * and one button to sign out of all of them.
 */
export function sharedLoginNotice(locale: Locale, person: SignedInPerson, logoutHref = END_SESSION_PATH): Html {
  const sv = locale === 'sv';
  const services = person.services.length
    ? html`<p>${sv ? 'Inloggningen delas just nu av' : 'The sign-in is shared now by'}:</p><ul id="shared-services">${person.services.map((s) => html`<li>${s}</li>`)}</ul>`
    : html`<p>${sv ? 'Ingen tjänst använder inloggningen ännu.' : 'No service uses the sign-in yet.'}</p>`;
  return html`<div class="card" id="shared-login"><h2>${sv ? 'Du är inloggad via den gemensamma inloggningen' : 'You are signed in through the shared login'}</h2>
<p>${sv
    ? 'Du behöver inte logga in igen i tjänster som litar på samma inloggning. Loggar du ut, loggas du ut från alla.'
    : 'You need not sign in again to services that trust the same sign-in. Signing out signs you out of all of them.'}</p>
${services}
<a class="button secondary" href="${logoutHref}" id="sign-out-all">${sv ? 'Logga ut från alla' : 'Sign out of all'}</a></div>`;
}

/** What the signed-out page says. */
export interface SignedOutView {
  services: string[];
  /** Whether the national portal's IdP was told, when the session came from it. */
  portal?: 'signed_out' | 'not_confirmed' | undefined;
  /** The way back to the app: its post_logout_redirect_uri (with state), when it gave one. */
  backTo?: string | undefined;
  backToName?: string | undefined;
  /** The app's registered page, for the way on when it gave no post_logout_redirect_uri. */
  appHome?: string | undefined;
}

export function signedOutPage(locale: Locale, view: SignedOutView): string {
  const say = (key: Parameters<typeof pageTexts.say>[1], params?: Record<string, string>) => pageTexts.say(locale, key, params);
  const title = say('signedOutTitle');
  const services = view.services.length
    ? html`<p>${say('signedOutFrom')}:</p><ul id="signed-out-services">${view.services.map((s) => html`<li>${s}</li>`)}</ul>`
    : html``;
  const portal = view.portal === 'signed_out'
    ? html`<p id="portal-signed-out">${say('signedOutPortal')}</p>`
    : view.portal === 'not_confirmed'
      ? html`<p class="message error" id="portal-not-confirmed">${say('signedOutPortalUnconfirmed')}</p>`
      : html``;
  // The way on: back to the app (where it asked to be sent, else its registered page).
  const backHref = view.backTo ?? view.appHome;
  const back = backHref
    ? html`<p><a class="button" id="back-to-app" href="${backHref}">${view.backToName ? say('backTo', { app: view.backToName }) : say('backToTheApp')}</a></p>`
    : html`<p class="muted">${say('signedOutNoApp')}</p>`;
  return page({
    locale,
    title,
    body: html`<div class="card" id="signed-out"><h1>${title}</h1>
<p>${say('signedOutEnded')}</p>
${services}${portal}${back}</div>`,
  });
}

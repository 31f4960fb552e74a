// Single logout (issue 11 item 5). RP-initiated logout is oidc-provider's end_session, always "sign out
// of everything" (the prompt's one button sends logout=yes): it revokes the session's grants, destroys
// the session, and hands each product the session touched to the back-channel delivery
// (backchannel.ts). What this adds, after oidc-provider has ended the session:
//   - the session's facts (which services, which e-ID, where to go back to) are kept under a random id
//     for a few minutes, for the signed-out page, which says where the person was signed out;
//   - when the session came from an upstream that keeps a session of its own (the national portal's
//     SAML IdP), the browser first goes there with a signed LogoutRequest (SAML Single Logout), and
//     the IdP's LogoutResponse brings it to the signed-out page.
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';
import { localeOf } from '../../idp/views/i18n.ts';
import { errorPage } from '../../idp/views/errors.ts';
import { appHome } from '../../idp/appHome.ts';
import { signedOutPage, type SignedOutView } from './views.ts';
import { signedInClients, upstreamOf, type Providers } from './session.ts';
import type { RememberedConsents } from './consent.ts';

export const SIGNED_OUT_PATH = '/sso/signed-out';
const SIGNED_OUT_TTL_SECONDS = 600;
const signedOutKey = (id: string): string => `sso:signed-out:${id}`;
const ID = /^[A-Za-z0-9_-]{22,64}$/;

/** A session oidc-provider has just ended, as far as logout needs it. */
export interface EndedSession {
  accountId: string;
  upstream: string | undefined;
  /** The session's sign-in time (oidc-provider's loginTs), which keys the upstream's session facts. */
  loginTs: number | undefined;
}

/**
 * An upstream with a session of its own that must hear of the logout (SAML SLO to the portal IdP).
 * `start` answers where to send the browser (the IdP, with the LogoutRequest), or undefined when this
 * session has nothing there; the upstream later sends the browser to `returnTo` with the outcome.
 */
export interface UpstreamLogout {
  upstream: string;
  start(ended: EndedSession, signedOutId: string): Promise<string | undefined>;
}

interface StoredSignedOut extends SignedOutView {
  upstream?: string | undefined;
}

export class SignedOutPages {
  readonly #store: HotStore;

  constructor(store: HotStore) {
    this.#store = store;
  }

  async create(view: StoredSignedOut): Promise<string> {
    const id = randomBytes(24).toString('base64url');
    await this.#store.set(signedOutKey(id), JSON.stringify(view), SIGNED_OUT_TTL_SECONDS);
    return id;
  }

  async find(id: string): Promise<StoredSignedOut | undefined> {
    if (!ID.test(id)) return undefined;
    const raw = await this.#store.get(signedOutKey(id));
    return raw ? JSON.parse(raw) as StoredSignedOut : undefined;
  }

  /** The upstream's answer to its logout, for the page. */
  async settle(id: string, portal: 'signed_out' | 'not_confirmed'): Promise<void> {
    const view = await this.find(id);
    if (view) await this.#store.set(signedOutKey(id), JSON.stringify({ ...view, portal }), SIGNED_OUT_TTL_SECONDS);
  }

  url(id: string): string {
    return `${SIGNED_OUT_PATH}/${id}`;
  }

  /**
   * Where the browser goes once logout is done: the app's post_logout_redirect_uri (with state) when it
   * gave one — the relying party's choice, as RP-Initiated Logout says — else the signed-out page.
   */
  async destination(id: string): Promise<string> {
    return (await this.find(id))?.backTo ?? this.url(id);
  }
}

/** The names of the clients a session signed in to; clients that are gone are left out. */
export async function serviceNames(provider: Provider, clientIds: string[]): Promise<string[]> {
  const names = await Promise.all(clientIds.map(async (id) => {
    try {
      const client = await provider.Client.find(id);
      return client ? client.clientName ?? client.clientId : undefined;
    } catch {
      return undefined;
    }
  }));
  return names.filter((n): n is string => Boolean(n));
}

interface EndedSessionModel {
  accountId?: string;
  amr?: string[];
  loginTs?: number;
  destroyed?: boolean;
  authorizations?: Record<string, unknown>;
  state?: { clientId?: string; postLogoutRedirectUri?: string; state?: string };
}

/**
 * oidc-provider middleware: once end_session_confirm has ended a session, the browser goes to the
 * upstream's logout (when it has one) and then to the signed-out page, instead of the bare redirect.
 */
export function afterEndSession(deps: { provider: Provider; providers: Providers; pages: SignedOutPages; upstreams: UpstreamLogout[]; logger: Logger; consents?: RememberedConsents | undefined }) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    const session = ctx.oidc.entities.Session as unknown as EndedSessionModel | undefined;
    if (!session?.destroyed || !session.accountId) return;
    const clientIds = Object.keys(session.authorizations ?? {});
    await deps.consents?.forget(session.accountId, clientIds);
    const services = await serviceNames(deps.provider, signedInClients(session.authorizations));
    const state = session.state ?? {};
    let backTo: string | undefined;
    if (state.postLogoutRedirectUri) {
      const url = new URL(state.postLogoutRedirectUri);
      if (state.state !== undefined) url.searchParams.set('state', state.state);
      backTo = url.href;
    }
    const backToName = state.clientId ? (await serviceNames(deps.provider, [state.clientId]))[0] : undefined;
    // Without a post_logout_redirect_uri the signed-out page still links to the app's registered page.
    const client = state.clientId && !backTo ? await deps.provider.Client.find(state.clientId).catch(() => undefined) : undefined;
    const appHomeHref = client ? appHome({ postLogoutRedirectUris: client.postLogoutRedirectUris, redirectUris: client.redirectUris })?.href : undefined;
    const upstream = upstreamOf(session.amr, deps.providers);
    const id = await deps.pages.create({ services, backTo, backToName, upstream, ...(appHomeHref ? { appHome: appHomeHref } : {}) });
    deps.logger.info({ services: clientIds.length, upstream }, 'session ended everywhere');
    const upstreamLogout = deps.upstreams.find((u) => u.upstream === upstream);
    let location = backTo ?? deps.pages.url(id);
    if (upstreamLogout) {
      try {
        location = (await upstreamLogout.start({ accountId: session.accountId, upstream, loginTs: session.loginTs }, id)) ?? location;
      } catch (err) {
        deps.logger.warn({ upstream, err: (err as Error).message }, 'upstream logout not started');
        await deps.pages.settle(id, 'not_confirmed');
      }
    }
    ctx.status = 303;
    ctx.redirect(location);
  };
}

export function signedOutRouter(pages: SignedOutPages): Router {
  const router = new Router();
  router.get(`${SIGNED_OUT_PATH}/:id`, async (ctx: Context) => {
    const view = await pages.find(ctx.params.id ?? '');
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    if (!view) {
      ctx.status = 404;
      ctx.body = errorPage(localeOf(ctx), { code: 'signed_out_expired', title: 'signOutTitle' });
      return;
    }
    ctx.body = signedOutPage(localeOf(ctx), view);
  });
  return router;
}

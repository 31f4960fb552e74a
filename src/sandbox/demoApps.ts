// The sandbox's demo of shared sign-in (docs/sandbox.md, "Jumps and single logout"): a national portal
// and two apps — Region Sandbox's and Sandvik kommun's — each a product of its own with its own key,
// approved by a different controller, each controller with a jump policy. A citizen signs in once at
// any of them and moves between them with POST /sso/jump; each app has a sign-out button and
// receives OpenID Connect Back-Channel Logout 1.0 logout tokens, which it verifies against the
// gateway's /jwks and shows. Built the way a supplier would (openid-client, PAR, PKCE, DPoP).
// Sandbox only.
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import type { ClientConfig } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { HotStore } from '../store/hotStore.ts';
import { html, page, type Html } from '../idp/views/html.ts';
import { chosenLocale, localeOf } from '../idp/views/i18n.ts';
import { SE } from '../idp/claims.ts';
import { actingForFromClaims } from '../citizens/representation/views.ts';
import { dpopHandleFor, issuerDiscovery, newKeyPair, sandboxClientKey, type ClientKey, type StoredKeyPair } from '../idp/ownClients.ts';

export type DemoAppId = 'portal' | 'region' | 'municipal';

export interface DemoAppSpec {
  id: DemoAppId;
  productId: string;
  clientId: string;
  name: string;
  /** The controller that approves it, and the data set it is approved for. */
  controllerId: string;
  dataset: string;
  authnMethods: string[];
}

const SCOPE = `openid profile ${SE.naturalPersonNumberScope}`;

/** The three demo products; the portal is reached through the national portal's IdP first. */
export const DEMO_APPS: readonly DemoAppSpec[] = [
  { id: 'portal', productId: 'demo-portal', clientId: 'sandbox-demo-portal', name: 'Nationella portalen (sandlåda)', controllerId: 'region-sandbox', dataset: 'bookings',
    authnMethods: ['portal-saml', 'bankid', 'freja'] },
  { id: 'region', productId: 'demo-region-app', clientId: 'sandbox-region-app', name: 'Regionappen (Region Sandbox)', controllerId: 'region-sandbox', dataset: 'vaccinations',
    authnMethods: ['bankid', 'freja', 'portal-saml'] },
  { id: 'municipal', productId: 'demo-municipal-app', clientId: 'sandbox-municipal-app', name: 'Kommunappen (Sandvik kommun)', controllerId: 'sandvik-kommun', dataset: 'home-care-decisions',
    authnMethods: ['bankid', 'freja', 'portal-saml'] },
];

export const demoAppBase = (issuer: string, id: DemoAppId) => `${issuer}/sandbox/apps/${id}`;

export interface DemoApp {
  spec: DemoAppSpec;
  key: ClientKey;
  client: ClientConfig;
  /** Where the gateway sends a jumping citizen, and the deep links a jump may land on. */
  initiateLoginUri: string;
  jumpUris: string[];
}

/** The demo apps' keys (generated on first start into the sandbox folder) and clients. */
export async function demoApps(issuer: string, sandboxDir: string): Promise<DemoApp[]> {
  return Promise.all(DEMO_APPS.map(async (spec) => {
    const key = await sandboxClientKey(sandboxDir, `demo-${spec.id}.json`);
    const base = demoAppBase(issuer, spec.id);
    return {
      spec,
      key,
      initiateLoginUri: `${base}/jump-entry`,
      jumpUris: [`${base}/`, `${base}/booking/*`],
      client: {
        client_id: spec.clientId,
        client_name: spec.name,
        product_id: spec.productId,
        redirect_uris: [`${base}/callback`],
        post_logout_redirect_uris: [`${base}/`],
        backchannel_logout_uri: `${base}/backchannel-logout`,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.publicJwk as Record<string, unknown>] },
        scope: SCOPE,
        grant_types: ['authorization_code'],
        authn_methods: spec.authnMethods,
      },
    };
  }));
}

interface Pending {
  verifier: string;
  state: string;
  dpop: StoredKeyPair;
  /** Where to land after the callback (a jump's deep link), and a launch reference to resolve. */
  next?: string;
  launch?: string;
}

interface AppSession {
  claims: Record<string, unknown>;
  idToken: string;
  accessToken: string;
  dpop: StoredKeyPair;
  sid?: string;
  launch?: unknown;
  /** The state of a sign-out under way: the session ends when the gateway sends the browser back with it. */
  logoutState?: string;
}

export interface ReceivedLogout {
  at: string;
  sid: string;
  jti: string;
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const TTL = 3600;

export interface DemoAppDeps {
  issuer: string;
  app: DemoApp;
  /** Every demo app, for the jump buttons. */
  all: readonly DemoApp[];
  store: HotStore;
  clock: Clock;
  logger: Logger;
  /** The gateway's keys for verifying logout tokens; default: its /jwks. */
  jwks?: JWTVerifyGetKey;
}

/**
 * Verifies a logout token as OIDC Back-Channel Logout 1.0 §2.6 says: signed by the issuer's key, iss,
 * aud (this client), iat, jti, the back-channel event, a sid, and no nonce. Answers the claims or
 * the reason it is refused.
 */
export async function verifyLogoutToken(token: unknown, d: { issuer: string; clientId: string; jwks: JWTVerifyGetKey; clock: Clock }): Promise<{ ok: true; sid: string; jti: string } | { ok: false; reason: string }> {
  if (typeof token !== 'string' || token.length > 8192) return { ok: false, reason: 'no logout_token' };
  let payload;
  try {
    ({ payload } = await jwtVerify(token, d.jwks, {
      issuer: d.issuer, audience: d.clientId, algorithms: ['ES256', 'PS256'], currentDate: new Date(d.clock.now()), maxTokenAge: '5m', requiredClaims: ['iat', 'jti'],
    }));
  } catch (err) {
    return { ok: false, reason: `logout_token does not verify (${err instanceof joseErrors.JOSEError ? err.code : 'unparseable'})` };
  }
  const events = payload.events as Record<string, unknown> | undefined;
  if (!events || typeof events !== 'object' || typeof events[BACKCHANNEL_EVENT] !== 'object') return { ok: false, reason: 'logout_token has no back-channel logout event' };
  if ('nonce' in payload) return { ok: false, reason: 'logout_token carries a nonce' };
  if (typeof payload.sid !== 'string' || !payload.sid) return { ok: false, reason: 'logout_token has no sid' };
  return { ok: true, sid: payload.sid, jti: String(payload.jti) };
}

export function demoAppRouter(d: DemoAppDeps): Router {
  const { app, issuer, store } = d;
  const { spec } = app;
  const base = demoAppBase(issuer, spec.id);
  const path = new URL(base).pathname;
  const router = new Router({ prefix: path });
  const body = bodyParser({ enableTypes: ['form'], formLimit: '8kb' });
  const getConfiguration = issuerDiscovery(issuer, spec.clientId, app.key, { id_token_signed_response_alg: 'ES256' }, d.clock);
  const jwks = d.jwks ?? createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const cookie = `demo_${spec.id}`;
  const key = (part: string) => `demo-app:${spec.id}:${part}`;

  const session = async (ctx: Context): Promise<{ id: string; value: AppSession } | undefined> => {
    const id = ctx.cookies.get(cookie);
    const raw = id && /^[A-Za-z0-9_-]{22}$/.test(id) ? await store.get(key(`session:${id}`)) : undefined;
    return raw && id ? { id, value: JSON.parse(raw) as AppSession } : undefined;
  };

  const logouts = async (): Promise<ReceivedLogout[]> =>
    (await store.setMembers(key('logouts'))).map((m) => JSON.parse(m) as ReceivedLogout).sort((a, b) => b.at.localeCompare(a.at));

  const render = async (ctx: Context, content: Html, status = 200) => {
    const sv = localeOf(ctx) === 'sv';
    const received = await logouts();
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = page({
      locale: localeOf(ctx),
      title: spec.name,
      path: ctx.path,
      body: html`<h1>${spec.name}</h1>
${content}
<div class="card"><h2>${sv ? 'Utloggningar från gatewayen (back-channel)' : 'Logouts from the gateway (back-channel)'}</h2>
${received.length
    ? html`<ul id="backchannel-logouts">${received.map((r) => html`<li data-sid="${r.sid}">${r.at}: sid <code>${r.sid}</code>, jti <code>${r.jti}</code></li>`)}</ul>`
    : html`<p class="muted" id="no-backchannel-logouts">${sv ? 'Inga ännu.' : 'None yet.'}</p>`}</div>
<p class="muted"><a href="/sandbox/apps/portal/">${sv ? 'Portalen' : 'The portal'}</a> · <a href="/sandbox/apps/region/">${sv ? 'Regionappen' : 'The region app'}</a> · <a href="/sandbox/apps/municipal/">${sv ? 'Kommunappen' : 'The municipal app'}</a></p>`,
    });
  };

  /** Pushes an authorization request and sends the browser to it. */
  const startSignIn = async (ctx: Context, extra: Record<string, string>, pending: Omit<Pending, 'verifier' | 'state' | 'dpop'> = {}) => {
    const config = await getConfiguration();
    const full: Pending = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), dpop: await newKeyPair(), ...pending };
    const id = randomBytes(16).toString('base64url');
    await store.set(key(`pending:${id}`), JSON.stringify(full), 600);
    ctx.cookies.set(`${cookie}_pending`, id, { httpOnly: true, sameSite: 'lax', path });
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: `${base}/callback`,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(full.verifier),
      code_challenge_method: 'S256',
      state: full.state,
      ui_locales: localeOf(ctx),
      ...extra,
    }, { DPoP: await dpopHandleFor(config, full.dpop) });
    ctx.redirect(url.href);
  };

  const own = (link: string | undefined): string | undefined => {
    if (!link) return undefined;
    const url = URL.parse(link);
    return url && url.origin === new URL(base).origin && (url.pathname === `${path}/` || url.pathname.startsWith(`${path}/booking/`)) && !url.hash ? url.href : undefined;
  };

  const home = async (ctx: Context) => {
    const sv = localeOf(ctx) === 'sv';
    const s = await session(ctx);
    // Back from the gateway's sign-out with this app's state: the sign-out happened, so the app forgets
    // the person. Back without it (the person cancelled the sign-out) keeps them signed in here.
    // (The back-channel logout may have ended the session already: the state is then dropped all the same.)
    if (typeof ctx.query.state === 'string' && ctx.path === `${path}/`) {
      if (s?.value.logoutState && ctx.query.state === s.value.logoutState) {
        await store.del(key(`session:${s.id}`));
        ctx.cookies.set(cookie, null, { path });
      }
      // The app's own address again, without the state.
      ctx.redirect(`${path}/`);
      return;
    }
    if (!s) {
      await render(ctx, html`<div class="card"><p>${sv ? 'Du är inte inloggad här.' : 'You are not signed in here.'}</p>
<form method="post" action="${path}/login"><input type="hidden" name="lang" value="${localeOf(ctx)}"><button type="submit" id="sign-in">${spec.id === 'portal' ? (sv ? 'Logga in via portalen' : 'Sign in through the portal') : (sv ? 'Logga in' : 'Sign in')}</button></form></div>`);
      return;
    }
    const c = s.value.claims;
    const others = d.all.filter((a) => a.spec.id !== spec.id);
    const shown = ['sub', 'act', 'acr', 'amr', 'auth_time', SE.authnProvider, SE.personalIdentityNumber, 'name', 'sid'];
    await render(ctx, html`${actingForFromClaims(localeOf(ctx), c, d.clock.now()) ?? html``}<div class="card"><p id="where">${sv ? 'Du är på' : 'You are at'} <code>${ctx.path}</code></p>
${s.value.launch ? html`<p id="launch-context">${sv ? 'Startkontext' : 'Launch context'}: <code>${JSON.stringify(s.value.launch)}</code></p>` : html``}
<h2>${sv ? 'ID-token' : 'ID token'}</h2><dl class="claims" id="id-token-claims">${shown.filter((k) => c[k] !== undefined).map((k) => html`<dt>${k}</dt><dd data-claim="${k}">${typeof c[k] === 'object' ? JSON.stringify(c[k]) : String(c[k])}</dd>`)}</dl></div>
<div class="card"><h2>${sv ? 'Gå vidare utan ny inloggning' : 'Go on without signing in again'}</h2>
${others.map((o) => html`<form method="post" action="${path}/go"><input type="hidden" name="to" value="${o.spec.id}"><button type="submit" id="go-${o.spec.id}">${sv ? 'Till' : 'To'} ${o.spec.name}</button></form>`)}
<form method="post" action="${path}/go"><input type="hidden" name="to" value="${others[0]?.spec.id ?? ''}"><input type="hidden" name="booking" value="B-1001"><button type="submit" id="go-booking" class="secondary">${sv ? 'Öppna bokning B-1001 i' : 'Open booking B-1001 in'} ${others[0]?.spec.name ?? ''}</button></form></div>
<form method="post" action="${path}/logout"><button type="submit" id="sign-out">${sv ? 'Logga ut' : 'Sign out'}</button></form>`);
  };

  router.get('/', home);
  router.get('/booking/:id', home);

  // The language the person chose on this app's page goes with the sign-in (ui_locales).
  router.post('/login', body, async (ctx) => startSignIn(ctx, { ui_locales: chosenLocale((ctx.request.body as Record<string, unknown> | undefined)?.lang) ?? localeOf(ctx) }));

  // The jump entry (OIDC Core §4, initiate_login_uri): the gateway sends a jumping citizen here.
  router.get('/jump-entry', async (ctx) => {
    const q = ctx.query;
    const next = own(typeof q.target_link_uri === 'string' ? q.target_link_uri : undefined);
    if (q.iss !== issuer || !next) {
      await render(ctx, html`<p class="message error">${localeOf(ctx) === 'sv' ? 'Fel i länken hit.' : 'The link here is not valid.'}</p>`, 400);
      return;
    }
    const extra: Record<string, string> = {};
    if (typeof q.jump_ticket === 'string') extra.jump_ticket = q.jump_ticket;
    if (q.prompt === 'login') extra.prompt = 'login';
    if (typeof q.acr_values === 'string') extra.acr_values = q.acr_values;
    await startSignIn(ctx, extra, { next, ...(typeof q.launch === 'string' ? { launch: q.launch } : {}) });
  });

  router.get('/callback', async (ctx) => {
    const sv = localeOf(ctx) === 'sv';
    const pendingId = ctx.cookies.get(`${cookie}_pending`);
    const raw = pendingId ? await store.getDel(key(`pending:${pendingId}`)) : undefined;
    if (!raw) {
      await render(ctx, html`<p class="message error">${sv ? 'Inloggningen har gått ut.' : 'The sign-in has expired.'}</p>`, 400);
      return;
    }
    const pending = JSON.parse(raw) as Pending;
    const config = await getConfiguration();
    const DPoP = await dpopHandleFor(config, pending.dpop);
    try {
      const tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.originalUrl, issuer), { pkceCodeVerifier: pending.verifier, expectedState: pending.state }, undefined, { DPoP });
      const claims: Record<string, unknown> = { ...tokens.claims() };
      let launch: unknown;
      if (pending.launch) {
        // The launch context is resolved with this app's own token: it never travelled in a URL.
        const res = await oidc.fetchProtectedResource(config, tokens.access_token, new URL(`${issuer}/sso/launch/${pending.launch}`), 'GET', undefined, undefined, { DPoP });
        launch = ((await res.json()) as { context?: unknown }).context;
      }
      const id = randomBytes(16).toString('base64url');
      const value: AppSession = {
        claims, idToken: tokens.id_token ?? '', accessToken: tokens.access_token, dpop: pending.dpop,
        ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}), ...(launch === undefined ? {} : { launch }),
      };
      await store.set(key(`session:${id}`), JSON.stringify(value), TTL);
      if (value.sid) await store.setAdd(key(`sid:${value.sid}`), id, TTL);
      ctx.cookies.set(cookie, id, { httpOnly: true, sameSite: 'lax', path });
      ctx.redirect(pending.next ?? `${path}/`);
    } catch (err) {
      d.logger.warn({ err: err instanceof Error ? err.message : 'error', app: spec.id }, 'demo app callback failed');
      await render(ctx, html`<p class="message error" id="callback-error">${sv ? 'Inloggningen misslyckades' : 'Sign-in failed'}: ${err instanceof Error ? err.message : ''}</p>`, 400);
    }
  });

  // A jump: this app's server asks the gateway, with the citizen's DPoP-bound token.
  router.post('/go', body, async (ctx) => {
    const sv = localeOf(ctx) === 'sv';
    const s = await session(ctx);
    const form = ctx.request.body as Record<string, string>;
    const target = d.all.find((a) => a.spec.id === form.to);
    if (!s || !target) {
      await render(ctx, html`<p class="message error">${sv ? 'Logga in först.' : 'Sign in first.'}</p>`, 400);
      return;
    }
    const config = await getConfiguration();
    const DPoP = await dpopHandleFor(config, s.value.dpop);
    const targetBase = demoAppBase(issuer, target.spec.id);
    const request = {
      target: target.spec.clientId,
      target_link_uri: form.booking ? `${targetBase}/booking/${encodeURIComponent(form.booking)}` : `${targetBase}/`,
      ...(form.booking ? { launch: { booking: form.booking } } : {}),
    };
    let answer: { redirect_to?: string; refusal_uri?: string; reason?: string; detail?: string };
    try {
      const res = await oidc.fetchProtectedResource(config, s.value.accessToken, new URL(`${issuer}/sso/jump`), 'POST', JSON.stringify(request),
        new Headers({ 'content-type': 'application/json' }), { DPoP });
      answer = await res.json() as typeof answer;
    } catch (err) {
      // openid-client throws on a 4xx; its response says why.
      const res = (err as { response?: Response }).response;
      answer = res ? await res.json().catch(() => ({})) as typeof answer : {};
    }
    if (answer.redirect_to) ctx.redirect(answer.redirect_to);
    else if (answer.refusal_uri) ctx.redirect(answer.refusal_uri);
    else await render(ctx, html`<p class="message error" id="jump-error">${answer.reason ?? 'error'}: ${answer.detail ?? ''}</p>`, 502);
  });

  // RP-initiated logout: the app forgets its session, then asks the gateway to end the shared one.
  // The app's own session ends when the gateway sends the browser back with the logout's state (a
  // cancelled sign-out keeps it), or when the back-channel logout token arrives.
  router.post('/logout', async (ctx) => {
    const s = await session(ctx);
    const logoutState = randomBytes(16).toString('base64url');
    if (s) await store.set(key(`session:${s.id}`), JSON.stringify({ ...s.value, logoutState }), TTL);
    const config = await getConfiguration();
    const end = oidc.buildEndSessionUrl(config, {
      post_logout_redirect_uri: `${base}/`,
      state: logoutState,
      ui_locales: localeOf(ctx),
      ...(s?.value.idToken ? { id_token_hint: s.value.idToken } : {}),
    });
    ctx.redirect(end.href);
  });

  // OIDC Back-Channel Logout 1.0: the gateway posts a logout token; an unknown sid is a 400.
  router.post('/backchannel-logout', body, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const form = ctx.request.body as Record<string, unknown> | undefined;
    const verified = await verifyLogoutToken(form?.logout_token, { issuer, clientId: spec.clientId, jwks, clock: d.clock });
    const refuse = (reason: string) => {
      d.logger.info({ app: spec.id, reason }, 'demo app refused a logout token');
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: reason };
    };
    if (!verified.ok) return refuse(verified.reason);
    if (!(await store.setIfAbsent(key(`logout-jti:${verified.jti}`), '1', TTL))) return refuse('logout_token replayed');
    const sessions = await store.setMembers(key(`sid:${verified.sid}`));
    if (!sessions.length) return refuse('unknown sid');
    await store.del(...sessions.map((id) => key(`session:${id}`)), key(`sid:${verified.sid}`));
    const at = new Date(d.clock.now()).toISOString();
    await store.setAdd(key('logouts'), JSON.stringify({ at, sid: verified.sid, jti: verified.jti } satisfies ReceivedLogout), 86_400);
    ctx.status = 200;
    ctx.body = '';
  });

  return router;
}

// The sandbox's demo relying party: a product as a supplier would build it, using openid-client for
// the whole FAPI 2.0 flow (PAR, PKCE S256, private_key_jwt, DPoP) against this gateway, and showing
// the ID token's claims and the userinfo response. Sandbox only.
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { HotStore } from '../store/hotStore.ts';
import type { ClientConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { html, page } from '../idp/views/html.ts';
import { chosenLocale, localeOf, type Locale } from '../idp/views/i18n.ts';
import { SE } from '../idp/claims.ts';
import { actingForFromClaims } from '../citizens/representation/views.ts';
import { dpopHandleFor, issuerDiscovery, sandboxClientKey, type ClientKey } from '../idp/ownClients.ts';

export const DEMO_RP_CLIENT_ID = 'sandbox-demo-rp';
const SCOPE = `openid profile ${SE.naturalPersonNumberScope} ${SE.naturalPersonOrgIdScope}`;

type DemoRpKey = ClientKey;

/** The demo RP's client key, generated on first start into the sandbox folder. */
export function demoRpKey(sandboxDir: string): Promise<DemoRpKey> {
  return sandboxClientKey(sandboxDir, 'demo-rp.json');
}

export function demoRpClient(issuer: string, key: DemoRpKey): ClientConfig {
  return {
    client_id: DEMO_RP_CLIENT_ID,
    client_name: 'Demoappen (sandlåda)',
    product_id: 'sandbox-demo-app',
    redirect_uris: [`${issuer}/sandbox/rp/callback`],
    post_logout_redirect_uris: [`${issuer}/sandbox/rp`],
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [key.publicJwk as Record<string, unknown>] },
    scope: SCOPE,
    grant_types: ['authorization_code'],
    // The demo shows every e-ID the sandbox federates, citizen and staff alike.
    authn_methods: ['bankid', 'freja', 'portal-saml', 'siths-saml', 'siths-card'],
  };
}

// --- data through the enforcement proxy (issue 4) ---
/** What the demo asks the sandbox controllers for; the decision point decides what it gets. */
const DEMO_DATA: Array<{ controller: string; dataset: string }> = [
  { controller: 'region-sandbox', dataset: 'bookings' },
  { controller: 'region-sandbox', dataset: 'vaccinations' },
  { controller: 'region-sandbox', dataset: 'lab-results' },
  { controller: 'sandvik-kommun', dataset: 'home-care-decisions' },
  { controller: 'vardbolaget', dataset: 'bookings' },
];

interface DataItem { id: string; date?: string; controller: { id: string; name: string }; [field: string]: unknown }
type DataAnswer = { controller: string; dataset: string } & ({ items: DataItem[] } | { denied: string });

/** Fetches each data set through /pep with the citizen's DPoP-bound token (RFC 9449 proofs by openid-client). */
async function fetchThroughPep(issuer: string, config: oidc.Configuration, token: string, citizen: string, DPoP: oidc.DPoPHandle): Promise<DataAnswer[]> {
  return Promise.all(DEMO_DATA.map(async ({ controller, dataset }): Promise<DataAnswer> => {
    const url = new URL(`${issuer}/pep/data/${controller}/${dataset}`);
    url.searchParams.set('citizen', citizen);
    try {
      const res = await oidc.fetchProtectedResource(config, token, url, 'GET', undefined, undefined, { DPoP });
      const body = await res.json() as { items?: DataItem[]; reasons?: string[] };
      return res.ok && body.items ? { controller, dataset, items: body.items } : { controller, dataset, denied: body.reasons?.join(', ') ?? String(res.status) };
    } catch (err) {
      const reason = (err as { cause?: { headers?: Headers } }).cause?.headers?.get?.('x-deny-reason');
      return { controller, dataset, denied: reason ?? 'unavailable' };
    }
  }));
}

function renderData(answers: DataAnswer[], sv: boolean) {
  const rows = answers.flatMap((a) => ('items' in a
    ? a.items.map((item) => html`<tr data-controller="${item.controller.id}" data-dataset="${a.dataset}"><td>${a.dataset}</td><td>${item.date ?? ''}</td><td>${Object.entries(item)
      .filter(([k]) => !['id', 'date', 'controller'].includes(k)).map(([, v]) => String(v)).join(' · ')}</td><td class="controller">${item.controller.name}</td></tr>`)
    : html`<tr class="denied" data-controller="${a.controller}" data-dataset="${a.dataset}"><td>${a.dataset}</td><td></td><td>${sv ? 'Nekad' : 'Denied'}: <code>${a.denied}</code></td><td class="controller">${a.controller}</td></tr>`));
  return html`<div class="card"><h2>${sv ? 'Dina uppgifter, via gatewayens PEP' : 'Your data, through the gateway\'s PEP'}</h2>
<div class="table-wrap"><table id="pep-data"><thead><tr><th>${sv ? 'Informationsmängd' : 'Data set'}</th><th>${sv ? 'Datum' : 'Date'}</th><th>${sv ? 'Uppgift' : 'Item'}</th><th>${sv ? 'Personuppgiftsansvarig' : 'Data controller'}</th></tr></thead><tbody>${rows}</tbody></table></div>
<p class="muted">${sv ? 'Varje rad visar vilken vårdgivare eller kommun som ansvarar för uppgiften.' : 'Each row shows which care provider or municipality is responsible for the item.'}</p></div>`;
}
// --- end data through the enforcement proxy ---

interface Pending {
  verifier: string;
  state: string;
  dpop: { privateJwk: JWK; publicJwk: JWK };
  /** The language the sign-in was asked in (ui_locales): the result page answers in it too. */
  locale?: Locale;
}

export function demoRpRouter(opts: { issuer: string; key: DemoRpKey; store: HotStore; logger: Logger; pep?: boolean }): Router {
  const router = new Router({ prefix: '/sandbox/rp' });
  const getConfiguration = issuerDiscovery(opts.issuer, DEMO_RP_CLIENT_ID, opts.key, { id_token_signed_response_alg: 'ES256' });
  const dpopHandle = dpopHandleFor;

  router.get('/', (ctx) => {
    const sv = localeOf(ctx) === 'sv';
    ctx.type = 'html';
    ctx.body = page({
      locale: localeOf(ctx),
      title: sv ? 'Demoappen' : 'The demo app',
      path: '/sandbox/rp',
      body: html`<h1>${sv ? 'Demoappen' : 'The demo app'}</h1>
<div class="card"><p>${sv
        ? 'En tredjepartsapp i sandlådan. Knappen kör hela FAPI 2.0-flödet mot gatewayen: PAR, PKCE (S256), private_key_jwt och DPoP.'
        : 'A third-party app in the sandbox. The button runs the whole FAPI 2.0 flow against the gateway: PAR, PKCE (S256), private_key_jwt and DPoP.'}</p>
<form method="post" action="/sandbox/rp/login"><input type="hidden" name="lang" value="${localeOf(ctx)}"><button type="submit" id="sign-in">${sv ? 'Logga in' : 'Sign in'}</button></form></div>`,
    });
  });

  router.post('/login', bodyParser({ enableTypes: ['form'], formLimit: '1kb' }), async (ctx) => {
    const config = await getConfiguration();
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pending: Pending = {
      verifier: oidc.randomPKCECodeVerifier(),
      state: oidc.randomState(),
      dpop: { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) },
      // The language switch on the demo page posts its language; the sign-in and the result page keep it.
      locale: chosenLocale((ctx.request as { body?: Record<string, unknown> }).body?.lang) ?? localeOf(ctx),
    };
    const rpSession = randomBytes(16).toString('base64url');
    await opts.store.set(`demo-rp:${rpSession}`, JSON.stringify(pending), 600);
    ctx.cookies.set('demo_rp', rpSession, { httpOnly: true, sameSite: 'lax', path: '/sandbox/rp' });
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: `${opts.issuer}/sandbox/rp/callback`,
      scope: SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      ui_locales: pending.locale ?? localeOf(ctx),
    }, { DPoP: await dpopHandle(config, pending.dpop) });
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const rpSession = ctx.cookies.get('demo_rp');
    const raw = rpSession ? await opts.store.getDel(`demo-rp:${rpSession}`) : undefined;
    ctx.type = 'html';
    if (!raw) {
      const sv = localeOf(ctx) === 'sv';
      ctx.status = 400;
      ctx.body = page({ locale: localeOf(ctx), title: sv ? 'Demoappen' : 'The demo app', body: html`<h1>${sv ? 'Inloggningen har gått ut' : 'The sign-in has expired'}</h1><p><a class="button" id="start-again" href="/sandbox/rp">${sv ? 'Börja om' : 'Start again'}</a></p>` });
      return;
    }
    const pending = JSON.parse(raw) as Pending;
    // The person's choice on the way (?lang=, the switch) first, else the language the sign-in was asked in.
    const locale: Locale = chosenLocale(ctx.query.lang) ?? chosenLocale(ctx.cookies.get('lang')) ?? pending.locale ?? localeOf(ctx);
    const sv = locale === 'sv';
    const config = await getConfiguration();
    const DPoP = await dpopHandle(config, pending.dpop);
    const currentUrl = new URL(ctx.originalUrl, opts.issuer);
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: pending.verifier, expectedState: pending.state }, undefined, { DPoP });
      const claims: Record<string, unknown> = tokens.claims() ?? {};
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub), { DPoP });
      const citizen = typeof claims[SE.personalIdentityNumber] === 'string' ? claims[SE.personalIdentityNumber] as string : undefined;
      const data = opts.pep && citizen ? renderData(await fetchThroughPep(opts.issuer, config, tokens.access_token, citizen, DPoP), sv) : '';
      // The age as of the sign-in (the demo app has no clock of its own; auth_time is the gateway's).
      const auth = (c: Record<string, unknown>) => (typeof c.auth_time === 'number' ? c.auth_time * 1000 : 0);
      const rows = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>`);
      ctx.body = page({
        locale,
        title: sv ? 'Inloggad' : 'Signed in',
        body: html`<h1>${sv ? 'Du är inloggad i demoappen' : 'You are signed in to the demo app'}</h1>
${actingForFromClaims(localeOf(ctx), claims, auth(claims)) ?? html``}
<div class="card"><h2>${sv ? 'ID-token' : 'ID token'}</h2><dl class="claims" id="id-token-claims">${rows(claims)}</dl></div>
<div class="card"><h2>Userinfo</h2><dl class="claims" id="userinfo">${rows(userinfo)}</dl>
<p class="muted">${sv ? 'Åtkomsttoken är DPoP-bunden' : 'The access token is DPoP-bound'}: <code>token_type=${tokens.token_type}</code></p></div>
${data}
<p><a class="button" id="back-to-demo" href="/sandbox/rp?lang=${locale}">${sv ? 'Tillbaka till demoappen' : 'Back to the demo app'}</a></p>`,
      });
    } catch (err) {
      opts.logger.warn({ err: err instanceof Error ? err.message : 'error' }, 'demo rp callback failed');
      ctx.status = 400;
      ctx.body = page({ locale, title: sv ? 'Inloggningen misslyckades' : 'Sign-in failed', body: html`<h1>${sv ? 'Inloggningen misslyckades' : 'Sign-in failed'}</h1><p class="message error">${err instanceof Error ? err.message : ''}</p><p><a class="button" id="start-again" href="/sandbox/rp?lang=${locale}">${sv ? 'Börja om' : 'Start again'}</a></p>` });
    }
  });

  return router;
}

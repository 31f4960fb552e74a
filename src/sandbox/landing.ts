// The page at `/`: what runs in this sandbox and where, so a newcomer can find every part.
import Router from '@koa/router';
import { html, page } from '../idp/views/html.ts';
import { localeOf } from '../idp/views/i18n.ts';
import type { SandboxSithsPki } from './sithsCard.ts';

export interface LandingFacts {
  issuer: string;
  store: string;
  bankidUrl: string | undefined;
  bankidSimulated: boolean;
  frejaUrl?: string | undefined;
  frejaSimulated?: boolean;
  demoRp: boolean;
  /** The shared sign-in demo (portal, region app, municipal app) runs. */
  demoApps?: boolean;
  /** SITHS card sign-in: where the card is asked for, and the sandbox cards to try it with. */
  sithsCard?: { publicUrl: string; listenerUrl: string | undefined; pki: SandboxSithsPki | undefined };
  /** The admin console runs (issue 3). */
  adminConsole?: boolean;
}

export function landingRouter(facts: LandingFacts): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    const sv = localeOf(ctx) === 'sv';
    const row = (path: string, sv_: string, en: string) => html`<tr><td><a href="${path}"><code>${path}</code></a></td><td>${sv ? sv_ : en}</td></tr>`;
    ctx.type = 'html';
    ctx.body = page({
      locale: localeOf(ctx),
      title: sv ? 'Gatewayen – sandlåda' : 'The gateway – sandbox',
      path: '/',
      body: html`<h1>${sv ? 'Federations- och SSO-gateway – sandlåda' : 'Federation and SSO gateway – sandbox'}</h1>
<div class="card"><h2>${sv ? 'Det här körs' : 'What runs here'}</h2>
<ul>
<li>${sv ? 'OpenID Provider (FAPI 2.0) med utfärdare' : 'OpenID Provider (FAPI 2.0), issuer'} <code>${facts.issuer}</code></li>
<li>${sv ? 'Lagring av sessioner och token' : 'Session and token store'}: <code>${facts.store}</code></li>
<li>BankID RP API v6: <code>${facts.bankidUrl ?? '-'}</code>${facts.bankidSimulated ? (sv ? ' (simulator, sandlåda)' : ' (simulator, sandbox)') : ''}</li>
${facts.sithsCard ? html`<li>${sv ? 'SITHS-kort (TLS-klientcertifikat)' : 'SITHS card (TLS client certificate)'}: <code id="siths-card-url">${facts.sithsCard.publicUrl}</code>${facts.sithsCard.listenerUrl ? (sv ? ' (gatewayens kortlyssnare)' : ' (the gateway\'s card listener)') : (sv ? ' (bakom TLS-proxy)' : ' (behind a TLS proxy)')}</li>` : html``}
<li>Freja eID REST API: <code>${facts.frejaUrl ?? '-'}</code>${facts.frejaSimulated ? (sv ? ' (simulator, sandlåda)' : ' (simulator, sandbox)') : ''}</li>
</ul></div>
${facts.sithsCard?.pki ? sithsCardHelp(facts.sithsCard.pki, sv) : html``}
<div class="card"><h2>${sv ? 'Sidor och gränssnitt' : 'Pages and endpoints'}</h2>
<div class="table-wrap"><table><caption class="sr-only">${sv ? 'Adresser' : 'Addresses'}</caption><thead><tr><th scope="col">${sv ? 'Adress' : 'Path'}</th><th scope="col">${sv ? 'Vad' : 'What'}</th></tr></thead><tbody>
${facts.demoRp ? row('/sandbox/rp', 'Demoappen: logga in med hela FAPI 2.0-flödet', 'The demo app: sign in with the full FAPI 2.0 flow') : html``}
${facts.demoApps ? html`${row('/sandbox/apps/portal/', 'Delad inloggning: den nationella portalen (logga in där, hoppa sedan till regionappen, kommunappen och tillbaka utan ny inloggning)', 'Shared sign-in: the national portal (sign in there, then jump to the region app, the municipal app and back without signing in again)')}
${row('/sandbox/apps/region/', 'Regionappen (Region Sandbox), med utloggning som når alla appar', 'The region app (Region Sandbox), with a sign-out that reaches every app')}
${row('/sandbox/apps/municipal/', 'Kommunappen (Sandvik kommun)', 'The municipal app (Sandvik kommun)')}` : html``}
${facts.bankidSimulated ? row('/sandbox/bankid/app', 'Simulerad BankID-app: slutför eller avbryt en order', 'Simulated BankID app: complete or cancel an order') : html``}
${facts.adminConsole ? row('/admin/', 'Administrationskonsolen: logga in som t.ex. Sara (SITHS-simulatorn) och godkänn produkter', 'The admin console: sign in as e.g. Sara (the SITHS simulator) and approve products') : html``}
${facts.frejaSimulated ? row('/sandbox/freja/app', 'Simulerad Freja eID-app: godkänn eller neka en inloggning', 'Simulated Freja eID app: approve or decline a sign-in') : html``}
${row('/.well-known/openid-configuration', 'Discovery', 'Discovery')}
${row('/jwks', 'Publika signeringsnycklar', 'Public signing keys')}
${row('/healthz', 'Liveness', 'Liveness')}
${row('/readyz', 'Readiness', 'Readiness')}
${row('/metrics', 'Prometheus-mått', 'Prometheus metrics')}
</tbody></table></div></div>`,
    });
  });
  return router;
}

/** How to try card sign-in by hand: a browser needs a sandbox card's .p12 as its client certificate. */
function sithsCardHelp(pki: SandboxSithsPki, sv: boolean) {
  return html`<div class="card" id="siths-card"><h2>${sv ? 'Logga in med SITHS-kort för hand' : 'Signing in with a SITHS card by hand'}</h2>
<p>${sv
    ? 'Kortlyssnaren ber webbläsaren om ett klientcertifikat. Importera ett sandlådekort (.p12, lösenord'
    : 'The card listener asks the browser for a client certificate. Import a sandbox card (.p12, passphrase'} <code>${pki.passphrase}</code>${sv
    ? ') i webbläsarens certifikat, välj sedan SITHS-kort i demoappen och välj certifikatet när webbläsaren frågar.'
    : ') into the browser\'s certificates, then choose SITHS card in the demo app and pick the certificate when the browser asks.'}</p>
<ul>${pki.cards.map((card) => html`<li>${sv ? card.label.sv : card.label.en}: <code>${card.p12Path}</code></li>`)}</ul>
<p class="muted">${sv
    ? 'Kortlyssnarens TLS-certifikat är utfärdat av sandlådans egen CA; webbläsaren varnar tills du litar på'
    : 'The card listener\'s TLS certificate is issued by the sandbox\'s own CA; the browser warns until you trust'} <code>${pki.listenerCaFile}</code>.</p></div>`;
}

// The simulated IdPs' HTTP side, mounted on the gateway in the sandbox under /sandbox/saml/idp/<id>/:
//   GET  metadata  the IdP's metadata (what the gateway is configured with)
//   GET  sso       the HTTP-Redirect endpoint: checks the signed AuthnRequest, shows the persona choice
//   POST respond   the choice: answers the SP's ACS with a signed Response (auto-posted form)
//   POST complete  the JSON control for tests: the same answer as JSON { acsUrl, SAMLResponse, RelayState }
//   POST session   signs a persona in at the IdP itself (its own session, a cookie), as signing in at the
//                  national portal does; later AuthnRequests, passive ones too, are answered from it
//   GET  slo       Single Logout: a signed LogoutRequest ends the named session; a signed LogoutResponse
//                  goes back to the SP (HTTP-POST)
//   GET  logouts   the LogoutRequests received, as JSON (tests)
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { z } from 'zod';
import { sendProblem } from '../../../http/problem.ts';
import { cspNonce } from '../../../http/securityHeaders.ts';
import { html, page } from '../../../idp/views/html.ts';
import { localeOf, type Locale } from '../../../idp/views/i18n.ts';
import { SIM_PREFIX, SimulatorError, type AuthnRequestInfo, type Persona, type SimulatedIdp } from './idp.ts';

const t = (locale: Locale, sv: string, en: string): string => (locale === 'sv' ? sv : en);
const LEVEL_WORDS: Record<string, { sv: string; en: string }> = {
  'http://id.elegnamnden.se/loa/1.0/loa3': { sv: 'Tillitsnivå 3 (t.ex. BankID)', en: 'Level of assurance 3 (e.g. BankID)' },
  'http://id.elegnamnden.se/loa/1.0/loa4': { sv: 'Tillitsnivå 4 (t.ex. e-legitimation på kort)', en: 'Level of assurance 4 (e.g. e-ID on a card)' },
};

function choicePage(idp: SimulatedIdp, locale: Locale, rawQuery: string, request: AuthnRequestInfo): string {
  const levels = idp.levelsFor(request);
  const title = idp.kind === 'staff'
    ? t(locale, 'SITHS-inloggning – sandlåda', 'SITHS sign-in – sandbox')
    : t(locale, 'Nationella portalens inloggning – sandlåda', 'The national portal\'s sign-in – sandbox');
  const personaLabel = (p: Persona) => 'hsaId' in p
    ? `${p.givenName} ${p.surname} – ${p.hsaId}, ${p.orgName}`
    : `${p.givenName} ${p.surname} – ${p.description?.[locale] ?? ''} (${p.personalNumber})`;
  const radios = idp.personas.map((p, i) => html`<div><input type="radio" name="persona" id="persona-${p.id}" value="${p.id}" style="width:auto"${i === 0 ? html` checked` : html``}>
<label for="persona-${p.id}" style="display:inline;font-weight:400">${personaLabel(p)}</label></div>`);
  const levelRadios = levels.map((l, i) => html`<div><input type="radio" name="level" id="level-${i}" value="${l}" style="width:auto"${i === levels.length - 1 ? html` checked` : html``}>
<label for="level-${i}" style="display:inline;font-weight:400">${LEVEL_WORDS[l]?.[locale] ?? l}</label></div>`);
  return page({
    locale,
    title,
    path: `${SIM_PREFIX}/${idp.id}/sso?${rawQuery}`,
    body: html`<h1>${title}</h1>
<p>${t(locale, 'Sandlåda: här spelar du identitetsutgivaren (SAML IdP). Välj vem som loggar in; svaret signeras på riktigt och skickas till tjänsten.', 'Sandbox: here you play the identity provider (SAML IdP). Pick who signs in; the answer is really signed and sent to the service.')}</p>
${levels.length ? html`` : html`<p class="message error" role="alert">${t(locale, 'Tjänsten bad om en tillitsnivå som den här IdP:n inte kan ge.', 'The service asked for a level of assurance this IdP cannot give.')}</p>`}
<form method="post" action="${SIM_PREFIX}/${idp.id}/respond" class="card">
<input type="hidden" name="request" value="${rawQuery}">
<input type="hidden" name="lang" value="${locale}">
<fieldset style="border:1px solid #cfd6e0;border-radius:.3rem"><legend>${t(locale, 'Testperson', 'Test person')}</legend>${radios}</fieldset>
${levels.length ? html`<fieldset style="margin-top:1rem;border:1px solid #cfd6e0;border-radius:.3rem"><legend>${t(locale, 'Tillitsnivå', 'Level of assurance')}</legend>${levelRadios}</fieldset>` : html``}
<button type="submit" name="outcome" value="success" style="margin-top:1rem"${levels.length ? html`` : html` disabled`}>${t(locale, 'Logga in', 'Sign in')}</button>
<button type="submit" name="outcome" value="cancel" class="secondary">${t(locale, 'Avbryt', 'Cancel')}</button>
</form>`,
  });
}

function postBackPage(locale: Locale, nonce: string | undefined, acsUrl: string, samlResponse: string, relayState?: string): string {
  return page({
    locale,
    title: t(locale, 'Skickar dig tillbaka', 'Sending you back'),
    body: html`<h1>${t(locale, 'Skickar dig tillbaka till tjänsten', 'Sending you back to the service')}</h1>
<form method="post" action="${acsUrl}" id="post-back" class="card">
<input type="hidden" name="SAMLResponse" value="${samlResponse}">
${relayState ? html`<input type="hidden" name="RelayState" value="${relayState}">` : html``}
<p>${t(locale, 'Om inget händer, tryck på knappen.', 'If nothing happens, press the button.')}</p>
<button type="submit">${t(locale, 'Fortsätt', 'Continue')}</button>
</form>`,
    script: { source: "document.getElementById('post-back').submit();", nonce },
  });
}

const sessionBody = z.object({
  persona: z.string().min(1).max(64),
  level: z.string().max(200).optional(),
});

const cookieName = (idp: SimulatedIdp): string => `sim_idp_${idp.id}`;

const completeBody = z.object({
  /** The full redirect URL the gateway sent the browser to (or just its query string). */
  authnRequestUrl: z.string().min(1).max(16_000),
  persona: z.string().min(1).max(64),
  level: z.string().max(200).optional(),
  outcome: z.enum(['success', 'cancel']).default('success'),
});

const rawQueryOf = (value: string): string => (value.includes('?') ? value.slice(value.indexOf('?') + 1) : value);

export function samlSimulatorRouter(idps: SimulatedIdp[]): Router {
  const router = new Router({ prefix: SIM_PREFIX });
  const byId = new Map(idps.map((i) => [i.id as string, i]));
  const form = bodyParser({ enableTypes: ['form', 'json'], formLimit: '32kb', jsonLimit: '32kb' });

  const idpOf = (ctx: Context): SimulatedIdp | undefined => byId.get(ctx.params.idp ?? '');

  /**
   * Decides the answer to a request; throws SimulatorError for anything a real IdP would refuse. With
   * `keepSession` a success starts the IdP's own session (its cookie value is answered).
   */
  const answer = (idp: SimulatedIdp, rawQuery: string, input: { persona?: string; level?: string; outcome?: string }, keepSession = false) => {
    const request = idp.readAuthnRequest(rawQuery);
    if (input.outcome === 'cancel') return { request, xml: idp.respond(request, { cancelled: true }), session: undefined };
    const persona = idp.findPersona(input.persona ?? '');
    if (!persona) throw new SimulatorError('unknown_persona', `No ${idp.kind} persona with that id in config/sandbox/personas.json.`);
    const levels = idp.levelsFor(request);
    const level = input.level
      ? levels.find((l) => l === input.level || l.endsWith(`/${input.level}`))
      : levels[levels.length - 1];
    if (!level) throw new SimulatorError('level_not_available', 'That level was not asked for, or this IdP cannot give it.');
    if (!keepSession) return { request, xml: idp.respond(request, { persona, level }), session: undefined };
    const session = idp.startSession(persona, level);
    const started = idp.sessions.get(session);
    return { request, xml: idp.respond(request, { persona, level, ...(started ? { session: started } : {}) }), session };
  };

  router.get('/:idp/metadata', (ctx) => {
    const idp = idpOf(ctx);
    if (!idp) return sendProblem(ctx, { status: 404, type: 'unknown_idp', title: 'No such simulated IdP' });
    ctx.type = 'application/samlmetadata+xml';
    ctx.body = idp.metadataXml();
  });

  router.get('/:idp/sso', (ctx) => {
    const idp = idpOf(ctx);
    if (!idp) return sendProblem(ctx, { status: 404, type: 'unknown_idp', title: 'No such simulated IdP' });
    const locale = localeOf(ctx);
    try {
      const rawQuery = ctx.querystring.replace(/&?lang=(sv|en)$/, '');
      const request = idp.readAuthnRequest(rawQuery);
      ctx.set('cache-control', 'no-store');
      ctx.type = 'html';
      // The IdP's own session answers at once (single sign-on); a passive request without one is
      // answered NoPassive; otherwise the person signs in here.
      const existing = idp.sessionFor(ctx.cookies.get(cookieName(idp)), request);
      if (existing) {
        const xml = idp.respond(request, { persona: existing.persona, level: existing.session.level, session: existing.session });
        ctx.body = postBackPage(locale, cspNonce(ctx), idp.acsUrl, Buffer.from(xml).toString('base64'), request.relayState);
        return;
      }
      if (request.passive) {
        ctx.body = postBackPage(locale, cspNonce(ctx), idp.acsUrl, Buffer.from(idp.respond(request, { noPassive: true })).toString('base64'), request.relayState);
        return;
      }
      ctx.body = choicePage(idp, locale, rawQuery, request);
    } catch (err) {
      if (!(err instanceof SimulatorError)) throw err;
      sendProblem(ctx, { status: 400, type: err.code, title: 'The IdP refuses the request', detail: err.message });
    }
  });

  router.post('/:idp/respond', form, (ctx) => {
    const idp = idpOf(ctx);
    if (!idp) return sendProblem(ctx, { status: 404, type: 'unknown_idp', title: 'No such simulated IdP' });
    const body = ((ctx.request as { body?: Record<string, unknown> }).body ?? {}) as Record<string, string | undefined>;
    const locale: Locale = body.lang === 'en' ? 'en' : body.lang === 'sv' ? 'sv' : localeOf(ctx);
    try {
      const { request, xml, session } = answer(idp, String(body.request ?? ''), { persona: body.persona, level: body.level, outcome: body.outcome }, true);
      if (session) ctx.cookies.set(cookieName(idp), session, { httpOnly: true, sameSite: 'lax', path: `${SIM_PREFIX}/${idp.id}` });
      ctx.type = 'html';
      ctx.body = postBackPage(locale, cspNonce(ctx), idp.acsUrl, Buffer.from(xml).toString('base64'), request.relayState);
    } catch (err) {
      if (!(err instanceof SimulatorError)) throw err;
      sendProblem(ctx, { status: 400, type: err.code, title: 'The IdP refuses the request', detail: err.message });
    }
  });

  router.post('/:idp/complete', form, (ctx) => {
    const idp = idpOf(ctx);
    if (!idp) return sendProblem(ctx, { status: 404, type: 'unknown_idp', title: 'No such simulated IdP' });
    const parsed = completeBody.safeParse((ctx.request as { body?: unknown }).body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendProblem(ctx, { status: 400, type: 'invalid_request', title: 'Invalid request', detail: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
    }
    try {
      const { request, xml } = answer(idp, rawQueryOf(parsed.data.authnRequestUrl), parsed.data);
      ctx.set('cache-control', 'no-store');
      ctx.body = { acsUrl: idp.acsUrl, SAMLResponse: Buffer.from(xml).toString('base64'), ...(request.relayState ? { RelayState: request.relayState } : {}) };
    } catch (err) {
      if (!(err instanceof SimulatorError)) throw err;
      sendProblem(ctx, { status: 400, type: err.code, title: 'The IdP refuses the request', detail: err.message });
    }
  });

  router.post('/:idp/session', form, (ctx) => {
    const idp = idpOf(ctx);
    if (!idp) return sendProblem(ctx, { status: 404, type: 'unknown_idp', title: 'No such simulated IdP' });
    const parsed = sessionBody.safeParse((ctx.request as { body?: unknown }).body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendProblem(ctx, { status: 400, type: 'invalid_request', title: 'Invalid request', detail: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
    }
    const persona = idp.findPersona(parsed.data.persona);
    if (!persona) return sendProblem(ctx, { status: 400, type: 'unknown_persona', title: 'The IdP refuses the request', detail: `No ${idp.kind} persona with that id.` });
    const level = parsed.data.level
      ? idp.levels.find((l) => l === parsed.data.level || l.endsWith(`/${parsed.data.level}`))
      : idp.levels[idp.levels.length - 1];
    if (!level) return sendProblem(ctx, { status: 400, type: 'level_not_available', title: 'The IdP refuses the request', detail: 'This IdP cannot give that level.' });
    ctx.cookies.set(cookieName(idp), idp.startSession(persona, level), { httpOnly: true, sameSite: 'lax', path: `${SIM_PREFIX}/${idp.id}` });
    ctx.set('cache-control', 'no-store');
    ctx.body = { signedIn: persona.id, level };
  });

  router.get('/:idp/slo', (ctx) => {
    const idp = idpOf(ctx);
    if (!idp) return sendProblem(ctx, { status: 404, type: 'unknown_idp', title: 'No such simulated IdP' });
    try {
      const request = idp.readLogoutRequest(ctx.querystring);
      const { sloUrl, xml } = idp.logout(request);
      const cookie = ctx.cookies.get(cookieName(idp));
      if (cookie && !idp.sessions.has(cookie)) ctx.cookies.set(cookieName(idp), null, { path: `${SIM_PREFIX}/${idp.id}` });
      ctx.set('cache-control', 'no-store');
      ctx.type = 'html';
      ctx.body = postBackPage(localeOf(ctx), cspNonce(ctx), sloUrl, Buffer.from(xml).toString('base64'), request.relayState);
    } catch (err) {
      if (!(err instanceof SimulatorError)) throw err;
      sendProblem(ctx, { status: 400, type: err.code, title: 'The IdP refuses the request', detail: err.message });
    }
  });

  router.get('/:idp/logouts', (ctx) => {
    const idp = idpOf(ctx);
    if (!idp) return sendProblem(ctx, { status: 404, type: 'unknown_idp', title: 'No such simulated IdP' });
    ctx.set('cache-control', 'no-store');
    ctx.body = { logoutRequests: idp.logoutRequests.map(({ id, sessionIndex }) => ({ id, ...(sessionIndex ? { sessionIndex } : {}) })) };
  });

  return router;
}

// SAML 2.0 Single Logout towards an IdP that keeps sessions of its own (the national portal's), when
// the gateway session came from it (issue 11 item 5):
//   start: a signed LogoutRequest (HTTP-Redirect binding) naming the NameID and SessionIndex the IdP
//          gave at sign-in, remembered under its ID with the signed-out page it leads to;
//   POST /saml/slo: the IdP's LogoutResponse (HTTP-POST binding), decided by a pipeline of named
//          checks (SAML_SLO_CHECKS): signed by that IdP, to this SP, answering a request this gateway
//          sent to that IdP (one time). Its status says whether the IdP confirmed the logout; the
//          signed-out page says so either way. Bad input is a 400 with the reason, never a 500.
import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { checksFor, Pipeline, refuse } from '../../decision.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { Logger } from '../../log.ts';
import { localeOf } from '../../idp/views/i18n.ts';
import { errorPage } from '../../idp/views/errors.ts';
import { errorTexts } from '../../idp/views/messages/errors.ts';
import type { UpstreamLogout } from '../sso/logout.ts';
import type { UpstreamSessions } from '../sso/upstreamSession.ts';
import type { SignedOutPages } from '../sso/logout.ts';
import { NS, normalizeNewlines, onlyChild, parseStrict, textOf } from './xml.ts';
import { verifiedContent } from './signature.ts';
import { logoutRequestUrl, type SpSettings, type TrustedIdp } from './sp.ts';
import type { SamlReason } from './reasons.ts';
import { MAX_RESPONSE_CHARS } from './response.ts';

export const SLO_PATH = '/saml/slo';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const LOGOUT_TTL_SECONDS = 600;
const logoutKey = (id: string): string => `saml:logout:${id}`;

/** What the store keeps for a LogoutRequest the gateway sent. */
interface PendingLogout {
  idp: string;
  signedOut: string;
}

export interface SloContext {
  sp: SpSettings;
  idps: readonly TrustedIdp[];
  store: HotStore;
}

const { check, asyncCheck } = checksFor<SamlReason, SloContext>();

export const sloDecode = check('decode', (s: { encoded: string }) => {
  if (!s.encoded || s.encoded.length > MAX_RESPONSE_CHARS || !/^[A-Za-z0-9+/=\r\n]+$/.test(s.encoded)) return 'response_malformed';
  const xml = normalizeNewlines(Buffer.from(s.encoded, 'base64').toString('utf8'));
  return { xml, doc: parseStrict(xml) };
});

export const sloShape = check('shape', (s: { doc: Document }) => {
  const root = s.doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'LogoutResponse') return 'not_a_logout_response';
  if (root.getAttribute('Version') !== '2.0') return 'version_unsupported';
  return undefined;
});

export const sloIssuer = check('issuer', (s: { doc: Document }, ctx) => {
  const issuer = onlyChild(s.doc.documentElement, NS.assertion, 'Issuer', 'issuer_mismatch');
  const entityId = issuer ? textOf(issuer) : undefined;
  const idp = ctx.idps.find((i) => i.metadata.entityId === entityId);
  return idp ? { idp } : 'unknown_issuer';
});

/** Signed by the IdP's own key from its metadata; everything after reads only the signed bytes. */
export const sloSignature = check('signature', (s: { xml: string; doc: Document; idp: TrustedIdp }) => {
  const signed = verifiedContent(s.xml, s.doc.documentElement, s.idp.metadata.signingCertificates, 'response_unsigned');
  return { response: parseStrict(signed).documentElement };
});

export const sloDestination = check('destination', (s: { response: Element }, ctx) =>
  (s.response.getAttribute('Destination') === ctx.sp.sloUrl ? undefined : 'destination_mismatch'));

export const sloInResponseTo = asyncCheck('in_response_to', async (s: { response: Element; idp: TrustedIdp }, ctx) => {
  const id = s.response.getAttribute('InResponseTo');
  if (!id) return 'in_response_to_missing';
  if (id.length > 256) return 'unknown_logout_request';
  const raw = await ctx.store.getDel(logoutKey(id));
  if (!raw) return 'unknown_logout_request';
  const pending = JSON.parse(raw) as PendingLogout;
  if (pending.idp !== s.idp.id) return 'logout_request_other_idp';
  return { pending };
});

/** Whether the IdP confirmed: not a refusal (the person is signed out here either way), a fact for the page. */
export const sloStatus = check('status', (s: { response: Element }) => {
  const status = onlyChild(s.response, NS.protocol, 'Status', 'status_malformed');
  const code = status && onlyChild(status, NS.protocol, 'StatusCode', 'status_malformed');
  if (!code) return refuse('status_malformed', 'StatusCode');
  return { confirmed: code.getAttribute('Value') === SUCCESS };
});

export const samlSlo = Pipeline.of<{ encoded: string }, SamlReason, SloContext>()
  .then(sloDecode)
  .then(sloShape)
  .then(sloIssuer)
  .then(sloSignature)
  .then(sloDestination)
  .then(sloInResponseTo)
  .then(sloStatus);

/** Names of the LogoutResponse checks, in the order they run. */
export const SAML_SLO_CHECKS = samlSlo.names;

export interface SloDeps extends SloContext {
  logger: Logger;
  upstreamSessions: UpstreamSessions;
  signedOut: SignedOutPages;
}

/** One UpstreamLogout per IdP that has a SingleLogoutService: what single logout calls. */
export function samlLogouts(deps: SloDeps): UpstreamLogout[] {
  return deps.idps.filter((idp) => idp.metadata.sloRedirectUrl).map((idp): UpstreamLogout => ({
    upstream: idp.upstream,
    async start(ended, signedOutId) {
      if (ended.loginTs === undefined) return undefined;
      const facts = await deps.upstreamSessions.take(ended.accountId, ended.loginTs);
      if (!facts || facts.idp !== idp.id) return undefined;
      const requestId = `_${randomBytes(20).toString('hex')}`;
      const pending: PendingLogout = { idp: idp.id, signedOut: signedOutId };
      await deps.store.set(logoutKey(requestId), JSON.stringify(pending), LOGOUT_TTL_SECONDS);
      deps.logger.info({ upstream: idp.upstream, idp: idp.id }, 'saml logout request sent');
      return logoutRequestUrl(deps.sp, idp, requestId, facts);
    },
  }));
}

/** POST /saml/slo: the IdP's LogoutResponse, then the signed-out page. */
export function registerSlo(router: Router, deps: SloDeps): void {
  const form = bodyParser({ enableTypes: ['form'], formLimit: '256kb' });
  const answerBad = (ctx: Context, reason: string, status = 400) => {
    const locale = localeOf(ctx);
    ctx.status = status;
    ctx.type = 'html';
    // The code is the reason, for support; the words are the catalogue's (messages/<locale>/errors.ts).
    ctx.body = errorPage(locale, { code: reason, title: 'signOutTitle', message: errorTexts.say(locale, 'code.logout_response_refused') });
  };
  router.post(SLO_PATH, async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const status = (err as { status?: number }).status;
      const clientError = typeof status === 'number' && status >= 400 && status < 500;
      deps.logger.warn({ reason: clientError ? 'response_malformed' : 'temporarily_unavailable', err: clientError ? undefined : (err as Error).message }, 'saml logout response refused');
      answerBad(ctx, clientError ? 'response_malformed' : 'temporarily_unavailable', clientError ? status : 503);
    }
  }, form, async (ctx: Context) => {
    const body = ((ctx.request as { body?: Record<string, unknown> }).body ?? {});
    const encoded = typeof body.SAMLResponse === 'string' ? body.SAMLResponse : '';
    const verdict = await samlSlo.run({ encoded }, deps, { unexpected: (_err, name) => refuse('response_malformed', `${name} failed`) });
    if (!verdict.ok) {
      deps.logger.warn({ reason: verdict.reason, check: verdict.check, detail: verdict.detail, idp: verdict.state.idp?.id }, 'saml logout response refused');
      return answerBad(ctx, verdict.reason);
    }
    const { pending, confirmed, idp } = verdict.state;
    await deps.signedOut.settle(pending.signedOut, confirmed ? 'signed_out' : 'not_confirmed');
    deps.logger.info({ idp: idp.id, confirmed }, 'saml logout response accepted');
    ctx.status = 303;
    ctx.redirect(await deps.signedOut.destination(pending.signedOut));
  });
}

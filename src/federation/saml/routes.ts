// SAML sign-in inside an interaction, one UpstreamRoutes module per trusted IdP:
//   POST /interaction/:uid/<upstream>/start   -> 303 to the IdP with a signed AuthnRequest
//   POST /saml/acs                             <- the IdP's cross-site POST (no interaction cookie)
//   GET  /interaction/:uid/<upstream>/resume   -> the browser's own navigation, with its cookie
// The ACS cannot load the interaction (the SameSite=Lax cookie is not sent on a cross-site POST), so
// it verifies the response, keeps the outcome once under a random ticket bound to the interaction
// the AuthnRequest was made for, and sends the browser to /resume, which loads the interaction,
// takes the ticket (one time) and finishes the login there.
import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { ConfigError, type Config } from '../../config.ts';
import type { HotStore } from '../../store/hotStore.ts';
import type { Logger } from '../../log.ts';
import type { Details, LoginKit, UpstreamRoutes } from '../../idp/interactions.ts';
import type { UpstreamIdentity } from '../../idp/accounts.ts';
import { localeOf, type Locale } from '../../idp/views/i18n.ts';
import { errorPage } from '../../idp/views/errors.ts';
import { ResponseVerifier, requestKey, type IdpSessionFacts, type PendingRequest } from './response.ts';
import { registerSlo, samlLogouts, SLO_PATH } from './slo.ts';
import type { UpstreamLogout } from '../sso/logout.ts';
import type { SignedOutPages } from '../sso/logout.ts';
import type { UpstreamSessions } from '../sso/upstreamSession.ts';

export { SLO_PATH } from './slo.ts';
import { authnRequestUrl, requestedClassRefs, spMetadata, type SpSettings, type TrustedIdp } from './sp.ts';
import { refusalMessage } from './messages.ts';
import { isUnavailable } from '../../unavailable.ts';
import { errorLabel, methodLabel, upstreamDuration, upstreamErrors } from '../../http/metrics.ts';

export const ACS_PATH = '/saml/acs';
export const METADATA_PATH = '/saml/metadata';
const TICKET_TTL_SECONDS = 120;

type Ticket =
  | { uid: string; upstream: string; ok: true; identity: UpstreamIdentity; classRef: string; idp: string; session?: IdpSessionFacts }
  | { uid: string; upstream: string; ok: false; reason: string };

const ticketKey = (ticket: string): string => `saml:ticket:${ticket}`;

export interface SamlServiceOptions {
  config: Config;
  sp: SpSettings;
  idps: TrustedIdp[];
  store: HotStore;
  verifier: ResponseVerifier;
  logger: Logger;
  /** Single logout's parts; without them the SP has no SLO. */
  sso?: { upstreamSessions: UpstreamSessions; signedOut: SignedOutPages } | undefined;
}

interface MethodText {
  name: string;
  description: Record<Locale, string>;
  button: Record<Locale, string>;
}

// How the login page names each kind of SAML IdP.
const methodText: Record<'staff' | 'citizen', MethodText> = {
  staff: {
    name: 'SITHS eID',
    description: {
      sv: 'För personal i vård och omsorg: SITHS eID-appen eller SITHS-kortet via Ineras inloggningstjänst.',
      en: 'For health and care staff: the SITHS eID app or your SITHS card through Inera\'s sign-in service.',
    },
    // Distinct from the direct card sign-in ("Logga in med SITHS-kort") on the same page.
    button: { sv: 'Logga in via Ineras inloggningstjänst', en: 'Sign in through Inera\'s sign-in service' },
  },
  citizen: {
    name: 'Nationella portalen (1177)',
    description: {
      sv: 'Logga in via den nationella portalens inloggning, med den e-legitimation du använder där.',
      en: 'Sign in through the national portal\'s sign-in, with the e-ID you use there.',
    },
    button: { sv: 'Logga in via portalen', en: 'Sign in through the portal' },
  },
};

/** Single Logout towards each IdP that has a SingleLogoutService. */
export function samlUpstreamLogouts(opts: SamlServiceOptions): UpstreamLogout[] {
  return opts.sso ? samlLogouts({ sp: opts.sp, idps: opts.idps, store: opts.store, logger: opts.logger, ...opts.sso }) : [];
}

/** The routes of every trusted IdP; the first module also carries /saml/metadata, /saml/acs and /saml/slo. */
export function samlRoutes(opts: SamlServiceOptions): UpstreamRoutes[] {
  const { config, sp, store, verifier, logger } = opts;
  const registered = new WeakSet<Router>();

  const newTicket = async (ticket: Ticket): Promise<string> => {
    const id = randomBytes(24).toString('base64url');
    await store.set(ticketKey(id), JSON.stringify(ticket), TICKET_TTL_SECONDS);
    return id;
  };

  const registerGlobal = (router: Router) => {
    if (registered.has(router)) return;
    registered.add(router);

    if (opts.sso) registerSlo(router, { sp, idps: opts.idps, store, logger, ...opts.sso });

    router.get(METADATA_PATH, (ctx) => {
      ctx.type = 'application/samlmetadata+xml';
      ctx.set('cache-control', 'public, max-age=3600');
      ctx.body = spMetadata(sp);
    });

    // Responses carry two signatures and certificates; 256 kB is ample and still bounded.
    const form = bodyParser({ enableTypes: ['form'], formLimit: '256kb' });
    router.post(ACS_PATH, async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        // Redis not answering: the boundary's 503 (error page, Retry-After, one log line).
        if (isUnavailable(err)) throw err;
        // A body the parser refuses is the sender's fault (4xx); anything else (the store cannot be
        // reached) refuses the sign-in too, as unavailable rather than as a bad response.
        const status = (err as { status?: number }).status;
        const clientError = typeof status === 'number' && status >= 400 && status < 500;
        const reason = clientError ? 'response_malformed' : 'temporarily_unavailable';
        ctx.status = clientError ? status : 503;
        ctx.type = 'html';
        ctx.body = errorPage(localeOf(ctx), { code: reason, message: refusalMessage(reason, localeOf(ctx)) });
        logger.warn({ reason, upstream: 'saml', err: clientError ? undefined : (err as Error).message }, 'saml response refused');
      }
    }, form, async (ctx: Context) => {
      const body = ((ctx.request as { body?: Record<string, unknown> }).body ?? {});
      // The response's checks timed, a refusal counted by reason (/metrics: upstream e-ID latency and errors).
      const timer = upstreamDuration.startTimer({ operation: 'response' });
      const verdict = await verifier.verify(body.SAMLResponse);
      timer({ upstream: verdict.ok ? methodLabel(verdict.idp.upstream) : 'saml' });
      if (!verdict.ok) upstreamErrors.inc({ upstream: 'saml', operation: 'response', error: errorLabel(verdict.reason) });
      if (verdict.ok) {
        const { request, idp } = verdict;
        logger.info({ upstream: idp.upstream, idp: idp.id, interaction: request.uid }, 'saml response accepted');
        const ticket = await newTicket({ uid: request.uid, upstream: request.upstream, ok: true, identity: verdict.identity, classRef: verdict.classRef, idp: idp.id, session: verdict.session });
        ctx.status = 303;
        ctx.redirect(`/interaction/${request.uid}/${request.upstream}/resume?ticket=${ticket}`);
        ctx.status = 303;
        return;
      }
      logger.warn({ reason: verdict.reason, check: verdict.check, detail: verdict.detail, idp: verdict.idp, upstream: 'saml' }, 'saml response refused');
      // A refusal for a request this gateway made goes back to that sign-in's own page, and uses
      // the request up: one AuthnRequest, one outcome.
      const claimed = verdict.claimedRequestId && verdict.claimedRequestId.length <= 256 ? verdict.claimedRequestId : undefined;
      const pending = claimed ? await store.getDel(requestKey(claimed)) : undefined;
      if (pending) {
        const request = JSON.parse(pending) as PendingRequest;
        const ticket = await newTicket({ uid: request.uid, upstream: request.upstream, ok: false, reason: verdict.reason });
        ctx.redirect(`/interaction/${request.uid}/${request.upstream}/resume?ticket=${ticket}`);
        ctx.status = 303;
        return;
      }
      const locale = localeOf(ctx);
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = errorPage(locale, { code: verdict.reason, message: refusalMessage(verdict.reason, locale) });
    });
  };

  return opts.idps.map((idp, index): UpstreamRoutes => {
    const text = methodText[idp.audience];
    // trustedIdps() admits only IdPs whose upstream is configured; found once here, not per sign-in.
    const entry = config.loa.providers[idp.upstream];
    if (!entry) throw new ConfigError([`saml.idps: upstream "${idp.upstream}" is not in loa.providers`]);
    return {
      id: idp.upstream,
      choice(uid, locale) {
        return {
          id: idp.upstream,
          name: text.name,
          description: text.description[locale],
          action: `/interaction/${uid}/${idp.upstream}/start`,
          buttons: [{ label: text.button[locale] }],
        };
      },
      ...(index === 0 ? { registerGlobal: (router: Router) => registerGlobal(router) } : {}),
      // Portal -> app: a passive AuthnRequest first; the IdP's own session signs the person in with no
      // page, and its NoPassive answer brings the browser back to the method choice.
      async silent(ctx, kit, details) {
        const requestId = `_${randomBytes(20).toString('hex')}`;
        const pending: PendingRequest = { uid: details.uid, idp: idp.id, upstream: idp.upstream, passive: true };
        await store.set(requestKey(requestId), JSON.stringify(pending), config.ttl.interaction);
        kit.logger.info({ upstream: idp.upstream, idp: idp.id, interaction: details.uid }, 'saml passive authn request sent');
        return authnRequestUrl(sp, idp, requestId, requestedClassRefs(entry, kit.needed(ctx)), { passive: true });
      },
      register(router, kit: LoginKit) {
        const refuse = async (ctx: Context, details: Details, reason: string, status = 400) => {
          kit.logger.warn({ reason, upstream: idp.upstream, interaction: details.uid }, 'sign-in refused');
          ctx.status = status;
          await kit.showLogin(ctx, details, refusalMessage(reason, kit.locale(ctx, details)));
        };

        router.post('/start', async (ctx) => {
          const details = ctx.state.details as Details;
          if (details.prompt.name !== 'login') {
            ctx.redirect(`/interaction/${details.uid}`);
            ctx.status = 303;
            return;
          }
          // An NCName: SAML IDs must not start with a digit.
          const requestId = `_${randomBytes(20).toString('hex')}`;
          const pending: PendingRequest = { uid: details.uid, idp: idp.id, upstream: idp.upstream };
          await store.set(requestKey(requestId), JSON.stringify(pending), config.ttl.interaction);
          const url = await authnRequestUrl(sp, idp, requestId, requestedClassRefs(entry, kit.needed(ctx)));
          kit.logger.info({ upstream: idp.upstream, idp: idp.id, interaction: details.uid }, 'saml authn request sent');
          ctx.redirect(url);
          ctx.status = 303;
        });

        router.get('/resume', async (ctx) => {
          const details = ctx.state.details as Details;
          const id = typeof ctx.query.ticket === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(ctx.query.ticket) ? ctx.query.ticket : undefined;
          const raw = id ? await store.getDel(ticketKey(id)) : undefined;
          if (!raw) return refuse(ctx, details, 'ticket_unknown');
          const ticket = JSON.parse(raw) as Ticket;
          // A ticket made for another sign-in (another browser's, another method's) is worthless here.
          if (ticket.uid !== details.uid || ticket.upstream !== idp.upstream) return refuse(ctx, details, 'ticket_mismatch');
          if (details.prompt.name !== 'login') {
            ctx.redirect(`/interaction/${details.uid}`);
            ctx.status = 303;
            return;
          }
          if (!ticket.ok && ticket.reason === 'no_passive') {
            // No session at the IdP: the normal method choice, with nothing to apologise for.
            ctx.redirect(`/interaction/${details.uid}`);
            ctx.status = 303;
            return;
          }
          if (!ticket.ok) {
            ctx.status = 400;
            await kit.showLogin(ctx, details, refusalMessage(ticket.reason, kit.locale(ctx, details)));
            return;
          }
          const outcome = await kit.finishLogin(ctx, details, ticket.identity, idp.upstream, ticket.classRef,
            ticket.session ? { upstream: idp.upstream, idp: ticket.idp, ...ticket.session } : undefined);
          if (!outcome.ok) {
            ctx.status = 403;
            await kit.showLogin(ctx, details, outcome.message);
            return;
          }
          ctx.redirect(outcome.redirectTo);
          ctx.status = 303;
        });
      },
    };
  });
}

// GET /siths/card/:ticket — the one request that sees the card. It runs on whichever listener asks for
// the client certificate (the card listener, or the main listener behind a TLS proxy), takes the start
// ticket, verifies the certificate at the injected clock's time, stores the verified identity or the
// refusal under a fresh result ticket and sends the browser back to the issuer. Every refusal goes back
// to the login page (where the person reads why); only a ticket that cannot be used ends here.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from '../../log.ts';
import { errorPage } from '../../idp/views/errors.ts';
import { localeOf } from '../../idp/views/i18n.ts';
import { isCertificateError, type SithsCertificateVerifier } from '../mtls/sithsCertificate.ts';
import type { CertificateSource } from './certificateSource.ts';
import { staffIdentityFrom } from './identity.ts';
import { refusalText } from './refusals.ts';
import type { CardOutcome, CardTickets } from './tickets.ts';
import { RETRY_AFTER_SECONDS } from '../../unavailable.ts';

export interface CardEndpointDeps {
  issuer: string;
  tickets: CardTickets;
  verifier: SithsCertificateVerifier;
  source: CertificateSource;
  logger: Logger;
  /** Which listener this is, for the log: 'listener' (own TLS) or 'forwarded' (behind a proxy). */
  via: 'listener' | 'forwarded';
}

/** The card check as a pipeline: a certificate at all, then the verifier's checks, then the names a login needs. */
function checkCard(ctx: Context, deps: CardEndpointDeps): CardOutcome {
  try {
    const presented = deps.source(ctx);
    if ('refused' in presented) return { ok: false, reason: presented.refused, ...(presented.detail ? { detail: presented.detail } : {}) };
    const verified = deps.verifier.verify(presented.certificate, presented.chain);
    const identity = staffIdentityFrom(verified);
    if (!identity) return { ok: false, reason: 'no_names' };
    return { ok: true, identity };
  } catch (err) {
    if (isCertificateError(err)) return { ok: false, reason: err.reason, ...(err.detail ? { detail: err.detail } : {}) };
    // Anything else is a fault here, not a fact about the card: refuse, and log only the error's kind.
    deps.logger.error({ via: deps.via, error: err instanceof Error ? err.name : typeof err }, 'siths card check failed');
    return { ok: false, reason: 'card_check_failed' };
  }
}

export function cardEndpointRouter(deps: CardEndpointDeps): Router {
  const router = new Router();
  /** The store could not be reached: nothing can be checked or handed back, so say so (fail closed). */
  const unavailable = (ctx: Context, leg: string): void => {
    deps.logger.error({ reason: 'store_unavailable', leg, via: deps.via }, 'siths card refused');
    const locale = localeOf(ctx);
    ctx.status = 503;
    ctx.set('Retry-After', String(RETRY_AFTER_SECONDS.store));
    ctx.type = 'html';
    ctx.body = errorPage(locale, { code: 'temporarily_unavailable', message: refusalText('card_check_failed', locale) });
  };

  router.get('/siths/card/:ticket', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    let start;
    try {
      start = await deps.tickets.takeStart(ctx.params.ticket);
    } catch {
      unavailable(ctx, 'card');
      return;
    }
    if (!start) {
      deps.logger.warn({ reason: 'ticket_unknown', leg: 'card', via: deps.via }, 'siths card refused');
      const locale = localeOf(ctx);
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = errorPage(locale, { code: 'ticket_unknown', message: refusalText('ticket_unknown', locale) });
      return;
    }
    const outcome = checkCard(ctx, deps);
    if (outcome.ok) deps.logger.info({ interaction: start.uid, via: deps.via }, 'siths card verified');
    else deps.logger.warn({ reason: outcome.reason, detail: outcome.detail, interaction: start.uid, via: deps.via }, 'siths card refused');
    let result: string;
    try {
      result = await deps.tickets.result(start, outcome);
    } catch {
      unavailable(ctx, 'card_result');
      return;
    }
    ctx.redirect(`${deps.issuer}/interaction/${encodeURIComponent(start.uid)}/siths-card/resume?ticket=${result}`);
    ctx.status = 303;
  });
  return router;
}

// The target's side of a jump, inside the OpenID Provider: the `jump_ticket` request parameter (PAR
// or request object), checked at PAR without being used; a login prompt whenever a request carries
// one, so the ticket is always seen (and used) at the interaction, also when the session alone would
// have passed; and the interaction hook that accepts the ticket for this browser's session and
// finishes login and consent at once, with the session's own login (same e-ID, level and auth_time),
// or refuses it with the reason in words and the ordinary method choice. Kept apart from the
// interaction routes so they only call `accept` (src/idp/interactions.ts).
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../log.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { SIGN_IN_INSTEAD, TICKET_WORDS } from './jumpMessages.ts';
import type { JumpTickets } from './jumpTickets.ts';

/** The request parameter a target product's PAR request carries the ticket in. */
export const JUMP_TICKET_PARAM = 'jump_ticket';

/** What the interaction hook needs of an interaction (a subset of oidc-provider's details). */
export interface JumpInteraction {
  uid: string;
  params: Record<string, unknown>;
  session?: { uid?: string | undefined; accountId?: string | undefined } | undefined;
  grantId?: string | undefined;
}

export interface JumpLoginKit {
  provider: Provider;
  locale(ctx: Context): Locale;
  /** The method choice, with a notice saying why the jump could not be used. */
  showLogin(ctx: Context, notice: string): Promise<void>;
}

export interface JumpLogin {
  /** For oidc-provider's configuration: the parameter and its check at PAR and /auth. */
  extraParams: Record<string, (ctx: KoaContextWithOIDC, value: string | undefined, client: { clientId: string }) => Promise<void>>;
  /** A login prompt for every request with a ticket until an interaction has answered it. */
  loginCheck: InstanceType<typeof interactionPolicy.Check>;
  /**
   * The interaction hook: false when the request carries no ticket (nothing done); otherwise the
   * answer is sent (a redirect on, or the method choice with a 400 and the reason) and true.
   */
  accept(ctx: Context, details: JumpInteraction, kit: JumpLoginKit): Promise<boolean>;
}

export function jumpLogin(tickets: JumpTickets, logger: Logger): JumpLogin {
  return {
    extraParams: {
      async [JUMP_TICKET_PARAM](_ctx, value, client) {
        if (value === undefined) return;
        const verdict = await tickets.peek({ ticket: value, clientId: client.clientId });
        if (!verdict.ok) throw new errors.InvalidRequest(`jump_ticket refused: ${verdict.reason}`);
      },
    },
    loginCheck: new interactionPolicy.Check('jump_ticket', 'the request carries a jump ticket to accept', (ctx: KoaContextWithOIDC) =>
      (ctx.oidc.params?.[JUMP_TICKET_PARAM] !== undefined && !ctx.oidc.result?.login
        ? interactionPolicy.Check.REQUEST_PROMPT
        : interactionPolicy.Check.NO_NEED_TO_PROMPT)),

    async accept(ctx, details, kit) {
      const ticket = details.params[JUMP_TICKET_PARAM];
      if (ticket === undefined) return false;
      const clientId = String(details.params.client_id);
      const verdict = await tickets.accept({ ticket, clientId, sessionUid: details.session?.uid });
      if (!verdict.ok) {
        logger.warn({ reason: verdict.reason, check: verdict.check, interaction: details.uid, client: clientId }, 'jump ticket refused');
        const loc = kit.locale(ctx);
        ctx.status = 400;
        await kit.showLogin(ctx, `${TICKET_WORDS[verdict.reason][loc]} ${SIGN_IN_INSTEAD[loc]}`);
        return true;
      }
      const { record } = verdict.state;
      // The citizen chose to go here from a product they were signed in to, for this product's own
      // sign-in request: the ticket stands for the login and for consent to what the request asks.
      const { Grant } = kit.provider;
      const existing = details.grantId ? await Grant.find(details.grantId) : undefined;
      const grant = existing ?? new Grant({ accountId: record.accountId, clientId });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      const grantId = await grant.save();
      logger.info({ interaction: details.uid, client: clientId, source: record.sourceClientId }, 'jump ticket accepted');
      await kit.provider.interactionFinished(ctx.req, ctx.res, {
        login: { accountId: record.accountId, acr: record.acr, amr: record.amr, ts: record.loginTs, remember: true },
        consent: { grantId },
      }, { mergeWithLastSubmission: false });
      return true;
    },
  };
}

// SITHS card sign-in inside an interaction: /start hands the browser a one-time ticket and sends it to
// the TLS endpoint that asks for the card (<sithsCard.publicUrl>/siths/card/<ticket>, possibly another
// host); /resume takes the result ticket that endpoint sent back and finishes the login. Mounted by
// src/idp/interactions.ts under /interaction/:uid/siths-card/, which has loaded the interaction from
// this browser's cookie and checked that the client allows 'siths-card' at the level asked for.
import type { Context } from 'koa';
import type { Details, LoginKit, UpstreamRoutes } from '../../idp/interactions.ts';
import type { Locale } from '../../idp/views/i18n.ts';
import { refusalText } from './refusals.ts';
import type { CardTickets } from './tickets.ts';

export const SITHS_CARD = 'siths-card';

export function sithsCardRoutes(deps: { tickets: CardTickets; publicUrl: string }): UpstreamRoutes {
  const cardUrl = (ticket: string): string => `${deps.publicUrl.replace(/\/+$/, '')}/siths/card/${ticket}`;

  return {
    id: SITHS_CARD,
    choice(uid: string, locale: Locale) {
      const sv = locale === 'sv';
      return {
        id: SITHS_CARD,
        name: sv ? 'SITHS-kort' : 'SITHS card',
        description: sv
          ? 'För medarbetare i vård och omsorg: sätt i ditt SITHS-kort i kortläsaren.'
          : 'For health and care staff: insert your SITHS card in the card reader.',
        action: `/interaction/${uid}/${SITHS_CARD}/start`,
        buttons: [{ label: sv ? 'Logga in med SITHS-kort' : 'Sign in with SITHS card' }],
      };
    },
    register(router, kit: LoginKit) {
      router.post('/start', async (ctx) => {
        const details = ctx.state.details as Details;
        if (details.prompt.name !== 'login') {
          ctx.redirect(`/interaction/${details.uid}`);
          ctx.status = 303;
          return;
        }
        const ticket = await deps.tickets.start(details.uid, kit.locale(ctx, details));
        ctx.set('cache-control', 'no-store');
        ctx.redirect(cardUrl(ticket));
        ctx.status = 303;
      });

      router.get('/resume', async (ctx: Context) => {
        const details = ctx.state.details as Details;
        const loc = kit.locale(ctx, details);
        ctx.set('cache-control', 'no-store');
        // Taken before anything else is checked: a ticket is spent by its first use, whatever the outcome.
        const result = await deps.tickets.takeResult(ctx.query.ticket);
        if (!result || result.uid !== details.uid) {
          const reason = result ? 'ticket_mismatch' : 'ticket_unknown';
          kit.logger.warn({ reason, leg: 'resume', interaction: details.uid }, 'siths card refused');
          ctx.status = 400;
          await kit.showLogin(ctx, details, refusalText(reason, loc));
          return;
        }
        if (!result.outcome.ok) {
          // Already logged with its reason by the card endpoint.
          ctx.status = 403;
          await kit.showLogin(ctx, details, refusalText(result.outcome.reason, loc));
          return;
        }
        if (details.prompt.name !== 'login') {
          ctx.redirect(`/interaction/${details.uid}`);
          ctx.status = 303;
          return;
        }
        const outcome = await kit.finishLogin(ctx, details, result.outcome.identity, SITHS_CARD);
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
}

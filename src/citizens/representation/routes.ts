// The citizen's own routes for representation, under /account/representation (the page /account is
// the consent lane's; it shows these relations and posts here): the relations list, appointing an agent
// and revoking a mandate. Who is signed in comes from the /account session (`signedIn`, given by
// whoever mounts this); without one every route is a 401. Only JSON, only from the gateway's own origin.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type { Mount } from '../../http/app.ts';
import { sendProblem } from '../../http/problem.ts';
import type { PrincipalSignIn, Relations } from './relations.ts';

export const REPRESENTATION_PATH = '/account/representation';

export interface RepresentationRoutesDeps {
  relations: Relations;
  issuer: string;
  /** The citizen the /account session signs in (personnummer, level, sign-in time), or undefined. */
  signedIn(ctx: Context): Promise<PrincipalSignIn | undefined>;
}

const MANDATE_ID = /^[0-9a-f-]{36}$/;

export function representationMount(deps: RepresentationRoutesDeps): Mount {
  const router = new Router({ prefix: REPRESENTATION_PATH });
  const origin = new URL(deps.issuer).origin;
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '2kb' });
  const problem = (ctx: Context, status: number, reason: string, title: string) => sendProblem(ctx, { status, type: reason, title, reasons: [reason] });

  /** Signed in, and a write only from the gateway's own page (a cross-site post is refused before any work). */
  const citizen = async (ctx: Context, next: Next) => {
    if (ctx.method !== 'GET' && ctx.get('origin') !== origin) return problem(ctx, 403, 'cross_origin', 'Cross-origin request refused');
    const who = await deps.signedIn(ctx);
    if (!who) return problem(ctx, 401, 'not_signed_in', 'Sign in on /account first');
    ctx.state.citizen = who;
    return next();
  };
  const who = (ctx: Context) => ctx.state.citizen as PrincipalSignIn;

  router.get('/', citizen, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await deps.relations.of(who(ctx).personalNumber);
  });

  router.post('/mandates', json, citizen, async (ctx) => {
    const body = ctx.request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return problem(ctx, 400, 'body_invalid', 'Send a JSON object');
    const outcome = await deps.relations.appoint(who(ctx), { agent: body.agent, types: body.types, expiresAt: body.expiresAt, consents: body.consents });
    if (!outcome.ok) {
      const status = outcome.reason === 'register_unavailable' ? 503 : outcome.reason === 'sign_in_not_strong' || outcome.reason === 'sign_in_not_fresh' ? 403 : 400;
      return problem(ctx, status, outcome.reason, 'The agent could not be appointed');
    }
    const { id, types, expiresAt, confirmBy, createdAt } = outcome.mandate;
    ctx.status = 201;
    ctx.body = { id, types, expiresAt, confirmBy, createdAt };
  });

  router.post('/mandates/:id/revoke', citizen, async (ctx) => {
    const id = String(ctx.params.id);
    // Not theirs, already revoked, or no such mandate: one answer, so nobody learns about others' mandates.
    if (!MANDATE_ID.test(id) || !(await deps.relations.revoke(who(ctx).personalNumber, id))) return problem(ctx, 404, 'mandate_not_found', 'No such mandate of yours in force');
    ctx.status = 204;
  });

  return { name: 'representation (the citizen\'s agents)', under: [REPRESENTATION_PATH], routes: router.routes() };
}

// RFC 9457 problem details for every non-OAuth endpoint, and the boundary that turns thrown errors
// into them: bad input is a 4xx with a reason, anything unexpected a logged 500 that reveals nothing.
import type { Context, Middleware } from 'koa';
import type { Logger } from '../log.ts';
import { isUnavailable, outageFields, UNAVAILABLE_CODE, type DependencyUnavailable } from '../unavailable.ts';
import { renderNotFoundPage, renderUnavailablePage } from '../idp/views/errors.ts';
import { localeOf } from '../idp/views/i18n.ts';

export interface Problem {
  status: number;
  /** A short, stable reason code; becomes the type URI's last segment. */
  type: string;
  title: string;
  detail?: string;
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
  }
}

export const problem = (status: number, type: string, title: string, detail?: string, extra: Record<string, unknown> = {}): ProblemError =>
  new ProblemError({ status, type, title, ...(detail ? { detail } : {}), ...extra });

export function sendProblem(ctx: Context, p: Problem): void {
  ctx.status = p.status;
  ctx.type = 'application/problem+json';
  ctx.body = { ...p, type: `urn:gateway:problem:${p.type}` };
}

/** The RFC 6749 error body oidc-provider itself answers with, for errors that escape its own handlers. */
function sendOAuthError(ctx: Context, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = { error, error_description: description };
}

/** A browser asking for a page (it prefers HTML to JSON, the rule oidc-provider's own errors follow). */
const wantsPage = (ctx: Context): boolean => ctx.accepts('json', 'html') === 'html';

/**
 * Redis or PostgreSQL did not answer: 503 with Retry-After in the shape the route speaks — the RFC
 * error `temporarily_unavailable` on OAuth endpoints, an error page to a browser, problem+json
 * otherwise — and one log line without a stack. Nothing is retried here: the caller may repeat the
 * request once the dependency is back, and the clients reconnect by themselves.
 */
export function sendUnavailable(ctx: Context, logger: Logger, err: DependencyUnavailable, owner?: 'gateway' | 'oauth'): void {
  logger.warn({ ...outageFields(err), path: ctx.path, requestId: ctx.state.requestId }, 'dependency unavailable: answered 503');
  ctx.set('Retry-After', String(err.retryAfterSeconds));
  if (wantsPage(ctx)) {
    ctx.status = 503;
    ctx.type = 'html';
    ctx.body = renderUnavailablePage(localeOf(ctx));
  } else if (owner === 'oauth') {
    sendOAuthError(ctx, 503, 'temporarily_unavailable', err.error_description);
  } else {
    sendProblem(ctx, { status: 503, type: UNAVAILABLE_CODE[err.dependency], title: 'Temporarily unavailable', detail: err.error_description });
  }
}

/**
 * The one error boundary of the outer app. The gateway's routes answer in problem+json; requests that
 * oidc-provider owns (ctx.state.owner === 'oauth') keep its RFC error shape. Bad input is a 4xx with
 * a reason; anything unexpected a logged 500 that reveals nothing (no message, no stack).
 */
export function errorBoundary(logger: Logger): Middleware<{ owner?: 'gateway' | 'oauth'; requestId?: string }> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const oauth = ctx.state.owner === 'oauth';
      if (isUnavailable(err)) {
        sendUnavailable(ctx, logger, err, ctx.state.owner);
        return;
      }
      if (err instanceof ProblemError) {
        if (oauth) sendOAuthError(ctx, err.problem.status, err.problem.status >= 500 ? 'server_error' : 'invalid_request', err.problem.detail ?? err.problem.title);
        else sendProblem(ctx, err.problem);
        return;
      }
      const e = err as { status?: number; expose?: boolean; message?: string };
      // Koa/body-parser errors carry a 4xx status for bad input (too large, malformed JSON).
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
        const detail = e.expose ? e.message : undefined;
        if (oauth) sendOAuthError(ctx, e.status, 'invalid_request', detail ?? 'the request could not be read');
        else sendProblem(ctx, { status: e.status, type: 'bad_request', title: 'Bad request', ...(detail ? { detail } : {}) });
        return;
      }
      logger.error({ err: e.message, path: ctx.path, requestId: ctx.state.requestId }, 'unhandled error');
      if (oauth) sendOAuthError(ctx, 500, 'server_error', 'oops! something went wrong');
      else sendProblem(ctx, { status: 500, type: 'internal', title: 'Internal error' });
      return;
    }
    // A path no route answered (neither a module's nor one of oidc-provider's, which always answer with
    // a body): a page for a browser, in its language with a way back; problem+json for everything else,
    // never Koa's bare "Not Found".
    if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false && !ctx.headerSent) {
      if (wantsPage(ctx)) {
        ctx.status = 404;
        ctx.type = 'html';
        ctx.body = renderNotFoundPage(localeOf(ctx));
      } else {
        sendProblem(ctx, { status: 404, type: 'not_found', title: 'Not found' });
      }
    }
  };
}

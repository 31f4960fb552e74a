// RFC 9457 problem details for every non-OAuth endpoint, and the boundary that turns thrown errors
// into them: bad input is a 4xx with a reason, anything unexpected a logged 500 that reveals nothing.
import type { Context, Middleware } from 'koa';
import type { Logger } from '../log.ts';

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

/** Catches errors of the gateway's own routes (not oidc-provider's, which answer in OAuth terms). */
export function problemBoundary(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof ProblemError) {
        sendProblem(ctx, err.problem);
        return;
      }
      const e = err as { status?: number; expose?: boolean; message?: string; type?: string };
      // Koa/body-parser errors carry a 4xx status for bad input (too large, malformed JSON).
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
        sendProblem(ctx, { status: e.status, type: 'bad_request', title: 'Bad request', detail: e.expose ? e.message : undefined });
        return;
      }
      logger.error({ err: e.message, path: ctx.path }, 'unhandled error');
      sendProblem(ctx, { status: 500, type: 'internal', title: 'Internal error' });
    }
  };
}

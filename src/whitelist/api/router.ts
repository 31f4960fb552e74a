// The admin API's Koa router: authenticate (a DPoP-bound token of an admin client, src/idp/
// accessToken.ts), resolve the principal and its roles, validate the input with the route's zod
// schema, check If-Match, call the service, answer JSON with an ETag, or problem+json naming the problem.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import type { AccountStore } from '../../idp/accounts.ts';
import { AccessTokenError, challengeFor, verifyAccessToken } from '../../idp/accessToken.ts';
import { sendProblem } from '../../http/problem.ts';
import type { Logger } from '../../log.ts';
import type { HotStore } from '../../store/hotStore.ts';
import { RegistryError, type FieldError } from '../errors.ts';
import type { Principal } from '../model.ts';
import type { RegistryService } from '../service.ts';
import { openApiDocument } from './openapi.ts';
import { resolvePrincipal } from './principal.ts';
import { API_BASE, routes, type RouteSpec } from './routes.ts';

export interface AdminApiDeps {
  provider: Provider;
  service: RegistryService;
  accounts: AccountStore;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  adminClients: string[];
}

const TITLES: Record<string, string> = {
  validation_failed: 'Invalid input', not_found: 'Not found', duplicate: 'Already registered', version_conflict: 'Changed by someone else',
  precondition_required: 'If-Match required', forbidden_role: 'Not allowed for your role', outside_controller: 'Outside your controller',
  outside_framework: 'Outside your framework', own_product: 'Your own product', not_staff: 'Staff only', no_role: 'No role',
  not_admin_client: 'Not an admin client', unsupported_media_type: 'JSON required',
};

function problemFrom(ctx: Context, status: number, code: string, detail: string, errors?: FieldError[]): void {
  sendProblem(ctx, { status, type: code, title: TITLES[code] ?? 'Request refused', detail, ...(errors ? { errors } : {}) });
}

/** Zod issues as {path, message}; an unexpected member (a server-set field, say) is named by its key. */
function fieldErrors(error: z.ZodError, prefix: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: [base, k].filter(Boolean).join('.'), message: 'is not accepted here (set by the server, or unknown)' }));
    }
    return [{ path: base || '(body)', message: issue.message }];
  });
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, where === 'query' ? 'query' : '');
  throw new RegistryError(400, 'validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), errors);
}

/** `"3"` (or the weak form) -> 3. */
function readIfMatch(ctx: Context, rule: RouteSpec['ifMatch']): number | undefined {
  const header = ctx.get('if-match');
  if (!header) {
    if (rule === 'required') throw new RegistryError(428, 'precondition_required', 'send If-Match with the ETag of the version you read');
    return undefined;
  }
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(header.trim());
  if (!match) throw new RegistryError(400, 'validation_failed', 'If-Match must be one ETag such as "3"', [{ path: 'If-Match', message: 'not an ETag of this API' }]);
  return Number(match[1]);
}

const isEmptyObject = (schema: z.ZodType) => schema instanceof z.ZodObject && Object.keys(schema.shape).length === 0;
const hasBody = (ctx: Context) => Number(ctx.get('content-length') || 0) > 0 || Boolean(ctx.get('transfer-encoding'));

export function adminApiRouter(deps: AdminApiDeps): Router {
  const router = new Router();
  const parseJson = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', encoding: 'utf-8', parsedMethods: ['POST', 'PUT'] });

  // Every refusal of the admin API as problem+json; anything else goes on to the gateway's boundary (500).
  const problems: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof AccessTokenError || err instanceof RegistryError) {
        // Reason codes only: no token, no name, no identity number.
        deps.logger.info({ reason: err instanceof AccessTokenError ? err.reason : err.code, method: ctx.method, route: ctx._matchedRoute }, 'admin api refused');
      }
      if (err instanceof AccessTokenError) {
        ctx.set('WWW-Authenticate', challengeFor(err));
        problemFrom(ctx, 401, err.reason, err.message);
        return;
      }
      if (err instanceof RegistryError) {
        problemFrom(ctx, err.status, err.code, err.message, err.errors);
        return;
      }
      const e = err as { status?: number; expose?: boolean; message?: string };
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
        problemFrom(ctx, e.status, e.status === 413 ? 'payload_too_large' : 'bad_request', e.expose && e.message ? e.message : 'the request body is not acceptable JSON');
        return;
      }
      throw err;
    }
  };

  router.get('/admin/api/openapi.json', async (ctx) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = openApiDocument();
  });

  const authenticate = async (ctx: Context): Promise<Principal> => {
    const token = await verifyAccessToken(deps.provider, {
      method: ctx.method,
      url: ctx.href,
      authorization: ctx.get('authorization') || undefined,
      dpop: ctx.get('dpop') || undefined,
    }, { store: deps.store, clock: deps.clock });
    return resolvePrincipal(token, { accounts: deps.accounts, store: deps.service.store, adminClients: deps.adminClients });
  };

  for (const route of routes) {
    const koaPath = `${API_BASE}${route.path.replace(/\{(\w+)\}/g, ':$1')}`;
    router[route.method](koaPath, problems, async (ctx, next) => {
      // Authenticate before reading a body: an anonymous caller gets nothing parsed.
      ctx.state.principal = await authenticate(ctx);
      if (route.body) {
        const type = ctx.request.type;
        if (hasBody(ctx) && type !== 'application/json') throw new RegistryError(415, 'unsupported_media_type', 'send the body as application/json');
        await parseJson(ctx, next);
      } else {
        await next();
      }
    }, async (ctx) => {
      const principal = ctx.state.principal as Principal;
      // No body at all is an empty object for the actions that take none (revoke, withdraw).
      const raw = hasBody(ctx) ? (ctx.request as unknown as { body?: unknown }).body : route.body && isEmptyObject(route.body) ? {} : undefined;
      const body = route.body ? parse(route.body, raw, 'body') : undefined;
      const query = route.query ? parse(route.query, { ...ctx.query }, 'query') : undefined;
      const expected = route.ifMatch ? readIfMatch(ctx, route.ifMatch) : undefined;
      const answer = await route.handle(deps.service, { principal, params: ctx.params as Record<string, string>, body, query, expected });
      ctx.set('Cache-Control', 'no-store');
      if (answer.version !== undefined) ctx.set('ETag', `"${answer.version}"`);
      if (answer.location) ctx.set('Location', `${API_BASE}${answer.location}`);
      ctx.status = answer.status ?? route.status;
      if (answer.body !== undefined) ctx.body = answer.body;
    });
  }

  // Anything else under the API base: a problem, not oidc-provider's HTML 404.
  router.all(`${API_BASE}/{*rest}`, problems, async () => {
    throw new RegistryError(404, 'not_found', 'no such admin API resource');
  });
  return router;
}

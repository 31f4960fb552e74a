// The admin API's Koa router, the one for every /admin/api/v1 route: authenticate (a DPoP-bound token
// of an admin client, src/idp/accessToken.ts), resolve the principal and its roles, validate the path
// parameters, the query and the body with the route's zod schemas, check If-Match, call the service,
// answer JSON with an ETag, or problem+json naming the problem. A route is served when the service it
// calls is given (the exposure resources only where the decision point runs), and the OpenAPI document
// lists exactly the routes served.
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
import { separationOfDuties } from '../authorization.ts';
import { RegistryError, type FieldError } from '../errors.ts';
import type { ExposureAdmin } from '../../scopes/exposureAdmin.ts';
import type { Principal } from '../model.ts';
import type { RegistryService } from '../service.ts';
import type { RegistryStore } from '../store.ts';
import { openApiDocument } from './openapi.ts';
import { resolvePrincipal } from './principal.ts';
import { isMutating, type AdminServices } from './route.ts';
import { API_BASE, routes, type RouteSpec } from './routes.ts';

export interface AdminApiDeps {
  provider: Provider;
  /** The registry's rules: its routes are served when it is given. */
  service?: RegistryService | undefined;
  /** Exposure limits, cohorts and containment suspensions: served when given. */
  exposure?: ExposureAdmin | undefined;
  /** Where the callers' roles are read; the service's store when not given. */
  roles?: RegistryStore | undefined;
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
  not_admin_client: 'Not an admin client', unsupported_media_type: 'JSON required', outside_supplier: 'Not your product',
  in_use: 'Still in use', payload_too_large: 'Too large', bad_request: 'Bad request', undeclared_change: 'Change not declared',
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

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query' | 'path'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error, where === 'body' ? '' : where);
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

/** An action whose body may be left out: an object schema with nothing required (`{}` or `{ reason? }`). */
const mayBeEmpty = (schema: z.ZodType) => schema instanceof z.ZodObject && schema.safeParse({}).success;
const hasBody = (ctx: Context) => Number(ctx.get('content-length') || 0) > 0 || Boolean(ctx.get('transfer-encoding'));

const DEFAULT_JSON_LIMIT = '64kb';

/** The routes these dependencies can serve, each with the service it calls. */
export function servedRoutes(deps: Pick<AdminApiDeps, 'service' | 'exposure'>): Array<{ route: RouteSpec; service: AdminServices[keyof AdminServices] }> {
  const services: { [K in keyof AdminServices]: AdminServices[K] | undefined } = { registry: deps.service, exposure: deps.exposure };
  return routes.flatMap((route) => {
    const service = services[route.service];
    return service ? [{ route, service }] : [];
  });
}

export function adminApiRouter(deps: AdminApiDeps): Router {
  const roleStore = deps.roles ?? deps.service?.store;
  if (!roleStore) throw new TypeError('adminApiRouter: give the registry service or a registry store to read roles from');
  const served = servedRoutes(deps);
  const document = openApiDocument(served.map((s) => s.route));
  const router = new Router();
  // One parser per body limit: 64 kB unless the route says otherwise (a cohort's member list).
  const jsonParsers = new Map<string, Middleware>();
  const parserFor = (limit = DEFAULT_JSON_LIMIT): Middleware => {
    const known = jsonParsers.get(limit);
    if (known) return known;
    const parser: Middleware = bodyParser({ enableTypes: ['json'], jsonLimit: limit, encoding: 'utf-8', parsedMethods: ['POST', 'PUT'] });
    jsonParsers.set(limit, parser);
    return parser;
  };

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
        if (err.status === 503) ctx.set('Retry-After', '5');
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
    ctx.body = document;
  });

  const authenticate = async (ctx: Context): Promise<Principal> => {
    let token;
    try {
      token = await verifyAccessToken(deps.provider, {
        method: ctx.method,
        // The URL as the issuer names it, not as the Host header does: a proof made for another host
        // must not pass here (RFC 9449 htu).
        url: `${deps.provider.issuer}${ctx.path}`,
        authorization: ctx.get('authorization') || undefined,
        dpop: ctx.get('dpop') || undefined,
      }, { store: deps.store, clock: deps.clock });
    } catch (err) {
      if (err instanceof AccessTokenError) throw err;
      // The token store cannot be read: no answer about the token is possible, so none is given (fail
      // closed). The cause is logged (it names no token), so a bug does not pass for an outage unseen.
      deps.logger.error({ err: (err as Error).message, route: ctx._matchedRoute }, 'admin api: token lookup failed');
      throw new RegistryError(503, 'store_unavailable', 'the token store cannot be read now; try again shortly');
    }
    return resolvePrincipal(token, { accounts: deps.accounts, store: roleStore, adminClients: deps.adminClients });
  };

  for (const { route, service } of served) {
    const koaPath = `${API_BASE}${route.path.replace(/\{(\w+)\}/g, ':$1')}`;
    const parseJson = parserFor(route.jsonLimit);
    router[route.method](koaPath, problems, async (ctx, next) => {
      // Authenticate before reading a body: an anonymous caller gets nothing parsed.
      ctx.state.principal = await authenticate(ctx);
      // Ids are checked before anything reads them: a NUL byte or a path of dots is a 400 here, not an error in the store.
      ctx.state.params = parse(route.params, { ...ctx.params }, 'path');
      if (route.body) {
        const type = ctx.request.type;
        if (hasBody(ctx) && type !== 'application/json') throw new RegistryError(415, 'unsupported_media_type', 'send the body as application/json');
        await parseJson(ctx, next);
      } else {
        await next();
      }
    }, async (ctx) => {
      const principal = ctx.state.principal as Principal;
      const params = ctx.state.params as Record<string, string>;
      // No body at all is an empty object for the actions that take none (revoke, withdraw, lift).
      const raw = hasBody(ctx) ? (ctx.request as unknown as { body?: unknown }).body : route.body && mayBeEmpty(route.body) ? {} : undefined;
      const body = route.body ? parse(route.body, raw, 'body') : undefined;
      const query = route.query ? parse(route.query, { ...ctx.query }, 'query') : undefined;
      const expected = route.ifMatch ? readIfMatch(ctx, route.ifMatch) : undefined;
      const call = { principal, params, body, query, expected };
      // Separation of duties, before the operation's own rule: a change about a product the caller's
      // organisation supplies is refused whatever roles they hold, and so is one whose route does not
      // say what it is about (src/whitelist/authorization.ts).
      if (isMutating(route.method)) {
        const denial = separationOfDuties(principal, route.concerns ? await route.concerns(service, call) : undefined);
        if (denial) throw new RegistryError(403, denial.code, denial.detail);
      }
      const answer = await route.handle(service, call);
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

// The admin API's exposure resources (docs/admin-api.md conventions: DPoP-bound tokens of the admin
// clients, roles from the registry, ETag / If-Match, problem+json):
//   GET|PUT /admin/api/v1/approvals/{id}/limits
//   GET|POST /admin/api/v1/controllers/{id}/cohorts, GET|PUT|DELETE .../cohorts/{cohortId}
//   GET /admin/api/v1/suspensions, GET .../suspensions/{id}/report, POST .../suspensions/{id}/lift
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { HotStore } from '../store/hotStore.ts';
import type { AccountStore } from '../idp/accounts.ts';
import { AccessTokenError, challengeFor, verifyAccessToken } from '../idp/accessToken.ts';
import { problem, sendProblem } from '../http/problem.ts';
import { RegistryError } from '../whitelist/errors.ts';
import type { Principal } from '../whitelist/model.ts';
import { resolvePrincipal } from '../whitelist/api/principal.ts';
import type { RegistryStore } from '../whitelist/store.ts';
import { exposureLimitsSchema } from './exposureLimits.ts';
import { ExposureAdmin } from './exposureAdmin.ts';

export interface AdminPrincipalDeps {
  provider: Provider;
  store: HotStore;
  clock: Clock;
  accounts: AccountStore;
  registryStore: RegistryStore;
  /** client_ids whose tokens the admin API accepts (registry.adminClients). */
  adminClients: string[];
  issuer: string;
}

/** Who is calling: the token checked here, the principal resolved as the registry's admin API does. */
export async function adminPrincipal(ctx: Context, d: AdminPrincipalDeps): Promise<Principal> {
  let token;
  try {
    token = await verifyAccessToken(d.provider, { method: ctx.method, url: `${d.issuer}${ctx.path}`, authorization: ctx.get('authorization') || undefined, dpop: ctx.get('dpop') || undefined },
      { store: d.store, clock: d.clock });
  } catch (err) {
    if (err instanceof AccessTokenError) {
      ctx.set('WWW-Authenticate', challengeFor(err));
      throw problem(401, err.reason, 'Unauthorized', err.message);
    }
    throw problem(503, 'store_unavailable', 'Service unavailable');
  }
  return resolvePrincipal(token, { accounts: d.accounts, store: d.registryStore, adminClients: d.adminClients });
}

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/);
const cohortCreate = z.object({ id: slug, name: z.string().min(1).max(200), members: z.array(z.string()).max(100_000) }).strict();
const cohortUpdate = z.object({ name: z.string().min(1).max(200), members: z.array(z.string()).max(100_000) }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw problem(400, 'validation', 'Invalid input', 'the body does not match the schema',
    { errors: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
}

function ifMatch(ctx: Context): number {
  const raw = ctx.get('if-match');
  if (!raw) throw problem(428, 'precondition_required', 'Precondition required', 'send If-Match: "<version>" of what you read');
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(raw.trim());
  if (!m) throw problem(400, 'bad_if_match', 'Bad request', 'If-Match must be "<version>"');
  return Number(m[1]);
}

export function exposureAdminRouter(admin: ExposureAdmin, principalOf: (ctx: Context) => Promise<Principal>): Router {
  const router = new Router({ prefix: '/admin/api/v1' });
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof RegistryError) return sendProblem(ctx, { status: err.status, type: err.code, title: 'Refused', detail: err.message, ...(err.errors ? { errors: err.errors } : {}) });
      throw err;
    }
  });
  const body = bodyParser({ enableTypes: ['json'], jsonLimit: '2mb', encoding: 'utf-8' });
  const json = (ctx: Context, value: unknown, version: number, status = 200) => {
    ctx.status = status;
    ctx.set('ETag', `"${version}"`);
    ctx.body = value;
  };
  const req = (ctx: Context) => (ctx.request as unknown as { body?: unknown }).body;

  router.get('/approvals/:id/limits', async (ctx) => {
    const r = await admin.getLimits(await principalOf(ctx), ctx.params.id!);
    json(ctx, r, r.version);
  });
  router.put('/approvals/:id/limits', body, async (ctx) => {
    const p = await principalOf(ctx);
    const r = await admin.putLimits(p, ctx.params.id!, ifMatch(ctx), parse(exposureLimitsSchema, req(ctx)) as never);
    json(ctx, r, r.version);
  });

  router.get('/controllers/:cid/cohorts', async (ctx) => {
    ctx.body = await admin.listCohorts(await principalOf(ctx), ctx.params.cid!);
  });
  router.post('/controllers/:cid/cohorts', body, async (ctx) => {
    const c = await admin.createCohort(await principalOf(ctx), ctx.params.cid!, parse(cohortCreate, req(ctx)));
    ctx.set('Location', `/admin/api/v1/controllers/${c.controllerId}/cohorts/${c.id}`);
    json(ctx, c, c.version, 201);
  });
  router.get('/controllers/:cid/cohorts/:id', async (ctx) => {
    const c = await admin.getCohort(await principalOf(ctx), ctx.params.cid!, ctx.params.id!);
    json(ctx, c, c.version);
  });
  router.put('/controllers/:cid/cohorts/:id', body, async (ctx) => {
    const p = await principalOf(ctx);
    const c = await admin.putCohort(p, ctx.params.cid!, ctx.params.id!, ifMatch(ctx), parse(cohortUpdate, req(ctx)));
    json(ctx, c, c.version);
  });
  router.delete('/controllers/:cid/cohorts/:id', async (ctx) => {
    const p = await principalOf(ctx);
    await admin.deleteCohort(p, ctx.params.cid!, ctx.params.id!, ifMatch(ctx));
    ctx.status = 204;
  });

  router.get('/suspensions', async (ctx) => {
    ctx.body = (await admin.listSuspensions(await principalOf(ctx))).map((s) => ({ ...s, version: ExposureAdmin.version(s) }));
  });
  router.get('/suspensions/:id/report', async (ctx) => {
    ctx.body = await admin.report(await principalOf(ctx), ctx.params.id!);
  });
  router.post('/suspensions/:id/lift', async (ctx) => {
    const p = await principalOf(ctx);
    const s = await admin.lift(p, ctx.params.id!, ifMatch(ctx));
    json(ctx, s, ExposureAdmin.version(s));
  });
  return router;
}

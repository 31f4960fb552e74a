// The admin console at /admin/: a confidential client of this gateway (`gateway-admin`) that signs
// staff in with PAR + PKCE + private_key_jwt + DPoP, keeps their tokens in a server-side session, and
// does everything through the admin API over HTTP with the staff member's own DPoP-bound token. It
// decides nothing itself: what a person may do is the API's answer, shown in plain words.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import * as oidc from 'openid-client';
import type { HotStore } from '../../store/hotStore.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import { localeOf, type Locale } from '../../idp/views/i18n.ts';
import { SE } from '../../idp/claims.ts';
import { dpopHandleFor, issuerDiscovery, newKeyPair, type ClientKey } from '../../idp/ownClients.ts';
import { AdminApiClient, AdminApiProblem, lapsesOf } from '../adminApiClient.ts';
import {
  ACTIONS, type Action, type Approval, type Certification, type Controller, type ControllerPolicy, type DatasetAccess, type JumpPolicy, type Product, type AuditEntry,
  type RoleAssignment, type Suspension, type TrustFramework,
} from '../model.ts';
import { ADMIN_CONSOLE_CLIENT_ID, ADMIN_CONSOLE_SCOPE } from '../adminClients.ts';
import { ConsoleSessions, safeReturnTo, sameSecret, type ConsoleSession, type StaffSummary } from './session.ts';
import {
  approveConfirmPage, approveFormPage, auditPage, controllerPage, controllersPage, liveAccessOf, problemPage, productListPage,
  productPage, revokeConfirmPage, signedOutPage, stopAutomaticConfirmPage, type ApproveInput, type ConsoleView,
} from './views.ts';
import type { DatasetConfig } from '../../config.ts';
import { catalogueNames, defaultDatasetNames, say, sayCode } from './words.ts';
import { roleScreens } from './screens.ts';

export interface ConsoleDeps {
  issuer: string;
  key: ClientKey;
  store: HotStore;
  clock: Clock;
  logger: Logger;
  sessionTtlSeconds: number;
  /** The data-set catalogue (config `datasets`): names, sensitivity and the actions each allows. */
  catalogue?: DatasetConfig[];
  /** The configured upstreams (loa.providers keys) and the levels of assurance they yield, for the product and jump-policy forms. */
  upstreams?: string[];
  acrValues?: string[];
  /** The staff directory: names of the people behind HSA-ids, where one is known (for the audit overview). */
  staffNames?: (hsaIds: string[]) => Promise<Map<string, string>>;
}

/** An access token this close to its end is renewed (through SSO) before the next page, not after a 401. */
const TOKEN_MARGIN_MS = 15_000;
const AUDIT_TYPES = new Set(['controller', 'framework', 'policy', 'product', 'certification', 'approval', 'role']);
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The "done" message of a page reached after a change (?done=approved), from the catalogue. */
const flashOf = (ctx: Context, locale: Locale): string | undefined => {
  const done = one(ctx.query.done);
  return /^[A-Za-z]{1,32}$/.test(done) ? sayCode(locale, 'done', done) : undefined;
};

export interface ConsoleState {
  session: ConsoleSession;
  api: AdminApiClient;
  view: ConsoleView;
}

export const stateOf = (ctx: Context): ConsoleState => ctx.state.console as ConsoleState;
export const form = (ctx: Context): Record<string, unknown> => ((ctx.request as { body?: Record<string, unknown> }).body ?? {});
export const one = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : typeof v === 'string' ? v : '').trim();
export const many = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/**
 * A path parameter of the matched route. The router only matches a path that has it, so a missing one
 * means a link that names nothing: "not found" for the person, as for an id that cannot name anything.
 */
export const pathParam = (ctx: { params: Record<string, string> }, name: string): string => {
  const value = ctx.params[name];
  if (value === undefined) throw new AdminApiProblem(404, 'not_found', 'Not found');
  return value;
};

/** The form's approval, checked for shape; the API decides whether it is allowed. */
export function readApproveForm(body: Record<string, unknown>, locale: Locale): { input?: ApproveInput; errors: string[] } {
  const errors: string[] = [];
  const controllerId = one(body.controllerId);
  const purpose = one(body.purpose);
  const basis = one(body.basis);
  const reviewer = one(body.reviewer);
  const expiresAt = one(body.expiresAt);
  if (!ID.test(controllerId)) errors.push(say(locale, 'errChooseController'));
  if (!ID.test(purpose)) errors.push(say(locale, 'errChoosePurpose'));
  const byDataset = new Map<string, Set<Action>>();
  for (const item of many(body.access)) {
    const [dataset, action] = item.split(':');
    if (!dataset || !ID.test(dataset) || !ACTIONS.includes(action as Action)) {
      errors.push(say(locale, 'errUnknownChoice', { item }));
      continue;
    }
    const set = byDataset.get(dataset) ?? new Set<Action>();
    set.add(action as Action);
    byDataset.set(dataset, set);
  }
  if (!byDataset.size) errors.push(say(locale, 'errChooseData'));
  if (basis !== 'own_review' && basis !== 'trusted_reviewer') errors.push(say(locale, 'errChooseBasis'));
  if (basis === 'trusted_reviewer' && !reviewer) errors.push(say(locale, 'errReviewer'));
  if (reviewer.length > 200) errors.push(say(locale, 'errReviewerLong'));
  if (expiresAt && !/^\d{4}-\d{2}-\d{2}$/.test(expiresAt)) errors.push(say(locale, 'errDate'));
  if (errors.length) return { errors };
  const access: DatasetAccess[] = [...byDataset].map(([dataset, actions]) => ({ dataset, actions: ACTIONS.filter((a) => actions.has(a)) }));
  return {
    errors,
    input: {
      controllerId,
      purpose,
      access,
      basis: basis as ApproveInput['basis'],
      ...(basis === 'trusted_reviewer' ? { reviewer } : {}),
      ...(expiresAt ? { expiresAt } : {}),
    },
  };
}

/** What could be an id at all: no path separators, dots-only segments, control bytes or great lengths. */
const NAMEABLE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function adminConsoleRouter(deps: ConsoleDeps): Router {
  const { issuer, store, clock, logger } = deps;
  const origin = new URL(issuer).origin;
  const names = deps.catalogue ? catalogueNames(deps.catalogue) : defaultDatasetNames;
  const catalogue = new Map((deps.catalogue ?? []).map((d) => [d.id, d]));
  const router = new Router({ prefix: '/admin' });
  const sessions = new ConsoleSessions({ store, clock, ttlSeconds: deps.sessionTtlSeconds, secure: issuer.startsWith('https://') });
  const getConfiguration = issuerDiscovery(issuer, ADMIN_CONSOLE_CLIENT_ID, deps.key, { id_token_signed_response_alg: 'ES256' }, clock);
  const body = bodyParser({ enableTypes: ['form'], formLimit: '8kb' });

  const view = (ctx: Context, session?: ConsoleSession): ConsoleView => ({
    locale: localeOf(ctx),
    // The language switch must not replay a sign-in callback or resend a form.
    path: ctx.method === 'GET' && ctx.path !== '/admin/callback' ? ctx.path : '/admin/',
    ...(session ? { staff: session.staff, csrf: session.csrf } : {}),
  });

  const showProblem = (ctx: Context, p: AdminApiProblem | { status: number; code: string; title: string; detail?: string }, back?: string) => {
    ctx.status = p.status >= 400 && p.status < 500 ? p.status : 502;
    ctx.type = 'html';
    const session = (ctx.state.console as ConsoleState | undefined)?.session;
    ctx.body = problemPage(view(ctx, session), p, back);
  };

  // An id that cannot name anything (a path of dots, a NUL byte) is "not found" for the person who
  // followed the link, as the registry would say of an id it does not hold; the admin API's own
  // answer for such a path is a 400, meant for programs.
  for (const name of ['id', 'controllerId', 'aid', 'pid', 'cid', 'sid', 'rid']) {
    router.param(name, (value, ctx, next) => (NAMEABLE.test(value) ? next() : showProblem(ctx, new AdminApiProblem(404, 'not_found', 'Not found'))));
  }

  const apiFor = async (session: ConsoleSession): Promise<AdminApiClient> => {
    const config = await getConfiguration();
    return new AdminApiClient({ issuer, config, accessToken: session.accessToken, dpop: await dpopHandleFor(config, session.dpop) });
  };

  /** Every console page: a live session, or a sign-in (GET) / a refusal (POST). API problems become pages. */
  const requireSession: Middleware = async (ctx: Context, next: Next) => {
    if (ctx.query.lang === 'sv' || ctx.query.lang === 'en') ctx.cookies.set('lang', ctx.query.lang, { httpOnly: true, sameSite: 'lax' });
    const session = await sessions.load(ctx);
    if (!session || session.accessTokenExpiresAt - TOKEN_MARGIN_MS <= clock.now()) {
      if (ctx.method === 'GET') {
        ctx.redirect(`/admin/login?returnTo=${encodeURIComponent(safeReturnTo(ctx.originalUrl))}`);
        return;
      }
      showProblem(ctx, { status: 401, code: 'session_expired', title: 'Session expired' });
      return;
    }
    ctx.state.console = { session, api: await apiFor(session), view: view(ctx, session) } satisfies ConsoleState;
    try {
      await next();
    } catch (err) {
      if (!(err instanceof AdminApiProblem)) throw err;
      logger.info({ reason: err.code, status: err.status, path: ctx.path }, 'admin console: api problem');
      // A token the API no longer accepts (revoked, expired early) ends the session: the next page signs in again.
      if (err.status === 401) await sessions.destroy(ctx);
      showProblem(ctx, err, ctx.method === 'GET' ? ctx.path : undefined);
    }
  };

  /** Form posts must carry this session's CSRF token and, when the browser says where they came from, come from us. */
  const requireCsrf: Middleware = async (ctx: Context, next: Next) => {
    const { session } = stateOf(ctx);
    const from = ctx.get('origin');
    if ((from && from !== origin) || !sameSecret(one(form(ctx).csrf) || undefined, session.csrf)) {
      logger.warn({ reason: from && from !== origin ? 'cross_origin' : 'csrf_mismatch', path: ctx.path }, 'admin console: form refused');
      showProblem(ctx, { status: 403, code: 'csrf', title: 'Forbidden' });
      return;
    }
    await next();
  };

  router.get('/', requireSession, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    // One call for all certifications (the API filters them to what this role may see), not one per product.
    const [products, all] = await Promise.all([api.list<Product>('/products'), api.list<Certification>('/certifications')]);
    const certs = new Map<string, Certification[]>();
    for (const c of all) certs.set(c.productId, [...(certs.get(c.productId) ?? []), c]);
    ctx.type = 'html';
    ctx.body = productListPage(v, products.sort((a, b) => a.name.localeCompare(b.name)), certs, clock.now(), flashOf(ctx, v.locale));
  });

  // --- Sign-in, callback, logout ---
  /** The issuer's metadata, or a page saying sign-in cannot start (the console reaches the gateway at its issuer URL). */
  const configurationOrPage = async (ctx: Context): Promise<oidc.Configuration | undefined> => {
    try {
      return await getConfiguration();
    } catch (err) {
      logger.error({ reason: 'discovery_failed', err: (err as Error).message }, 'admin console: cannot discover the issuer');
      showProblem(ctx, { status: 502, code: 'sign_in_failed', title: 'Sign-in unavailable' });
      return undefined;
    }
  };

  router.get('/login', async (ctx) => {
    const config = await configurationOrPage(ctx);
    if (!config) return;
    const dpop = await newKeyPair();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    await sessions.begin(ctx, { verifier, state, dpop, returnTo: safeReturnTo(ctx.query.returnTo) });
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: `${issuer}/admin/callback`,
      scope: ADMIN_CONSOLE_SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ui_locales: localeOf(ctx),
    }, { DPoP: await dpopHandleFor(config, dpop) });
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const pending = await sessions.takePending(ctx);
    if (!pending) {
      showProblem(ctx, { status: 400, code: 'sign_in_failed', title: 'Sign-in expired' });
      return;
    }
    const config = await configurationOrPage(ctx);
    if (!config) return;
    const DPoP = await dpopHandleFor(config, pending.dpop);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.originalUrl, issuer), { pkceCodeVerifier: pending.verifier, expectedState: pending.state }, undefined, { DPoP });
    } catch (err) {
      logger.warn({ reason: (err as { error?: string }).error ?? (err as { code?: string }).code ?? 'code_exchange_failed' }, 'admin console: sign-in failed');
      showProblem(ctx, { status: 400, code: 'sign_in_failed', title: 'Sign-in failed' });
      return;
    }
    const claims: Record<string, unknown> = tokens.claims() ?? {};
    // The console is for staff: a staff sign-in carries orgAffiliation (<HSA-id>@<org number>).
    const affiliation = typeof claims[SE.orgAffiliation] === 'string' ? claims[SE.orgAffiliation] as string : undefined;
    if (!affiliation) {
      logger.warn({ reason: 'not_staff' }, 'admin console: sign-in refused');
      showProblem(ctx, { status: 403, code: 'not_staff', title: 'Staff only' });
      return;
    }
    const partial: Omit<ConsoleSession, 'csrf' | 'createdAt' | 'expiresAt' | 'staff'> = {
      accessToken: tokens.access_token,
      accessTokenExpiresAt: clock.now() + (tokens.expires_in ?? 60) * 1000,
      idToken: tokens.id_token,
      dpop: pending.dpop,
    };
    // The API is asked who this is; a person it does not know (no role, not staff) gets no session.
    let me: { roles?: Array<{ role: string; scope?: string }>; principal?: { roles?: Array<{ role: string; scope?: string }> } };
    try {
      const api = new AdminApiClient({ issuer, config, accessToken: partial.accessToken, dpop: DPoP });
      me = (await api.get<typeof me>('/me')).body ?? {};
    } catch (err) {
      if (!(err instanceof AdminApiProblem)) throw err;
      logger.warn({ reason: err.code, status: err.status }, 'admin console: sign-in refused by the admin API');
      showProblem(ctx, err);
      return;
    }
    const roles = (me.roles ?? me.principal?.roles ?? []).map((r) => ({ role: r.role, ...(r.scope ? { scope: r.scope } : {}) }));
    // split always yields a first part (the whole string when there is no @).
    const [hsaId = affiliation] = affiliation.split('@');
    const staff: StaffSummary = {
      name: typeof claims.name === 'string' ? claims.name : hsaId,
      hsaId,
      orgName: typeof claims[SE.orgName] === 'string' ? claims[SE.orgName] as string : undefined,
      roles,
    };
    await sessions.create(ctx, { ...partial, staff });
    logger.info({ roles: roles.map((r) => r.role) }, 'admin console: signed in');
    ctx.redirect(pending.returnTo);
  });

  router.post('/logout', body, requireSession, requireCsrf, async (ctx) => {
    const { session } = stateOf(ctx);
    await sessions.destroy(ctx);
    // Ending the console session is not enough: the gateway's own SSO session would sign the person
    // straight back in. RP-initiated logout ends that too.
    if (session.idToken) {
      const config = await getConfiguration();
      ctx.redirect(oidc.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: `${issuer}/admin/signed-out` }).href);
      return;
    }
    ctx.redirect('/admin/signed-out');
  });

  router.get('/signed-out', (ctx) => {
    ctx.type = 'html';
    ctx.body = signedOutPage(view(ctx));
  });

  // The role screens (screens.ts) first: /products/new must not be read as the product "new".
  roleScreens(router, { requireSession, requireCsrf, body, showProblem, names, catalogue: deps.catalogue ?? [], upstreams: deps.upstreams ?? [], acrValues: deps.acrValues ?? [],
    staffNames: deps.staffNames ?? (async () => new Map()), now: () => clock.now(), logger });

  // --- Products ---
  router.get('/products/:id', requireSession, async (ctx) => {
    const { api, view: v, session } = stateOf(ctx);
    const id = pathParam(ctx, 'id');
    const product = (await api.get<Product>(`/products/${encodeURIComponent(id)}`)).body;
    const soft = <T>(p: Promise<T>): Promise<T | AdminApiProblem> => p.catch((err: unknown) => {
      if (err instanceof AdminApiProblem) return err;
      throw err;
    });
    const sees = (role: string) => session.staff.roles.some((r) => r.role === role);
    const [certifications, approvals, access, controllers, suspensions] = await Promise.all([
      api.list<Certification>('/certifications', { productId: id }),
      soft(api.list<Approval>('/approvals', { productId: id })),
      soft(api.get(`/products/${encodeURIComponent(id)}/access`).then((r) => r.body)),
      soft(api.list<Controller>('/controllers')),
      sees('operator') || sees('controller_admin') ? soft(api.list<Suspension>('/suspensions')) : Promise.resolve([] as Suspension[]),
    ]);
    const flash = flashOf(ctx, v.locale);
    ctx.type = 'html';
    ctx.body = productPage(v, {
      product,
      certifications,
      approvals,
      access: access instanceof AdminApiProblem ? access : liveAccessOf(access),
      lapses: access instanceof AdminApiProblem ? [] : lapsesOf(access),
      controllers: new Map(Array.isArray(controllers) ? controllers.map((c) => [c.id, c]) : []),
      administers: administered(session),
      operator: sees('operator'),
      certifies: session.staff.roles.flatMap((r) => (r.role === 'certifier' && r.scope ? [r.scope] : [])),
      suspensions: Array.isArray(suspensions) ? suspensions.filter((x) => x.productId === id) : [],
      now: clock.now(),
      datasetNames: names,
      ...(flash ? { flash } : {}),
    });
  });

  const administered = (session: ConsoleSession): string[] => session.staff.roles.flatMap((r) => (r.role === 'controller_admin' && r.scope ? [r.scope] : []));

  /** What the approve form offers: the controllers this person administers, and what the product asks for that they hold. */
  const approveChoice = async (api: AdminApiClient, session: ConsoleSession, product: Product) => {
    const controllers = await Promise.all(administered(session).map(async (id) => (await api.get<Controller>(`/controllers/${encodeURIComponent(id)}`)).body));
    // At most what the product asks for, of what the controller holds, as the catalogue allows it.
    const held = new Set(controllers.flatMap((c) => c.datasets ?? []));
    const options = (product.requestedAccess ?? [])
      .filter((a) => held.has(a.dataset))
      .map((a) => {
        const entry = catalogue.get(a.dataset);
        return { dataset: a.dataset, actions: entry ? a.actions.filter((x) => entry.actions.includes(x)) : a.actions, ...(entry ? { sensitivity: entry.sensitivity } : {}) };
      })
      .filter((a) => a.actions.length);
    return { controllers, purposes: [product.purpose], options };
  };

  router.get('/products/:id/approve', requireSession, async (ctx) => {
    const { api, view: v, session } = stateOf(ctx);
    const product = (await api.get<Product>(`/products/${encodeURIComponent(pathParam(ctx, 'id'))}`)).body;
    if (!administered(session).length) {
      showProblem(ctx, new AdminApiProblem(403, 'forbidden_role', 'Forbidden'), `/admin/products/${encodeURIComponent(product.id)}`);
      return;
    }
    ctx.type = 'html';
    ctx.body = approveFormPage(v, product, await approveChoice(api, session, product), [], names);
  });

  router.post('/products/:id/approve/review', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v, session } = stateOf(ctx);
    const product = (await api.get<Product>(`/products/${encodeURIComponent(pathParam(ctx, 'id'))}`)).body;
    const { input, errors } = readApproveForm(form(ctx), v.locale);
    if (!input) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = approveFormPage(v, product, await approveChoice(api, session, product), errors, names);
      return;
    }
    const controller = (await api.get<Controller>(`/controllers/${encodeURIComponent(input.controllerId)}`)).body;
    ctx.type = 'html';
    ctx.body = approveConfirmPage(v, product, controller, input, names);
  });

  router.post('/products/:id/approve', body, requireSession, requireCsrf, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const productId = pathParam(ctx, 'id');
    const { input, errors } = readApproveForm(form(ctx), v.locale);
    if (!input) {
      showProblem(ctx, { status: 400, code: 'validation', title: 'Bad request', detail: errors.join(' ') }, `/admin/products/${encodeURIComponent(productId)}/approve`);
      return;
    }
    await api.post('/approvals', {
      controllerId: input.controllerId,
      productId,
      purpose: input.purpose,
      access: input.access,
      basis: input.basis,
      ...(input.reviewer ? { reviewer: input.reviewer } : {}),
      ...(input.expiresAt ? { expiresAt: `${input.expiresAt}T23:59:59.000Z` } : {}),
    });
    ctx.redirect(`/admin/products/${encodeURIComponent(productId)}?done=approved`);
  });

  const findApproval = async (api: AdminApiClient, productId: string, approvalId: string): Promise<Approval> => {
    const approval = (await api.list<Approval>('/approvals', { productId })).find((a) => a.id === approvalId);
    if (!approval) throw new AdminApiProblem(404, 'not_found', 'Not found');
    return approval;
  };

  router.get('/products/:pid/approvals/:aid/revoke', requireSession, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const product = (await api.get<Product>(`/products/${encodeURIComponent(pathParam(ctx, 'pid'))}`)).body;
    const approval = await findApproval(api, product.id, pathParam(ctx, 'aid'));
    if (approval.status !== 'active') {
      ctx.redirect(`/admin/products/${encodeURIComponent(product.id)}`);
      return;
    }
    const controller = await api.get<Controller>(`/controllers/${encodeURIComponent(approval.controllerId)}`).then((r) => r.body, () => undefined);
    ctx.type = 'html';
    ctx.body = revokeConfirmPage(v, product, controller, approval, names);
  });

  router.post('/approvals/:aid/revoke', body, requireSession, requireCsrf, async (ctx) => {
    const { api } = stateOf(ctx);
    const approvalId = pathParam(ctx, 'aid');
    const productId = one(form(ctx).productId);
    const version = one(form(ctx).version);
    const reason = one(form(ctx).reason);
    const back = ID.test(productId) ? `/admin/products/${encodeURIComponent(productId)}/approvals/${encodeURIComponent(approvalId)}/revoke` : '/admin/';
    if (!/^\d+$/.test(version)) {
      showProblem(ctx, new AdminApiProblem(428, 'precondition_required', 'Precondition required'), back);
      return;
    }
    if (!reason || reason.length > 500) {
      showProblem(ctx, { status: 400, code: 'validation', title: 'Bad request', detail: say(stateOf(ctx).view.locale, 'errReason') }, back);
      return;
    }
    try {
      await api.post(`/approvals/${encodeURIComponent(approvalId)}/revoke`, { reason }, version);
    } catch (err) {
      if (err instanceof AdminApiProblem) {
        logger.info({ reason: err.code, status: err.status }, 'admin console: revoke refused');
        showProblem(ctx, err, back);
        return;
      }
      throw err;
    }
    ctx.redirect(ID.test(productId) ? `/admin/products/${encodeURIComponent(productId)}?done=revoked` : '/admin/');
  });

  // --- Stopping an automatic (policy) approval: the controller's explicit "no" for one product ---
  /** The live automatic approval of this product by this controller, as the API computes it now. */
  const automaticApproval = async (api: AdminApiClient, productId: string, controllerId: string) => {
    const live = liveAccessOf((await api.get(`/products/${encodeURIComponent(productId)}/access`)).body)
      .find((a) => a.controllerId === controllerId && a.basis === 'policy' && a.certificationId);
    if (!live) throw new AdminApiProblem(404, 'not_found', 'Not found', controllerId);
    return live;
  };

  router.get('/products/:id/automatic/:controllerId/stop', requireSession, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const product = (await api.get<Product>(`/products/${encodeURIComponent(pathParam(ctx, 'id'))}`)).body;
    const live = await automaticApproval(api, product.id, pathParam(ctx, 'controllerId'));
    const controller = (await api.get<Controller>(`/controllers/${encodeURIComponent(live.controllerId)}`)).body;
    ctx.type = 'html';
    ctx.body = stopAutomaticConfirmPage(v, product, controller, live, names);
  });

  router.post('/products/:id/automatic/:controllerId/stop', body, requireSession, requireCsrf, async (ctx) => {
    const { api } = stateOf(ctx);
    const productId = pathParam(ctx, 'id');
    const live = await automaticApproval(api, productId, pathParam(ctx, 'controllerId'));
    // The registry's way to say no to what a policy gives: a certification-based approval, revoked.
    // It names exactly what is live, so even between the two calls nothing more is shared than before.
    const created = (await api.post<Approval>('/approvals', {
      controllerId: live.controllerId, productId, purpose: live.purpose, access: live.access, basis: 'certification', certificationId: live.certificationId,
    })).body;
    await api.post(`/approvals/${encodeURIComponent(created.id)}/revoke`, {}, created.version);
    ctx.redirect(`/admin/products/${encodeURIComponent(productId)}?done=stopped`);
  });

  // --- Audit trail (old links: /admin/audit/<type>/<id> is the overview searched for that object), controllers ---
  router.get('/audit/:type/:id', requireSession, async (ctx) => {
    const type = pathParam(ctx, 'type');
    if (!AUDIT_TYPES.has(type)) {
      showProblem(ctx, new AdminApiProblem(404, 'not_found', 'Not found'));
      return;
    }
    ctx.redirect(`/admin/audit?objectType=${encodeURIComponent(type)}&objectId=${encodeURIComponent(pathParam(ctx, 'id'))}`);
  });

  router.get('/controllers', requireSession, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    ctx.type = 'html';
    ctx.body = controllersPage(v, await api.list<Controller>('/controllers'), names);
  });

  router.get('/controllers/:id', requireSession, async (ctx) => {
    const { api, view: v } = stateOf(ctx);
    const id = encodeURIComponent(pathParam(ctx, 'id'));
    const controller = (await api.get<Controller>(`/controllers/${id}`)).body;
    const policy = await api.get<ControllerPolicy>(`/controllers/${id}/policy`).then((r) => r.body, (err: unknown) => {
      if (err instanceof AdminApiProblem) return err.status === 404 ? undefined : err;
      throw err;
    });
    const jump = await api.get<JumpPolicy>(`/controllers/${id}/jump-policy`).then((r) => r.body, (err: unknown) => {
      if (err instanceof AdminApiProblem) return err.status === 404 ? undefined : err;
      throw err;
    });
    ctx.type = 'html';
    ctx.body = controllerPage(v, controller, policy, names, jump, flashOf(ctx, v.locale));
  });

  return router;
}
